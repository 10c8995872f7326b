#pragma once

// The sanity check's figure, as Adebayo et al. draw it ("Sanity Checks for
// Saliency Maps", NeurIPS 2018, figures 2 and 4): one row per method, one
// column per randomization step (the original model first), and under the
// grid (or right of it) a chart of one similarity against the step, one curve
// per method.
// Drawn with QPainter into a QImage so that the tab shows exactly what
// Export and `convscope sanity --out` write. Torch-free.

#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>

namespace convscope
{

struct SanityFigure {
    QString title; // "Cascading randomization — minivgg_fashion, class 7 (Sneaker), seed 0"
    QStringList columns; // "original", then the layer re-initialized at each step ("fc3", "conv2 + bn2", ...)
    QStringList rows; // method titles ("Gradient", "Grad-CAM", ...)
    QImage input; // the input image, drawn left of the first row's label column; may be null
    // [row][column] the map already coloured at the input's resolution; a null
    // image is a cell not computed (yet, or the run was stopped): drawn empty.
    QVector<QVector<QImage>> tiles;
    QString metric; // the chart's y axis: "Spearman rank correlation (absolute values)"
    // [row][column] the similarity of that cell to the row's original (column 0
    // is 1 by definition); NaN where not computed. The chart draws each row
    // as a polyline with dots over the columns that have values.
    QVector<QVector<double>> similarity;
    double yMin = -1, yMax = 1; // the chart's y range
};

// Where the similarity chart stands: under the grid, as in the paper (the CLI
// and Export), or right of it, which a wide, low view (the Saliency tab at
// 1280 x 720) fills with larger maps.
enum class SanityLayout { ChartBelow, ChartRight };

// The figure at `tile` pixels per map (maps are scaled up with nearest
// neighbour so that a 28 x 28 map stays sharp, larger ones down smoothly), on
// white, with the row labels left, the column labels above (on two lines, or
// turned 45° or 90° when they do not fit a tile, and only every n-th when even
// turned ones would touch), and the chart. `scale` multiplies fonts (the
// application's font size), lines and lengths (the presenter's 1.25, 2 for
// print). Row colours in the chart follow matplotlib's tab10.
//
// ChartBelow: the input left of the first row's label, the chart under the
// grid and as wide, each step's points under its column (a grid narrower than
// 480 px gets a 480 px plot with the steps spread evenly), as high as the grid
// between 160 and 260 px at scale 1, its x labels the column labels; the
// legend right of the chart, or under it when it is too long or the chart long
// and flat.
//
// ChartRight: the input above the row labels where the column labels leave
// room for it, the chart right of the grid with its steps spread evenly,
// filling the height of the grid and its column labels with its x labels and
// legend, 1.2 times as wide as high, 160 to 400 px high at scale 1, clear of
// the turned column labels; the legend under the chart while that leaves the
// plot 160 px, else under it all the same (the chart then reaching below the
// grid) or right of it, whichever grows the figure less.
QImage composeSanityFigure(
    const SanityFigure& figure, int tile = 96, double scale = 1.0, SanityLayout layout = SanityLayout::ChartBelow);

struct SanityFit {
    int tile;
    SanityLayout layout;
};

// The layout and tile at which composeSanityFigure's whole figure fits in
// `width` x `height` pixels at `scale` with the largest maps; the tile is at
// least 24, and where neither layout fits at 24, the one that overflows least.
SanityFit sanityFitFor(const SanityFigure& figure, int width, int height, double scale = 1.0);

} // namespace convscope
