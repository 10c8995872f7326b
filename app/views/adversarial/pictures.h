#pragma once

#include <QImage>
#include <QPair>
#include <QString>
#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope
{

class ImageView;
class TopKChart;

// The classic figure: original | adversarial | difference (0.5 + δ) |
// difference ×10, each titled and captioned, and the top-5 before and after
// as bar charts under them.
class AdversarialPictures final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdversarialPictures)
public:
    struct Picture {
        QString title;
        QImage image;
        QString caption; // the prediction, or the norms
    };
    using TopK = QVector<QPair<QString, double>>;

    explicit AdversarialPictures(QWidget* parent = nullptr);
    ~AdversarialPictures() override;

    void setPictures(const QVector<Picture>& pictures); // four
    void setTopK(const TopK& before, const TopK& after);
    void clear();

    static constexpr int kCount = 4;
    ImageView* view(int index) const;
    QString caption(int index) const;
    QVector<Picture> pictures() const;
    TopKChart* before() const;
    TopKChart* after() const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void fit();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
