#include "app/views/adversarial/attack_confusion.h"

#include "app/shell/atomic_save.h"
#include "app/shell/form_widgets.h"
#include "app/views/adversarial/attack_text.h"
#include "app/views/adversarial/run.h"
#include "core/attack.h"
#include "widgets/confusion_matrix_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace convscope
{

struct AttackConfusion::Private {
    QComboBox* budgets = nullptr;
    ConfusionMatrixView* matrix = nullptr;
    QLabel* caption = nullptr;
    QPushButton* csv = nullptr;
    QPushButton* embed = nullptr;
    std::shared_ptr<const RobustnessResult> result;
    QStringList names;
};

AttackConfusion::AttackConfusion(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->budgets = new QComboBox;
    d->budgets->setObjectName(QStringLiteral("confusionBudget"));
    d->budgets->setToolTip(tr("The budget ε whose predictions the matrix counts"));
    d->matrix = new ConfusionMatrixView;
    d->matrix->setMinimumSize(180, 180); // beside the curve in a 1280-pixel window
    d->matrix->setObjectName(QStringLiteral("attackConfusion"));
    d->caption = new QLabel;
    d->caption->setObjectName(QStringLiteral("attackConfusionCaption"));
    d->caption->setWordWrap(true);
    d->csv = new QPushButton(tr("CSV…"));
    d->csv->setObjectName(QStringLiteral("confusionCsv"));
    d->csv->setToolTip(tr("Save this budget's matrix as CSV: true class, class after the attack, count"));
    d->embed = new QPushButton(tr("Embed…"));
    d->embed->setObjectName(QStringLiteral("confusionEmbed"));
    d->embed->setToolTip(tr("Show in embedding: place every image attacked at this budget into the Embedding tab's "
                            "t-SNE map, an arrow from each clean image to its adversarial one"));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Attacked at ε")));
    top->addWidget(d->budgets, 1);
    top->addWidget(d->csv);
    top->addWidget(d->embed);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(d->matrix, 1);
    layout->addWidget(d->caption);
    connect(d->budgets, &QComboBox::currentIndexChanged, this, [this] { show(); });
    connect(d->embed, &QPushButton::clicked, this, &AttackConfusion::showInEmbeddingClicked);
    connect(d->csv, &QPushButton::clicked, this, [this] {
        const QString path = askExportPath(this, true, tr("Save the confusion under attack as CSV"),
                                           QStringLiteral("confusion-under-attack"));
        if (!path.isEmpty())
            exportCsv(path);
    });
    clear();
}

AttackConfusion::~AttackConfusion() = default;

std::shared_ptr<const RobustnessResult> AttackConfusion::result() const
{
    return d->result;
}
QString AttackConfusion::budgetText() const
{
    return d->budgets->currentText();
}
ConfusionMatrixView* AttackConfusion::matrix() const
{
    return d->matrix;
}
QComboBox* AttackConfusion::budgets() const
{
    return d->budgets;
}
int AttackConfusion::budget() const
{
    return d->budgets->currentIndex();
}
void AttackConfusion::setBudget(int index)
{
    d->budgets->setCurrentIndex(index);
}

void AttackConfusion::clear()
{
    d->result.reset();
    d->budgets->clear();
    d->matrix->clear();
    d->csv->setEnabled(false);
    d->embed->setEnabled(false);
    d->caption->setText(tr("The confusion under attack appears with a robustness curve."));
}

void AttackConfusion::setResult(const std::shared_ptr<const RobustnessResult>& result, const QStringList& classNames)
{
    if (!result || result->points.empty()) {
        clear();
        return;
    }
    d->result = result;
    d->names = classNames;
    const bool l2 = attackIsL2(result->method) || !attackUsesEps(result->method);
    const QSignalBlocker quiet(d->budgets);
    d->budgets->clear();
    // The first budget that halves the clean accuracy: where the attack's
    // preferences show before everything is fooled.
    int chosen = -1;
    for (size_t i = 0; i < result->points.size(); ++i) {
        const RobustnessPoint& p = result->points[i];
        d->budgets->addItem(l2 ? QString::number(p.eps, 'g', 3) : linfText(p.eps));
        if (chosen < 0 && p.accuracy <= result->cleanAccuracy / 2)
            chosen = static_cast<int>(i);
    }
    if (chosen < 0)
        chosen = static_cast<int>(result->points.size()) - 1;
    d->budgets->setCurrentIndex(chosen);
    d->csv->setEnabled(true);
    d->embed->setEnabled(result->clean.defined() && result->adversarial.size() == result->points.size());
    if (!d->embed->isEnabled())
        d->embed->setToolTip(tr("The images of this run were too many to keep for Show in embedding"));
    show();
}

void AttackConfusion::show()
{
    const int index = d->budgets->currentIndex();
    if (!d->result || index < 0 || index >= static_cast<int>(d->result->points.size()))
        return;
    const RobustnessPoint& p = d->result->points[static_cast<size_t>(index)];
    QVector<qint64> counts(p.confusion.begin(), p.confusion.end());
    d->matrix->setMatrix(counts, d->names);
    // Without labels the rows are what the model said of the clean images.
    d->caption->setText((d->result->labeled ? tr("%1 images: %2 % still right at ε %3; rows are true classes, columns "
                                                 "the class after the attack")
                                            : tr("%1 images: %2 % still predicted as before at ε %3; rows are the clean "
                                                 "predictions (no labels), columns the class after the attack"))
                            .arg(d->result->samples)
                            .arg(100 * p.accuracy, 0, 'f', 1)
                            .arg(d->budgets->currentText()));
}

QString AttackConfusion::csv() const
{
    if (!d->result || d->budgets->currentIndex() < 0)
        return {};
    const double eps = d->result->points[static_cast<size_t>(d->budgets->currentIndex())].eps;
    const QStringList names = d->names;
    return confusionCsvHeader() + confusionCsvRows(*d->result, [names](int64_t c) {
        return c < names.size() ? names[static_cast<int>(c)] : QString::number(c);
    }, eps);
}

bool AttackConfusion::exportCsv(const QString& path)
{
    if (!d->result) {
        d->caption->setText(tr("No matrix yet: press Robustness curve first."));
        return false;
    }
    if (const QString error = saveBytesAtomically(csv().toUtf8(), path); !error.isEmpty()) {
        d->caption->setText(tr("Cannot write %1: %2").arg(path, error));
        return false;
    }
    d->caption->setText(tr("Wrote %1").arg(path));
    return true;
}

} // namespace convscope
