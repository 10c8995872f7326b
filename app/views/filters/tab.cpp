#include "app/views/filters/tab.h"

#include "app/shell/job_runner.h"
#include "app/shell/snapshot_scrubber.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "core/filters.h"
#include "core/model.h"
#include "widgets/tile_grid_view.h"

#include <QComboBox>
#include <QCursor>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QSettings>
#include <QSpinBox>
#include <QToolTip>
#include <QVBoxLayout>

namespace convscope {

namespace {
// Slices beyond this are not drawn at once: 512x512 3x3 kernels would be a
// quarter of a million tiles. Whole filters are kept; One filter shows the rest.
constexpr int64_t kMaxSliceTiles = 16384;

} // namespace

struct FiltersTab::FilterView {
    FilterSet set;
    QVector<Tile> tiles;
    int mode = Colour;
    int64_t filtersShown = 0; // filters with tiles in the grid
    int filter = 0;           // the one shown in OneFilter mode
};

struct FiltersTab::Private {
    SnapshotScrubber* scrubber = nullptr;
    QComboBox* mode = nullptr;
    QSpinBox* filter = nullptr;
    QComboBox* range = nullptr;
    QLabel* info = nullptr;
    QLabel* hover = nullptr;
    TileGridView* grid = nullptr;
    std::shared_ptr<const FilterView> view;
    int generation = 0;
    QString shownKey; // model, layer and options the grid shows, to skip needless work
    QString fittedKey;
};

FiltersTab::FiltersTab(Workspace* workspace, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("filtersTab"));
    d->mode = new QComboBox;
    // Long item texts may elide rather than widen the window.
    d->mode->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->mode->setMinimumContentsLength(14);
    d->mode->setObjectName(QStringLiteral("filterMode"));
    d->mode->addItem(tr("Overview"), Colour);
    d->mode->setItemData(0, tr("RGB filters as colour tiles; other layers as every filter's input-channel slices"),
                         Qt::ToolTipRole);
    d->mode->addItem(tr("All filters × input channels"), Slices);
    d->mode->addItem(tr("One filter"), OneFilter);
    d->filter = new QSpinBox;
    d->filter->setObjectName(QStringLiteral("filterIndex"));
    d->filter->setPrefix(tr("filter "));
    d->filter->setEnabled(false);
    d->range = new QComboBox;
    // Long item texts may elide rather than widen the window.
    d->range->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->range->setMinimumContentsLength(14);
    d->range->setObjectName(QStringLiteral("filterRange"));
    d->range->addItem(tr("Each filter its own range"));
    d->range->addItem(tr("One range for the layer"));
    d->range->setToolTip(tr("Own range: every filter uses the full gray scale. "
                            "Shared range: magnitudes compare across filters."));
    d->grid = new TileGridView;
    d->grid->setObjectName(QStringLiteral("filterGrid"));
    auto* controls = new QHBoxLayout;
    controls->addWidget(d->mode);
    controls->addWidget(d->filter);
    controls->addWidget(d->range);
    controls->addStretch();

    d->info = new QLabel(tr("Select a convolution in the layer list."));
    d->info->setObjectName(QStringLiteral("filterInfo"));
    d->info->setWordWrap(true);
    d->hover = new QLabel(QStringLiteral(" "));
    d->hover->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // long values must not widen the window
    d->hover->setObjectName(QStringLiteral("filterHover"));
    d->hover->setTextInteractionFlags(Qt::TextSelectableByMouse);

    d->scrubber = new SnapshotScrubber(workspace);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(d->scrubber);
    layout->addLayout(controls);
    layout->addWidget(d->info);
    layout->addWidget(d->grid, 1);
    // Values under the mouse, and the zoom, under the grid: the tool row stays narrow.
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(d->hover, 1);
    bottom->addWidget(createZoomBar(d->grid));
    layout->addLayout(bottom);

    auto changed = [this] {
        d->filter->setEnabled(d->mode->currentData().toInt() == OneFilter);
        invalidate();
    };
    connect(d->mode, &QComboBox::currentIndexChanged, this, changed);
    connect(d->range, &QComboBox::currentIndexChanged, this, changed);
    connect(d->filter, &QSpinBox::valueChanged, this, changed);
    connect(d->grid, &TileGridView::tileHovered, this, &FiltersTab::showHover);
    connect(d->grid, &TileGridView::tileClicked, this, [this](int tile) {
        // From the overview, a click opens that filter's input-channel slices.
        if (!d->view || d->view->mode == OneFilter)
            return;
        const int64_t in = d->view->set.weights.size(1);
        const int filter = d->view->mode == Colour ? tile : static_cast<int>(tile / in);
        d->filter->setValue(filter);
        setMode(OneFilter);
    });
    // A double-click opens the filter's channel on the Unit page.
    connect(d->grid, &TileGridView::tileActivated, this, [this](int tile) {
        if (!d->view)
            return;
        const int64_t in = d->view->set.weights.size(1);
        const int filter = d->view->mode == OneFilter ? d->filter->value()
                           : d->view->mode == Colour  ? tile
                                                      : static_cast<int>(tile / in);
        this->workspace()->pickUnit(this->workspace()->layer(), filter);
    });
    connect(workspace, &Workspace::modelChanged, this, &FiltersTab::invalidate);
    connect(workspace, &Workspace::layerChanged, this, &FiltersTab::invalidate);
}

FiltersTab::~FiltersTab() = default;

TileGridView* FiltersTab::grid() const
{
    return d->grid;
}

QString FiltersTab::infoText() const
{
    return d->info->text();
}

QString FiltersTab::hoverText() const
{
    return d->hover->text();
}

void FiltersTab::setMode(Mode mode)
{
    d->mode->setCurrentIndex(d->mode->findData(mode));
}

void FiltersTab::setSharedRange(bool shared)
{
    d->range->setCurrentIndex(shared ? 1 : 0);
}

void FiltersTab::setFilter(int index)
{
    d->filter->setValue(index);
}

void FiltersTab::refresh()
{
    auto model = workspace()->model();
    const int layer = workspace()->layer();
    if (!model || layer < 0) {
        d->view.reset();
        d->shownKey.clear();
        d->grid->clear();
        d->info->setText(tr("Select a convolution in the layer list."));
        return;
    }
    const int mode = d->mode->currentData().toInt();
    const bool shared = d->range->currentIndex() == 1;
    const int filter = d->filter->value();
    const QString key = QStringLiteral("%1/%2/%3/%4/%5")
                            .arg(model->id()) // never reused, unlike an address
                            .arg(layer)
                            .arg(mode)
                            .arg(shared)
                            .arg(mode == OneFilter ? filter : -1);
    if (key == d->shownKey)
        return;
    const int generation = ++d->generation;
    setBusy(true);
    QPointer<FiltersTab> self(this);
    auto done = [self, generation, key](std::shared_ptr<const FilterView> view, const QString& error) {
        if (!self || generation != self->d->generation)
            return; // a newer request is on its way
        self->show(view, error);
        self->d->shownKey = error.isEmpty() ? key : QString();
        self->setBusy(false);
    };
    workspace()->jobs()->submit(
        QStringLiteral("filters"), QString(),
        [model, layer, mode, shared, filter, done](JobContext&) -> JobRunner::Done {
            auto view = std::make_shared<FilterView>();
            view->set = filterWeights(*model, layer);
            const FilterRange range = shared ? FilterRange::Shared : FilterRange::PerFilter;
            const auto& w = view->set.weights;
            view->mode = (mode == Colour && !view->set.colour) ? Slices : mode;
            view->filter = std::clamp<int>(filter, 0, static_cast<int>(w.size(0)) - 1);
            if (view->mode == Colour) {
                view->tiles = toTiles(colourTiles(view->set, range));
                view->filtersShown = w.size(0);
            } else if (view->mode == Slices) {
                view->filtersShown = std::min<int64_t>(w.size(0), std::max<int64_t>(1, kMaxSliceTiles / w.size(1)));
                FilterSet shown = view->set;
                if (!shared) // per-filter ranges do not depend on the filters left out
                    shown.weights = w.narrow(0, 0, view->filtersShown);
                view->tiles = toTiles(sliceTiles(shown, range).narrow(0, 0, view->filtersShown * w.size(1)));
            } else {
                view->tiles = toTiles(oneFilterTiles(view->set, view->filter, range));
                view->filtersShown = 1;
            }
            return [done, view] { done(view, QString()); };
        },
        [done](const QString& error) { done(nullptr, error); });
}

void FiltersTab::show(const std::shared_ptr<const FilterView>& view, const QString& error)
{
    d->view = view;
    d->hover->setText(QStringLiteral(" "));
    if (!view) {
        d->grid->clear();
        d->info->setText(error);
        return;
    }
    const auto& w = view->set.weights;
    const int64_t in = w.size(1);
    int columns = 0;
    if (view->mode == Slices)
        columns = static_cast<int>(in <= 64 ? in : 0); // a row per filter while rows fit
    d->grid->setTiles(view->tiles, columns);
    const QString fitKey = QStringLiteral("%1/%2").arg(QString::fromStdString(view->set.layer)).arg(view->mode);
    if (fitKey != d->fittedKey) { // once per layer and mode; then the zoom is the user's
        d->fittedKey = fitKey;
        d->grid->fitToViewport(8, 96); // every filter of a layer at 1280x720
    }
    d->filter->setMaximum(static_cast<int>(w.size(0)) - 1);
    const QString shape = QStringLiteral("%1×%2×%3").arg(in).arg(w.size(2)).arg(w.size(3));
    QString text = view->set.fromLinear
                       ? tr("<b>%1</b> (linear): %2 output units, each a %3 weight image")
                             .arg(QString::fromStdString(view->set.layer).toHtmlEscaped())
                             .arg(w.size(0))
                             .arg(shape)
                       : tr("<b>%1</b> (%2): %3 filters of %4")
                             .arg(QString::fromStdString(view->set.layer).toHtmlEscaped(),
                                  QString::fromStdString(view->set.op))
                             .arg(w.size(0))
                             .arg(shape);
    if (view->mode == Colour)
        text += tr(" — shown as RGB tiles");
    else if (view->mode == Slices)
        text += view->filtersShown < w.size(0)
                    ? tr(" — first %1 filters (a row each) × %2 input channels; use One filter for the rest")
                          .arg(view->filtersShown)
                          .arg(in)
                    : tr(" — a row per filter, a tile per input channel");
    else
        text += tr(" — filter %1, one tile per input channel").arg(view->filter);
    text += tr(". Hover a tile to read its weights; click one to see that filter alone.");
    d->info->setText(text);
}

void FiltersTab::showHover(int tile, QPoint pixel)
{
    if (!d->view || tile < 0) {
        d->hover->setText(QStringLiteral(" "));
        return;
    }
    const auto& w = d->view->set.weights;
    const int64_t in = w.size(1);
    int64_t filter = 0, channel = -1; // channel -1: every input channel (colour tile)
    switch (d->view->mode) {
    case Colour: filter = tile; break;
    case Slices: filter = tile / in; channel = tile % in; break;
    default: filter = d->view->filter; channel = tile; break;
    }
    const int64_t y = std::clamp<int64_t>(pixel.y(), 0, w.size(2) - 1);
    const int64_t x = std::clamp<int64_t>(pixel.x(), 0, w.size(3) - 1);
    QString text;
    if (channel < 0) {
        text = tr("filter %1 at (%2, %3): R %4  G %5  B %6")
                   .arg(filter)
                   .arg(y)
                   .arg(x)
                   .arg(w[filter][0][y][x].item<float>(), 0, 'g', 4)
                   .arg(w[filter][1][y][x].item<float>(), 0, 'g', 4)
                   .arg(w[filter][2][y][x].item<float>(), 0, 'g', 4);
    } else {
        text = tr("filter %1, input channel %2 at (%3, %4): w = %5")
                   .arg(filter)
                   .arg(channel)
                   .arg(y)
                   .arg(x)
                   .arg(w[filter][channel][y][x].item<float>(), 0, 'g', 4);
    }
    d->hover->setText(text);
    // Small kernels: the whole slice as a matrix, as written on a blackboard.
    if (w.size(2) * w.size(3) <= 49) {
        QString matrix = QStringLiteral("<pre>");
        const torch::Tensor slice = channel < 0 ? w[filter].mean(0) : w[filter][channel];
        for (int64_t r = 0; r < slice.size(0); ++r) {
            for (int64_t c = 0; c < slice.size(1); ++c)
                matrix += QStringLiteral("%1 ").arg(slice[r][c].item<float>(), 8, 'f', 4);
            matrix += QLatin1Char('\n');
        }
        matrix += QStringLiteral("</pre>");
        const QString title = channel < 0 ? tr("filter %1, mean over RGB").arg(filter)
                                          : tr("filter %1, input channel %2").arg(filter).arg(channel);
        QToolTip::showText(QCursor::pos(), title + matrix, d->grid);
    }
}

QImage FiltersTab::exportImage()
{
    return d->grid->tileCount() > 0 ? d->grid->renderAll() : ViewTab::exportImage();
}

void FiltersTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    settings->setValue(QStringLiteral("mode"), d->mode->currentData().toInt());
    settings->setValue(QStringLiteral("sharedRange"), d->range->currentIndex() == 1);
    settings->setValue(QStringLiteral("zoom"), d->grid->zoom());
}

void FiltersTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    setMode(static_cast<Mode>(settings->value(QStringLiteral("mode"), Colour).toInt()));
    setSharedRange(settings->value(QStringLiteral("sharedRange"), false).toBool());
}

SnapshotScrubber* FiltersTab::scrubber() const
{
    return d->scrubber;
}

} // namespace convscope
