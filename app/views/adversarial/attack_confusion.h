#pragma once

#include <QStringList>
#include <QWidget>

#include <memory>

class QComboBox;

namespace convscope
{

class ConfusionMatrixView;
struct RobustnessResult;

// Beside the robustness curve: the confusion matrix under attack of the
// latest curve at the budget chosen (rows: true class, columns: the class
// after the attack), which classes the attack pushes into which; its cells
// as CSV, the same rows as `convscope attack DATASET --confusion`.
class AttackConfusion final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttackConfusion)
public:
    explicit AttackConfusion(QWidget* parent = nullptr);
    ~AttackConfusion() override;

    // `classNames` has one name per model output.
    void setResult(const std::shared_ptr<const RobustnessResult>& result, const QStringList& classNames);
    void clear();
    void setBudget(int index); // into the result's budgets
    int budget() const;

    std::shared_ptr<const RobustnessResult> result() const;
    QString budgetText() const; // "8/255", as the chooser shows it
    ConfusionMatrixView* matrix() const;
    QComboBox* budgets() const;
    QString csv() const; // the chosen budget's cells, with the header
    bool exportCsv(const QString& path); // false, with the reason in the caption, when it cannot

Q_SIGNALS:
    // Place the images attacked at the chosen budget into the Embedding tab's map.
    void showInEmbeddingClicked();

private:
    void show();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
