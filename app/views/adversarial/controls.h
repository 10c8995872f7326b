#pragma once

#include <QWidget>

#include <memory>

class QSettings;

namespace convscope
{

class Model;
struct AttackOptions;

// The Adversarial tab's parameters: the attack and every option of
// AttackOptions that `convscope attack` takes (ε, step size, steps, restarts,
// seed, early stop, target class), a live ε slider that runs FGSM as it
// moves, the buttons for the example, and the robustness curve's sample size
// and budgets. Choosing an attack fills ε and steps with its defaults.
class AdversarialControls final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdversarialControls)
public:
    explicit AdversarialControls(QWidget* parent = nullptr);
    ~AdversarialControls() override;

    // The target picker gets the model's labels.
    void setModel(const Model& model);
    // What the controls say (checkAttackOptions() judges it when it runs).
    AttackOptions options() const;

    QString method() const; // fgsm, bim, pgd, pgd-l2, deepfool, cw
    void setMethod(const QString& name);
    void setEps(double eps);
    void setSteps(int steps);
    void setTarget(int target); // -1: untargeted
    int target() const;
    // The live slider, in 8-bit levels (n/255): as if the user dragged it.
    void setLiveLevel(int level);
    int liveLevel() const;

    int samples() const;
    void setSamples(int samples);
    QString epsListText() const;
    void setEpsListText(const QString& text);

    // Run and Curve wait while their job runs; Stop stops either.
    void setRunning(bool attack, bool curve);
    // Use as input needs a result; Restore original an adversarial input.
    void setCanUse(bool canUse, bool canRestore);

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void runClicked();
    void stopClicked();
    void liveEpsChanged(double eps);
    void useAsInputClicked();
    void restoreClicked();
    void curveClicked();

private:
    void methodChanged();
    void updateNotes();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
