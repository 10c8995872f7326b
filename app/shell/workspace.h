#pragma once

#include <QObject>
#include <QString>

#include <memory>

namespace convscope {

class JobRunner;
class Model;
struct ModelSummary;
struct InputFrame;
struct ForwardResult;

// What every view looks at: the model, the current input, the selected layer
// and the latest forward pass, plus the worker that owns all model work.
// Views read it and submit jobs to jobs(); they never touch the model on the
// GUI thread beyond reading its info and layer list.
class Workspace final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Workspace)
public:
    explicit Workspace(QObject* parent = nullptr);
    ~Workspace() override;

    // The serial worker for model work (loads, forwards, analyses).
    JobRunner* jobs() const;
    // A second worker for pure tensor-to-pixel work that does not touch the
    // model, so drawing one frame overlaps the next frame's forward pass.
    JobRunner* drawing() const;

    std::shared_ptr<Model> model() const;
    const ModelSummary& summary() const;
    void setModel(std::shared_ptr<Model> model, const ModelSummary& summary);

    std::shared_ptr<const InputFrame> input() const;
    void setInput(std::shared_ptr<InputFrame> frame);

    int layer() const;
    QString layerName() const;
    void setLayer(int layer);
    // By name or alias; false (and no change) if the model has no such layer.
    bool setLayer(const QString& name);
    // A view's "this one": a channel of a layer picked for the Unit page
    // (a tile in Filters or Activations, a mosaic in Patches, a cell in
    // Gradient Ascent, a class of the last layer in the Input dock).
    void pickUnit(int layer, int channel);

    // The latest forward pass over the current input (may trail input() by a frame).
    std::shared_ptr<const ForwardResult> forward() const;
    // True while a forward pass for the current input and layer is on its way.
    bool forwardPending() const;

    // After this long with both workers idle, the memory malloc keeps for
    // reuse goes back to the system (core releaseFreeMemory()).
    static constexpr int kIdleReleaseMs = 2000;

Q_SIGNALS:
    void modelChanged();
    void inputChanged();
    void layerChanged(int layer);
    void unitPicked(int layer, int channel);
    void forwardReady();
    void forwardFailed(const QString& message);
    void memoryReleased();

private:
    void runForward();
    void releaseWhenIdle();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
