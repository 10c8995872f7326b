#include "app/views/summary/tab.h"

#include "app/shell/workspace.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "widgets/count_string.h"
#include "widgets/summary_charts.h"
#include "widgets/summary_table_model.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace convscope {

struct SummaryTab::Private {
    QLabel* header = nullptr;
    QSpinBox* height = nullptr;
    QSpinBox* width = nullptr;
    QPushButton* apply = nullptr;
    SummaryTableModel* table = nullptr;
    QSortFilterProxyModel* sorted = nullptr;
    QTableView* view = nullptr;
    SummaryCharts* charts = nullptr;
    QSplitter* splitter = nullptr;
    uint64_t shown = 0; // Model::id() of what the table holds (0: none), to skip needless rebuilds
};

SummaryTab::SummaryTab(Workspace* workspace, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("summaryTab"));
    d->header = new QLabel(tr("Open a TorchScript model (File ▸ Open Model…, or drop a .pt file here)."));
    d->header->setObjectName(QStringLiteral("summaryHeader"));
    d->header->setWordWrap(true);
    d->header->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // AlexNet is taught at 227x227, ResNet at 224: the table follows the size asked for.
    d->height = new QSpinBox;
    d->width = new QSpinBox;
    for (QSpinBox* box : {d->height, d->width}) {
        box->setRange(1, 4096);
        box->setEnabled(false);
    }
    d->height->setObjectName(QStringLiteral("inputHeight"));
    d->width->setObjectName(QStringLiteral("inputWidth"));
    d->apply = new QPushButton(tr("Analyse"));
    d->apply->setObjectName(QStringLiteral("analyseSize"));
    d->apply->setToolTip(tr("Reload the model at this input size and recompute the table"));
    d->apply->setEnabled(false);
    connect(d->apply, &QPushButton::clicked, this,
            [this] { Q_EMIT inputSizeRequested(d->height->value(), d->width->value()); });
    auto* copy = new QPushButton(tr("Copy as CSV"));
    connect(copy, &QPushButton::clicked, this, &SummaryTab::copyCsv);
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Input H × W:")));
    controls->addWidget(d->height);
    controls->addWidget(new QLabel(QStringLiteral("×")));
    controls->addWidget(d->width);
    controls->addWidget(d->apply);
    controls->addStretch();
    controls->addWidget(copy);

    d->table = new SummaryTableModel(this);
    d->sorted = new QSortFilterProxyModel(this);
    d->sorted->setSourceModel(d->table);
    d->sorted->setSortRole(SummaryTableModel::SortRole);
    d->view = new QTableView;
    d->view->setObjectName(QStringLiteral("summaryTable"));
    d->view->setModel(d->sorted);
    d->view->setSortingEnabled(true);
    d->view->sortByColumn(-1, Qt::AscendingOrder); // forward order until a header is clicked
    d->view->verticalHeader()->hide();
    d->view->verticalHeader()->setDefaultSectionSize(d->view->fontMetrics().height() + 6);
    d->view->setAlternatingRowColors(true);
    d->view->horizontalHeader()->setResizeContentsPrecision(100); // measure 100 rows, not all of DenseNet
    // What a class asks first (parameters, multiply-adds, receptive field) before
    // kernel, stride and padding, which the receptive field already sums up.
    d->view->horizontalHeader()->moveSection(SummaryTableModel::Field, SummaryTableModel::Flops + 1);
    d->view->setSelectionBehavior(QAbstractItemView::SelectRows);
    d->view->setSelectionMode(QAbstractItemView::SingleSelection);
    connect(d->view, &QTableView::clicked, this, [this](const QModelIndex& index) {
        this->workspace()->setLayer(d->sorted->index(index.row(), SummaryTableModel::Name).data().toString());
    });

    d->charts = new SummaryCharts;
    d->charts->setObjectName(QStringLiteral("summaryCharts"));
    connect(d->charts, &SummaryCharts::layerClicked, this,
            [this](const QString& name) { this->workspace()->setLayer(name); });

    d->splitter = new QSplitter(Qt::Horizontal);
    d->splitter->setObjectName(QStringLiteral("summarySplitter"));
    d->splitter->addWidget(d->view);
    d->splitter->addWidget(d->charts);
    // The table as wide as its columns up to the receptive field (fitTable()),
    // the charts the rest: they need width for their layer names.
    d->splitter->setStretchFactor(0, 0);
    d->splitter->setStretchFactor(1, 1);
    d->splitter->setSizes({500, 500});

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(d->header);
    layout->addLayout(controls);
    layout->addWidget(d->splitter, 1);

    connect(workspace, &Workspace::modelChanged, this, &SummaryTab::invalidate);
    connect(workspace, &Workspace::layerChanged, this, [this] {
        if (isVisible())
            selectRow(this->workspace()->layerName());
    });
}

SummaryTab::~SummaryTab() = default;

void SummaryTab::refresh()
{
    auto model = workspace()->model();
    if (!model) {
        d->shown = 0;
        d->table->setSummary({});
        d->charts->clear();
        return;
    }
    if (d->shown != model->id()) {
        d->shown = model->id();
        const ModelInfo& info = model->info();
        const ModelSummary& s = workspace()->summary();
        d->table->setSummary(s);
        d->view->resizeColumnsToContents();
        fitTable();
        // The charts in the next turn of the event loop: two short waits
        // rather than one long one on the GUI thread.
        setBusy(true);
        QTimer::singleShot(0, this, [this, model] {
            if (d->shown == model->id())
                d->charts->setSummary(workspace()->summary());
            setBusy(false);
        });
        QString notes;
        for (const auto& note : info.notes)
            notes += QStringLiteral("<br><i>") + QString::fromStdString(note).toHtmlEscaped() + QStringLiteral("</i>");
        d->header->setText(tr("<b>%1</b> — input %2, %3 layers, %4 parameters, %5 multiply-adds per image, "
                              "activations %6 MiB. Metadata: %7.%8")
                               .arg(QString::fromStdString(info.name).toHtmlEscaped(),
                                    QString::fromStdString(dimsText({info.input[0], info.input[1], info.input[2]})),
                                    QString::number(model->layers().size()), countString(info.parameters),
                                    countString(s.totalFlops),
                                    QString::number(static_cast<double>(s.totalMemoryBytes) / (1 << 20), 'f', 1),
                                    QString::fromStdString(info.metadataSource).toHtmlEscaped(), notes));
        d->height->setValue(static_cast<int>(info.input[1]));
        d->width->setValue(static_cast<int>(info.input[2]));
        for (QWidget* w : std::initializer_list<QWidget*>{d->height, d->width, d->apply})
            w->setEnabled(true);
    }
    selectRow(workspace()->layerName());
}

void SummaryTab::fitTable()
{
    const QHeaderView* header = d->view->horizontalHeader();
    int needed = 2 * d->view->frameWidth() + d->view->verticalScrollBar()->sizeHint().width();
    for (int visual = 0; visual <= header->visualIndex(SummaryTableModel::Field); ++visual)
        needed += header->sectionSize(header->logicalIndex(visual));
    const int total = d->splitter->width() - d->splitter->handleWidth();
    if (total > needed)
        d->splitter->setSizes({needed, total - needed});
}

void SummaryTab::selectRow(const QString& layer)
{
    for (int row = 0; row < d->sorted->rowCount(); ++row)
        if (d->sorted->index(row, SummaryTableModel::Name).data().toString() == layer) {
            d->view->selectRow(row);
            d->view->scrollTo(d->sorted->index(row, 0));
            return;
        }
    d->view->clearSelection();
}

void SummaryTab::copyCsv()
{
    if (!workspace()->model())
        return;
    QApplication::clipboard()->setText(QString::fromStdString(summaryCsv(workspace()->summary())));
    Q_EMIT message(tr("Summary copied as CSV"));
}

void SummaryTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    settings->setValue(QStringLiteral("splitter"), d->splitter->saveState());
}

void SummaryTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    d->splitter->restoreState(settings->value(QStringLiteral("splitter")).toByteArray());
}

} // namespace convscope
