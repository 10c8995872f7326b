#pragma once

#include <QImage>
#include <QWidget>

#include <memory>

namespace convscope {

class Workspace;
struct SaliencyRequest;

// "All methods": the sanity check's whole figure in the Saliency tab, every
// method at every randomization step and the similarity against the step
// (sanity_figure.h), filling in cell by cell on the model's worker, with
// progress, Stop, a choice of similarity, and PNG/CSV export. A finished
// figure is kept for the session: asking again shows it at once.
class SanityPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SanityPage)
public:
    explicit SanityPage(Workspace* workspace, QWidget* parent = nullptr);
    ~SanityPage() override;

    // The figure for the current model and input with the request's class,
    // score, layer and method parameters, its randomization mode (cascading
    // when off) and seed; colours from `colormap`.
    void start(const SaliencyRequest& request, const QString& colormap);
    void stop();
    bool running() const;
    // The figure as shown (composed for export at 96 px a map).
    QImage figureImage() const;
    QString statusText() const;
    // Cells computed, of all; 0 of 0 before a start.
    int cellsDone() const;
    int cellsTotal() const;
    void setMetric(const QString& metric); // spearman_abs, spearman, ssim, hog
    // Empty on success, else why not.
    QString exportPng(const QString& path) const;
    QString exportCsv(const QString& path) const;

Q_SIGNALS:
    void closeClicked();
    void finished();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void redraw();
    void showStatus();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
