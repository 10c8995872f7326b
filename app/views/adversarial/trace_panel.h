#pragma once

#include <QWidget>

#include <memory>

class QListWidget;

namespace convscope
{

class AmplificationChart;
class ImageView;
class Workspace;
struct AdversarialRun;
struct AmplificationCurves;

// "Through the layers": the amplification chart of the attack shown (and of
// a compared model's), and for the layer clicked on it the clean and
// adversarial activations on one colour scale, their difference, and the
// channels that moved most; a click on a channel opens it in the Unit view.
// The layer's pictures come from a forward pass on the model's worker.
class TracePanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TracePanel)
public:
    explicit TracePanel(Workspace* workspace, QWidget* parent = nullptr);
    ~TracePanel() override;

    // The run's trace; `compared` adds a second model's curves beside it.
    void setRun(const std::shared_ptr<const AdversarialRun>& run, const AmplificationCurves* compared = nullptr);
    void clear();
    void showLayer(int layer); // what a click on the chart does

    AmplificationChart* chart() const;
    ImageView* picture(int index) const; // 0 clean, 1 adversarial, 2 difference
    QListWidget* channelList() const;
    QString layerText() const;
    QImage image() const; // the chart and the layer's pictures

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// The amplification curves of a run, for the chart.
AmplificationCurves curvesOf(const AdversarialRun& run, const QString& model = {});

} // namespace convscope
