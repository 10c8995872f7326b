#include "app/shell/main_window.h"

#include "app/shell/defaults.h"
#include "app/shell/frames.h"
#include "app/lesson/controller.h"
#include "app/shell/input_controller.h"
#include "app/shell/job_runner.h"
#include "app/shell/kept_models.h"
#include "app/shell/main_window_private.h"
#include "app/shell/model_validation.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "app/views/activations/tab.h"
#include "app/views/adversarial/attack_confusion.h"
#include "app/views/adversarial/run.h"
#include "app/views/adversarial/tab.h"
#include "app/views/ascent/tab.h"
#include "app/views/embedding/tab.h"
#include "app/views/filters/tab.h"
#include "app/views/patches/tab.h"
#include "app/views/saliency/tab.h"
#include "app/views/summary/tab.h"
#include "app/views/training/tab.h"
#include "app/views/unit/page.h"
#include "app/views/unit/tab.h"
#include "app/shell/snapshot_scrubber.h"
#include "core/lent_class_names.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "widgets/input_panel.h"
#include "widgets/module_tree_model.h"
#include "widgets/top_k_chart.h"

#include <QActionGroup>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace convscope {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , d(std::make_unique<Private>())
{
    setWindowTitle(QStringLiteral("ConvScope"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/convscope.svg")));
    setAcceptDrops(true);
    resize(1280, 800);

    d->workspace = new Workspace(this);
    d->validator = new ModelValidator(this);
    d->input = new InputController(d->workspace, this);
    d->kept = new KeptModels(this);
    createTabs();
    createDocks();
    createActions();
    createStatusBar();
    d->lessons = new LessonController(this);

    connect(d->workspace, &Workspace::modelChanged, this, &MainWindow::onModelReady);
    // Until the forward pass for the new model or input is back, the
    // predictions shown are the old ones.
    connect(d->workspace, &Workspace::modelChanged, d->inputPanel, [this] { d->inputPanel->setPredictionsStale(true); });
    connect(d->workspace, &Workspace::layerChanged, this, &MainWindow::onLayerChanged);
    connect(d->workspace, &Workspace::inputChanged, this, [this] {
        auto frame = d->workspace->input();
        d->inputPanel->setImage(toQImage(frame->pixels), frame->caption);
        d->inputPanel->setPredictionsStale(true);
        Q_EMIT inputChanged(frame->caption);
    });
    connect(d->workspace, &Workspace::forwardReady, this, [this] {
        auto forward = d->workspace->forward();
        d->inputPanel->setPredictions(forward->top);
        d->inputPanel->setClassMap(classMapOf(*forward, d->workspace->model()->info()));
        d->forwardLabel->setText(tr("forward %1 ms").arg(forward->forwardMs, 0, 'f', 1));
        Q_EMIT predictionsReady();
    });
    // A class double-clicked in the top-5 opens its logit's unit on the Unit page.
    connect(d->inputPanel->chart(), &TopKChart::barActivated, this, [this](int row) {
        auto model = d->workspace->model();
        auto forward = d->workspace->forward();
        if (!model || !forward || row >= forward->topClasses.size() || model->layers().empty())
            return;
        d->workspace->pickUnit(static_cast<int>(model->layers().size()) - 1, static_cast<int>(forward->topClasses[row]));
    });
    connect(d->workspace, &Workspace::forwardFailed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Forward pass failed: %1").arg(message), 10000);
        d->inputPanel->setPredictions({}); // none are current
    });
    connect(d->input, &InputController::failed, this, [this](const QString& spec, const QString& message) {
        showError(tr("Cannot open input"), spec, message);
        // What is shown is still the input the views work on: no longer "opening".
        if (auto frame = d->workspace->input())
            d->inputPanel->setImage(toQImage(frame->pixels), frame->caption);
        else
            d->inputPanel->setImage({}, tr("No input"));
    });
    connect(d->input, &InputController::opened, this, [this](const QString& description) {
        // Why another model opened matters more than which input did.
        if (d->stickyMessage.isEmpty() || statusBar()->currentMessage() != d->stickyMessage)
            statusBar()->showMessage(tr("Input: %1").arg(description), 5000);
        lendDatasetClassNames();
    });
    connect(d->input, &InputController::navigationChanged, d->inputPanel, &InputPanel::setNavigation);
    connect(d->input, &InputController::scopeChanged, d->inputPanel, &InputPanel::setScope);
    connect(d->inputPanel, &InputPanel::walkAllRequested, d->input, &InputController::setWalkAll);
    connect(d->input, &InputController::liveChanged, this, [this](bool available, bool playing) {
        d->inputPanel->setLiveAvailable(available);
        d->inputPanel->setPlaying(playing);
    });
    connect(d->input, &InputController::liveStats, d->inputPanel, &InputPanel::setLiveStatus);
    connect(d->inputPanel, &InputPanel::previousRequested, this, [this] { d->input->step(-1); });
    connect(d->inputPanel, &InputPanel::nextRequested, this, [this] { d->input->step(1); });
    connect(d->inputPanel, &InputPanel::positionRequested, d->input, &InputController::seek);
    connect(d->inputPanel, &InputPanel::playToggled, d->input, &InputController::play);
}

MainWindow::~MainWindow()
{
    // The input reader and the workers hold the model: stop them before the views go.
    delete d->input;
    delete d->workspace;
}

void MainWindow::createTabs()
{
    auto* centre = new QWidget(this);
    auto* column = new QVBoxLayout(centre);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(0);
    d->caption = new QLabel;
    d->caption->setObjectName(QStringLiteral("lessonCaption"));
    d->caption->setWordWrap(true);
    d->caption->setTextFormat(Qt::RichText);
    d->caption->setStyleSheet(QStringLiteral("QLabel { background: #263238; color: white; padding: 6px 12px; }"));
    d->caption->hide();
    d->tabs = new QTabWidget;
    d->tabs->setObjectName(QStringLiteral("viewTabs"));
    d->tabs->setDocumentMode(true);
    column->addWidget(d->caption);
    column->addWidget(d->tabs, 1);
    setCentralWidget(centre);
    d->summary = new SummaryTab(d->workspace);
    connect(d->summary, &SummaryTab::inputSizeRequested, this, [this](int height, int width) {
        if (!d->workspace->model())
            return;
        // While another model opens, the table shows the old one: its channel
        // count would be laid on the new model (LeNet's 1 on MobileNet's 3).
        if (d->loading && d->modelPath.toStdString() != d->workspace->model()->info().path)
            return;
        ModelMetadata size;
        size.input = std::array<int64_t, 3>{d->workspace->model()->info().input[0], height, width};
        reloadWith(size, d->device);
    });
    addViewTab(d->summary);
    auto* filters = new FiltersTab(d->workspace);
    addViewTab(filters);
    addViewTab(new ActivationsTab(d->workspace));
    addViewTab(new PatchesTab(d->workspace, d->input));
    d->unit = new UnitTab(d->workspace, d->input);
    addViewTab(d->unit);
    // A channel picked in any view opens on the Unit page.
    // With the Unit Page dock open, it follows the pick and the view stays.
    connect(d->workspace, &Workspace::unitPicked, this, [this](int layer, int channel) {
        d->unit->showUnit(layer, channel);
        if (d->unit->dockShown())
            return;
        d->tabs->setCurrentWidget(d->unit);
        d->unit->setFocus();
    });
    addViewTab(new SaliencyTab(d->workspace));
    addViewTab(new AscentTab(d->workspace));
    auto* adversarial = new AdversarialTab(d->workspace, d->input);
    addViewTab(adversarial);
    auto* embedding = new EmbeddingTab(d->workspace, d->input);
    addViewTab(embedding);
    connect(adversarial, &AdversarialTab::showInEmbeddingRequested, this, [this, adversarial, embedding] {
        auto run = adversarial->result();
        if (!run)
            return;
        embedding->showPairs(run->clean.unsqueeze(0), run->adversarial.unsqueeze(0), attackTitle(run->options));
        d->tabs->setCurrentWidget(embedding);
    });
    connect(adversarial, &AdversarialTab::showBatchInEmbeddingRequested, this, [this, adversarial, embedding] {
        const AttackConfusion* confusion = adversarial->attackConfusion();
        auto result = confusion->result();
        const int budget = confusion->budget();
        if (!result || !result->clean.defined() || budget < 0
            || budget >= static_cast<int>(result->adversarial.size()))
            return;
        embedding->showPairs(result->clean, result->adversarial[static_cast<size_t>(budget)],
                             tr("%1 at ε %2 on %3 images")
                                 .arg(QString::fromStdString(attackMethodName(result->method)), confusion->budgetText())
                                 .arg(result->samples));
        d->tabs->setCurrentWidget(embedding);
    });
    auto* training = new TrainingTab(d->workspace);
    addViewTab(training);
    // A training's epochs, and the model it is making, open like any model.
    for (auto* scrubber : {filters->scrubber(), embedding->scrubber()})
        connect(scrubber, &SnapshotScrubber::snapshotChosen, this, &MainWindow::openModel);
    connect(training, &TrainingTab::openModelRequested, this, [this](const QString& path, const QString& data) {
        openModel(path);
        auto frame = d->workspace->input();
        if (!data.isEmpty() && (!frame || frame->source != data))
            openDataset(data);
    });
    connect(training, &TrainingTab::openInputRequested, this, [this](const QString& data, qint64 item) {
        if (d->input->spec() == data && d->input->dataset()) {
            d->input->showItem(item);
            return;
        }
        // Another dataset: open it, then show the item once it has opened.
        auto* once = new QObject(this);
        connect(d->input, &InputController::opened, once, [this, once, item] {
            d->input->showItem(item);
            once->deleteLater();
        });
        connect(d->input, &InputController::failed, once, &QObject::deleteLater);
        openInput(data);
    });
}

void MainWindow::addViewTab(ViewTab* tab)
{
    d->views.append(tab);
    d->tabs->addTab(tab, tab->title());
    connect(tab, &ViewTab::message, this, [this](const QString& text) { statusBar()->showMessage(text, 5000); });
}

void MainWindow::createDocks()
{
    auto* dock = new QDockWidget(tr("Layers"), this);
    dock->setObjectName(QStringLiteral("layersDock"));
    auto* panel = new QWidget;
    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* search = new QLineEdit;
    search->setObjectName(QStringLiteral("layerSearch"));
    search->setPlaceholderText(tr("Filter layers…"));
    search->setClearButtonEnabled(true);
    d->tree = new ModuleTreeModel(this);
    d->treeFilter = new QSortFilterProxyModel(this);
    d->treeFilter->setSourceModel(d->tree);
    d->treeFilter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    d->treeFilter->setFilterRole(ModuleTreeModel::PathRole);
    d->treeFilter->setRecursiveFilteringEnabled(true);
    d->treeFilter->setSortRole(ModuleTreeModel::SortRole);
    connect(search, &QLineEdit::textChanged, this, [this](const QString& text) {
        d->treeFilter->setFilterFixedString(text);
        if (!text.isEmpty())
            d->treeView->expandAll();
    });
    d->treeView = new QTreeView;
    d->treeView->setObjectName(QStringLiteral("layerView"));
    d->treeView->setModel(d->treeFilter);
    d->treeView->setUniformRowHeights(true);
    d->treeView->setAlternatingRowColors(true);
    d->treeView->header()->setStretchLastSection(false);
    d->treeView->header()->setSectionResizeMode(QHeaderView::Interactive);
    d->treeView->header()->setSectionResizeMode(ModuleTreeModel::Name, QHeaderView::Stretch);
    // Fixed widths from typical contents: measuring every row of a 400-layer
    // DenseNet would hold up the GUI thread.
    const QFontMetrics metrics = d->treeView->fontMetrics();
    d->treeView->header()->resizeSection(ModuleTreeModel::Op, metrics.horizontalAdvance(QStringLiteral("batch_norm")) + 12);
    d->treeView->header()->resizeSection(ModuleTreeModel::Shape, metrics.horizontalAdvance(QStringLiteral("64×112×112")) + 12);
    d->treeView->header()->resizeSection(ModuleTreeModel::Params, metrics.horizontalAdvance(QStringLiteral("25.6M")) + 12);
    d->treeView->setIndentation(12);
    connect(d->treeView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                const int layer = current.data(ModuleTreeModel::LayerIndexRole).toInt();
                if (current.isValid() && layer >= 0)
                    d->workspace->setLayer(layer);
            });
    layout->addWidget(search);
    layout->addWidget(d->treeView);
    dock->setWidget(panel);
    dock->setMinimumWidth(260);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    auto* inputDock = new QDockWidget(tr("Input"), this);
    inputDock->setObjectName(QStringLiteral("inputDock"));
    d->inputPanel = new InputPanel;
    inputDock->setWidget(d->inputPanel);
    inputDock->setMinimumWidth(200);
    addDockWidget(Qt::RightDockWidgetArea, inputDock);
    d->layersDock = dock;
    d->inputDock = inputDock;
    placeDocks();

    // The Unit page as a dock (View ▸ Unit Page): hidden at first, and
    // floating when first shown, so that it goes to a second screen instead
    // of squeezing the views at 1280 x 720.
    d->unitDock = new QDockWidget(tr("Unit Page"), this);
    d->unitDock->setObjectName(QStringLiteral("unitDock"));
    auto* unitPage = new UnitPage;
    d->unitDock->setWidget(unitPage);
    addDockWidget(Qt::RightDockWidgetArea, d->unitDock);
    d->unitDock->setFloating(true);
    d->unitDock->resize(1100, 640);
    d->unitDock->hide();
    d->unit->setDockPage(unitPage);
    connect(d->unitDock, &QDockWidget::visibilityChanged, d->unit, [this](bool visible) {
        if (visible)
            d->unit->showUnit(d->workspace->layer(), d->unit->channel());
    });
}

void MainWindow::placeDocks()
{
    if (d->stackedDocks) {
        // One column on the left: the centre keeps ~900 of 1280 pixels.
        splitDockWidget(d->layersDock, d->inputDock, Qt::Vertical);
        resizeDocks({d->layersDock}, {360}, Qt::Horizontal);
        resizeDocks({d->layersDock, d->inputDock}, {1, 1}, Qt::Vertical);
        return;
    }
    // Wide enough to read module paths and the input; narrower windows may shrink them.
    resizeDocks({d->layersDock, d->inputDock}, {420, 330}, Qt::Horizontal);
}

void MainWindow::resetLayout()
{
    d->stackedDocks = width() < kWideScreen;
    for (QDockWidget* dock : {d->layersDock, d->inputDock}) {
        dock->setFloating(false);
        dock->show();
    }
    addDockWidget(Qt::LeftDockWidgetArea, d->layersDock);
    addDockWidget(d->stackedDocks ? Qt::LeftDockWidgetArea : Qt::RightDockWidgetArea, d->inputDock);
    placeDocks();
    // The Lesson dock is a tab beside the Input dock: no room taken from the views.
    if (QDockWidget* lesson = d->lessons ? d->lessons->dock() : nullptr) {
        lesson->setFloating(false);
        tabifyDockWidget(d->inputDock, lesson);
    }
}

void MainWindow::fitToScreen(const QRect& available)
{
    if (d->layoutRestored && available.contains(geometry()))
        return;
    const QSize smallest(1280, 800);
    if (available.width() < smallest.width() || available.height() < smallest.height()) {
        setGeometry(available);
        setWindowState(windowState() | Qt::WindowMaximized);
    } else {
        // Wide enough for both docks beside the widest tab, where the screen allows.
        resize(QSize(kWideScreen, 960).boundedTo(available.size()));
        move(available.center() - rect().center());
    }
    if (!d->layoutRestored)
        resetLayout();
}

void MainWindow::createStatusBar()
{
    d->modelLabel = new QLabel(tr("No model"));
    d->modelLabel->setObjectName(QStringLiteral("statusModel"));
    d->deviceLabel = new QLabel;
    d->deviceLabel->setObjectName(QStringLiteral("statusDevice"));
    d->forwardLabel = new QLabel;
    d->forwardLabel->setObjectName(QStringLiteral("statusForward"));
    d->progress = new QProgressBar;
    d->progress->setObjectName(QStringLiteral("jobProgress"));
    d->progress->setFixedWidth(220); // setProgressText() elides to it
    d->progress->setTextVisible(true);
    d->progress->hide();
    d->cancel = new QToolButton;
    d->cancel->setObjectName(QStringLiteral("jobCancel"));
    d->cancel->setText(tr("Cancel"));
    d->cancel->hide();
    connect(d->cancel, &QToolButton::clicked, this, [this] {
        // Cancel drops a model load still waiting (or being checked) without
        // running its continuation: abandon it here, or the window would wait
        // for it for ever with Cancel showing.
        if (d->loading) {
            ++d->loadGeneration;
            d->loading = false;
            if (auto model = d->workspace->model())
                d->modelPath = QString::fromStdString(model->info().path);
        }
        d->workspace->jobs()->cancel();
        d->workspace->drawing()->cancel();
        updateJobStatus();
        statusBar()->showMessage(tr("Cancelled"), 3000);
    });
    statusBar()->addPermanentWidget(d->progress);
    statusBar()->addPermanentWidget(d->cancel);
    statusBar()->addPermanentWidget(d->modelLabel);
    statusBar()->addPermanentWidget(d->deviceLabel);
    statusBar()->addPermanentWidget(d->forwardLabel);

    for (JobRunner* runner : {d->workspace->jobs(), d->workspace->drawing()}) {
        connect(runner, &JobRunner::started, this, [this](const QString& title) {
            d->progress->setRange(0, 0); // busy until the job reports a fraction
            setProgressText(title, false);
            d->progress->show();
            d->cancel->show();
        });
        connect(runner, &JobRunner::progressed, this, [this](const QString& title, double fraction, const QString& stage) {
            d->progress->setRange(0, 1000);
            d->progress->setValue(static_cast<int>(fraction * 1000));
            setProgressText(stage.isEmpty() ? title : stage, true);
        });
        connect(runner, &JobRunner::finished, this, &MainWindow::updateJobStatus);
        connect(runner, &JobRunner::becameIdle, this, &MainWindow::updateJobStatus);
    }
}

void MainWindow::setProgressText(const QString& text, bool percent)
{
    // One line in the bar's width: a long stage wrapped and was cut in two.
    const QString suffix = percent ? QStringLiteral(" %p%") : QString();
    const int room = d->progress->maximumWidth() - d->progress->fontMetrics().horizontalAdvance(QStringLiteral(" 100%")) - 12;
    d->progress->setFormat(d->progress->fontMetrics().elidedText(text, Qt::ElideMiddle, std::max(room, 40)) + suffix);
    d->progress->setToolTip(text);
}

void MainWindow::updateJobStatus()
{
    if (d->loading)
        return;
    d->progress->hide();
    d->cancel->hide();
}

void MainWindow::openModel(const QString& path)
{
    d->overrides = {};
    d->modelPath = path;
    reloadWith({}, d->device);
}

void MainWindow::setDevice(const QString& device)
{
    d->device = device;
}

QString MainWindow::device() const
{
    return d->device;
}

void MainWindow::reloadWith(const ModelMetadata& overrides, const QString& device)
{
    if (d->modelPath.isEmpty())
        return;
    const ModelMetadata previous = d->overrides;
    const QString previousDevice = d->device;
    d->overrides.overrideWith(overrides);
    d->device = device;
    const QString path = d->modelPath;
    const ModelMetadata metadata = d->overrides;
    const int generation = ++d->loadGeneration;
    d->loading = true;
    const auto failed = [this, path, generation, previous, previousDevice](const QString& message) {
        if (generation != d->loadGeneration)
            return;
        d->loading = false;
        d->lentNote.clear(); // the names were not taken
        updateJobStatus();
        // The previous model stays, with the settings it was loaded with.
        if (auto model = d->workspace->model()) {
            d->modelPath = QString::fromStdString(model->info().path);
            d->overrides = previous;
            d->device = previousDevice;
        }
        showError(tr("Cannot open model"), path, message);
        if (!d->workspace->model() && path == d->restoredModel)
            fallBackToShippedModel(path, tr("it did not open"));
        Q_EMIT loadFailed(message);
    };
    // A lesson's model, loaded before: at once (through the event loop, as a load ends).
    if (auto kept = metadata.empty() ? d->kept->find(path, d->device) : nullptr) {
        QMetaObject::invokeMethod(this, [this, kept, generation] {
            if (generation != d->loadGeneration)
                return;
            d->loading = false;
            updateJobStatus();
            d->workspace->setModel(kept->model, kept->summary);
        }, Qt::QueuedConnection);
        return;
    }
    if (!d->validator->enabled()) {
        submitLoad(path, metadata, generation, failed);
        return;
    }
    statusBar()->showMessage(tr("Checking %1…").arg(QFileInfo(path).fileName()));
    d->validator->check(path, metadata, [this, path, metadata, generation, failed](bool ok, const QString& message) {
        if (generation != d->loadGeneration)
            return;
        if (ok)
            submitLoad(path, metadata, generation, failed);
        else
            failed(message);
    });
}

void MainWindow::submitLoad(const QString& path, const ModelMetadata& metadata, int generation,
                            const std::function<void(const QString&)>& failed)
{
    const std::string file = path.toStdString();
    const std::string deviceName = d->device.toStdString();
    statusBar()->showMessage(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    const QString device = d->device;
    d->workspace->jobs()->submit(
        QStringLiteral("load"), tr("Loading %1").arg(QFileInfo(path).fileName()),
        [this, file, deviceName, metadata, generation, path, device](JobContext&) -> JobRunner::Done {
            LoadOptions options;
            options.device = deviceName;
            options.overrides = metadata;
            auto loaded = std::make_shared<LoadedModel>();
            loaded->model = Model::load(file, options);
            loaded->summary = summarize(*loaded->model);
            return [this, loaded, generation, path, device, metadata] {
                if (metadata.empty())
                    d->kept->store(path, device, loaded); // when a lesson wants it
                if (generation != d->loadGeneration)
                    return; // superseded by a newer load
                d->loading = false;
                updateJobStatus();
                d->workspace->setModel(loaded->model, loaded->summary);
            };
        },
        failed);
}

void MainWindow::onModelReady()
{
    auto model = d->workspace->model();
    if (!model)
        return;
    const ModelInfo& info = model->info();
    d->restoredModel.clear();
    d->modelPath = QString::fromStdString(info.path);
    addRecent(QStringLiteral("recent/models"), d->modelPath);
    d->tree->setLayers(model->layers());
    if (d->tree->rowCount() + 0 < 200)
        d->treeView->expandAll();
    setWindowTitle(QStringLiteral("%1 — ConvScope").arg(QString::fromStdString(info.name)));
    d->settingsAction->setEnabled(true);
    d->modelLabel->setText(QString::fromStdString(info.name));
    const QString device = QString::fromStdString(model->device().str()).toUpper();
    d->deviceLabel->setText(device);
    for (QAction* action : d->deviceGroup->actions())
        action->setChecked(device.startsWith(action->data().toString().toUpper()));
    if (!d->lentNote.isEmpty()) {
        d->stickyMessage = tr("%1: %2").arg(QFileInfo(d->modelPath).fileName(), d->lentNote);
        statusBar()->showMessage(d->stickyMessage, 30000);
        d->lentNote.clear();
    } else if (d->fallbackNote.isEmpty() || d->modelPath != defaultModelPath()) {
        statusBar()->showMessage(tr("Loaded %1").arg(QFileInfo(d->modelPath).fileName()), 5000);
        d->stickyMessage.clear();
    } else {
        statusBar()->showMessage(d->fallbackNote, 30000);
        d->stickyMessage = d->fallbackNote;
    }
    d->fallbackNote.clear();

    // The layer the last session or `render --layer` asked for, else the
    // first convolution: the one whose filters and maps a class looks at first.
    int layer = d->pendingLayer.isEmpty() ? -1 : model->graph().find(d->pendingLayer.toStdString());
    d->pendingLayer.clear();
    for (size_t i = 0; layer < 0 && i < model->layers().size(); ++i)
        if (model->layers()[i].category == "conv")
            layer = static_cast<int>(i);
    d->workspace->setLayer(std::max(layer, 0));
    Q_EMIT modelLoaded(QString::fromStdString(info.name));
    lendDatasetClassNames();
}

void MainWindow::lendDatasetClassNames()
{
    auto model = d->workspace->model();
    auto dataset = d->input->dataset();
    if (!model || !dataset || d->loading)
        return;
    std::vector<std::string> names = lentClassNames(model->info(), *dataset);
    if (names.empty())
        return;
    // Loaded again with the names as an override, as Model Settings would:
    // the model stays immutable for the threads that read it, and the
    // settings dialog shows (and can undo) the names.
    ModelMetadata lent;
    lent.labels = std::move(names);
    d->lentNote = QString::fromStdString(lentClassNamesNote(*dataset));
    reloadWith(lent, d->device);
}

void MainWindow::onLayerChanged(int layer)
{
    const QModelIndex source = d->tree->indexForLayer(layer);
    const QModelIndex index = d->treeFilter->mapFromSource(source);
    if (index.isValid() && index != d->treeView->currentIndex()) {
        d->treeView->setCurrentIndex(index);
        d->treeView->scrollTo(index);
    }
}

void MainWindow::showError(const QString& title, const QString& path, const QString& message)
{
    statusBar()->showMessage(tr("Could not open %1").arg(inputDisplayName(path)), 10000);
    // Window-modal and non-blocking: the event loop (and any running job) goes on.
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadError"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::fallBackToShippedModel(const QString& path, const QString& why)
{
    d->restoredModel.clear();
    const QString shipped = defaultModelPath();
    const QString name = QFileInfo(path).fileName();
    if (QFileInfo(path).absoluteFilePath() == QFileInfo(shipped).absoluteFilePath() || !QFileInfo(shipped).isFile()) {
        statusBar()->showMessage(tr("Could not reopen the last session's model %1 (%2)").arg(name, why), 30000);
        return;
    }
    d->fallbackNote = tr("Could not reopen the last session's model %1 (%2): opened %3 instead")
                          .arg(name, why, QFileInfo(shipped).fileName());
    statusBar()->showMessage(d->fallbackNote, 30000);
    openModel(shipped);
}

void MainWindow::showNote(const QString& note)
{
    statusBar()->showMessage(note, 15000);
    auto* box = new QMessageBox(QMessageBox::Information, tr("ConvScope"), note, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("note"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

ModelValidator* MainWindow::modelValidator() const
{
    return d->validator;
}

void MainWindow::openInput(const QString& spec, int position)
{
    addRecent(QStringLiteral("recent/inputs"), spec);
    d->inputPanel->setOpening(inputDisplayName(spec));
    d->input->open(spec, position);
}

void MainWindow::showTestImage(int index)
{
    d->input->seek(index);
}

bool MainWindow::selectLayer(const QString& name)
{
    auto model = d->workspace->model();
    if (!model) {
        d->pendingLayer = name; // applied when the model arrives
        return true;
    }
    return d->workspace->setLayer(name);
}

QString MainWindow::currentLayerName() const
{
    return d->workspace->layerName();
}

bool MainWindow::setCurrentTab(const QString& key)
{
    for (ViewTab* view : d->views)
        if (view->key() == key) {
            d->tabs->setCurrentWidget(view);
            return true;
        }
    return false;
}

QString MainWindow::currentTabKey() const
{
    auto* view = qobject_cast<ViewTab*>(d->tabs->currentWidget());
    return view ? view->key() : QString();
}

ViewTab* MainWindow::tab(const QString& key) const
{
    for (ViewTab* view : d->views)
        if (view->key() == key)
            return view;
    return nullptr;
}

QString MainWindow::modelName() const
{
    auto model = d->workspace->model();
    return model ? QString::fromStdString(model->info().name) : QString();
}

QString MainWindow::modelPath() const
{
    return d->modelPath;
}

bool MainWindow::isLoading() const
{
    return d->loading;
}

void MainWindow::setCaption(const QString& title, const QString& notes)
{
    QString html;
    if (!title.isEmpty())
        html = QStringLiteral("<span style='font-size: x-large; font-weight: bold'>%1</span>").arg(title.toHtmlEscaped());
    if (!notes.isEmpty())
        html += (html.isEmpty() ? QString() : QStringLiteral("<br>")) + notes.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    d->caption->setFont(font()); // the style sheet keeps it from following presenter mode's larger font
    d->caption->setText(html);
    d->caption->setVisible(!html.isEmpty());
}

LessonController* MainWindow::lessons() const
{
    return d->lessons;
}

KeptModels* MainWindow::keptModels() const
{
    return d->kept;
}

QString MainWindow::inputCaption() const
{
    return d->inputPanel->caption();
}

QStringList MainWindow::predictionTexts() const
{
    return d->inputPanel->predictionTexts();
}

Workspace* MainWindow::workspace() const
{
    return d->workspace;
}

InputController* MainWindow::inputController() const
{
    return d->input;
}

bool MainWindow::isSettled() const
{
    auto* view = qobject_cast<ViewTab*>(d->tabs->currentWidget());
    return !d->loading && d->workspace->jobs()->idle() && d->workspace->drawing()->idle() &&
           !d->workspace->forwardPending() && (!view || view->isReady());
}

} // namespace convscope
