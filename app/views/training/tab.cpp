#include "app/views/training/tab.h"

#include "app/shell/atomic_save.h"
#include "app/shell/form_widgets.h"
#include "app/shell/gui_post.h"
#include "app/shell/job_runner.h"
#include "app/shell/workspace.h"
#include "app/views/training/cell_images.h"
#include "app/views/training/charts.h"
#include "app/views/training/controls.h"
#include "app/views/training/run.h"
#include "app/views/training/run_names.h"
#include "core/error.h"
#include "widgets/confusion_matrix_view.h"
#include "widgets/tile_grid_view.h"
#include "widgets/top_k_chart.h"

#include <QDateTime>
#include <QDir>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPointer>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QVBoxLayout>

#include <atomic>
#include <chrono>

namespace convscope
{

namespace
{

const QString kChannel = QStringLiteral("training");

QString percent(double fraction)
{
    return QLocale().toString(fraction * 100, 'f', 2) + QStringLiteral(" %");
}

} // namespace

struct TrainingTab::Private {
    TrainingControls* controls = nullptr;
    TrainingCharts* charts = nullptr;
    ConfusionMatrixView* confusion = nullptr;
    TileGridView* filters = nullptr;
    TileGridView* activations = nullptr;
    QLabel* watched = nullptr;
    QLabel* watchedCaption = nullptr;
    TopKChart* top = nullptr;
    QLabel* info = nullptr;
    QLabel* confusionTitle = nullptr;
    // Its own worker: a run takes minutes, and the model worker must stay
    // free for the views that inspect the model it is making.
    JobRunner* runner = nullptr;
    std::atomic<bool> paused{false};
    std::atomic<bool> inspectRequested{false};
    std::atomic<int> watch{0};
    QString runsFolder;
    int generation = 0;
    bool running = false;

    struct Run {
        RunSettings settings;
        TrainingRequest request;
        int chart = -1;
        TrainingStarted started;
        QVector<EpochReport> epochs;
        QString best; // the best checkpoint, once an epoch ended
    };
    QVector<Run> runs;
    QVector<qint64> lastConfusion;
    QVector<int> lastPredictions;
    std::chrono::steady_clock::time_point stepClock;
    double stepEpochs = 0;
    QString error;
};

TrainingTab::TrainingTab(Workspace* workspace, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    d->runner = new JobRunner(QStringLiteral("training"), this);
    d->runsFolder = QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)).filePath(QStringLiteral("runs"));
    d->controls = new TrainingControls;
    auto* scroll = new QScrollArea;
    scroll->setWidget(d->controls);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // As wide as the form needs, no wider: the charts get the rest.
    scroll->setFixedWidth(d->controls->sizeHint().width() + scroll->verticalScrollBar()->sizeHint().width() + 4);

    d->info = infoLabel(QStringLiteral("trainingInfo"));
    d->info->setText(tr("Pick a network, data and switches, then Start. Each run's curves join the charts."));
    d->charts = new TrainingCharts;

    d->filters = new TileGridView;
    d->filters->setObjectName(QStringLiteral("trainingFilters"));
    d->filters->setMinimumSize(60, 60);
    d->activations = new TileGridView;
    d->activations->setObjectName(QStringLiteral("trainingActivations"));
    d->activations->setMinimumSize(60, 60);
    d->watched = new QLabel;
    d->watched->setAlignment(Qt::AlignCenter);
    d->watched->setFixedSize(84, 84);
    d->watchedCaption = new QLabel;
    d->watchedCaption->setWordWrap(true);
    d->top = new TopKChart;
    d->top->setMinimumWidth(120);
    auto* layerBox = new QGroupBox(tr("First layer: filters, maps of a test image"));
    auto* layerLayout = new QGridLayout(layerBox);
    layerLayout->setContentsMargins(4, 4, 4, 4);
    layerLayout->addWidget(d->filters, 0, 0);
    layerLayout->addWidget(d->activations, 0, 1);
    auto* watchColumn = new QVBoxLayout;
    watchColumn->addWidget(d->watched);
    watchColumn->addWidget(d->watchedCaption);
    layerLayout->addLayout(watchColumn, 1, 0);
    layerLayout->addWidget(d->top, 1, 1);
    layerLayout->setRowStretch(0, 3);
    layerLayout->setRowStretch(1, 2);

    d->confusion = new ConfusionMatrixView;
    d->confusion->setObjectName(QStringLiteral("trainingConfusion"));
    auto* confusionBox = new QGroupBox(tr("Confusion matrix (click a cell)"));
    d->confusionTitle = new QLabel;
    auto* confusionLayout = new QVBoxLayout(confusionBox);
    confusionLayout->setContentsMargins(4, 4, 4, 4);
    confusionLayout->addWidget(d->confusion, 1);

    auto* bottom = new QSplitter(Qt::Horizontal);
    bottom->addWidget(layerBox);
    bottom->addWidget(confusionBox);
    bottom->setStretchFactor(0, 1);
    bottom->setStretchFactor(1, 1);
    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(d->charts);
    right->addWidget(bottom);
    right->setStretchFactor(0, 1);
    right->setStretchFactor(1, 1);
    right->setSizes({270, 290}); // the matrix's ten rows need about 260 px
    auto* column = new QVBoxLayout;
    column->addWidget(d->info);
    column->addWidget(right, 1);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(scroll);
    layout->addLayout(column, 1);

    connect(d->controls, &TrainingControls::startClicked, this, &TrainingTab::start);
    connect(d->controls, &TrainingControls::pauseClicked, this, [this] { pause(!isPaused()); });
    connect(d->controls, &TrainingControls::stopClicked, this, &TrainingTab::stop);
    connect(d->controls, &TrainingControls::inspectClicked, this, &TrainingTab::inspect);
    connect(d->controls, &TrainingControls::watchChanged, this, [this](int index) { d->watch = index; });
    connect(d->controls, &TrainingControls::exportChartsClicked, this, [this] { chooseExport(false); });
    connect(d->controls, &TrainingControls::exportCsvClicked, this, [this] { chooseExport(true); });
    connect(d->controls, &TrainingControls::clearClicked, this, [this] {
        if (d->running)
            return;
        d->runs.clear();
        d->charts->clear();
        d->confusion->clear();
        d->controls->setCanInspect(false);
    });
    connect(d->confusion, &ConfusionMatrixView::cellClicked, this, &TrainingTab::showCell);
}

TrainingTab::~TrainingTab()
{
    // The run reads this tab's pause, inspect and watch flags: it must end
    // (JobRunner's destructor cancels and waits) before they go, and
    // QObject would delete the runner only after them.
    d->paused = false; // a paused run must see the cancel
    delete d->runner;
}

TrainingControls* TrainingTab::controls() const { return d->controls; }
TrainingCharts* TrainingTab::charts() const { return d->charts; }
ConfusionMatrixView* TrainingTab::confusion() const { return d->confusion; }
TileGridView* TrainingTab::filters() const { return d->filters; }
TileGridView* TrainingTab::activations() const { return d->activations; }
bool TrainingTab::isRunning() const { return d->running; }
bool TrainingTab::isPaused() const { return d->paused; }
int TrainingTab::runCount() const { return static_cast<int>(d->runs.size()); }
QString TrainingTab::infoText() const { return d->info->text(); }
QString TrainingTab::lastError() const { return d->error; }

void TrainingTab::setRunsFolder(const QString& folder)
{
    d->runsFolder = folder;
}

QString TrainingTab::runFolder(int run) const
{
    return run >= 0 && run < d->runs.size() ? d->runs[run].request.folder : QString();
}

QVector<double> TrainingTab::epochValues(int run, double EpochReport::*value) const
{
    QVector<double> out;
    if (run >= 0 && run < d->runs.size())
        for (const auto& e : d->runs[run].epochs)
            out << e.*value;
    return out;
}

QVector<double> TrainingTab::epochLosses(int run) const { return epochValues(run, &EpochReport::loss); }
QVector<double> TrainingTab::testAccuracies(int run) const { return epochValues(run, &EpochReport::testAccuracy); }
QVector<double> TrainingTab::epochSeconds(int run) const { return epochValues(run, &EpochReport::seconds); }

void TrainingTab::refresh()
{
    // Nothing follows the workspace: a run has its own model and data.
}

void TrainingTab::start()
{
    if (d->running)
        return;
    Private::Run run;
    run.request = d->controls->request();
    run.settings = d->controls->settings();
    run.request.folder = QDir(d->runsFolder)
                             .filePath(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))
                                       + QStringLiteral("-run%1").arg(d->runs.size() + 1));
    d->runs.push_back(run);
    QVector<RunSettings> all;
    for (const auto& r : d->runs)
        all << r.settings;
    const QStringList names = runNames(all);
    d->runs.back().chart = d->charts->addRun(names.back(), run.request.options.epochs);
    d->charts->setRunNames(names);
    d->error.clear();
    d->paused = false;
    d->inspectRequested = false;
    // The last run's test pass no longer answers for the run that starts.
    d->lastConfusion.clear();
    d->lastPredictions.clear();
    d->confusion->clear();
    d->watch = d->controls->watchIndex();
    d->stepClock = std::chrono::steady_clock::now();
    d->stepEpochs = 0;
    const int generation = ++d->generation;
    setRunning(true);
    d->info->setText(tr("Run %1 (%2): reading the data…").arg(d->runs.size()).arg(names.back()));

    QPointer<TrainingTab> self(this);
    TrainingWatch watch;
    watch.pause = &d->paused;
    watch.inspectRequested = &d->inspectRequested;
    watch.watchIndex = &d->watch;
    watch.started = [self, generation](const TrainingStarted& s) {
        postTo(self, [generation, s](TrainingTab* tab) { tab->started(generation, s); });
    };
    watch.step = [self, generation](const TrainingStep& s) {
        postTo(self, [generation, s](TrainingTab* tab) { tab->stepped(generation, s); });
    };
    watch.epoch = [self, generation](const TrainingEpoch& e) {
        postTo(self, [generation, e](TrainingTab* tab) { tab->epochEnded(generation, e); });
    };
    watch.note = [self](const QString& line) {
        postTo(self, [line](TrainingTab* tab) { Q_EMIT tab->message(line); });
    };
    watch.inspect = [self](const QString& path) {
        postTo(self, [path](TrainingTab* tab) {
            Q_EMIT tab->message(tab->tr("Inspecting the model as it is now: %1").arg(QDir::toNativeSeparators(path)));
            Q_EMIT tab->openModelRequested(path, tab->d->runs.isEmpty() ? QString() : tab->d->runs.back().started.testSpec);
        });
    };
    const TrainingRequest request = d->runs.back().request;
    auto notice = jobEndNotice(self, [generation](TrainingTab* tab) {
        if (tab->d->running && generation == tab->d->generation)
            tab->finished(generation, true, QString());
    });
    d->runner->submit(
        kChannel, tr("Training %1").arg(names.back()),
        [self, request, watch, generation, notice](JobContext& job) -> JobRunner::Done {
            const TrainReport report = runTraining(request, watch, job);
            // Straight to the tab: JobRunner drops a cancelled job's continuation,
            // and a stopped run still has its best model to show.
            postTo(self, [generation, cancelled = report.cancelled](TrainingTab* tab) {
                tab->finished(generation, cancelled, QString());
            });
            return {};
        },
        [self, generation](const QString& error) {
            if (self)
                self->finished(generation, false, error);
        });
}

void TrainingTab::pause(bool paused)
{
    if (!d->running)
        return;
    d->paused = paused;
    d->controls->setPaused(paused);
    if (paused)
        d->info->setText(tr("Paused: Resume goes on from this batch; Inspect shows the model as it is."));
}

void TrainingTab::stop()
{
    if (!d->running)
        return;
    d->runner->cancel(kChannel);
    d->paused = false;
}

void TrainingTab::inspect()
{
    if (d->runs.isEmpty())
        return;
    if (d->running) {
        d->inspectRequested = true; // saved at the next batch, or at once while paused
        return;
    }
    for (auto run = d->runs.crbegin(); run != d->runs.crend(); ++run)
        if (!run->best.isEmpty()) {
            Q_EMIT openModelRequested(run->best, run->started.testSpec);
            return;
        }
}

QString TrainingTab::latestBest() const
{
    for (auto run = d->runs.crbegin(); run != d->runs.crend(); ++run)
        if (!run->best.isEmpty())
            return run->best;
    return {};
}

void TrainingTab::setRunning(bool running)
{
    d->running = running;
    d->controls->setRunning(running);
    d->controls->setCanInspect(running || !latestBest().isEmpty());
}

void TrainingTab::started(int generation, const TrainingStarted& s)
{
    if (generation != d->generation)
        return;
    d->runs.back().started = s;
    d->info->setText(tr("Run %1: %2 training images from %3; testing on %4.")
                         .arg(d->runs.size())
                         .arg(QLocale().toString(s.trainSize), s.dataDescription, s.testDescription));
}

void TrainingTab::stepped(int generation, const TrainingStep& s)
{
    if (generation != d->generation)
        return;
    auto& run = d->runs.back();
    d->charts->addStep(run.chart, s.step.epochs, s.step.loss, s.step.accuracy);
    QVector<Tile> filters;
    for (const auto& image : s.filters)
        filters << Tile{image, QString()};
    d->filters->setTiles(filters);
    d->filters->fitToViewport(12, 96);
    QVector<Tile> maps;
    for (const auto& image : s.activations)
        maps << Tile{image, QString()};
    d->activations->setTiles(maps);
    d->activations->fitToViewport(12, 96);
    if (!s.watched.isNull())
        d->watched->setPixmap(QPixmap::fromImage(s.watched.scaled(84, 84, Qt::KeepAspectRatio, Qt::FastTransformation)));
    d->watchedCaption->setText(s.watchedCaption);
    d->top->setPredictions(s.top);
    // Speed over the last stretch, as the status line a class watches.
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - d->stepClock).count();
    const double images = (s.step.epochs - d->stepEpochs) * static_cast<double>(run.started.trainSize);
    d->stepClock = now;
    d->stepEpochs = s.step.epochs;
    d->info->setText(tr("Run %1: epoch %2 of %3, batch %4 of %5 · loss %6 · training accuracy %7%8")
                         .arg(d->runs.size())
                         .arg(s.step.epoch)
                         .arg(run.request.options.epochs)
                         .arg(s.step.batch)
                         .arg(s.step.batches)
                         .arg(s.step.loss, 0, 'f', 3)
                         .arg(percent(s.step.accuracy),
                              seconds > 0 && images > 0 && !d->paused
                                  ? tr(" · %1 images/s").arg(QLocale().toString(images / seconds, 'f', 0))
                                  : QString()));
}

void TrainingTab::epochEnded(int generation, const TrainingEpoch& e)
{
    if (generation != d->generation)
        return;
    auto& run = d->runs.back();
    run.epochs << e.report;
    if (e.report.best)
        run.best = QDir(run.request.folder).filePath(QStringLiteral("best.pt"));
    d->controls->setCanInspect(true);
    d->charts->addTest(run.chart, e.report.epoch, e.report.testAccuracy);
    d->lastConfusion = QVector<qint64>(e.report.confusion.begin(), e.report.confusion.end());
    d->lastPredictions = QVector<int>(e.report.testPredictions.begin(), e.report.testPredictions.end());
    d->confusion->setMatrix(d->lastConfusion, run.started.classes);
    Q_EMIT message(tr("Epoch %1: test accuracy %2%3")
                       .arg(e.report.epoch)
                       .arg(percent(e.report.testAccuracy), e.report.best ? tr(", the best so far: saved") : QString()));
    Q_EMIT epochFinished(static_cast<int>(d->runs.size()) - 1, e.report.epoch);
}

void TrainingTab::finished(int generation, bool cancelled, const QString& error)
{
    if (generation != d->generation || !d->running)
        return;
    ++d->generation; // later posts of this run are old news
    d->paused = false;
    d->error = error;
    // A run whose data never opened leaves no curves and no name among the runs.
    if (!error.isEmpty() && d->runs.back().started.trainSize == 0) {
        d->runs.removeLast();
        d->charts->removeLastRun();
        QVector<RunSettings> all;
        for (const auto& r : d->runs)
            all << r.settings;
        if (!all.isEmpty())
            d->charts->setRunNames(runNames(all));
        setRunning(false);
        d->info->setText(tr("The run did not start: %1").arg(error));
        Q_EMIT message(d->info->text());
        Q_EMIT runFinished();
        return;
    }
    setRunning(false);
    const auto& run = d->runs.back();
    // Inspect pressed as the run ended: its best model answers.
    if (d->inspectRequested.exchange(false) && !run.best.isEmpty())
        Q_EMIT openModelRequested(run.best, run.started.testSpec);
    QString bestText;
    if (!run.epochs.isEmpty()) {
        const auto best = std::max_element(run.epochs.begin(), run.epochs.end(),
                                           [](const EpochReport& a, const EpochReport& b) { return a.testAccuracy < b.testAccuracy; });
        bestText = tr("best test accuracy %1 (epoch %2), saved in %3")
                       .arg(percent(best->testAccuracy))
                       .arg(best->epoch)
                       .arg(QDir::toNativeSeparators(run.best));
    }
    if (!error.isEmpty())
        d->info->setText(tr("Run %1 failed: %2%3").arg(d->runs.size()).arg(error, bestText.isEmpty() ? QString() : tr("; kept: ") + bestText));
    else if (cancelled)
        d->info->setText(tr("Run %1 stopped: %2").arg(d->runs.size()).arg(bestText.isEmpty() ? tr("no epoch ended, nothing saved") : bestText));
    else
        d->info->setText(tr("Run %1 done: %2").arg(d->runs.size()).arg(bestText));
    Q_EMIT message(d->info->text());
    Q_EMIT runFinished();
}

QVector<int> TrainingTab::cellImages(int truth, int predicted) const
{
    QVector<int> out;
    if (d->runs.isEmpty())
        return out;
    const auto& labels = d->runs.back().started.testLabels;
    for (int i = 0; i < d->lastPredictions.size() && i < labels.size(); ++i)
        if (labels[i] == truth && d->lastPredictions[i] == predicted)
            out << i;
    return out;
}

qint64 TrainingTab::testItem(int position) const
{
    if (d->runs.isEmpty() || position < 0 || position >= d->runs.back().started.testItems.size())
        return -1;
    return d->runs.back().started.testItems[position];
}

void TrainingTab::showCell(int truth, int predicted)
{
    if (d->runs.isEmpty())
        return;
    const auto& run = d->runs.back();
    const QStringList& classes = run.started.classes;
    if (truth >= classes.size() || predicted >= classes.size())
        return;
    CellImages cell;
    for (int position : cellImages(truth, predicted))
        cell.items << run.started.testItems[position];
    cell.title = truth == predicted
                     ? tr("%1, predicted right: %2 test images").arg(classes[truth]).arg(cell.items.size())
                     : tr("%1 predicted as %2: %3 test images").arg(classes[truth], classes[predicted]).arg(cell.items.size());
    cell.spec = run.started.testSpec;
    cell.input = run.started.input;
    showCellImages(this, workspace()->drawing(), cell, [this, spec = cell.spec](qint64 item) {
        Q_EMIT openInputRequested(spec, item);
    });
}

QImage TrainingTab::exportImage()
{
    return d->charts->image();
}

bool TrainingTab::exportCsv(const QString& path)
{
    const QString error = saveBytesAtomically(d->charts->csv().toUtf8(), path);
    Q_EMIT message(error.isEmpty() ? tr("Saved the curves in %1").arg(QDir::toNativeSeparators(path)) : error);
    return error.isEmpty();
}

bool TrainingTab::exportPng(const QString& path)
{
    const QString error = savePngAtomically(d->charts->image(), path);
    Q_EMIT message(error.isEmpty() ? tr("Saved the charts in %1").arg(QDir::toNativeSeparators(path)) : error);
    return error.isEmpty();
}

void TrainingTab::chooseExport(bool csv)
{
    const QString path = askExportPath(this, csv, csv ? tr("Save the curves") : tr("Save the charts"), QStringLiteral("training"));
    if (path.isEmpty())
        return;
    if (csv)
        exportCsv(path);
    else
        exportPng(path);
}

void TrainingTab::saveSettings(const QString& group) const
{
    auto s = settingsAt(group);
    d->controls->save(*s);
}

void TrainingTab::restoreSettings(const QString& group)
{
    auto s = settingsAt(group);
    d->controls->restore(*s);
}

} // namespace convscope
