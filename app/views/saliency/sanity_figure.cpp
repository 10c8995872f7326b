#include "app/views/saliency/sanity_figure.h"

#include <QFontInfo>
#include <QFontMetrics>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QTransform>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace convscope
{

namespace
{

constexpr int kMinTile = 24;

// matplotlib's tab10 in its own order, so that a figure redrawn in Python has
// the same colours.
QColor rowColour(int row)
{
    static const QRgb colours[]
        = { 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf };
    return QColor(colours[row % 10]);
}

// Fonts and lengths at one scale. Fonts are set in pixels: a QImage's DPI
// (72 by default) would otherwise shrink point sizes against the screen.
struct Style {
    explicit Style(double scale)
    {
        const double s = scale > 0 ? scale : 1.0;
        const int base = std::max(10, QFontInfo(QGuiApplication::font()).pixelSize());
        px = std::max(8, qRound(base * s));
        text = QGuiApplication::font();
        text.setPixelSize(px);
        bold = text;
        bold.setBold(true);
        title = bold;
        title.setPixelSize(qRound(px * 1.25));
        const QFontMetrics m(text);
        line = m.height();
        gap = std::max(1, qRound(2 * s));
        margin = qRound(16 * s);
        pad = std::max(3, qRound(0.45 * px));
        tickLength = std::max(3, qRound(5 * s));
        pen = std::max(1.0, 2.0 * s);
        dot = 3.2 * s;
        plotHeight = qRound(260 * s);
        minPlotHeight = qRound(160 * s);
        minPlotWidth = qRound(480 * s);
        minSidePlot = qRound(160 * s);
        maxSidePlot = qRound(400 * s);
        maxLabel = 16 * px;
        swatch = qRound(2.4 * px);
        entryHeight = qRound(line * 1.35);
    }
    int px, line, gap, margin, pad, tickLength, plotHeight, minPlotHeight, minPlotWidth, minSidePlot, maxSidePlot,
        maxLabel, swatch, entryHeight;
    double pen, dot;
    QFont text, bold, title;
};

// The text split at the space that makes its longer line shortest ("conv3b +"
// over "bn3b"), and that line's width; the text itself where it has no space.
std::pair<QString, int> twoLines(const QFontMetrics& metrics, const QString& text)
{
    std::pair<QString, int> best { text, metrics.horizontalAdvance(text) + 1 };
    for (int i = text.indexOf(QLatin1Char(' ')); i > 0; i = text.indexOf(QLatin1Char(' '), i + 1)) {
        const QString first = text.left(i).trimmed(), second = text.mid(i + 1).trimmed();
        const int width = std::max(metrics.horizontalAdvance(first), metrics.horizontalAdvance(second)) + 1;
        if (width < best.second)
            best = { first + QLatin1Char('\n') + second, width };
    }
    return best;
}

// Column labels stand upright when each fits a tile on one line or two; else
// they turn (45° reads best, 90° packs tighter) and, when even turned labels
// would touch, only every n-th is written.
struct Turn {
    double angle = 0; // 0, -45 or -90 (counter-clockwise on screen)
    int every = 1;
    bool wrapped = false; // upright on two lines
};

Turn columnTurn(const Style& st, int widest, int widestWrapped, double pitch)
{
    if (widest + st.pad <= pitch)
        return {};
    if (widestWrapped + st.pad <= pitch)
        return { 0, 1, true };
    const double diagonal = st.line * 1.3 * std::sqrt(2.0), upright = st.line * 1.15;
    const int n45 = std::max(1, static_cast<int>(std::ceil(diagonal / pitch)));
    const int n90 = std::max(1, static_cast<int>(std::ceil(upright / pitch)));
    if (n45 <= n90)
        return { -45, n45 };
    return { -90, n90 };
}

// A label drawn in `local` (text coordinates) through `at`; `box` is where it
// lands on the figure.
struct Label {
    QString text;
    QTransform at;
    QRectF local;
    int align = Qt::AlignCenter;
    QRectF box;
};

// Above the grid the text starts at its column and reads upwards; below the
// chart it ends at its tick. `edge` is the line the label keeps clear of.
Label placeLabel(const QString& text, double width, double height, double angle, double x, double edge, bool above)
{
    Label l;
    l.text = text;
    if (angle == 0) {
        l.local = QRectF(-width / 2, -height / 2, width, height);
        l.align = Qt::AlignHCenter | (above ? Qt::AlignBottom : Qt::AlignTop);
    } else if (above) {
        l.local = QRectF(0, -height / 2, width, height);
        l.align = Qt::AlignLeft | Qt::AlignVCenter;
    } else {
        l.local = QRectF(-width, -height / 2, width, height);
        l.align = Qt::AlignRight | Qt::AlignVCenter;
    }
    const QRectF probe = QTransform().translate(x, 0).rotate(angle).mapRect(l.local);
    const double y = above ? edge - probe.bottom() : edge - probe.top();
    l.at = QTransform().translate(x, y).rotate(angle);
    l.box = probe.translated(0, y);
    return l;
}

void drawLabel(QPainter& painter, const Label& l)
{
    painter.save();
    painter.setTransform(l.at, true);
    painter.drawText(l.local, l.align, l.text);
    painter.restore();
}

QString tickText(double v)
{
    QString t = QString::number(v, 'g', 3);
    t.replace(QLatin1Char('-'), QChar(0x2212)); // a real minus, as wide as the plus it stands for
    return t;
}

// Everything but the pixels, in coordinates whose origin is the grid's top
// left; `bounds` covers all of it, title included.
struct Layout {
    int tile = 0, pitch = 0, rows = 0, columns = 0;
    QRect grid, input, plot;
    QVector<QRect> rowLabels;
    QVector<Label> columnLabels, xLabels, yLabels;
    Label inputLabel;
    QVector<double> xs, yTicks;
    Label metric;
    QVector<QPoint> legend; // top left of each entry
    int legendText = 0; // the width of the widest entry's text
    QRectF titleRect;
    QRectF bounds;
    double lo = -1, hi = 1, inset = 0; // the y range, and the room kept for a dot on the plot's edge

    double yAt(double v) const
    {
        return hi > lo ? plot.bottom() - inset - (v - lo) / (hi - lo) * (plot.height() - 2 * inset) : plot.center().y();
    }
};

// What does not depend on the tile size, measured once.
struct Measures {
    QStringList columns; // elided
    QStringList wrappedColumns; // on two lines where that is narrower
    QVector<int> columnWidths, wrappedWidths, legendWidths;
    int widestColumn = 0, widestWrapped = 0, widestRow = 0, widestRowWord = 0, widestRowWrapped = 0, widestYTick = 0,
        widestLegend = 0;
    QVector<double> yTicks;
};

Measures measure(const SanityFigure& f, const Style& st)
{
    Measures m;
    const QFontMetrics text(st.text), bold(st.bold);
    for (const QString& c : f.columns) {
        m.columns << text.elidedText(c, Qt::ElideMiddle, st.maxLabel);
        m.columnWidths << text.horizontalAdvance(m.columns.back()) + 1;
        m.widestColumn = std::max(m.widestColumn, m.columnWidths.back());
        const auto wrapped = twoLines(text, m.columns.back());
        m.wrappedColumns << wrapped.first;
        m.wrappedWidths << wrapped.second;
        m.widestWrapped = std::max(m.widestWrapped, wrapped.second);
    }
    for (const QString& r : f.rows) {
        m.widestRow = std::max(m.widestRow, bold.horizontalAdvance(r) + 1);
        for (const QString& word : r.split(QLatin1Char(' '), Qt::SkipEmptyParts))
            m.widestRowWord = std::max(m.widestRowWord, bold.horizontalAdvance(word) + 1);
        m.widestRowWrapped = std::max(m.widestRowWrapped, twoLines(bold, r).second);
        m.legendWidths << text.horizontalAdvance(r) + 1;
        m.widestLegend = std::max(m.widestLegend, m.legendWidths.back());
    }
    const double lo = std::min(f.yMin, f.yMax), hi = std::max(f.yMin, f.yMax);
    for (double v : { -1.0, -0.5, 0.0, 0.5, 1.0 }) {
        if (v >= lo - 1e-9 && v <= hi + 1e-9) {
            m.yTicks << v;
            m.widestYTick = std::max(m.widestYTick, text.horizontalAdvance(tickText(v)) + 1);
        }
    }
    return m;
}

Label columnLabel(const Measures& m, const Style& st, const Turn& turn, int column, double x, double edge, bool above)
{
    if (turn.wrapped)
        return placeLabel(m.wrappedColumns[column], m.wrappedWidths[column], 2 * st.line, 0, x, edge, above);
    return placeLabel(m.columns[column], m.columnWidths[column], st.line, turn.angle, x, edge, above);
}

// Long method names wrap onto two lines where the tile is tall enough, so the
// label column stays narrow; beside a chart, where the width is what limits
// the maps, every name that has two words wraps.
int rowLabelWidth(const Measures& m, const Style& st, int tile, SanityLayout layout)
{
    if (tile < 2 * st.line)
        return std::min(m.widestRow, st.maxLabel);
    if (layout == SanityLayout::ChartRight)
        return std::min(m.widestRowWrapped, st.maxLabel);
    if (m.widestRow <= 10 * st.px)
        return m.widestRow;
    return std::max(m.widestRowWord, 10 * st.px);
}

// The metric along the y axis, upright: on one line where it fits the plot's
// height, else balanced over two, wrapped further only if need be; and the
// width that takes, three lines at most.
std::pair<QString, int> metricLines(const SanityFigure& f, const Style& st, int plotHeight)
{
    if (f.metric.isEmpty())
        return {};
    const QFontMetrics text(st.text);
    QString metric = f.metric;
    if (text.horizontalAdvance(metric) >= plotHeight)
        metric = twoLines(text, metric).first;
    const QRect wrapped
        = text.boundingRect(QRect(0, 0, plotHeight, 10 * st.line), Qt::TextWordWrap | Qt::AlignCenter, metric);
    return { metric, std::min(wrapped.height(), 3 * st.line) };
}

// How far the y axis's ticks, their labels and the metric reach left of the plot.
int yAxisWidth(const Style& st, const Measures& m, int metricHeight)
{
    return st.tickLength + 2 * st.pad + m.widestYTick + metricHeight;
}

// How far the x axis's ticks and labels reach under the plot, `pitch` apart.
double xAxisDepth(const Style& st, const Measures& m, int columns, double pitch)
{
    const Turn turn = columnTurn(st, m.widestColumn, m.widestWrapped, pitch);
    double depth = st.tickLength;
    for (int c = 0; c < columns; c += turn.every)
        depth = std::max(depth, columnLabel(m, st, turn, c, 0, st.tickLength + st.pad / 2.0, false).box.bottom());
    return depth;
}

// A legend under the chart: as few lines as fit `width`, balanced, in columns
// as wide as their entries.
struct LegendLines {
    int perRow = 0, lines = 0, width = 0;
    QVector<int> columnWidths;
};

LegendLines legendLines(const Style& st, const Measures& m, int rows, int width)
{
    LegendLines g;
    const int space = 2 * st.px;
    for (int lines = 1; lines <= rows; ++lines) {
        g.perRow = (rows + lines - 1) / lines;
        g.columnWidths.fill(0, g.perRow);
        for (int r = 0; r < rows; ++r) {
            const int entry = st.swatch + st.pad + std::min(m.legendWidths[r], st.maxLabel);
            g.columnWidths[r % g.perRow] = std::max(g.columnWidths[r % g.perRow], entry);
        }
        g.width = std::accumulate(g.columnWidths.begin(), g.columnWidths.end(), 0) + space * (g.perRow - 1);
        if (g.width <= width || g.perRow == 1)
            break;
    }
    g.lines = rows ? (rows + g.perRow - 1) / g.perRow : 0;
    return g;
}

// The chart's ticks, labels and metric around l.plot, its steps at l.xs.
// Returns the bottom of the x tick labels.
double layOutAxes(Layout& l, const SanityFigure& f, const Style& st, const Measures& m)
{
    QRectF& bounds = l.bounds;
    const double xPitch = l.columns > 1 ? l.xs[1] - l.xs[0] : l.plot.width();
    const Turn xTurn = columnTurn(st, m.widestColumn, m.widestWrapped, xPitch);
    const double xEdge = l.plot.bottom() + 1 + st.tickLength + st.pad / 2.0;
    double below = l.plot.bottom() + 1 + st.tickLength;
    for (int c = 0; c < l.columns; c += xTurn.every) {
        l.xLabels << columnLabel(m, st, xTurn, c, l.xs[c], xEdge, false);
        bounds |= l.xLabels.back().box;
        below = std::max(below, l.xLabels.back().box.bottom());
    }
    bounds |= l.plot;

    // The y axis: ticks, then the metric turned upright.
    l.lo = std::min(f.yMin, f.yMax);
    l.hi = std::max(f.yMin, f.yMax);
    l.inset = st.dot + st.pen;
    for (double v : m.yTicks) {
        const double y = l.yAt(v);
        l.yTicks << y;
        const QRectF r(
            l.plot.left() - st.tickLength - st.pad - m.widestYTick, y - st.line / 2.0, m.widestYTick, st.line);
        l.yLabels << Label { tickText(v), QTransform(), r, Qt::AlignRight | Qt::AlignVCenter, r };
        bounds |= r;
    }
    const auto [metric, height] = metricLines(f, st, l.plot.height());
    if (!metric.isEmpty()) {
        const double right = l.plot.left() - st.tickLength - 2 * st.pad - m.widestYTick;
        l.metric.text = metric;
        l.metric.local = QRectF(-l.plot.height() / 2.0, -height, l.plot.height(), height);
        l.metric.align = Qt::TextWordWrap | Qt::AlignHCenter | Qt::AlignBottom;
        l.metric.at = QTransform().translate(right, l.plot.center().y() + 0.5).rotate(-90);
        l.metric.box = l.metric.at.mapRect(l.metric.local);
        bounds |= l.metric.box;
    }
    return below;
}

// The legend right of the plot, or in lines under the tick labels (which end
// at `below`), centred under the plot: never over the curves.
void layOutLegend(Layout& l, const Style& st, const Measures& m, double below, bool right)
{
    QRectF& bounds = l.bounds;
    const int entryHeight = st.entryHeight, swatch = st.swatch;
    l.legendText = std::min(m.widestLegend, st.maxLabel);
    if (!l.rows)
        return;
    if (right) {
        const int x = l.plot.right() + 1 + 2 * st.px;
        const int top = l.plot.top() + std::max(0, (l.plot.height() - l.rows * entryHeight) / 2);
        for (int r = 0; r < l.rows; ++r)
            l.legend << QPoint(x, top + r * entryHeight);
        bounds |= QRect(x, top, swatch + st.pad + l.legendText, l.rows * entryHeight);
        return;
    }
    const LegendLines g = legendLines(st, m, l.rows, l.plot.width());
    const int left = l.plot.left() + std::max(0, (l.plot.width() - g.width) / 2);
    const int top = qCeil(below) + st.line;
    for (int r = 0; r < l.rows; ++r) {
        int x = left;
        for (int c = 0; c < r % g.perRow; ++c)
            x += g.columnWidths[c] + 2 * st.px;
        l.legend << QPoint(x, top + (r / g.perRow) * entryHeight);
    }
    bounds |= QRect(left, top, g.width, g.lines * entryHeight);
}

// The chart under the grid and as wide, so that each step's points sit under
// its column; a narrow grid gets a wider chart with evenly spread steps. No
// taller than the grid (down to a floor): a few rows of small maps under a
// full-height chart would leave the maps, the point of the figure, a strip at
// the top of a slide. The legend stands right of it while it fits the plot's
// height and the plot is not already long and flat.
void layOutChartBelow(Layout& l, const SanityFigure& f, const Style& st, const Measures& m)
{
    const int plotWidth = std::max(l.grid.width(), st.minPlotWidth);
    const int plotHeight = std::clamp(l.grid.height(), st.minPlotHeight, st.plotHeight);
    l.plot = QRect(0, l.grid.bottom() + 1 + 2 * st.line, plotWidth, plotHeight);
    for (int c = 0; c < l.columns; ++c)
        l.xs << (plotWidth == l.grid.width() ? c * l.pitch + l.tile / 2.0 : (c + 0.5) * plotWidth / l.columns);
    const double below = layOutAxes(l, f, st, m);
    layOutLegend(l, st, m, below, l.rows * st.entryHeight <= plotHeight && plotWidth <= 3.5 * plotHeight);
}

// How far `shape` reaches right (or left) within the rows `band` spans; an
// infinity that no clearance needs where it does not reach into them.
double reach(const QPolygonF& shape, const QRectF& band, bool right)
{
    const QRectF box = shape.intersected(QRectF(-1e6, band.top(), 2e6, band.height())).boundingRect();
    if (box.isEmpty())
        return right ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return right ? box.right() : box.left();
}

QPolygonF outline(const Label& label)
{
    return label.at.map(QPolygonF(label.local));
}

// The chart right of the grid, filling the height from the top of the column
// labels to the grid's bottom with the plot, its x labels and the legend, so
// that it adds width only: a wide, low view then holds larger maps than with
// the chart below. The plot is 1.2 times as wide as high. The legend goes
// under it while that leaves the plot its least height; else under it all the
// same, the chart reaching below the grid, or right of it, whichever grows the
// figure less.
void layOutChartRight(Layout& l, const SanityFigure& f, const Style& st, const Measures& m)
{
    const double top = std::min(0.0, l.bounds.top()), span = l.grid.bottom() + 1 - top;
    const int columns = std::max(1, l.columns);
    // What stands under a plot `height` high: its x labels turn and its legend
    // wraps with its width.
    const auto under = [&](int height, bool legendBelow) {
        const int width = qRound(1.2 * height);
        double depth = xAxisDepth(st, m, l.columns, static_cast<double>(width) / columns);
        if (legendBelow && l.rows)
            depth += st.line + legendLines(st, m, l.rows, width).lines * st.entryHeight;
        return depth;
    };
    // The height that fills the span, found in a few rounds as the depth under
    // the plot changes with its width; held between the least and the most.
    const auto fill = [&](bool legendBelow) {
        int height = qRound(span);
        for (int round = 0; round < 4; ++round)
            height = std::clamp(qRound(span - under(height, legendBelow)), st.minSidePlot, st.maxSidePlot);
        return height;
    };
    const auto axisWidth = [&](int height) { return yAxisWidth(st, m, metricLines(f, st, height).second); };
    bool legendBelow = true;
    int plotHeight = fill(true);
    const double deficit = plotHeight + under(plotHeight, true) - span;
    if (l.rows && deficit > 0) {
        const int beside = fill(false);
        const int legendWidth = 2 * st.px + st.swatch + st.pad + std::min(m.widestLegend, st.maxLabel);
        const double width = l.grid.right() + 1 - l.bounds.left() + 2 * st.px + axisWidth(beside) + 1.2 * beside;
        if (l.rows * st.entryHeight <= beside && legendWidth / width < deficit / span) {
            legendBelow = false;
            plotHeight = beside;
        }
    }
    const int plotWidth = qRound(1.2 * plotHeight);
    // A plot held to its greatest height stands in the middle of the span.
    const double rest = span - plotHeight - under(plotHeight, legendBelow);
    const int y = qRound(top + std::max(0.0, rest / 2));
    const QRectF figure = l.bounds;
    const auto place = [&](int left) {
        l.bounds = figure;
        l.xs.clear();
        l.xLabels.clear();
        l.yLabels.clear();
        l.yTicks.clear();
        l.legend.clear();
        l.plot = QRect(left, y, plotWidth, plotHeight);
        for (int c = 0; c < l.columns; ++c)
            l.xs << left + (c + 0.5) * plotWidth / columns;
        layOutLegend(l, st, m, layOutAxes(l, f, st, m), !legendBelow);
    };
    const int left = l.grid.right() + 1 + 2 * st.px + axisWidth(plotHeight);
    place(left);

    // Turned column labels lean over the y axis, and the chart's first x
    // labels under the grid's last rows: move the chart right until both
    // clear by a space.
    const double space = st.px;
    double shift = 0;
    QVector<QRectF> axis = { l.plot };
    for (const Label& label : l.yLabels)
        axis << label.box;
    if (!l.metric.text.isEmpty())
        axis << l.metric.box;
    for (const Label& label : l.columnLabels) {
        const QPolygonF shape = outline(label);
        for (const QRectF& r : axis)
            shift = std::max(shift, reach(shape, r, true) + space - r.left());
    }
    for (const Label& label : l.xLabels)
        shift = std::max(shift, l.grid.right() + 1 + space - reach(outline(label), l.grid, false));
    if (shift > 0)
        place(left + qCeil(shift));
}

Layout layOut(const SanityFigure& f, const Style& st, const Measures& m, int tile, SanityLayout layout)
{
    Layout l;
    l.tile = tile;
    l.pitch = tile + st.gap;
    l.rows = static_cast<int>(f.rows.size());
    l.columns = static_cast<int>(f.columns.size());
    l.grid = QRect(0, 0, std::max(0, l.columns * l.pitch - st.gap), std::max(0, l.rows * l.pitch - st.gap));
    l.bounds = l.grid;
    QRectF& bounds = l.bounds;

    // Row labels right-aligned against the tiles.
    const int labelWidth = rowLabelWidth(m, st, tile, layout);
    for (int r = 0; r < l.rows; ++r) {
        l.rowLabels << QRect(-st.pad * 2 - labelWidth, r * l.pitch, labelWidth, tile);
        bounds |= l.rowLabels.back();
    }

    // Column labels above the grid.
    const Turn turn = columnTurn(st, m.widestColumn, m.widestWrapped, l.pitch);
    double labelsTop = 0;
    for (int c = 0; c < l.columns; c += turn.every) {
        const double x = c * l.pitch + tile / 2.0;
        l.columnLabels << columnLabel(m, st, turn, c, x, -st.pad, true);
        bounds |= l.columnLabels.back().box;
        labelsTop = std::min(labelsTop, l.columnLabels.back().box.top());
    }

    // The input left of the first row's label; beside a chart, above the row
    // labels where the column labels leave room for it, as that costs no width.
    if (!f.input.isNull()) {
        const QFontMetrics text(st.text);
        const QString word = QStringLiteral("input");
        const bool above = layout == SanityLayout::ChartRight && tile + st.line + 2 * st.pad <= -labelsTop;
        l.input = above ? QRect(-st.pad * 2 - tile, -st.pad - tile, tile, tile)
                        : QRect(-st.pad * 2 - labelWidth - 2 * st.pad - tile, 0, tile, tile);
        l.inputLabel = placeLabel(word, text.horizontalAdvance(word) + 1, st.line, 0, l.input.center().x() + 0.5,
            l.input.top() - st.pad, true);
        bounds |= l.input;
        bounds |= l.inputLabel.box;
    }

    if (layout == SanityLayout::ChartRight)
        layOutChartRight(l, f, st, m);
    else
        layOutChartBelow(l, f, st, m);

    // The title across the whole figure, on top.
    if (!f.title.isEmpty()) {
        const QFontMetrics tm(st.title);
        const int width = std::max(qCeil(bounds.width()), 12 * st.px);
        const QRect r
            = tm.boundingRect(QRect(0, 0, width, 10 * tm.height()), Qt::TextWordWrap | Qt::AlignHCenter, f.title);
        l.titleRect
            = QRectF(bounds.center().x() - width / 2.0, bounds.top() - 1.2 * st.line - r.height(), width, r.height());
        bounds |= l.titleRect;
    }
    return l;
}

QSize figureSize(const Layout& l, const Style& st)
{
    return QSize(qCeil(l.bounds.width()) + 2 * st.margin, qCeil(l.bounds.height()) + 2 * st.margin);
}

// A small map grows with nearest neighbour so that it stays sharp; a large
// one (224 x 224 for ImageNet models) shrinks smoothly, as nearest neighbour
// would alias a noisy gradient map into a different picture.
QImage fitted(const QImage& image, int side)
{
    const bool grows = image.width() <= side && image.height() <= side;
    return image.scaled(side, side, Qt::KeepAspectRatio, grows ? Qt::FastTransformation : Qt::SmoothTransformation);
}

void drawGrid(QPainter& p, const SanityFigure& f, const Layout& l, const Style& st)
{
    p.fillRect(l.grid, QColor(0xc8, 0xc8, 0xc8));
    for (int r = 0; r < l.rows; ++r) {
        for (int c = 0; c < l.columns; ++c) {
            const QRect cell(c * l.pitch, r * l.pitch, l.tile, l.tile);
            const QImage tile = r < f.tiles.size() && c < f.tiles[r].size() ? f.tiles[r][c] : QImage();
            if (tile.isNull()) {
                // Not computed: a pale cell with a light frame, unlike any map.
                p.fillRect(cell, QColor(0xf6, 0xf6, 0xf6));
                const int inset = std::max(1, st.gap);
                p.setPen(QPen(QColor(0xd4, 0xd4, 0xd4), 1));
                p.setBrush(Qt::NoBrush);
                p.drawRect(QRectF(cell).adjusted(inset + 0.5, inset + 0.5, -inset - 0.5, -inset - 0.5));
                continue;
            }
            const QImage image = fitted(tile, l.tile);
            p.fillRect(cell, Qt::white);
            p.drawImage(cell.x() + (l.tile - image.width()) / 2, cell.y() + (l.tile - image.height()) / 2, image);
        }
    }
    p.setPen(Qt::black);
    p.setFont(st.bold);
    const QFontMetrics bold(st.bold);
    for (int r = 0; r < l.rows; ++r) {
        const QRect& rect = l.rowLabels[r];
        const int flags = Qt::AlignRight | Qt::AlignVCenter | Qt::TextWordWrap;
        if (bold.boundingRect(rect.adjusted(0, 0, 0, 10 * st.line), flags, f.rows[r]).height() <= rect.height())
            p.drawText(rect, flags, f.rows[r]);
        else
            p.drawText(
                rect, Qt::AlignRight | Qt::AlignVCenter, bold.elidedText(f.rows[r], Qt::ElideRight, rect.width()));
    }
    p.setFont(st.text);
    for (const Label& label : l.columnLabels)
        drawLabel(p, label);
    if (!f.input.isNull()) {
        const QImage image = fitted(f.input, l.tile);
        p.drawImage(l.input.x() + (l.tile - image.width()) / 2, l.input.y() + (l.tile - image.height()) / 2, image);
        p.setPen(QColor(0x60, 0x60, 0x60));
        drawLabel(p, l.inputLabel);
    }
}

void drawChart(QPainter& p, const SanityFigure& f, const Layout& l, const Style& st)
{
    const QRect& plot = l.plot;
    const QColor axis(0x40, 0x40, 0x40);
    p.setFont(st.text);
    for (int i = 0; i < l.yTicks.size(); ++i) {
        const double y = l.yTicks[i];
        p.setPen(QPen(QColor(0xe6, 0xe6, 0xe6), 1));
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right() + 1, y));
        p.setPen(QPen(axis, 1));
        p.drawLine(QPointF(plot.left() - st.tickLength, y), QPointF(plot.left(), y));
        p.setPen(Qt::black);
        drawLabel(p, l.yLabels[i]);
    }
    const double lo = l.lo, hi = l.hi, inset = l.inset;
    if (lo < 0 && hi > 0) {
        QPen dashed(QColor(0x80, 0x80, 0x80), std::max(1.0, st.pen / 2));
        dashed.setStyle(Qt::DashLine);
        p.setPen(dashed);
        p.drawLine(QPointF(plot.left(), l.yAt(0)), QPointF(plot.right() + 1, l.yAt(0)));
    }
    p.setPen(QPen(axis, std::max(1.0, st.pen / 2)));
    p.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom() + 1));
    p.drawLine(QPointF(plot.left(), plot.bottom() + 1), QPointF(plot.right() + 1, plot.bottom() + 1));
    for (double x : l.xs)
        p.drawLine(QPointF(x, plot.bottom() + 1), QPointF(x, plot.bottom() + 1 + st.tickLength));
    p.setPen(Qt::black);
    for (const Label& label : l.xLabels)
        drawLabel(p, label);
    if (!l.metric.text.isEmpty())
        drawLabel(p, l.metric);

    // One polyline per row, broken where a step has no value.
    p.save();
    p.setClipRect(QRectF(plot).adjusted(-inset, -inset, inset, inset));
    for (int r = 0; r < l.rows && r < f.similarity.size(); ++r) {
        const QVector<double>& values = f.similarity[r];
        const QColor colour = rowColour(r);
        QPainterPath path;
        bool open = false;
        QVector<QPointF> dots;
        for (int c = 0; c < l.columns; ++c) {
            const double v = c < values.size() ? values[c] : std::nan("");
            if (!std::isfinite(v)) {
                open = false;
                continue;
            }
            const QPointF point(l.xs[c], l.yAt(std::clamp(v, lo - (hi - lo), hi + (hi - lo))));
            if (open)
                path.lineTo(point);
            else
                path.moveTo(point);
            open = true;
            dots << point;
        }
        p.setPen(QPen(colour, st.pen, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
        p.setPen(Qt::NoPen);
        p.setBrush(colour);
        for (const QPointF& dot : dots)
            p.drawEllipse(dot, st.dot, st.dot);
    }
    p.restore();

    const QFontMetrics text(st.text);
    const int swatch = st.swatch, entryHeight = st.entryHeight;
    for (int r = 0; r < l.legend.size(); ++r) {
        const QPoint at = l.legend[r];
        const double cy = at.y() + entryHeight / 2.0;
        const QColor colour = rowColour(r);
        p.setPen(QPen(colour, st.pen, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(QPointF(at.x(), cy), QPointF(at.x() + swatch, cy));
        p.setPen(Qt::NoPen);
        p.setBrush(colour);
        p.drawEllipse(QPointF(at.x() + swatch / 2.0, cy), st.dot, st.dot);
        p.setPen(Qt::black);
        p.drawText(QRect(at.x() + swatch + st.pad, at.y(), l.legendText, entryHeight), Qt::AlignLeft | Qt::AlignVCenter,
            text.elidedText(f.rows[r], Qt::ElideRight, l.legendText));
    }
}

} // namespace

QImage composeSanityFigure(const SanityFigure& figure, int tile, double scale, SanityLayout layout)
{
    const Style st(scale);
    const Measures m = measure(figure, st);
    const Layout l = layOut(figure, st, m, std::max(1, tile), layout);
    QImage out(figureSize(l, st), QImage::Format_RGB32);
    out.fill(Qt::white);
    QPainter p(&out);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    p.translate(st.margin - l.bounds.left(), st.margin - l.bounds.top());
    if (!figure.title.isEmpty()) {
        p.setFont(st.title);
        p.setPen(Qt::black);
        p.drawText(l.titleRect, Qt::TextWordWrap | Qt::AlignHCenter | Qt::AlignTop, figure.title);
    }
    drawGrid(p, figure, l, st);
    drawChart(p, figure, l, st);
    return out;
}

SanityFit sanityFitFor(const SanityFigure& figure, int width, int height, double scale)
{
    const Style st(scale);
    const Measures m = measure(figure, st);
    const int columns = std::max(1, static_cast<int>(figure.columns.size()));
    const int rows = std::max(1, static_cast<int>(figure.rows.size()));
    const int largest = std::max(kMinTile, std::min(width / columns, height / rows));
    SanityFit best { 0, SanityLayout::ChartBelow };
    SanityFit leastOver { kMinTile, SanityLayout::ChartBelow };
    double over = std::numeric_limits<double>::infinity();
    for (const SanityLayout layout : { SanityLayout::ChartBelow, SanityLayout::ChartRight }) {
        // Turned labels make the size jump as the tile grows, so try every tile
        // from the largest that could fit down, rather than bisect.
        for (int tile = largest; tile > best.tile && tile >= kMinTile; --tile) {
            const QSize size = figureSize(layOut(figure, st, m, tile, layout), st);
            if (size.width() <= width && size.height() <= height) {
                best = { tile, layout };
                break;
            }
            if (tile == kMinTile) {
                const double ratio = std::max(static_cast<double>(size.width()) / std::max(1, width),
                    static_cast<double>(size.height()) / std::max(1, height));
                if (ratio < over) {
                    over = ratio;
                    leastOver = { tile, layout };
                }
            }
        }
    }
    return best.tile ? best : leastOver;
}

} // namespace convscope
