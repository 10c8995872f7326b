#pragma once

#include <QWidget>

#include <memory>

namespace convscope
{

class AttackConfusion;
class InputController;
class Model;
class RobustnessChart;
class Workspace;
struct AttackOptions;
struct RobustnessCurve;

// The Adversarial tab's robustness curves: accuracy against ε over a seeded
// sample of the dataset the Input dock walks (core robustness(), as
// `convscope attack DATASET` runs it) on the model's worker, with progress
// and Stop (the finished budgets stay), one curve per run on one chart,
// Clear, and the curves as CSV or the chart as PNG.
class RobustnessPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RobustnessPanel)
public:
    RobustnessPanel(Workspace* workspace, InputController* input, QWidget* parent = nullptr);
    ~RobustnessPanel() override;

    // `epsList` as `--eps` takes it ("0,1/255,8/255").
    void run(const AttackOptions& options, int samples, const QString& epsList);
    void stop(); // keeps the finished budgets
    void abandon(); // a new model: no answer wanted, no curves kept
    bool isRunning() const;
    // "Compare with…": every curve runs on this model too, named after it
    // (null: none).
    void setCompared(const std::shared_ptr<Model>& model, const QString& name);

    RobustnessChart* chart() const;
    AttackConfusion* confusion() const; // the latest curve's, beside it
    QString infoText() const;
    bool exportCsv(const QString& path);
    bool exportPng(const QString& path);

Q_SIGNALS:
    void runningChanged(bool running);

private:
    void finish(int generation, const RobustnessCurve& curve, const QString& summary);
    void fail(int generation, const QString& message);
    void setRunning(bool running);
    void chooseExport(bool csv);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
