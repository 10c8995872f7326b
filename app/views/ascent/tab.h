#pragma once

#include "app/shell/view_tab.h"

#include <QImage>
#include <QStringList>
#include <QVector>

#include <memory>

namespace convscope {

class AscentChart;
class AscentControls;
class ImageView;
class TileGridView;
struct AscentFrame;
struct AscentShown;

// Activation maximization: the image a channel, a unit of the selected layer
// or a class score wants to see, by gradient ascent in input space with the
// same core ascend() and options as `convscope ascent`. Runs only on Run (one
// image) or Whole layer (one image per channel, unit or class, as one batch);
// while it runs, the current image and the objective against the step are
// drawn a few times a second. Stop keeps the images as they are. A new model,
// or a new layer when the layer is the target, clears the results.
class AscentTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AscentTab)
public:
    explicit AscentTab(Workspace* workspace, QWidget* parent = nullptr);
    ~AscentTab() override;

    QString key() const override { return QStringLiteral("ascent"); }
    QString title() const override { return tr("Gradient Ascent"); }
    // The image (or the grid) and the chart, with a caption: objective, preset, steps, values.
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    AscentControls* controls() const;
    void run(); // one image
    void runWholeLayer(); // every channel, unit or class of the target
    void stop(); // keeps the current images
    bool isRunning() const;
    // Lessons: the image shown large, and which run made the images.
    int lessonChannel() const override { return shownIndex(); }
    void setLessonChannel(int channel) override;
    QString lessonWork() const override;
    void startLessonWork(const QString& work) override;
    bool lessonWorkRunning() const override { return isRunning(); }

    ImageView* imageView() const; // the image shown large
    TileGridView* grid() const; // a whole layer's images
    AscentChart* chart() const;
    QString infoText() const; // what is going on, or what went wrong
    QString captionText() const; // the result shown, in words
    QString valuesText() const; // start → end of the image shown large
    // Objective values of the result shown (empty while none), one per image.
    QVector<double> startValues() const;
    QVector<double> endValues() const;
    int shownIndex() const; // the image shown large, of the result's images
    void showImage(int index);

protected:
    void refresh() override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void start(bool wholeLayer);
    void preview(int generation, const AscentFrame& frame);
    void finish(int generation, const std::shared_ptr<const AscentShown>& shown);
    void fail(int generation, const QString& message);
    void jobGone(int generation);
    void abandon(); // the running job's answer is no longer wanted
    void clearResults(const QString& info);
    void arrange(bool wholeLayer);
    void setGridImages(const QVector<QImage>& images, const QStringList& captions);
    void fitGrid();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
