#pragma once

#include "app/shell/view_tab.h"

#include <memory>

namespace convscope
{

class AdversarialControls;
class AttackConfusion;
class ComparePanel;
class AdversarialPictures;
class InputController;
class RobustnessChart;
class RobustnessPanel;
class TracePanel;
class TravelChart;
struct AdversarialRun;

// Adversarial examples on the current input, by the same core attack() and
// options as `convscope attack`: original | adversarial | difference |
// difference ×10 with their predictions and norms, the top-5 before and
// after, and the tracked class's probability per step ("watch it travel").
// Runs on Run; the live ε slider runs FGSM as it moves (the newest request
// wins). Robustness curves (accuracy against ε over a seeded sample of the
// dataset the Input dock walks) pile up on one chart, one per run, for CSV
// and PNG. "Use as input" makes the adversarial image every view's input.
class AdversarialTab final : public ViewTab
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdversarialTab)
public:
    AdversarialTab(Workspace* workspace, InputController* input, QWidget* parent = nullptr);
    ~AdversarialTab() override;

    QString key() const override { return QStringLiteral("adversarial"); }
    QString title() const override { return tr("Adversarial"); }
    // The four pictures with their titles and the attack, on white.
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    AdversarialControls* controls() const;
    AdversarialPictures* pictures() const;
    TravelChart* travelChart() const;
    RobustnessChart* robustnessChart() const;
    TracePanel* tracePanel() const;
    ComparePanel* comparePanel() const;
    AttackConfusion* attackConfusion() const; // beside the robustness curve
    // Under the pictures: 0 "Through the layers", 1 "Robustness", 2 "Compare".
    void showBelow(int page);

    void run(); // the controls' attack on the current input
    void runLive(double eps); // FGSM at eps (what the slider does)
    void runCurve(); // a robustness curve with the controls' attack
    void stop(); // keeps what there is
    bool isRunning() const; // an attack or a curve
    // Lessons: the target class is the step's channel (-1: untargeted); the
    // attack shown is run again on replay.
    int lessonChannel() const override;
    void setLessonChannel(int channel) override;
    QString lessonWork() const override;
    void startLessonWork(const QString& work) override;
    bool lessonWorkRunning() const override { return isRunning(); }
    void useAsInput();
    void restoreOriginal();
    bool exportCsv(const QString& path);
    bool exportChartPng(const QString& path);

    std::shared_ptr<const AdversarialRun> result() const; // the attack shown
    qint64 resultsShown() const;
    QString infoText() const; // what is going on, or what went wrong
    QString captionText() const;
    QString curveText() const; // the robustness panel's line

Q_SIGNALS:
    // "Show in embedding": place result()'s clean and adversarial image into the Embedding tab's map.
    void showInEmbeddingRequested();
    // The same for every image of the latest robustness curve at the confusion's budget.
    void showBatchInEmbeddingRequested();

protected:
    void refresh() override;

private:
    void startAttack(bool live, double eps);
    void finishAttack(int generation, const std::shared_ptr<const AdversarialRun>& run);
    void failAttack(int generation, const QString& message);
    void jobGone(int generation);
    void abandon();
    void show(const std::shared_ptr<const AdversarialRun>& run);
    void clearResult();
    void updateState();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
