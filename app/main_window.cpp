#include "app/main_window.h"

#include "app/model_loader.h"
#include "app/model_settings_dialog.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "io/datasets.h"
#include "io/image_io.h"
#include "widgets/input_panel.h"
#include "widgets/layer_list_model.h"
#include "widgets/summary_table_model.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace convscope {

// The current input: pixels in the model's format, and where they came from.
struct InputImage {
    torch::Tensor pixels; // [C, H, W] in [0, 1]
    QString caption;
};

namespace {
QImage toImage(const torch::Tensor& pixels)
{
    torch::Tensor t = (pixels.detach().cpu().clamp(0, 1) * 255).round().to(torch::kUInt8);
    const int h = static_cast<int>(t.size(1)), w = static_cast<int>(t.size(2));
    if (t.size(0) == 3) {
        t = t.permute({1, 2, 0}).contiguous();
        return QImage(t.data_ptr<uint8_t>(), w, h, 3 * w, QImage::Format_RGB888).copy();
    }
    t = t[0].contiguous();
    return QImage(t.data_ptr<uint8_t>(), w, h, w, QImage::Format_Grayscale8).copy();
}
} // namespace

struct MainWindow::Private {
    ModelLoader* loader = nullptr;
    std::shared_ptr<Model> model;
    LayerListModel* layers = nullptr;
    QSortFilterProxyModel* layerFilter = nullptr;
    QTreeView* layerView = nullptr;
    SummaryTableModel* summary = nullptr;
    QTableView* summaryView = nullptr;
    QLabel* summaryHeader = nullptr;
    QTabWidget* tabs = nullptr;
    QLabel* modelLabel = nullptr;
    QLabel* deviceLabel = nullptr;
    QString pendingPath;
    QString device = QStringLiteral("auto");
    ModelMetadata overrides; // what the user set in Model Settings, for this file
    QAction* settingsAction = nullptr;

    InputPanel* input = nullptr;
    QString datasetSpec;                 // opened once the model is loaded
    std::shared_ptr<Dataset> dataset;
    Split split;
    int testIndex = 0;
    InputImage current;
    int predictionGeneration = 0;
};

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , d(std::make_unique<Private>())
{
    setWindowTitle(QStringLiteral("ConvScope"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/convscope.svg")));
    setAcceptDrops(true);
    resize(1200, 760);

    d->loader = new ModelLoader(this);
    connect(d->loader, &ModelLoader::loaded, this, [this] { onLoaded(); });
    connect(d->loader, &ModelLoader::failed, this, &MainWindow::onFailed);

    // Central tabs: one per visualization; later views slot in beside Summary.
    d->tabs = new QTabWidget(this);
    d->tabs->setDocumentMode(true);
    auto* summaryPage = new QWidget;
    auto* summaryLayout = new QVBoxLayout(summaryPage);
    d->summaryHeader = new QLabel(tr("Open a TorchScript model (File ▸ Open Model…, or drop a .pt file here)."));
    d->summaryHeader->setWordWrap(true);
    d->summaryHeader->setTextInteractionFlags(Qt::TextSelectableByMouse);
    d->summary = new SummaryTableModel(this);
    auto* summarySort = new QSortFilterProxyModel(this);
    summarySort->setSourceModel(d->summary);
    summarySort->setSortRole(SummaryTableModel::SortRole);
    d->summaryView = new QTableView;
    d->summaryView->setModel(summarySort);
    d->summaryView->setSortingEnabled(true);
    d->summaryView->sortByColumn(SummaryTableModel::Name, Qt::AscendingOrder);
    d->summaryView->verticalHeader()->hide();
    d->summaryView->verticalHeader()->setDefaultSectionSize(d->summaryView->fontMetrics().height() + 6);
    d->summaryView->setAlternatingRowColors(true);
    d->summaryView->setSelectionBehavior(QAbstractItemView::SelectRows);
    summaryLayout->addWidget(d->summaryHeader);
    summaryLayout->addWidget(d->summaryView);
    d->tabs->addTab(summaryPage, tr("Summary"));
    setCentralWidget(d->tabs);

    createDocks();
    createActions();

    d->modelLabel = new QLabel(tr("No model"));
    d->deviceLabel = new QLabel;
    statusBar()->addPermanentWidget(d->modelLabel);
    statusBar()->addPermanentWidget(d->deviceLabel);
}

MainWindow::~MainWindow() = default;

void MainWindow::createDocks()
{
    auto* dock = new QDockWidget(tr("Layers"), this);
    dock->setObjectName(QStringLiteral("layersDock"));
    auto* panel = new QWidget;
    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* search = new QLineEdit;
    search->setPlaceholderText(tr("Filter layers…"));
    search->setClearButtonEnabled(true);
    d->layers = new LayerListModel(this);
    d->layerFilter = new QSortFilterProxyModel(this);
    d->layerFilter->setSourceModel(d->layers);
    d->layerFilter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    d->layerFilter->setFilterKeyColumn(-1);
    d->layerFilter->setSortRole(LayerListModel::SortRole);
    connect(search, &QLineEdit::textChanged, d->layerFilter, &QSortFilterProxyModel::setFilterFixedString);
    d->layerView = new QTreeView;
    d->layerView->setObjectName(QStringLiteral("layerView"));
    d->layerView->setModel(d->layerFilter);
    d->layerView->setRootIsDecorated(false);
    d->layerView->setUniformRowHeights(true);
    d->layerView->setAlternatingRowColors(true);
    d->layerView->header()->setStretchLastSection(true);
    d->layerView->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(search);
    layout->addWidget(d->layerView);
    dock->setWidget(panel);
    dock->setMinimumWidth(440);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    auto* inputDock = new QDockWidget(tr("Input"), this);
    inputDock->setObjectName(QStringLiteral("inputDock"));
    d->input = new InputPanel;
    inputDock->setWidget(d->input);
    addDockWidget(Qt::RightDockWidgetArea, inputDock);
    connect(d->input, &InputPanel::previousRequested, this, [this] { showTestImage(d->testIndex - 1); });
    connect(d->input, &InputPanel::nextRequested, this, [this] { showTestImage(d->testIndex + 1); });
}

void MainWindow::openDataset(const QString& spec)
{
    d->datasetSpec = spec;
    if (d->model)
        loadPendingDataset();
}

void MainWindow::loadPendingDataset()
{
    if (d->datasetSpec.isEmpty() || !d->model)
        return;
    const auto& in = d->model->info().input;
    const ImageFormat format{in[0], in[1], in[2]};
    const std::string spec = d->datasetSpec.toStdString();
    statusBar()->showMessage(tr("Opening dataset %1…").arg(d->datasetSpec));
    struct Opened {
        std::shared_ptr<Dataset> dataset;
        Split split;
        QString error;
    };
    auto* watcher = new QFutureWatcher<Opened>(this);
    connect(watcher, &QFutureWatcher<Opened>::finished, this, [this, watcher] {
        watcher->deleteLater();
        Opened opened = watcher->result();
        if (!opened.error.isEmpty()) {
            onFailed(d->datasetSpec, opened.error);
            return;
        }
        d->dataset = opened.dataset;
        d->split = opened.split;
        d->input->setNavigation(!d->split.test.empty());
        statusBar()->showMessage(tr("Dataset: %1").arg(QString::fromStdString(d->dataset->description())), 5000);
        showTestImage(0);
    });
    watcher->setFuture(QtConcurrent::run([spec, format] {
        Opened opened;
        try {
            opened.dataset = io::openDataset(spec, format);
            opened.split = splitDataset(*opened.dataset);
            if (opened.split.test.empty()) // one image, or too few to split: walk them all
                for (int64_t i = 0; i < opened.dataset->size(); ++i)
                    opened.split.test.push_back(i);
        } catch (const std::exception& e) {
            opened.error = QString::fromStdString(e.what());
        }
        return opened;
    }));
}

void MainWindow::showTestImage(int index)
{
    if (!d->dataset || d->split.test.empty())
        return;
    const int count = static_cast<int>(d->split.test.size());
    index = ((index % count) + count) % count;
    d->testIndex = index;
    const int64_t item = d->split.test[static_cast<size_t>(index)];
    InputImage input;
    try {
        input.pixels = d->dataset->image(item);
    } catch (const Error& e) {
        statusBar()->showMessage(QString::fromStdString(e.what()), 10000);
        return;
    }
    const int64_t label = d->dataset->label(item);
    input.caption = tr("%1 — test image %2 of %3 (%4)%5")
                        .arg(QString::fromStdString(d->dataset->name()))
                        .arg(index + 1)
                        .arg(count)
                        .arg(QString::fromStdString(d->dataset->itemName(item)))
                        .arg(label >= 0 ? tr(", label %1").arg(QString::fromStdString(d->dataset->classes()[static_cast<size_t>(label)]))
                                        : QString());
    showInput(input);
}

void MainWindow::openImage(const QString& path)
{
    d->datasetSpec = path; // read again in the next model's format
    if (!d->model)
        return;
    const auto& in = d->model->info().input;
    InputImage input;
    try {
        input.pixels = io::readImage(path.toStdString(), in[0], in[1], in[2])[0];
    } catch (const Error& e) {
        onFailed(path, QString::fromStdString(e.what()));
        return;
    }
    input.caption = QFileInfo(path).fileName();
    d->dataset.reset();
    d->input->setNavigation(false);
    showInput(input);
}

void MainWindow::showInput(const InputImage& input)
{
    d->current = input;
    d->input->setImage(toImage(input.pixels), input.caption);
    Q_EMIT inputChanged(input.caption);
    predict();
}

void MainWindow::predict()
{
    if (!d->model || !d->current.pixels.defined())
        return;
    const int generation = ++d->predictionGeneration;
    auto model = d->model;
    torch::Tensor pixels = d->current.pixels.unsqueeze(0);
    using Top = std::vector<std::pair<QString, double>>;
    auto* watcher = new QFutureWatcher<Top>(this);
    connect(watcher, &QFutureWatcher<Top>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != d->predictionGeneration)
            return; // a newer input is on its way
        d->input->setPredictions(watcher->result());
        if (d->model)
            statusBar()->showMessage(tr("forward %1 ms").arg(d->model->lastForwardMs(), 0, 'f', 1), 3000);
        Q_EMIT predictionsReady();
    });
    watcher->setFuture(QtConcurrent::run([model, pixels] {
        Top top;
        try {
            torch::NoGradGuard noGrad;
            auto probs = torch::softmax(model->logits(pixels)[0].cpu(), 0);
            auto best = probs.topk(std::min<int64_t>(5, probs.size(0)));
            for (int64_t i = 0; i < std::get<0>(best).size(0); ++i) {
                const auto index = static_cast<size_t>(std::get<1>(best)[i].item<int64_t>());
                top.emplace_back(QString::fromStdString(model->info().labels[index]), std::get<0>(best)[i].item<double>());
            }
        } catch (const std::exception& e) {
            top.emplace_back(QString::fromStdString(e.what()), 0.0);
        }
        return top;
    }));
}

QString MainWindow::inputCaption() const
{
    return d->input->caption();
}

QStringList MainWindow::predictionTexts() const
{
    return d->input->predictionTexts();
}

void MainWindow::createActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open Model…"));
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open TorchScript model"), QString(),
                                                          tr("TorchScript models (*.pt *.pth *.ptl *.torchscript);;All files (*)"));
        if (!path.isEmpty())
            openModel(path);
    });
    d->settingsAction = file->addAction(tr("Model &Settings…"));
    d->settingsAction->setEnabled(false);
    connect(d->settingsAction, &QAction::triggered, this, &MainWindow::editModelSettings);
    QAction* copyCsv = file->addAction(tr("Copy Summary as &CSV"));
    connect(copyCsv, &QAction::triggered, this, &MainWindow::copySummaryCsv);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About ConvScope"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About ConvScope"),
                           tr("<b>ConvScope %1</b><p>See what a convolutional network does: layers, complexity, "
                              "filters, activations and more, for any TorchScript model.</p>")
                               .arg(QApplication::applicationVersion()));
    });

    QToolBar* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->addAction(open);
}

void MainWindow::openModel(const QString& path)
{
    d->pendingPath = path;
    d->overrides = {};
    statusBar()->showMessage(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    d->loader->load(path, d->device);
}

void MainWindow::reloadWith(const ModelMetadata& overrides, const QString& device)
{
    if (!d->model)
        return;
    d->overrides.overrideWith(overrides);
    d->device = device;
    const QString path = QString::fromStdString(d->model->info().path);
    statusBar()->showMessage(tr("Reloading %1…").arg(QFileInfo(path).fileName()));
    d->loader->load(path, d->device, d->overrides);
}

void MainWindow::editModelSettings()
{
    if (!d->model)
        return;
    const ModelInfo& info = d->model->info();
    ModelSettingsDialog dialog({info.input, info.mean, info.std, info.name, d->device}, this);
    if (dialog.exec() == QDialog::Accepted)
        reloadWith(dialog.overrides(), dialog.device());
}

QString MainWindow::modelName() const
{
    return d->model ? QString::fromStdString(d->model->info().name) : QString();
}

void MainWindow::onLoaded()
{
    d->model = d->loader->model();
    const ModelInfo& info = d->model->info();
    d->layers->setLayers(d->model->layers());
    d->summary->setSummary(d->loader->summary());
    d->summaryView->resizeColumnsToContents();
    const ModelSummary& s = d->summary->summary();
    QString notes;
    for (const auto& note : info.notes)
        notes += QStringLiteral("<br><i>") + QString::fromStdString(note).toHtmlEscaped() + QStringLiteral("</i>");
    d->summaryHeader->setText(tr("<b>%1</b> — input %2, %3 layers, %4 parameters, %5 multiply-adds per image, "
                                 "activations %6 MiB. Metadata: %7.%8")
                                  .arg(QString::fromStdString(info.name).toHtmlEscaped(),
                                       QString::fromStdString(dimsText({info.input[0], info.input[1], info.input[2]})),
                                       QString::number(d->model->layers().size()), countString(info.parameters),
                                       countString(s.totalFlops),
                                       QString::number(static_cast<double>(s.totalMemoryBytes) / (1 << 20), 'f', 1),
                                       QString::fromStdString(info.metadataSource).toHtmlEscaped(), notes));
    setWindowTitle(QStringLiteral("%1 — ConvScope").arg(QString::fromStdString(info.name)));
    d->settingsAction->setEnabled(true);
    // The input follows the model: re-read it in the new input format.
    if (io::isImageFileName(d->datasetSpec.toStdString()))
        openImage(d->datasetSpec);
    else
        loadPendingDataset();
    d->modelLabel->setText(QString::fromStdString(info.name));
    d->deviceLabel->setText(QString::fromStdString(d->model->device().str()).toUpper());
    statusBar()->showMessage(tr("Loaded %1").arg(QFileInfo(QString::fromStdString(info.path)).fileName()), 5000);
    Q_EMIT modelLoaded(QString::fromStdString(info.name));
}

void MainWindow::onFailed(const QString& path, const QString& message)
{
    statusBar()->showMessage(tr("Could not open %1").arg(QFileInfo(path).fileName()), 10000);
    // Window-modal and non-blocking: the event loop (and any running job) goes on.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Cannot open model"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadError"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    Q_EMIT loadFailed(message);
}

void MainWindow::copySummaryCsv()
{
    if (!d->model)
        return;
    QApplication::clipboard()->setText(QString::fromStdString(summaryCsv(d->summary->summary())));
    statusBar()->showMessage(tr("Summary copied as CSV"), 3000);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        openModel(urls.first().toLocalFile());
}

} // namespace convscope
