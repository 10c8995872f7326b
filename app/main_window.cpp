#include "app/main_window.h"

#include "app/model_loader.h"
#include "app/model_settings_dialog.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "widgets/layer_list_model.h"
#include "widgets/summary_table_model.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
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
