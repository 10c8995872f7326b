#include "app/views/adversarial/compare_panel.h"

#include "app/shell/job_runner.h"
#include "app/shell/workspace.h"
#include "app/views/adversarial/run.h"
#include "core/model.h"
#include "widgets/image_view.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QVBoxLayout>

namespace convscope
{

namespace
{

const QString kLoad = QStringLiteral("adversarial-compare-load");

QString resultText(const AdversarialRun& run)
{
    const QString fooled = run.success ? ComparePanel::tr("fooled") : ComparePanel::tr("not fooled");
    return ComparePanel::tr("%1 → %2, %3").arg(predictionText(run.topBefore.value(0)),
                                               predictionText(run.topAfter.value(0)), fooled);
}

} // namespace

struct ComparePanel::Private {
    Workspace* workspace = nullptr;
    QLabel* info = nullptr;
    QPushButton* choose = nullptr;
    QPushButton* clear = nullptr;
    QLabel* headings[2] = {};
    ImageView* pictures[2][2] = {};
    QLabel* captions[2][2] = {};
    std::shared_ptr<Model> model;
    QString name;
    bool loading = false;
    int generation = 0;
};

ComparePanel::ComparePanel(Workspace* workspace, QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->workspace = workspace;
    d->choose = new QPushButton(tr("Compare with…"));
    d->choose->setObjectName(QStringLiteral("compareWith"));
    d->choose->setToolTip(tr("Open a second model (an adversarially trained one, say): every attack and robustness "
                             "curve runs on both"));
    d->clear = new QPushButton(tr("Stop comparing"));
    d->clear->setObjectName(QStringLiteral("compareClear"));
    d->info = new QLabel;
    d->info->setObjectName(QStringLiteral("compareInfo"));
    d->info->setWordWrap(true);
    auto* top = new QHBoxLayout;
    top->addWidget(d->choose);
    top->addWidget(d->clear);
    top->addWidget(d->info, 1);
    auto* grid = new QGridLayout;
    const QString rows[2] = { tr("Adversarial"), tr("Gradient saliency of the clean image") };
    for (int c = 0; c < 2; ++c) {
        d->headings[c] = new QLabel;
        d->headings[c]->setAlignment(Qt::AlignCenter);
        QFont bold = d->headings[c]->font();
        bold.setBold(true);
        d->headings[c]->setFont(bold);
        grid->addWidget(d->headings[c], 0, 1 + c);
        grid->setColumnStretch(1 + c, 1);
        for (int r = 0; r < 2; ++r) {
            d->pictures[c][r] = new ImageView;
            d->pictures[c][r]->setObjectName(QStringLiteral("compare%1%2").arg(c).arg(r));
            d->pictures[c][r]->setMinimumSize(90, 90);
            d->captions[c][r] = new QLabel;
            d->captions[c][r]->setAlignment(Qt::AlignCenter);
            d->captions[c][r]->setWordWrap(true);
            grid->addWidget(d->pictures[c][r], 1 + 2 * r, 1 + c);
            grid->addWidget(d->captions[c][r], 2 + 2 * r, 1 + c);
            grid->setRowStretch(1 + 2 * r, 1);
        }
    }
    for (int r = 0; r < 2; ++r) {
        auto* label = new QLabel(rows[r]);
        label->setWordWrap(true);
        label->setMaximumWidth(110);
        grid->addWidget(label, 1 + 2 * r, 0);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addLayout(grid, 1);
    connect(d->choose, &QPushButton::clicked, this, &ComparePanel::chooseModel);
    connect(d->clear, &QPushButton::clicked, this, &ComparePanel::clearModel);
    setRun({});
}

ComparePanel::~ComparePanel() = default;

std::shared_ptr<Model> ComparePanel::model() const
{
    return d->model;
}
QString ComparePanel::name() const
{
    return d->name;
}
bool ComparePanel::isLoading() const
{
    return d->loading;
}
QString ComparePanel::infoText() const
{
    return d->info->text();
}
ImageView* ComparePanel::picture(int column, int row) const
{
    return d->pictures[column][row];
}
QString ComparePanel::caption(int column, int row) const
{
    return d->captions[column][row]->text();
}

void ComparePanel::chooseModel()
{
    // Where the current model lies: the shipped models sit side by side (lenet5_digits_pgd.pt).
    auto current = d->workspace->model();
    const QString folder = current ? QFileInfo(QString::fromStdString(current->info().path)).absolutePath() : QString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Compare with a second model"), folder,
        tr("TorchScript models (*.pt *.pth *.ptl *.torchscript);;All files (*)"));
    if (!path.isEmpty())
        loadModel(path);
}

void ComparePanel::loadModel(const QString& path)
{
    auto current = d->workspace->model();
    LoadOptions options;
    options.device = current ? current->device().str() : std::string("auto");
    const int generation = ++d->generation;
    d->loading = true;
    d->info->setText(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    QPointer<ComparePanel> self(this);
    const std::string file = path.toStdString();
    d->workspace->jobs()->submit(kLoad, tr("Loading the compared model"),
        [self, file, options, path, generation](JobContext&) -> JobRunner::Done {
            std::shared_ptr<Model> loaded = Model::load(file, options);
            return [self, loaded, path, generation] {
                if (!self || generation != self->d->generation)
                    return;
                self->d->loading = false;
                self->d->model = loaded;
                self->d->name = QFileInfo(path).fileName();
                self->d->info->setText(tr("Comparing with %1: run an attack or a robustness curve.").arg(self->d->name));
                Q_EMIT self->comparedChanged();
            };
        },
        [self, path, generation](const QString& error) {
            if (!self || generation != self->d->generation)
                return;
            self->d->loading = false;
            self->d->info->setText(tr("Cannot compare with %1: %2").arg(QFileInfo(path).fileName(), error));
        });
}

void ComparePanel::clearModel()
{
    ++d->generation;
    d->loading = false;
    d->model.reset();
    d->name.clear();
    setRun({});
    Q_EMIT comparedChanged();
}

void ComparePanel::setRun(const std::shared_ptr<const AdversarialRun>& run)
{
    d->clear->setEnabled(d->model != nullptr);
    if (!run || !run->compared) {
        for (auto& column : d->pictures)
            for (ImageView* view : column)
                view->setImage({});
        for (auto& column : d->captions)
            for (QLabel* label : column)
                label->clear();
        d->headings[0]->clear();
        d->headings[1]->clear();
        if (!d->loading)
            d->info->setText(d->model ? tr("Comparing with %1: run an attack or a robustness curve.").arg(d->name)
                                      : tr("Compare with… opens a second model, an adversarially trained one say: "
                                           "each attack runs on both, side by side."));
        return;
    }
    const AdversarialRun* runs[2] = { run.get(), run->compared.get() };
    d->headings[0]->setText(tr("This model"));
    d->headings[1]->setText(run->comparedName);
    for (int c = 0; c < 2; ++c) {
        d->pictures[c][0]->setImage(runs[c]->adversarialImage);
        d->captions[c][0]->setText(resultText(*runs[c]));
        d->pictures[c][1]->setImage(runs[c]->saliency);
        d->captions[c][1]->setText(tr("|∂ logit / ∂ pixels| of %1").arg(runs[c]->topBefore.value(0).first));
    }
    d->info->setText(tr("%1 on both: L∞ %2 and %3, L2 %4 and %5")
                         .arg(attackTitle(run->options), linfText(run->linf), linfText(run->compared->linf))
                         .arg(run->l2, 0, 'g', 3)
                         .arg(run->compared->l2, 0, 'g', 3));
}

void ComparePanel::showError(const QString& message)
{
    setRun({});
    d->info->setText(tr("Cannot compare: %1").arg(message));
}

} // namespace convscope
