#include "widgets/bar_chart_view.h"

#include <QPainter>
#include <QPaintEvent>

#include <algorithm>
#include <cmath>

namespace convscope {

namespace {

const QColor kPositive(0x1f, 0x77, 0xb4);
const QColor kNegative(0xd6, 0x27, 0x28);
const QColor kDead(0x99, 0x99, 0x99);

} // namespace

BarChartView::BarChartView(Style style, QWidget* parent) : QWidget(parent), m_style(style)
{
    setMinimumSize(160, 90);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void BarChartView::setTitle(const QString& title)
{
    m_title = title;
    update();
}

void BarChartView::setBars(const QStringList& labels, const QVector<double>& values)
{
    m_labels = labels;
    m_values = values;
    m_edges.clear();
    update();
}

void BarChartView::setHistogram(const QVector<double>& counts, const QVector<double>& edges)
{
    m_labels.clear();
    m_values = counts;
    m_edges = edges;
    update();
}

void BarChartView::setPlaceholderText(const QString& text)
{
    m_placeholder = text;
    update();
}

void BarChartView::setHighlight(int index)
{
    m_highlight = index;
    update();
}

void BarChartView::setDecimals(int decimals)
{
    m_decimals = decimals;
    update();
}

QSize BarChartView::sizeHint() const
{
    return {260, m_style == Style::Rows ? 24 + 18 * std::max<int>(3, static_cast<int>(m_values.size())) : 140};
}

void BarChartView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    painter.setRenderHint(QPainter::Antialiasing, false);
    QRect area = rect().adjusted(4, 2, -4, -2);
    if (!m_title.isEmpty()) {
        QFont bold = font();
        bold.setBold(true);
        painter.setFont(bold);
        const int h = QFontMetrics(bold).height();
        painter.setPen(palette().text().color());
        painter.drawText(QRect(area.left(), area.top(), area.width(), h), Qt::AlignLeft | Qt::AlignVCenter,
                         QFontMetrics(bold).elidedText(m_title, Qt::ElideRight, area.width()));
        painter.setFont(font());
        area.setTop(area.top() + h + 2);
    }
    const bool empty = m_values.isEmpty() || std::all_of(m_values.begin(), m_values.end(), [](double v) {
                           return !std::isfinite(v);
                       });
    if (empty) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    if (m_style == Style::Rows)
        paintRows(painter, area);
    else
        paintColumns(painter, area);
}

void BarChartView::paintRows(QPainter& painter, const QRect& area) const
{
    const QFontMetrics metrics(font());
    const int n = static_cast<int>(m_values.size());
    const int rowHeight = std::max(4, std::min(metrics.height() + 4, area.height() / std::max(n, 1)));
    int labelWidth = 0;
    for (const QString& label : m_labels)
        labelWidth = std::max(labelWidth, metrics.horizontalAdvance(label));
    labelWidth = std::min(labelWidth + 6, area.width() / 3);
    const int valueWidth = metrics.horizontalAdvance(QStringLiteral("-0000.00")) + 4;
    const QRect bars(area.left() + labelWidth, area.top(), std::max(10, area.width() - labelWidth - valueWidth),
                     rowHeight * n);
    double lo = 0, hi = 0;
    for (double v : m_values)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (hi - lo <= 0)
        hi = lo + 1;
    const auto xOf = [&](double v) { return bars.left() + static_cast<int>(std::lround((v - lo) / (hi - lo) * bars.width())); };
    const int zero = xOf(0);
    for (int i = 0; i < n; ++i) {
        const int top = bars.top() + i * rowHeight;
        const QRect row(area.left(), top, area.width(), rowHeight);
        painter.setPen(palette().text().color());
        painter.drawText(QRect(row.left(), top, labelWidth - 6, rowHeight), Qt::AlignRight | Qt::AlignVCenter,
                         metrics.elidedText(m_labels.value(i), Qt::ElideRight, labelWidth - 6));
        const double v = m_values[i];
        if (!std::isfinite(v)) {
            painter.drawText(QRect(bars.left(), top, bars.width(), rowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                             tr("no images"));
            continue;
        }
        const int x = xOf(v);
        QColor colour = v >= 0 ? kPositive : kNegative;
        if (m_highlight >= 0 && i != m_highlight)
            colour = colour.lighter(150);
        painter.fillRect(QRect(QPoint(std::min(zero, x), top + 2), QPoint(std::max(zero, x), top + rowHeight - 3)),
                         colour);
        painter.drawText(QRect(bars.right() + 4, top, valueWidth, rowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::number(v, 'f', m_decimals));
    }
    painter.setPen(palette().mid().color());
    painter.drawLine(zero, bars.top(), zero, bars.bottom());
}

void BarChartView::paintColumns(QPainter& painter, const QRect& area) const
{
    const QFontMetrics metrics(font());
    const int n = static_cast<int>(m_values.size());
    const QRect plot = area.adjusted(0, 0, 0, -metrics.height() - 2);
    double top = 0;
    for (double v : m_values)
        top = std::max(top, v);
    if (top <= 0)
        top = 1;
    for (int i = 0; i < n; ++i) {
        const int x0 = plot.left() + plot.width() * i / n;
        const int x1 = plot.left() + plot.width() * (i + 1) / n;
        const int h = static_cast<int>(std::lround(m_values[i] / top * plot.height()));
        // A column wholly at or below zero holds images the channel never fired for.
        const bool dead = m_edges.size() == m_values.size() + 1 && m_edges[i + 1] <= 0;
        painter.fillRect(QRect(x0, plot.bottom() - h + 1, std::max(1, x1 - x0 - 1), h), dead ? kDead : kPositive);
    }
    painter.setPen(palette().mid().color());
    painter.drawLine(plot.bottomLeft(), plot.bottomRight());
    if (m_edges.size() >= 2) {
        painter.setPen(palette().text().color());
        const QRect under(plot.left(), plot.bottom() + 2, plot.width(), metrics.height());
        painter.drawText(under, Qt::AlignLeft | Qt::AlignVCenter, QString::number(m_edges.front(), 'g', 3));
        painter.drawText(under, Qt::AlignRight | Qt::AlignVCenter, QString::number(m_edges.back(), 'g', 3));
        painter.drawText(under, Qt::AlignHCenter | Qt::AlignVCenter, tr("max per image"));
    }
}

} // namespace convscope
