#include "app/views/adversarial/robustness.h"

#include "app/shell/atomic_save.h"

#include "app/shell/form_widgets.h"
#include "app/shell/gui_post.h"
#include "app/shell/input_controller.h"
#include "app/shell/job_runner.h"
#include "app/shell/class_text.h"
#include "app/shell/workspace.h"
#include "app/views/adversarial/attack_confusion.h"
#include "app/views/adversarial/attack_text.h"
#include "app/views/adversarial/charts.h"
#include "core/attack.h"
#include "core/dataset.h"
#include "core/model.h"

#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <optional>

namespace convscope
{

namespace
{

const QString kChannel = QStringLiteral("robustness");

// The curve and a line about it, from robustness()'s answer (on the worker).
std::pair<RobustnessCurve, QString> describe(const RobustnessResult& r, const QString& method, size_t budgets)
{
    RobustnessCurve curve;
    curve.method = method;
    curve.l2 = attackIsL2(r.method) || !attackUsesEps(r.method); // deepfool, cw: L2 budgets
    for (const RobustnessPoint& p : r.points)
        curve.points.append(QPointF(p.eps, p.accuracy));
    curve.csvRows = robustnessCsvRows(r);
    curve.samples = r.samples;
    curve.cancelled = r.cancelled;
    QString summary
        = RobustnessPanel::tr("%1: clean accuracy %2 % on %3 images%4, %5 s")
              .arg(method)
              .arg(100 * r.cleanAccuracy, 0, 'f', 1)
              .arg(r.samples)
              .arg(r.labeled ? QString() : RobustnessPanel::tr(" (no labels: agreement with the clean predictions)"))
              .arg(r.seconds, 0, 'f', 1);
    if (!attackUsesEps(r.method))
        summary += RobustnessPanel::tr("; fooled %1 %, median L2 %2")
                       .arg(100 * r.successRate, 0, 'f', 1)
                       .arg(r.medianL2, 0, 'g', 3);
    if (r.cancelled)
        summary = RobustnessPanel::tr("Stopped: %1 of %2 budgets kept. ").arg(r.points.size()).arg(budgets) + summary;
    return { curve, summary };
}

} // namespace

struct RobustnessPanel::Private {
    Workspace* workspace = nullptr;
    InputController* input = nullptr;
    RobustnessChart* chart = nullptr;
    AttackConfusion* confusion = nullptr;
    QLabel* info = nullptr;
    bool running = false;
    int generation = 0;
    std::shared_ptr<Model> compared;
    QString comparedName;
};

RobustnessPanel::RobustnessPanel(Workspace* workspace, InputController* input, QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->workspace = workspace;
    d->input = input;
    d->chart = new RobustnessChart;
    d->chart->setObjectName(QStringLiteral("robustnessChart"));
    d->info = new QLabel(tr("Robustness curve (left) attacks a sample of the dataset the Input dock walks."));
    d->info->setObjectName(QStringLiteral("robustnessInfo"));
    d->info->setWordWrap(true);
    d->info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* clear = new QPushButton(tr("Clear"));
    clear->setObjectName(QStringLiteral("robustnessClear"));
    auto* csv = new QPushButton(tr("CSV…"));
    csv->setObjectName(QStringLiteral("robustnessCsv"));
    csv->setToolTip(tr("Save the curves as CSV: method, norm, eps, accuracy, correct, samples"));
    auto* png = new QPushButton(tr("PNG…"));
    png->setObjectName(QStringLiteral("robustnessPng"));
    png->setToolTip(tr("Save the chart as a PNG"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(clear);
    buttons->addWidget(csv);
    buttons->addWidget(png);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    d->confusion = new AttackConfusion;
    auto* figures = new QHBoxLayout;
    figures->addWidget(d->chart, 1);
    figures->addWidget(d->confusion, 1);
    layout->addLayout(figures, 1);
    layout->addWidget(d->info);
    layout->addLayout(buttons);

    connect(clear, &QPushButton::clicked, d->chart, &RobustnessChart::clear);
    connect(clear, &QPushButton::clicked, d->confusion, &AttackConfusion::clear);
    connect(csv, &QPushButton::clicked, this, [this] { chooseExport(true); });
    connect(png, &QPushButton::clicked, this, [this] { chooseExport(false); });
}

RobustnessPanel::~RobustnessPanel() = default;

RobustnessChart* RobustnessPanel::chart() const
{
    return d->chart;
}

AttackConfusion* RobustnessPanel::confusion() const
{
    return d->confusion;
}

QString RobustnessPanel::infoText() const
{
    return d->info->text();
}

bool RobustnessPanel::isRunning() const
{
    return d->running;
}

void RobustnessPanel::run(const AttackOptions& options, int samples, const QString& epsText)
{
    auto model = d->workspace->model();
    if (!model) {
        d->info->setText(tr("Open a model."));
        return;
    }
    auto dataset = d->input->dataset();
    if (!dataset) {
        d->info->setText(tr("Open a dataset in the Input dock (File ▸ Open Dataset…, or Open Handwritten "
                            "Digits): the curve attacks a sample of it."));
        return;
    }
    RobustnessOptions curveOptions;
    curveOptions.samples = samples;
    curveOptions.keepImages = true; // for Show in embedding, when they fit 256 MiB
    try {
        curveOptions.epsilons = epsList(epsText);
    } catch (const std::exception& e) {
        d->info->setText(tr("Cannot draw the curve: %1")
                             .arg(QString::fromUtf8(e.what()).replace(QStringLiteral("--eps"), tr("the ε list"))));
        return;
    }
    stop(); // the newest request wins
    const int generation = ++d->generation;
    const QString method = QString::fromStdString(attackMethodName(options.method));
    d->info->setText(tr("%1 on %2 images…").arg(method).arg(samples));
    setRunning(true);

    QPointer<RobustnessPanel> self(this);
    auto notice = jobEndNotice(self, [generation](RobustnessPanel* panel) {
        if (generation == panel->d->generation && panel->d->running) {
            // Cancelled before robustness() returned (while it read the images).
            panel->d->info->setText(tr("Stopped before the first budget."));
            panel->setRunning(false);
        }
    });
    d->workspace->jobs()->submit(
        kChannel, tr("Robustness: %1").arg(method),
        [self, model, dataset, options, curveOptions, method, generation, notice, compared = d->compared,
            comparedName = d->comparedName](JobContext& job) -> JobRunner::Done {
            checkAttackOptions(*model, options);
            // The stage in the panel too, a few times a second.
            QElapsedTimer since;
            since.start();
            auto progress = [&](double fraction, const std::string& stage) {
                if (job.progress)
                    job.progress(fraction, stage);
                if (since.elapsed() < 200)
                    return;
                since.restart();
                const QString text
                    = tr("%1: %2 (%3 %)").arg(method, QString::fromStdString(stage)).arg(qRound(100 * fraction));
                postTo(self, [generation, text](RobustnessPanel* panel) {
                    if (generation == panel->d->generation && panel->d->running)
                        panel->d->info->setText(text);
                });
            };
            auto r = std::make_shared<const RobustnessResult>(
                robustness(*model, *dataset, options, curveOptions, progress, job.cancel));
            const auto [curve, summary] = describe(*r, method, curveOptions.epsilons.size());
            QStringList names;
            for (int64_t c = 0; c < model->info().outputs; ++c)
                names << classText(*model, c);
            // Straight to the panel, not as the continuation: JobRunner drops that
            // of a cancelled job, and Stop keeps the finished budgets.
            if (!compared || r->cancelled) {
                postTo(self, [generation, curve = curve, summary = summary, r, names](RobustnessPanel* panel) {
                    panel->finish(generation, curve, summary);
                    if (generation == panel->d->generation)
                        panel->d->confusion->setResult(r, names);
                });
                return {};
            }
            // The same budgets on the compared model: a second curve, named after it.
            QString text = summary;
            std::optional<RobustnessCurve> second;
            try {
                checkAttackOptions(*compared, options);
                const RobustnessResult other = robustness(*compared, *dataset, options, curveOptions, progress, job.cancel);
                auto [otherCurve, otherSummary] = describe(other, method + QStringLiteral(" · ") + comparedName,
                                                           curveOptions.epsilons.size());
                second = otherCurve;
                text += QStringLiteral("; ") + otherSummary;
            } catch (const Cancelled&) {
                text += tr("; stopped before %1's curve").arg(comparedName);
            } catch (const std::exception& e) {
                text += tr("; not on %1: %2").arg(comparedName, QString::fromUtf8(e.what()));
            }
            postTo(self, [generation, curve = curve, second, text, r, names](RobustnessPanel* panel) {
                const bool current = generation == panel->d->generation && panel->d->running;
                panel->finish(generation, curve, text);
                if (current && second && !second->points.isEmpty())
                    panel->d->chart->addCurve(*second);
                if (generation == panel->d->generation)
                    panel->d->confusion->setResult(r, names);
            });
            return {};
        },
        [self, generation](const QString& error) {
            if (self)
                self->fail(generation, error);
        });
}

void RobustnessPanel::finish(int generation, const RobustnessCurve& curve, const QString& summary)
{
    if (generation != d->generation || !d->running)
        return;
    QString text = summary;
    if (!curve.points.isEmpty() && !d->chart->addCurve(curve))
        text += tr(" (the other norm's curves were cleared: one chart holds one norm)");
    d->info->setText(text);
    setRunning(false);
}

void RobustnessPanel::fail(int generation, const QString& message)
{
    if (generation != d->generation || !d->running)
        return;
    d->info->setText(tr("Cannot draw the curve: %1").arg(message));
    setRunning(false);
}

void RobustnessPanel::setCompared(const std::shared_ptr<Model>& model, const QString& name)
{
    d->compared = model;
    d->comparedName = name;
}

void RobustnessPanel::stop()
{
    d->workspace->jobs()->cancel(kChannel);
}

void RobustnessPanel::abandon()
{
    ++d->generation;
    if (d->running) {
        stop();
        setRunning(false);
    }
    d->chart->clear();
    d->confusion->clear();
}

void RobustnessPanel::setRunning(bool running)
{
    d->running = running;
    Q_EMIT runningChanged(running);
}

bool RobustnessPanel::exportCsv(const QString& path)
{
    if (const QString error = saveBytesAtomically(d->chart->csv().toUtf8(), path); !error.isEmpty()) {
        d->info->setText(tr("Cannot write %1: %2").arg(path, error));
        return false;
    }
    d->info->setText(tr("Wrote %1").arg(path));
    return true;
}

bool RobustnessPanel::exportPng(const QString& path)
{
    if (const QString error = savePngAtomically(d->chart->image(), path); !error.isEmpty()) {
        d->info->setText(tr("Cannot write %1: %2").arg(path, error));
        return false;
    }
    d->info->setText(tr("Wrote %1").arg(path));
    return true;
}

void RobustnessPanel::chooseExport(bool csv)
{
    if (d->chart->seriesCount() == 0) {
        d->info->setText(tr("No curve yet: press Robustness curve first."));
        return;
    }
    const QString path = askExportPath(this, csv, csv ? tr("Save curves as CSV") : tr("Save chart as PNG"),
        QStringLiteral("robustness"));
    if (path.isEmpty())
        return;
    if (csv)
        exportCsv(path);
    else
        exportPng(path);
}

} // namespace convscope
