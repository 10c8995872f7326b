#pragma once

#include <QImage>
#include <QWidget>

#include <utility>
#include <vector>

class QLabel;
class QListWidget;
class QPushButton;

namespace convscope {

// The current input as the model sees it, where it came from, previous/next
// through a dataset, and the model's top predictions.
class InputPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InputPanel)
public:
    explicit InputPanel(QWidget* parent = nullptr);

    void setImage(const QImage& image, const QString& caption);
    void setPredictions(const std::vector<std::pair<QString, double>>& top); // label, probability
    void setNavigation(bool enabled);
    QString caption() const;
    QStringList predictionTexts() const;

Q_SIGNALS:
    void previousRequested();
    void nextRequested();

private:
    QLabel* m_image;
    QLabel* m_caption;
    QListWidget* m_predictions;
    QPushButton* m_previous;
    QPushButton* m_next;
};

} // namespace convscope
