#pragma once

#include <QImage>
#include <QPair>
#include <QVector>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace convscope {

class ImageView;
class TopKChart;

// The input dock: the current input as the model sees it (after resizing),
// where it came from, a way through a dataset or video (previous/next, a
// slider), play/pause for video and camera, and the top-5 predictions as a
// bar chart.
class InputPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InputPanel)
public:
    explicit InputPanel(QWidget* parent = nullptr);

    void setImage(const QImage& image, const QString& caption);
    void setPredictions(const QVector<QPair<QString, double>>& top); // label, probability
    // The predictions shown are not yet those of the current model and
    // input: after 300 ms without new ones, dimmed and labelled "updating…".
    void setPredictionsStale(bool stale);
    bool predictionsStale() const; // as shown
    // An input is opening: the image shown is the previous one.
    void setOpening(const QString& name);
    // Items to walk (0 hides the navigation); the position shown.
    void setNavigation(int count, int position);
    // A split dataset: its test split's size and all its images, and which
    // the navigation walks (testCount 0 hides the choice).
    void setScope(int testCount, int total, bool all);
    bool walksAll() const;
    // Whether play/pause applies (video, camera) and which it shows.
    void setLiveAvailable(bool available);
    void setPlaying(bool playing);
    void setLiveStatus(const QString& text);

    QString caption() const;
    QStringList predictionTexts() const;
    QImage image() const;
    TopKChart* chart() const { return m_chart; }

Q_SIGNALS:
    void previousRequested();
    void nextRequested();
    void positionRequested(int position);
    void walkAllRequested(bool all);
    void playToggled(bool play);

private:
    void showPredictionsStale(bool stale);

    ImageView* m_image;
    QLabel* m_caption;
    TopKChart* m_chart;
    QPushButton* m_previous;
    QPushButton* m_next;
    QSlider* m_slider;
    QSpinBox* m_position;
    QPushButton* m_play;
    QLabel* m_live;
    QWidget* m_navigation;
    QLabel* m_predictionsTitle;
    QTimer* m_staleDelay;
    bool m_predictionsStale = false; // as shown
    QComboBox* m_scope;
};

} // namespace convscope
