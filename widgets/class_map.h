#pragma once

// A segmentation model's answer for the input dock: the class of every
// pixel, each class's probability there, and how to draw and read it.

#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>

namespace convscope {

struct ClassMap {
    int width = 0, height = 0, classes = 0;
    QVector<int> map;             // height x width class indices
    QVector<float> probabilities; // classes x height x width
    QVector<QColor> palette;      // one per class
    QStringList labels;           // one per class
    bool empty() const { return map.isEmpty(); }
};

// `base` with each pixel's class colour laid over it at `opacity` (the map
// scaled to the image, nearest neighbour).
QImage classMapOverlay(const QImage& base, const ClassMap& map, double opacity);
// The legend: each predicted class with its colour and share of the pixels,
// largest first, as rich text.
QString classMapLegend(const ClassMap& map);
// What the mouse reads at image pixel `at` of an image of `imageSize`: "x 12,
// y 30: 7 (0.91) · 1 (0.05) · background (0.02)"; empty outside.
QString classMapPixelText(const ClassMap& map, QPoint at, QSize imageSize);

} // namespace convscope
