#include "widgets/scatter_view.h"

#include "widgets/dot_stamp.h"
#include "widgets/point_grid.h"
#include "widgets/scatter_paint.h"

#include <QElapsedTimer>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

namespace convscope
{

namespace
{

constexpr int kMargin = 12; // around the fitted points, in pixels
constexpr int kDragStart = 4; // pixels a press moves before it is a drag

// Three quarters of the way to white: unselected points behind a selection.
QRgb faded(QRgb c)
{
    return qRgb(
        qRed(c) + (255 - qRed(c)) * 3 / 4, qGreen(c) + (255 - qGreen(c)) * 3 / 4, qBlue(c) + (255 - qBlue(c)) * 3 / 4);
}

// Dots shrink as they crowd: a few thousand read as dots, 70,000 as a density.
double baseRadius(int count)
{
    return count <= 1000 ? 4.0 : count <= 5000 ? 3.0 : count <= 20000 ? 2.2 : 1.6;
}

enum class Drag { None, Pending, Pan, Box, Lasso };

} // namespace

struct ScatterView::Private {
    std::vector<float> x, y;
    QVector<int> classes;
    QVector<bool> marked;
    PointGrid grid;
    ScatterLegend legend;
    QString placeholder;
    bool marksVisible = true;
    CardFunction cardFunction;
    QVector<ScatterView::Arrow> arrows;

    // widget = (x·scale + ox, −y·scale + oy)
    double scale = 1, ox = 0, oy = 0, fitScale = 1;
    bool fitted = true;

    QVector<int> selection;
    std::vector<char> selected; // per point
    int hovered = -1;
    Card card;

    Drag drag = Drag::None;
    QPointF pressPos, lastPos;
    QPolygonF band; // rubber band or lasso, in widget coordinates

    mutable QImage layer; // the dots, redrawn when dirty
    mutable bool dirty = true;
    mutable double layerMs = 0;

    void drawLayer(const QSize& size, qreal dpr) const;
};

void ScatterView::Private::drawLayer(const QSize& size, qreal dpr) const
{
    QElapsedTimer timer;
    timer.start();
    layer = QImage(size * dpr, QImage::Format_RGB32);
    layer.setDevicePixelRatio(dpr);
    layer.fill(Qt::white);
    const int n = static_cast<int>(x.size());
    const double zoom = fitScale > 0 ? scale / fitScale : 1;
    const double radius = baseRadius(n) * std::clamp(std::sqrt(zoom), 1.0, 4.0) * dpr;
    const DotStamp disc = DotStamp::disc(radius);
    const DotStamp ring = DotStamp::ring(radius, std::max(1.2, radius / 3));
    const bool anySelected = !selection.isEmpty();
    auto at = [&](int i, int& px, int& py) {
        const double wx = (x[static_cast<size_t>(i)] * scale + ox) * dpr;
        const double wy = (-y[static_cast<size_t>(i)] * scale + oy) * dpr;
        if (!(std::abs(wx) < 1e7 && std::abs(wy) < 1e7))
            return false; // far outside (or not finite)
        px = static_cast<int>(std::lround(wx));
        py = static_cast<int>(std::lround(wy));
        return true;
    };
    int px = 0, py = 0;
    // Unselected (faded behind a selection), then the selection on top, then the rings.
    for (int i = 0; i < n; ++i)
        if ((!anySelected || !selected[static_cast<size_t>(i)]) && at(i, px, py)) {
            const QRgb c = classRgb(classes.value(i, -1));
            disc.draw(layer, px, py, anySelected ? faded(c) : c);
        }
    if (anySelected)
        for (int i : selection)
            if (at(i, px, py))
                disc.draw(layer, px, py, classRgb(classes.value(i, -1)));
    if (marksVisible)
        for (int i = 0; i < n; ++i)
            if (marked.value(i) && (!anySelected || selected[static_cast<size_t>(i)]) && at(i, px, py))
                ring.draw(layer, px, py, qRgb(25, 25, 25));
    dirty = false;
    layerMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

ScatterView::ScatterView(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    setMouseTracking(true);
    setMinimumSize(200, 150);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setCursor(Qt::CrossCursor);
    setFocusPolicy(Qt::ClickFocus);
}

ScatterView::~ScatterView() = default;

void ScatterView::setPoints(const QVector<QPointF>& points, const QVector<int>& classes, const QVector<bool>& marked)
{
    d->arrows.clear();
    d->classes = classes;
    d->marked = marked;
    d->selection.clear();
    d->selected.assign(static_cast<size_t>(points.size()), 0);
    d->hovered = -1;
    d->card = {};
    d->fitted = true;
    movePoints(points);
}

void ScatterView::movePoints(const QVector<QPointF>& points)
{
    d->x.resize(static_cast<size_t>(points.size()));
    d->y.resize(static_cast<size_t>(points.size()));
    for (int i = 0; i < points.size(); ++i) {
        d->x[static_cast<size_t>(i)] = static_cast<float>(points[i].x());
        d->y[static_cast<size_t>(i)] = static_cast<float>(points[i].y());
    }
    if (d->selected.size() != d->x.size()) {
        d->selected.assign(d->x.size(), 0);
        d->selection.clear();
    }
    pointsChanged();
}

void ScatterView::pointsChanged()
{
    d->grid.build(d->x, d->y);
    if (d->fitted)
        resetView();
    else
        viewChanged();
}

void ScatterView::setClasses(const QVector<int>& classes)
{
    d->classes = classes;
    viewChanged();
}

void ScatterView::setLegend(const QVector<LegendEntry>& entries, const QString& title)
{
    d->legend.entries = entries;
    d->legend.title = title;
    legendChanged();
}

void ScatterView::legendChanged()
{
    // The legend's size changes the room the points get: a ring's line
    // ("label ≠ prediction (6)") added after the fit widened the legend over
    // a cluster.
    if (d->fitted)
        resetView();
    update();
}

void ScatterView::clear()
{
    setPoints({}, {}, {});
    d->legend.entries.clear();
    legendChanged();
}

int ScatterView::pointCount() const
{
    return static_cast<int>(d->x.size());
}

QPointF ScatterView::point(int index) const
{
    return { d->x.at(static_cast<size_t>(index)), d->y.at(static_cast<size_t>(index)) };
}

void ScatterView::setMarksVisible(bool visible)
{
    d->marksVisible = visible;
    d->legend.showMark = visible;
    viewChanged();
    legendChanged();
}

bool ScatterView::marksVisible() const
{
    return d->marksVisible;
}

void ScatterView::setMarkLegend(const QString& text)
{
    d->legend.markText = text;
    legendChanged();
}

void ScatterView::setCardFunction(CardFunction card)
{
    d->cardFunction = std::move(card);
}

void ScatterView::setPlaceholderText(const QString& text)
{
    d->placeholder = text;
    update();
}

void ScatterView::resetView()
{
    d->fitted = true;
    const QRectF bounds = d->grid.bounds();
    const QRect full = rect().adjusted(kMargin, kMargin, -kMargin, -kMargin);
    if (d->grid.isEmpty()) {
        d->scale = d->fitScale = 1;
        d->ox = full.center().x();
        d->oy = full.center().y();
        viewChanged();
        return;
    }
    const double w = bounds.width(), h = bounds.height();
    auto scaleFor = [w, h](const QRect& area) {
        const double s = std::min(w > 0 ? area.width() / w : INFINITY, h > 0 ? area.height() / h : INFINITY);
        return std::isfinite(s) && s > 0 ? s : 1.0; // 1: one point, or all on one spot
    };
    // The points beside the legend or below it, whichever leaves them more room; not under it.
    QRect area = full;
    const QRect legend = d->legend.rect(rect(), fontMetrics());
    if (!legend.isEmpty()) {
        const QRect beside = full.adjusted(0, 0, -(full.right() - legend.left() + 6), 0);
        const QRect below = full.adjusted(0, legend.bottom() + 6 - full.top(), 0, 0);
        if (beside.width() > 20 || below.height() > 20)
            area
                = beside.width() > 20 && (below.height() <= 20 || scaleFor(beside) >= scaleFor(below)) ? beside : below;
    }
    const double s = scaleFor(area);
    d->scale = d->fitScale = s;
    const QPointF c = bounds.center();
    const QPointF centre = QRectF(area).center();
    d->ox = centre.x() - c.x() * s;
    d->oy = centre.y() + c.y() * s;
    viewChanged();
}

bool ScatterView::isFitted() const
{
    return d->fitted;
}

void ScatterView::zoomAt(QPointF widgetPos, double factor)
{
    if (!(factor > 0) || !std::isfinite(factor))
        return;
    factor = std::clamp(d->scale * factor, d->fitScale / 20, d->fitScale * 1e4) / d->scale;
    d->ox = widgetPos.x() - (widgetPos.x() - d->ox) * factor;
    d->oy = widgetPos.y() - (widgetPos.y() - d->oy) * factor;
    d->scale *= factor;
    d->fitted = false;
    viewChanged();
}

void ScatterView::pan(QPointF widgetDelta)
{
    d->ox += widgetDelta.x();
    d->oy += widgetDelta.y();
    d->fitted = false;
    viewChanged();
}

double ScatterView::pixelsPerUnit() const
{
    return d->scale;
}

QPointF ScatterView::toWidget(QPointF p) const
{
    return { p.x() * d->scale + d->ox, -p.y() * d->scale + d->oy };
}

QPointF ScatterView::toData(QPointF w) const
{
    return { (w.x() - d->ox) / d->scale, -(w.y() - d->oy) / d->scale };
}

double ScatterView::dotRadius() const
{
    const double zoom = d->fitScale > 0 ? d->scale / d->fitScale : 1;
    return baseRadius(pointCount()) * std::clamp(std::sqrt(zoom), 1.0, 4.0);
}

int ScatterView::pointAt(QPointF widgetPos, double radius) const
{
    if (radius < 0)
        radius = dotRadius() + 3;
    return d->grid.nearest(toData(widgetPos), radius / d->scale);
}

QVector<int> ScatterView::pointsIn(const QRectF& widgetRect) const
{
    const QRectF r = widgetRect.normalized();
    const QPointF a = toData(r.topLeft()), b = toData(r.bottomRight());
    const std::vector<int> found = d->grid.inside(QRectF(a, b).normalized());
    return QVector<int>(found.begin(), found.end());
}

QVector<int> ScatterView::pointsIn(const QPolygonF& widgetPolygon) const
{
    QVector<int> found;
    for (int i : pointsIn(widgetPolygon.boundingRect()))
        if (widgetPolygon.containsPoint(toWidget(point(i)), Qt::OddEvenFill))
            found.append(i);
    return found;
}

void ScatterView::setSelection(const QVector<int>& indices)
{
    std::fill(d->selected.begin(), d->selected.end(), 0);
    d->selection.clear();
    for (int i : indices)
        if (i >= 0 && i < pointCount() && !d->selected[static_cast<size_t>(i)]) {
            d->selected[static_cast<size_t>(i)] = 1;
            d->selection.append(i);
        }
    std::sort(d->selection.begin(), d->selection.end());
    viewChanged();
    Q_EMIT selectionChanged(d->selection);
}

const QVector<int>& ScatterView::selection() const
{
    return d->selection;
}

int ScatterView::hoveredPoint() const
{
    return d->hovered;
}

QString ScatterView::hoverText() const
{
    return d->hovered >= 0 ? d->card.text : QString();
}

QRect ScatterView::legendRect() const
{
    return d->legend.rect(rect(), fontMetrics());
}

QImage ScatterView::image() const
{
    if (d->dirty || d->layer.size() != size() * devicePixelRatioF())
        d->drawLayer(size(), devicePixelRatioF());
    QImage image = d->layer.copy();
    QPainter painter(&image);
    painter.setFont(font());
    d->legend.draw(painter, rect());
    painter.setRenderHint(QPainter::Antialiasing);
    drawArrows(painter);
    return image;
}

double ScatterView::lastLayerMs() const
{
    return d->layerMs;
}

void ScatterView::viewChanged()
{
    d->dirty = true;
    update();
}

void ScatterView::setHovered(int index)
{
    if (index == d->hovered)
        return;
    d->hovered = index;
    d->card = index >= 0 && d->cardFunction ? d->cardFunction(index) : Card {};
    update();
    Q_EMIT pointHovered(index);
}

void ScatterView::paintEvent(QPaintEvent*)
{
    if (d->dirty || d->layer.size() != size() * devicePixelRatioF())
        d->drawLayer(size(), devicePixelRatioF());
    QPainter painter(this);
    painter.drawImage(0, 0, d->layer);
    if (d->x.empty()) {
        painter.setPen(QColor(110, 110, 110));
        painter.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, d->placeholder);
        return;
    }
    d->legend.draw(painter, rect());
    painter.setRenderHint(QPainter::Antialiasing);
    drawArrows(painter);
    if (!d->band.isEmpty()) {
        painter.setPen(QPen(QColor(40, 90, 200), 1, Qt::DashLine));
        painter.setBrush(QColor(40, 90, 200, 30));
        if (d->drag == Drag::Box)
            painter.drawRect(QRectF(d->band.first(), d->band.last()).normalized());
        else
            painter.drawPolygon(d->band);
    }
    if (d->hovered < 0 || d->hovered >= pointCount())
        return;
    const QPointF at = toWidget(point(d->hovered));
    const double r = dotRadius() + 2;
    painter.setPen(QPen(Qt::black, 2));
    painter.setBrush(Qt::NoBrush);
    painter.drawEllipse(at, r, r);
    drawHoverCard(painter, at, r, d->card, rect());
}

void ScatterView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (d->fitted)
        resetView();
    else
        viewChanged();
}

void ScatterView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    d->pressPos = d->lastPos = event->position();
    d->band.clear();
    if (event->modifiers() & Qt::ShiftModifier)
        d->drag = Drag::Box;
    else if (event->modifiers() & Qt::ControlModifier)
        d->drag = Drag::Lasso;
    else
        d->drag = Drag::Pending;
    if (d->drag == Drag::Box || d->drag == Drag::Lasso)
        d->band << d->pressPos;
}

void ScatterView::mouseMoveEvent(QMouseEvent* event)
{
    const QPointF pos = event->position();
    switch (d->drag) {
    case Drag::None:
        setHovered(pointAt(pos));
        return;
    case Drag::Pending:
        if ((pos - d->pressPos).manhattanLength() < kDragStart)
            return;
        d->drag = Drag::Pan;
        setHovered(-1);
        [[fallthrough]];
    case Drag::Pan:
        pan(pos - d->lastPos);
        break;
    case Drag::Box:
        if (d->band.size() < 2)
            d->band << pos;
        else
            d->band.last() = pos;
        update();
        break;
    case Drag::Lasso:
        d->band << pos;
        update();
        break;
    }
    d->lastPos = pos;
}

void ScatterView::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mouseReleaseEvent(event);
    const Drag drag = d->drag;
    d->drag = Drag::None;
    const QPolygonF band = d->band;
    d->band.clear();
    if (drag == Drag::Pending) {
        const int index = pointAt(event->position());
        if (index >= 0)
            Q_EMIT pointClicked(index);
        else if (!d->selection.isEmpty())
            setSelection({});
    } else if (drag == Drag::Box && band.size() >= 2) {
        setSelection(pointsIn(QRectF(band.first(), event->position())));
    } else if (drag == Drag::Lasso && band.size() >= 3) {
        setSelection(pointsIn(band));
    }
    update();
}

void ScatterView::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton && !(event->modifiers() & (Qt::ShiftModifier | Qt::ControlModifier)))
        resetView();
}

void ScatterView::wheelEvent(QWheelEvent* event)
{
    const int delta = event->angleDelta().y();
    if (delta == 0)
        return QWidget::wheelEvent(event);
    zoomAt(event->position(), std::pow(1.0015, delta)); // a notch (120) is ×1.2
    setHovered(pointAt(event->position()));
    event->accept();
}

void ScatterView::leaveEvent(QEvent* event)
{
    QWidget::leaveEvent(event);
    setHovered(-1);
}

void ScatterView::setArrows(const QVector<Arrow>& arrows)
{
    d->arrows = arrows;
    update();
}

const QVector<ScatterView::Arrow>& ScatterView::arrows() const
{
    return d->arrows;
}

void ScatterView::drawArrows(QPainter& painter) const
{
    // Many arrows (a batch) thin and see-through, so that the flow shows and
    // the clusters stay readable; one or a few bold, with their labels.
    const bool many = d->arrows.size() > 8;
    for (const Arrow& a : d->arrows) {
        const QPointF from = toWidget(a.from), to = toWidget(a.to);
        QColor colour = a.colour;
        if (many)
            colour.setAlpha(150);
        painter.setPen(QPen(colour, many ? 1.5 : 3, Qt::SolidLine, Qt::RoundCap));
        painter.setBrush(colour);
        painter.drawLine(from, to);
        const QPointF d = to - from;
        const double length = std::hypot(d.x(), d.y());
        if (length > 1) {
            const QPointF u = d / length, n(-u.y(), u.x());
            const double head = many ? 7 : 13;
            painter.drawPolygon(QPolygonF({ to, to - head * u + 0.45 * head * n, to - head * u - 0.45 * head * n }));
        }
        if (!many) {
            // The clean end: a hollow ring; the labels on a white card to read over dots.
            painter.setBrush(Qt::white);
            painter.drawEllipse(from, 6, 6);
            // Each label beyond its end of the arrow, so that short arrows keep both readable.
            const QPointF u = length > 1 ? d / length : QPointF(1, 0);
            for (const auto& [at, text, away] :
                { std::tuple{ from, a.fromLabel, -u }, std::tuple{ to, a.toLabel, u } }) {
                if (text.isEmpty())
                    continue;
                const QRectF box = painter.fontMetrics().boundingRect(text).adjusted(-4, -2, 4, 2);
                const QPointF centre = at + away * (16 + 0.5 * std::abs(away.x()) * box.width()
                                                        + 0.5 * std::abs(away.y()) * box.height());
                const QRectF placed = box.translated(centre - box.center());
                painter.setPen(Qt::NoPen);
                painter.setBrush(QColor(255, 255, 255, 225));
                painter.drawRoundedRect(placed, 3, 3);
                painter.setPen(QColor(30, 30, 30));
                painter.drawText(placed, Qt::AlignCenter, text);
            }
        }
    }
}

} // namespace convscope
