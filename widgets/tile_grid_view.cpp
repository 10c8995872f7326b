#include "widgets/tile_grid_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolButton>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

namespace convscope {

namespace {
// Room between tiles for the selection frame, which is drawn in the gap.
constexpr int kSpacing = 6;
constexpr int kMargin = 6;
constexpr int kFrame = 3;
constexpr double kMinZoom = 0.25;
constexpr double kMaxZoom = 64;

// Zoom steps that land on whole numbers from 1 up, so that every tile pixel
// becomes the same number of display pixels.
double stepZoom(double zoom, bool in)
{
    if (in)
        return zoom >= 1 ? std::max(zoom + 1, std::round(zoom * 1.25)) : std::min(1.0, zoom * 1.25);
    if (zoom > 1)
        return std::max(1.0, std::min(zoom - 1, std::round(zoom / 1.25)));
    return zoom / 1.25;
}

// Formats QPainter draws without converting on every paint.
QImage displayImage(const QImage& image)
{
    switch (image.format()) {
    case QImage::Format_RGB32:
    case QImage::Format_ARGB32_Premultiplied: return image;
    default:
        return image.convertToFormat(
            image.hasAlphaChannel() ? QImage::Format_ARGB32_Premultiplied : QImage::Format_RGB32);
    }
}

// Every tile sits in a cell of the same size (the largest tile at the
// current zoom), so a position maps to a tile with two divisions.
struct GridLayout {
    int columns = 1;
    int rows = 0;
    int cellWidth = 1;
    int cellHeight = 1;
    int captionHeight = 0;

    int strideX() const { return cellWidth + kSpacing; }
    int strideY() const { return cellHeight + captionHeight + kSpacing; }
    QSize contentSize() const
    {
        if (rows == 0)
            return {};
        return { 2 * kMargin + columns * strideX() - kSpacing, 2 * kMargin + rows * strideY() - kSpacing };
    }
    QPoint cellOrigin(int index) const
    {
        return { kMargin + (index % columns) * strideX(), kMargin + (index / columns) * strideY() };
    }
};
} // namespace

struct TileGridView::Private {
    TileGridView* q;
    QVector<Tile> tiles;
    QVector<QImage> display; // tiles[i].image in a format cheap to draw
    QSize largest; // of all tile images
    int widestCaption = 0; // display pixels
    int requestedColumns = 0;
    double zoom = 1;
    bool captions = false;
    int selected = -1;
    int hovered = -1;
    QPoint hoveredPixel { -1, -1 };
    GridLayout layout;
    // Set by fitToViewport() and kept until the user zooms: the fit follows
    // the viewport, which may not have its size yet (a hidden tab).
    std::optional<std::pair<int, int>> fit;

    explicit Private(TileGridView* view)
        : q(view)
    {
    }

    GridLayout layoutFor(int columns) const { return layoutFor(columns, zoom, q->viewport()->width()); }

    GridLayout layoutFor(int columns, double zoomed, int width) const
    {
        GridLayout l;
        l.cellWidth = std::max(1, static_cast<int>(std::lround(largest.width() * zoomed)));
        if (captions) // a score under a small patch is read whole, not "#55 …"
            l.cellWidth = std::max(l.cellWidth, widestCaption);
        l.cellHeight = std::max(1, static_cast<int>(std::lround(largest.height() * zoomed)));
        l.captionHeight = captions ? q->fontMetrics().height() + 2 : 0;
        const int n = static_cast<int>(tiles.size());
        if (columns <= 0) {
            const int available = width - 2 * kMargin + kSpacing;
            columns = std::max(1, available / l.strideX());
        }
        l.columns = std::max(1, std::min(columns, n));
        l.rows = n == 0 ? 0 : (n + l.columns - 1) / l.columns;
        return l;
    }

    // Where tile `index` is drawn, in content coordinates: centred in its cell.
    QRect imageRect(const GridLayout& l, int index) const
    {
        const QImage& image = display[index];
        const QSize size(std::max(1, static_cast<int>(std::lround(image.width() * zoom))),
            std::max(1, static_cast<int>(std::lround(image.height() * zoom))));
        const QPoint origin = l.cellOrigin(index);
        return { origin + QPoint((l.cellWidth - size.width()) / 2, (l.cellHeight - size.height()) / 2), size };
    }

    QPoint scrollOffset() const { return { q->horizontalScrollBar()->value(), q->verticalScrollBar()->value() }; }

    void relayout()
    {
        QScrollBar* h = q->horizontalScrollBar();
        QScrollBar* v = q->verticalScrollBar();
        // A range that shows or hides a scroll bar resizes the viewport under
        // us, which can change the columns: settle on a size (at most both
        // bars change, so a few rounds).
        for (int round = 0; round < 3; ++round) {
            const QSize view = q->viewport()->size();
            layout = layoutFor(requestedColumns);
            const QSize content = layout.contentSize();
            h->setRange(0, std::max(0, content.width() - view.width()));
            h->setPageStep(view.width());
            h->setSingleStep(std::max(20, layout.strideX() / 2));
            v->setRange(0, std::max(0, content.height() - view.height()));
            v->setPageStep(view.height());
            v->setSingleStep(std::max(20, layout.strideY() / 2));
            if (q->viewport()->size() == view)
                break;
        }
        q->viewport()->update();
    }

    // The tile under a content position, or -1 between and outside tiles.
    int tileAt(QPoint p) const
    {
        if (tiles.isEmpty())
            return -1;
        const int x = p.x() - kMargin, y = p.y() - kMargin;
        if (x < 0 || y < 0)
            return -1;
        const int col = x / layout.strideX(), row = y / layout.strideY();
        if (col >= layout.columns || row >= layout.rows)
            return -1;
        const int index = row * layout.columns + col;
        if (index >= tiles.size() || !imageRect(layout, index).contains(p))
            return -1;
        return index;
    }

    void paint(QPainter& painter, const GridLayout& l, const QRect& area, bool showSelection = true) const
    {
        // Nearest-neighbour: a 3x3 kernel must stay nine flat squares.
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        const QColor highlight = q->palette().color(QPalette::Highlight);
        const QColor background = q->palette().color(QPalette::Base);
        const int firstRow = std::max(0, (area.top() - kMargin) / l.strideY());
        const int lastRow = std::min(l.rows - 1, (area.bottom() - kMargin) / l.strideY());
        const int firstCol = std::max(0, (area.left() - kMargin) / l.strideX());
        const int lastCol = std::min(l.columns - 1, (area.right() - kMargin) / l.strideX());
        painter.setPen(q->palette().color(QPalette::Text));
        for (int row = firstRow; row <= lastRow; ++row) {
            for (int col = firstCol; col <= lastCol; ++col) {
                const int index = row * l.columns + col;
                if (index >= tiles.size())
                    break;
                const QRect r = imageRect(l, index);
                if (showSelection && index == selected) {
                    painter.fillRect(r.adjusted(-kFrame, -kFrame, kFrame, kFrame), highlight);
                    painter.fillRect(r, background); // under transparent tiles
                }
                painter.drawImage(r, display[index]);
                if (l.captionHeight > 0 && !tiles[index].caption.isEmpty()) {
                    const QPoint origin = l.cellOrigin(index);
                    const QRect text(origin.x(), origin.y() + l.cellHeight + 1, l.cellWidth, l.captionHeight);
                    painter.drawText(text, Qt::AlignHCenter | Qt::AlignTop,
                        q->fontMetrics().elidedText(tiles[index].caption, Qt::ElideRight, l.cellWidth));
                }
            }
        }
    }

    void setHover(int index, QPoint pixel)
    {
        if (index == hovered && pixel == hoveredPixel)
            return;
        hovered = index;
        hoveredPixel = pixel;
        Q_EMIT q->tileHovered(index, pixel);
    }
};

TileGridView::TileGridView(QWidget* parent)
    : QAbstractScrollArea(parent)
    , d(std::make_unique<Private>(this))
{
    viewport()->setMouseTracking(true);
    setBackgroundRole(QPalette::Window);
    viewport()->setBackgroundRole(QPalette::Window);
    d->relayout();
}

TileGridView::~TileGridView() = default;

void TileGridView::setTiles(QVector<Tile> tiles, int columns)
{
    d->tiles = std::move(tiles);
    d->display.clear();
    d->display.reserve(d->tiles.size());
    d->largest = {};
    d->widestCaption = 0;
    for (const Tile& tile : d->tiles) {
        d->display.append(displayImage(tile.image));
        d->largest = d->largest.expandedTo(tile.image.size());
        d->widestCaption = std::max(d->widestCaption, fontMetrics().horizontalAdvance(tile.caption));
    }
    d->requestedColumns = std::max(0, columns);
    applyFit(); // new tiles, maybe of another size or count
    if (d->selected >= d->tiles.size())
        d->selected = -1;
    d->hovered = -1;
    d->hoveredPixel = { -1, -1 };
    d->relayout();
}

void TileGridView::clear()
{
    setTiles({});
}

int TileGridView::tileCount() const
{
    return static_cast<int>(d->tiles.size());
}

const Tile& TileGridView::tile(int index) const
{
    return d->tiles.at(index);
}

int TileGridView::columns() const
{
    return d->layout.columns;
}

void TileGridView::setZoom(double zoom)
{
    d->fit.reset(); // the user's zoom from now on
    applyZoom(zoom);
}

void TileGridView::applyZoom(double zoom)
{
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    if (zoom == d->zoom)
        return;
    d->zoom = zoom;
    d->relayout();
    Q_EMIT zoomChanged(zoom);
}

double TileGridView::zoom() const
{
    return d->zoom;
}

void TileGridView::fitZoom(int target)
{
    const int side = std::max(d->largest.width(), d->largest.height());
    if (side <= 0)
        return;
    double zoom = static_cast<double>(target) / side;
    // Whole numbers from 1 up keep every tile pixel the same size on screen.
    if (zoom >= 1)
        zoom = std::round(zoom);
    setZoom(zoom);
}

void TileGridView::fitToViewport(int minSide, int maxSide)
{
    d->fit = std::make_pair(minSide, maxSide);
    applyFit();
}

bool TileGridView::isFitted() const
{
    return d->fit.has_value();
}

void TileGridView::applyFit()
{
    const int side = std::max(d->largest.width(), d->largest.height());
    if (!d->fit || side <= 0)
        return;
    const auto [minSide, maxSide] = *d->fit;
    // The whole viewport, as if no scroll bar took a part of it: a grid that
    // fits needs none.
    const QSize area = maximumViewportSize();
    const auto fits = [&](double zoom) {
        const QSize content = d->layoutFor(d->requestedColumns, zoom, area.width()).contentSize();
        return content.width() <= area.width() && content.height() <= area.height();
    };
    // Whole zooms from the largest allowed down to 1 keep pixels square;
    // tiles bigger than maxSide (input-sized maps) shrink by fractions.
    double zoom = side > maxSide ? static_cast<double>(maxSide) / side : std::max(1, maxSide / side);
    const double wanted = static_cast<double>(minSide) / side;
    const double lowest = side > maxSide ? std::max(kMinZoom, wanted) : std::max(1.0, std::ceil(wanted));
    while (zoom > lowest && !fits(zoom))
        zoom = zoom > 1 ? zoom - 1 : zoom / 1.25;
    applyZoom(std::max(zoom, lowest));
}

void TileGridView::setCaptionsVisible(bool visible)
{
    if (d->captions == visible)
        return;
    d->captions = visible;
    d->relayout();
}

void TileGridView::setSelectedTile(int index)
{
    if (index < -1 || index >= tileCount())
        index = -1;
    if (index == d->selected)
        return;
    d->selected = index;
    viewport()->update();
}

int TileGridView::selectedTile() const
{
    return d->selected;
}

QRect TileGridView::tileRect(int index) const
{
    if (index < 0 || index >= tileCount())
        return {};
    return d->imageRect(d->layout, index).translated(-d->scrollOffset());
}

int TileGridView::tileAt(QPoint viewportPos) const
{
    return d->tileAt(viewportPos + d->scrollOffset());
}

QImage TileGridView::renderAll() const
{
    if (d->tiles.isEmpty())
        return {};
    // A hidden view has no meaningful width to fill: export near-square.
    int columns = d->requestedColumns;
    if (columns == 0)
        columns = isVisible() ? d->layout.columns
                              : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(d->tiles.size()))));
    const GridLayout layout = d->layoutFor(columns);
    QImage image(layout.contentSize(), QImage::Format_RGB32);
    image.fill(palette().color(QPalette::Window));
    QPainter painter(&image);
    d->paint(painter, layout, image.rect(), false); // an export, not the view's state
    return image;
}

void TileGridView::paintEvent(QPaintEvent* event)
{
    QPainter painter(viewport());
    const QPoint offset = d->scrollOffset();
    painter.translate(-offset);
    d->paint(painter, d->layout, event->rect().translated(offset));
}

void TileGridView::resizeEvent(QResizeEvent* event)
{
    QAbstractScrollArea::resizeEvent(event);
    d->relayout();
    applyFit();
}

void TileGridView::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint p = event->position().toPoint() + d->scrollOffset();
    const int index = d->tileAt(p);
    if (index < 0) {
        d->setHover(-1, { -1, -1 });
        return;
    }
    const QRect r = d->imageRect(d->layout, index);
    const QImage& image = d->tiles[index].image;
    const int x = (p.x() - r.x()) * image.width() / r.width();
    const int y = (p.y() - r.y()) * image.height() / r.height();
    d->setHover(index, { std::min(x, image.width() - 1), std::min(y, image.height() - 1) });
}

void TileGridView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QAbstractScrollArea::mousePressEvent(event);
    const int index = d->tileAt(event->position().toPoint() + d->scrollOffset());
    if (index < 0)
        return;
    setSelectedTile(index);
    Q_EMIT tileClicked(index);
}

void TileGridView::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QAbstractScrollArea::mouseDoubleClickEvent(event);
    const int index = d->tileAt(event->position().toPoint() + d->scrollOffset());
    if (index >= 0)
        Q_EMIT tileActivated(index);
}

void TileGridView::leaveEvent(QEvent* event)
{
    QAbstractScrollArea::leaveEvent(event);
    d->setHover(-1, { -1, -1 });
}

bool TileGridView::viewportEvent(QEvent* event)
{
    switch (event->type()) {
    case QEvent::Leave: // for a scroll bar, which does not leave the view
        d->setHover(-1, { -1, -1 });
        break;
    case QEvent::MouseButtonRelease: // the press did the work; keep it from the parent
        event->accept();
        return true;
    default: break;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void TileGridView::wheelEvent(QWheelEvent* event)
{
    if (!(event->modifiers() & Qt::ControlModifier) || d->tiles.isEmpty())
        return QAbstractScrollArea::wheelEvent(event);
    const int delta = event->angleDelta().y();
    if (delta == 0)
        return;
    event->accept();

    // Keep the same pixel of the same tile under the cursor, although the
    // column count may change with the zoom.
    const QPoint cursor = event->position().toPoint();
    const QPoint p = cursor + d->scrollOffset();
    const GridLayout& before = d->layout;
    const int col = std::clamp((p.x() - kMargin) / before.strideX(), 0, before.columns - 1);
    const int row = std::clamp((p.y() - kMargin) / before.strideY(), 0, before.rows - 1);
    const int index = std::min(row * before.columns + col, tileCount() - 1);
    const QPointF offset = p - before.cellOrigin(index);
    const double oldZoom = d->zoom;

    setZoom(stepZoom(oldZoom, delta > 0));

    const QPointF moved = d->layout.cellOrigin(index) + offset * (d->zoom / oldZoom);
    horizontalScrollBar()->setValue(static_cast<int>(std::lround(moved.x())) - cursor.x());
    verticalScrollBar()->setValue(static_cast<int>(std::lround(moved.y())) - cursor.y());
}

void TileGridView::zoomIn()
{
    setZoom(stepZoom(d->zoom, true));
}

void TileGridView::zoomOut()
{
    setZoom(stepZoom(d->zoom, false));
}

QWidget* createZoomBar(TileGridView* grid, QWidget* parent)
{
    auto* bar = new QWidget(parent);
    auto* layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* out = new QToolButton;
    out->setText(QStringLiteral("−"));
    out->setToolTip(TileGridView::tr("Zoom out (Ctrl+wheel)"));
    auto* label = new QLabel;
    label->setMinimumWidth(label->fontMetrics().horizontalAdvance(QStringLiteral("×0.25")) + 4);
    label->setAlignment(Qt::AlignCenter);
    auto* in = new QToolButton;
    in->setText(QStringLiteral("+"));
    in->setToolTip(TileGridView::tr("Zoom in (Ctrl+wheel): pixels stay square and sharp"));
    auto* fit = new QToolButton;
    fit->setText(TileGridView::tr("Fit"));
    fit->setToolTip(TileGridView::tr("Largest zoom that shows every tile"));
    layout->addWidget(out);
    layout->addWidget(label);
    layout->addWidget(in);
    layout->addWidget(fit);
    QObject::connect(out, &QToolButton::clicked, grid, &TileGridView::zoomOut);
    QObject::connect(in, &QToolButton::clicked, grid, &TileGridView::zoomIn);
    // The button fits whatever it takes (down to one display pixel per weight).
    QObject::connect(fit, &QToolButton::clicked, grid, [grid] { grid->fitToViewport(0); });
    auto show = [label](double zoom) { label->setText(QStringLiteral("×%1").arg(zoom, 0, 'g', 3)); };
    QObject::connect(grid, &TileGridView::zoomChanged, label, show);
    show(grid->zoom());
    return bar;
}

} // namespace convscope
