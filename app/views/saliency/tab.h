#pragma once

#include "app/shell/view_tab.h"

#include <QStringList>

#include <memory>

namespace convscope {

class ImageView;
class SaliencyControls;
class SanityControls;
class SanityPage;
struct SaliencyRun;

// Which pixels matter to a class: occlusion (Zeiler & Fergus) or one of the
// gradient methods (gradient, SmoothGrad, Integrated Gradients, Grad-CAM,
// guided backpropagation, guided Grad-CAM, Grad-CAM++, Score-CAM, deconvnet),
// the same core functions and parameters as `convscope occlusion|saliency`;
// and the sanity check (`convscope sanity`): the map on a randomized copy of
// the model beside it, or every method at every step as a figure. Panels side by side: the
// input, the heatmap, the heatmap over the input, and for occlusion the class
// predicted under each window, for the guided methods the signed guided
// gradient. Recomputes on the model's worker whenever the model, the input or
// a parameter changes (the newest request wins); colormap and opacity only
// redraw.
class SaliencyTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SaliencyTab)
public:
    explicit SaliencyTab(Workspace* workspace, QWidget* parent = nullptr);
    ~SaliencyTab() override;

    QString key() const override { return QStringLiteral("saliency"); }
    QString title() const override { return tr("Saliency"); }
    // The panels with their titles, the legend and the caption, on white.
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    // Lessons: the class explained is the step's channel (-1: the predicted one).
    int lessonChannel() const override;
    void setLessonChannel(int channel) override;
    void restoreSettings(const QString& group) override;

    SaliencyControls* controls() const;
    SanityControls* sanityControls() const;
    // "All methods": the sanity check's figure, shown in place of the panels.
    SanityPage* sanityPage() const;
    void showSanityFigure();
    // Runs again even if nothing changed (after a cancel).
    void compute();
    // Stops the running computation; it stays stopped until compute() or a change.
    void cancel();

    ImageView* heatmapView() const;
    ImageView* overlayView() const;
    ImageView* classMapView() const;
    ImageView* guidedView() const;
    ImageView* randomizedView() const; // the map on the randomized copy (sanity check)
    QString captionText() const; // the result shown, in words
    QString infoText() const;    // what is going on, or what went wrong
    QStringList legendTexts() const;
    qint64 resultsShown() const;

protected:
    void refresh() override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void redraw();
    void showPage(int page); // 0: the maps and the form, 1: the sanity figure alone
    void show(const std::shared_ptr<const SaliencyRun>& result);
    void showFailure(const QString& text);
    void jobGone(int generation);
    void fitPanels();
    void hoverHeatmap(QPoint pixel);
    void hoverClassMap(QPoint pixel);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
