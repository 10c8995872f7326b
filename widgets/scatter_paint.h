#pragma once

// How ScatterView paints what is not a dot: its legend and its hover card,
// and the class colours as pixels.

#include "widgets/scatter_view.h"

#include <QRgb>

class QFontMetrics;
class QPainter;

namespace convscope
{

// classColour() as a pixel.
QRgb classRgb(int colourClass);

// A box at the top right: a title, a swatch, name and count per class (the
// first 20; past them the colours repeat gray), and a ring for marked points.
struct ScatterLegend {
    QVector<ScatterView::LegendEntry> entries;
    QString title;
    QString markText; // the ring's line; empty: none
    bool showMark = true;

    QSize size(const QFontMetrics& fm) const; // empty without entries
    QRect rect(const QRect& area, const QFontMetrics& fm) const;
    void draw(QPainter& painter, const QRect& area) const;
};

// The card of a hovered point drawn at `at` with a dot of `radius`: its
// picture (small images enlarged with square pixels) over its lines of text,
// beside the point and inside `bounds`.
void drawHoverCard(QPainter& painter, QPointF at, double radius, const ScatterView::Card& card, const QRect& bounds);

} // namespace convscope
