#include "widgets/scatter_paint.h"

#include "core/class_colours.h"

#include <QPainter>

#include <algorithm>
#include <array>
#include <cmath>

namespace convscope
{

namespace
{

constexpr int kMaxLegend = 20; // entries; the rest share gray anyway
constexpr int kCardImage = 96; // the hover card's picture, at most this side

} // namespace

QRgb classRgb(int colourClass)
{
    // classColour has 20 colours and gray: looked up once, not once a point.
    static const std::array<QRgb, 21> palette = [] {
        std::array<QRgb, 21> colours {};
        for (int i = 0; i < 21; ++i) {
            const auto c = classColour(i < 20 ? i : -1);
            colours[static_cast<size_t>(i)] = qRgb(qRound(255 * c[0]), qRound(255 * c[1]), qRound(255 * c[2]));
        }
        return colours;
    }();
    return palette[static_cast<size_t>(colourClass >= 0 && colourClass < 20 ? colourClass : 20)];
}

QSize ScatterLegend::size(const QFontMetrics& fm) const
{
    if (entries.isEmpty())
        return {};
    int width = title.isEmpty() ? 0 : fm.horizontalAdvance(title);
    const int shown = std::min<int>(entries.size(), kMaxLegend);
    for (int i = 0; i < shown; ++i)
        width
            = std::max(width, fm.horizontalAdvance(entries[i].name) + fm.horizontalAdvance(QStringLiteral("  00000")));
    int lines = shown + (title.isEmpty() ? 0 : 1) + (entries.size() > kMaxLegend ? 1 : 0);
    if (showMark && !markText.isEmpty()) {
        width = std::max(width, fm.horizontalAdvance(markText));
        ++lines;
    }
    const int swatch = fm.height();
    return { width + swatch + 20, lines * fm.height() + 12 };
}

QRect ScatterLegend::rect(const QRect& area, const QFontMetrics& fm) const
{
    // At the top right, 6 px clear of the edges.
    const QSize size = this->size(fm);
    return size.isEmpty() ? QRect() : QRect(QPoint(area.right() - 5 - size.width(), area.top() + 6), size);
}

void ScatterLegend::draw(QPainter& painter, const QRect& area) const
{
    const QFontMetrics fm = painter.fontMetrics();
    const QRect box = rect(area, fm);
    if (box.isEmpty())
        return;
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QColor(200, 200, 200));
    painter.setBrush(QColor(255, 255, 255, 225));
    painter.drawRoundedRect(box, 4, 4);
    const int line = fm.height(), swatch = line;
    int top = box.top() + 6;
    const int left = box.left() + 8;
    painter.setPen(Qt::black);
    if (!title.isEmpty()) {
        const QFont normal = painter.font();
        QFont bold = normal;
        bold.setBold(true);
        painter.setFont(bold);
        painter.drawText(QRect(left, top, box.width() - 16, line), Qt::AlignLeft | Qt::AlignVCenter,
            painter.fontMetrics().elidedText(title, Qt::ElideRight, box.width() - 16));
        painter.setFont(normal);
        top += line;
    }
    const int shown = std::min<int>(entries.size(), kMaxLegend);
    for (int i = 0; i < shown; ++i, top += line) {
        const ScatterView::LegendEntry& e = entries[i];
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(classRgb(e.colourClass)));
        painter.drawEllipse(QRectF(left + 2, top + 2, swatch - 4, swatch - 4));
        painter.setPen(Qt::black);
        const QRect text(left + swatch + 4, top, box.right() - 8 - left - swatch - 4, line);
        painter.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, e.name);
        painter.setPen(QColor(90, 90, 90));
        painter.drawText(text, Qt::AlignRight | Qt::AlignVCenter, QString::number(e.count));
    }
    if (entries.size() > kMaxLegend) {
        painter.setPen(QColor(90, 90, 90));
        painter.drawText(QRect(left, top, box.width() - 16, line), Qt::AlignLeft | Qt::AlignVCenter,
            ScatterView::tr("+ %1 more (gray)").arg(entries.size() - kMaxLegend));
        top += line;
    }
    if (showMark && !markText.isEmpty()) {
        painter.setPen(QPen(QColor(20, 20, 20), 1.5));
        painter.setBrush(Qt::NoBrush);
        painter.drawEllipse(QRectF(left + 2, top + 2, swatch - 4, swatch - 4));
        painter.setPen(Qt::black);
        painter.drawText(
            QRect(left + swatch + 4, top, box.width() - swatch - 20, line), Qt::AlignLeft | Qt::AlignVCenter, markText);
    }
    painter.restore();
}

void drawHoverCard(QPainter& painter, QPointF at, double r, const ScatterView::Card& card, const QRect& bounds)
{
    QImage picture = card.image;
    if (!picture.isNull()) {
        const int side = std::max(picture.width(), picture.height());
        const double zoom
            = side < kCardImage / 2 ? std::floor(double(kCardImage) / side) : std::min(1.0, double(kCardImage) / side);
        picture = picture.scaled(
            picture.size() * zoom, Qt::KeepAspectRatio, zoom >= 1 ? Qt::FastTransformation : Qt::SmoothTransformation);
    }
    const QFontMetrics fm = painter.fontMetrics();
    const QStringList lines = card.text.split(QLatin1Char('\n'));
    int textWidth = 0;
    for (const QString& line : lines)
        textWidth = std::max(textWidth, fm.horizontalAdvance(line));
    const int width = std::max(picture.width(), textWidth) + 12;
    const int height = picture.height() + (picture.isNull() ? 0 : 4) + lines.size() * fm.height() + 12;
    QPoint corner(qRound(at.x() + r + 8), qRound(at.y() + r + 8));
    if (corner.x() + width > bounds.right())
        corner.setX(qRound(at.x() - r - 8) - width);
    if (corner.y() + height > bounds.bottom())
        corner.setY(qRound(at.y() - r - 8) - height);
    corner.setX(std::max(bounds.left(), corner.x()));
    corner.setY(std::max(bounds.top(), corner.y()));
    const QRect box(corner, QSize(width, height));
    painter.setPen(QColor(150, 150, 150));
    painter.setBrush(QColor(255, 255, 240));
    painter.drawRoundedRect(box, 4, 4);
    int top = box.top() + 6;
    if (!picture.isNull()) {
        painter.drawImage(box.left() + (width - picture.width()) / 2, top, picture);
        top += picture.height() + 4;
    }
    painter.setPen(Qt::black);
    for (const QString& line : lines) {
        painter.drawText(QRect(box.left() + 6, top, width - 12, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, line);
        top += fm.height();
    }
}

} // namespace convscope
