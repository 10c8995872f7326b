// The torch-free views and item models, offscreen, against numbers worked
// out by hand from their layout rules.

#include "core/model_summary.h"
#include "widgets/confusion_matrix_view.h"
#include "widgets/count_string.h"
#include "widgets/image_view.h"
#include "widgets/module_tree_model.h"
#include "widgets/point_grid.h"
#include "widgets/scatter_view.h"
#include "widgets/summary_charts.h"
#include "widgets/tile_grid_view.h"
#include "widgets/top_k_chart.h"

#include <QAbstractBarSeries>
#include <QAbstractItemModelTester>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChartView>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QToolTip>
#include <QtTest>

using namespace convscope;

class TestWidgets : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tileGridLaysOutColumns();
    void tileGridHoverAndClick();
    void tileGridRendersEverything();
    void tileGridStaysCrisp();
    void tileGridZoomsWithCtrlWheel();
    void tileGridFitZoom();
    void tileGridFitShowsEveryTile();
    void tileGridPaintsManyTilesQuickly();
    void imageViewMapsPixels();
    void countStrings();
    void moduleTreeStructure();
    void moduleTreeRolesAndParams();
    void moduleTreeFiltersRecursively();
    void topKChartOrderAndTexts();
    void summaryChartsBars();
    void summaryChartsAreQuickForBigModels();
    void pointGridFindsNearestAndInside();
    void scatterViewMapsAndHits();
    void scatterViewMouse();
    void scatterViewDrawsClassColours();
    void scatterViewPaints70kPointsQuickly();
    void confusionMatrixRoundTrip();
    void confusionMatrixLaysOutSquareCells();
    void confusionMatrixClickEmitsCell();
    void confusionMatrixKeyboard();
    void confusionMatrixClearShowsNoCell();
    void screenshots();
};

namespace {
// Layout constants of TileGridView: 6 px margin around the grid, 6 px
// between cells.
constexpr int kMargin = 6;
constexpr int kSpacing = 6;

QVector<Tile> grayTiles(int count, int side)
{
    QVector<Tile> tiles;
    for (int i = 0; i < count; ++i) {
        QImage image(side, side, QImage::Format_Grayscale8);
        image.fill(static_cast<uint>(i * 37 % 256));
        tiles.append({ image, QStringLiteral("#%1").arg(i) });
    }
    return tiles;
}

QWheelEvent ctrlWheel(QPoint pos, int delta)
{
    return QWheelEvent(pos, pos, {}, { 0, delta }, Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
}

LayerInfo layer(const char* name, const char* op, std::vector<int64_t> shape, int64_t params = 0,
    std::vector<std::string> aliases = {})
{
    LayerInfo l;
    l.name = name;
    l.op = op;
    l.shape = std::move(shape);
    l.geometry.params = params;
    l.aliases = std::move(aliases);
    return l;
}

// A cut-down ResNet: two basic blocks in layer1 (the last block's final relu
// is also the output of layer1), then a classifier Sequential that no layer
// is an alias of.
std::vector<LayerInfo> miniResNet()
{
    return {
        layer("conv1", "conv2d", { 64, 112, 112 }, 9408), // 0
        layer("bn1", "batch_norm", { 64, 112, 112 }, 128), // 1
        layer("relu", "relu", { 64, 112, 112 }), // 2
        layer("maxpool", "max_pool2d", { 64, 56, 56 }), // 3
        layer("layer1.0.conv1", "conv2d", { 64, 56, 56 }, 36864), // 4
        layer("layer1.0.bn1", "batch_norm", { 64, 56, 56 }, 128), // 5
        layer("layer1.0.relu", "relu", { 64, 56, 56 }), // 6
        layer("layer1.0.conv2", "conv2d", { 64, 56, 56 }, 36864), // 7
        layer("layer1.0.add", "add", { 64, 56, 56 }), // 8
        layer("layer1.0.relu#2", "relu", { 64, 56, 56 }, 0, { "layer1.0" }), // 9
        layer("layer1.1.conv1", "conv2d", { 64, 56, 56 }, 36864), // 10
        layer("layer1.1.add", "add", { 64, 56, 56 }), // 11
        layer("layer1.1.relu#2", "relu", { 64, 56, 56 }, 0, { "layer1.1", "layer1" }), // 12
        layer("avgpool", "adaptive_avg_pool2d", { 64, 1, 1 }), // 13
        layer("flatten", "flatten", { 64 }), // 14
        layer("classifier.0", "dropout", { 64 }), // 15
        layer("classifier.1", "linear", { 1000 }, 65000), // 16
    };
}

SummaryRow row(const char* name, int64_t memoryBytes, int64_t params, int64_t flops)
{
    SummaryRow r;
    r.name = name;
    r.memoryBytes = memoryBytes;
    r.geometry.params = params;
    r.geometry.flops = flops;
    return r;
}

QList<QChartView*> chartViews(QWidget& widget)
{
    return widget.findChildren<QChartView*>();
}

// The axis along the bars: layer names for a horizontal chart, classes for
// the top-k chart.
QBarCategoryAxis* categoryAxis(QChartView* view)
{
    for (QAbstractAxis* axis : view->chart()->axes())
        if (auto* categories = qobject_cast<QBarCategoryAxis*>(axis))
            return categories;
    return nullptr;
}

QAbstractAxis* xAxis(QChartView* view)
{
    return view->chart()->axes(Qt::Horizontal).value(0);
}

bool showAt(QWidget& widget, QSize size)
{
    widget.resize(size);
    widget.show();
    return QTest::qWaitForWindowExposed(&widget);
}

// Shown without a frame, so that the viewport is as wide as the view.
bool showBare(TileGridView& view, QSize size)
{
    view.setFrameShape(QFrame::NoFrame);
    return showAt(view, size);
}

QBarSet* barSet(QChartView* view)
{
    auto* series = qobject_cast<QAbstractBarSeries*>(view->chart()->series().value(0));
    return series ? series->barSets().value(0) : nullptr;
}
} // namespace

void TestWidgets::tileGridLaysOutColumns()
{
    TileGridView view;
    QVERIFY(showBare(view, { 300, 400 }));
    view.setZoom(2);
    view.setTiles(grayTiles(20, 10));
    QCOMPARE(view.tileCount(), 20);
    QCOMPARE(view.viewport()->width(), 300); // 2 rows fit: no scroll bar
    // Cells are 20 px with a 26 px stride: (300 - 2*6 + 6) / 26 = 11.
    QCOMPARE(view.columns(), 11);
    QCOMPARE(view.tileRect(0), QRect(kMargin, kMargin, 20, 20));
    QCOMPARE(view.tileRect(12), QRect(kMargin + 26, kMargin + 26, 20, 20)); // row 1, column 1

    view.resize(150, 400); // (150 - 6) / 26 = 5
    QCOMPARE(view.columns(), 5);
    view.setTiles(grayTiles(20, 10), 4);
    QCOMPARE(view.columns(), 4);
    view.setTiles(grayTiles(3, 10), 0); // never more columns than tiles
    QCOMPARE(view.columns(), 3);

    // Many tiles: a vertical scroll bar takes its width from the viewport
    // and the columns follow.
    view.resize(300, 200);
    view.setTiles(grayTiles(400, 10));
    QVERIFY(view.verticalScrollBar()->maximum() > 0);
    QCOMPARE(view.columns(), (view.viewport()->width() - 2 * kMargin + kSpacing) / 26);
    const int rows = (400 + view.columns() - 1) / view.columns();
    QCOMPARE(view.verticalScrollBar()->maximum(), 2 * kMargin + rows * 26 - kSpacing - view.viewport()->height());

    view.clear();
    QCOMPARE(view.tileCount(), 0);
    QCOMPARE(view.verticalScrollBar()->maximum(), 0);
}

void TestWidgets::tileGridHoverAndClick()
{
    TileGridView view;
    QVERIFY(showBare(view, { 300, 400 }));
    view.setZoom(2);
    view.setTiles(grayTiles(20, 10));
    QCOMPARE(view.columns(), 11);

    QSignalSpy hovered(&view, &TileGridView::tileHovered);
    QSignalSpy clicked(&view, &TileGridView::tileClicked);
    // Tile 12 starts at (32, 32); (+5, +13) display px is tile pixel (2, 6) at zoom 2.
    QTest::mouseMove(view.viewport(), { 32 + 5, 32 + 13 });
    QTRY_COMPARE(hovered.count(), 1);
    QCOMPARE(hovered.last().at(0).toInt(), 12);
    QCOMPARE(hovered.last().at(1).toPoint(), QPoint(2, 6));
    QCOMPARE(view.tileAt({ 32 + 5, 32 + 13 }), 12);

    // The gap between tile 11 (column 0) and tile 12 is no tile.
    QTest::mouseMove(view.viewport(), { 29, 40 });
    QTRY_COMPARE(hovered.count(), 2);
    QCOMPARE(hovered.last().at(0).toInt(), -1);
    QCOMPARE(view.tileAt({ 29, 40 }), -1);

    // Last pixel of the last tile in row 0 (column 10: x = 6 + 260).
    QTest::mouseMove(view.viewport(), { 266 + 19, 6 + 19 });
    QTRY_COMPARE(hovered.count(), 3);
    QCOMPARE(hovered.last().at(0).toInt(), 10);
    QCOMPARE(hovered.last().at(1).toPoint(), QPoint(9, 9));

    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, { 32 + 1, 32 + 1 });
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.last().at(0).toInt(), 12);
    QCOMPARE(view.selectedTile(), 12);
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, { 29, 40 }); // a gap: nothing
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(view.selectedTile(), 12);
    view.setSelectedTile(-1);
    QCOMPARE(view.selectedTile(), -1);
}

void TestWidgets::tileGridRendersEverything()
{
    TileGridView view;
    view.setFrameShape(QFrame::NoFrame);
    view.resize(300, 40); // shows less than one row of the grid
    view.setZoom(2);
    view.setTiles(grayTiles(20, 10));

    // Hidden: near-square, ceil(sqrt(20)) = 5 columns, 4 rows of 26 px.
    QCOMPARE(view.renderAll().size(), QSize(2 * kMargin + 5 * 26 - kSpacing, 2 * kMargin + 4 * 26 - kSpacing));

    // Shown: the columns on screen (10 with the scroll bar), every row.
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const int columns = view.columns();
    const int rows = (20 + columns - 1) / columns;
    const QImage all = view.renderAll();
    QCOMPARE(all.size(), QSize(2 * kMargin + columns * 26 - kSpacing, 2 * kMargin + rows * 26 - kSpacing));
    QVERIFY(all.height() > view.viewport()->height());
    // The last tile is painted too, in its own gray.
    const QPoint last = QPoint(kMargin + (19 % columns) * 26, kMargin + (19 / columns) * 26) + QPoint(10, 10);
    QCOMPARE(qGray(all.pixel(last)), 19 * 37 % 256);

    // Fixed columns win.
    view.setTiles(grayTiles(20, 10), 2);
    QCOMPARE(view.renderAll().size(), QSize(2 * kMargin + 2 * 26 - kSpacing, 2 * kMargin + 10 * 26 - kSpacing));
}

void TestWidgets::tileGridStaysCrisp()
{
    // A 3x3 checkerboard at zoom 20: nine flat 20x20 squares, no blending.
    QImage board(3, 3, QImage::Format_Grayscale8);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x)
            board.setPixel(x, y, (x + y) % 2 ? qRgb(255, 255, 255) : qRgb(0, 0, 0));
    TileGridView view;
    view.setTiles({ { board, {} } });
    view.setZoom(20);
    const QImage out = view.renderAll();
    QCOMPARE(out.size(), QSize(2 * kMargin + 60, 2 * kMargin + 60));
    for (int y = 0; y < 60; ++y) {
        for (int x = 0; x < 60; ++x) {
            const int expected = ((x / 20) + (y / 20)) % 2 ? 255 : 0;
            const QRgb pixel = out.pixel(kMargin + x, kMargin + y);
            if (qRed(pixel) != expected || qGreen(pixel) != expected || qBlue(pixel) != expected)
                QFAIL(qPrintable(
                    QStringLiteral("pixel (%1, %2) is %3, want %4").arg(x).arg(y).arg(qRed(pixel)).arg(expected)));
        }
    }

    // Colour formats come through unchanged.
    QImage rgb(2, 1, QImage::Format_RGB888);
    rgb.setPixel(0, 0, qRgb(255, 0, 0));
    rgb.setPixel(1, 0, qRgb(0, 0, 255));
    QImage argb(1, 1, QImage::Format_ARGB32);
    argb.setPixel(0, 0, qRgba(0, 255, 0, 255));
    view.setTiles({ { rgb, {} }, { argb, {} } });
    view.setZoom(4);
    const QImage colours = view.renderAll(); // cells 8x4, 2 columns
    QCOMPARE(colours.pixel(kMargin + 1, kMargin + 1), qRgb(255, 0, 0));
    QCOMPARE(colours.pixel(kMargin + 6, kMargin + 2), qRgb(0, 0, 255));
    // The 4x4 green tile is centred in its 8x4 cell: starts 2 px in.
    QCOMPARE(colours.pixel(kMargin + 8 + kSpacing + 2 + 1, kMargin + 1), qRgb(0, 255, 0));
}

void TestWidgets::tileGridZoomsWithCtrlWheel()
{
    TileGridView view;
    QVERIFY(showBare(view, { 300, 200 }));
    view.setZoom(2);
    view.setTiles(grayTiles(400, 10), 10); // fixed columns, so both axes scroll after zooming in
    view.verticalScrollBar()->setValue(100);
    QSignalSpy zoomed(&view, &TileGridView::zoomChanged);

    // Tile 55 (row 5, column 5) starts at content (136, 136), viewport (136, 36).
    const QPoint cursor(136 + 10, 36 + 10);
    QCOMPARE(view.tileAt(cursor), 55);

    QWheelEvent plain(cursor, cursor, {}, { 0, 120 }, Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.viewport(), &plain);
    QCOMPARE(view.zoom(), 2.0); // a plain wheel scrolls
    QCOMPARE(zoomed.count(), 0);

    QWheelEvent in = ctrlWheel(cursor, 120);
    view.verticalScrollBar()->setValue(100);
    QApplication::sendEvent(view.viewport(), &in);
    QCOMPARE(view.zoom(), 3.0);
    QCOMPARE(zoomed.count(), 1);
    QCOMPARE(zoomed.last().at(0).toDouble(), 3.0);
    // The same tile pixel stays under the cursor: (10, 10) display px at zoom 2 is pixel (5, 5).
    QCOMPARE(view.tileAt(cursor), 55);
    const QPoint inTile = (cursor - view.tileRect(55).topLeft()) / 3;
    QVERIFY2(qAbs(inTile.x() - 5) <= 1 && qAbs(inTile.y() - 5) <= 1,
        qPrintable(QStringLiteral("%1,%2").arg(inTile.x()).arg(inTile.y())));

    QWheelEvent out = ctrlWheel(cursor, -120);
    QApplication::sendEvent(view.viewport(), &out);
    QApplication::sendEvent(view.viewport(), &out);
    QCOMPARE(view.zoom(), 1.0);
    QCOMPARE(zoomed.count(), 3);
    for (int i = 0; i < 20; ++i)
        QApplication::sendEvent(view.viewport(), &out);
    QCOMPARE(view.zoom(), 0.25); // the floor
}

void TestWidgets::tileGridFitZoom()
{
    TileGridView view;
    view.setTiles(grayTiles(4, 3));
    view.fitZoom(64); // 64 / 3 = 21.3, kept whole so every pixel is 21 px
    QCOMPARE(view.zoom(), 21.0);
    view.setTiles(grayTiles(4, 56));
    view.fitZoom(64); // 1.14 → 1
    QCOMPARE(view.zoom(), 1.0);
    view.setTiles(grayTiles(4, 224));
    view.fitZoom(112);
    QCOMPARE(view.zoom(), 0.5);
    view.setTiles(grayTiles(1, 1000));
    view.fitZoom(64);
    QCOMPARE(view.zoom(), 0.25);
}

// Every tile inside the viewport, none under a scroll bar.
bool allTilesShown(const TileGridView& view)
{
    for (int i = 0; i < view.tileCount(); ++i)
        if (!view.viewport()->rect().contains(view.tileRect(i)))
            return false;
    return view.horizontalScrollBar()->maximum() == 0 && view.verticalScrollBar()->maximum() == 0;
}

// Filters' Fit showed 3 of LeNet conv1's 6 filters (a row each) and 10 of
// conv2's 16 rows: it ignored the columns asked for and the hidden tab's size.
void TestWidgets::tileGridFitShowsEveryTile()
{
    TileGridView view;
    view.setTiles(grayTiles(6, 5), 1); // conv1: 6 filters of 1x5x5, a row each
    view.fitToViewport(24, 96); // before it is shown, as a hidden tab does
    QVERIFY(showAt(view, { 500, 300 }));
    QVERIFY(view.isFitted());
    QVERIFY(allTilesShown(view));
    // 6 rows of 5z px, 6 px apart, 6 px margins: 30z + 42 px in ~298 px (the
    // frame takes the rest), so 8, the largest whole zoom that fits.
    QCOMPARE(view.zoom(), std::floor((view.maximumViewportSize().height() - 42) / 30.0));
    QCOMPARE(view.zoom(), 8.0);

    view.setTiles(grayTiles(96, 5), 6); // conv2: 16 filters x 6 input channels
    QCOMPARE(view.zoom(), 5.0); // the fit holds for new tiles, down to minSide (24 px)
    QVERIFY(!allTilesShown(view)); // and scrolls below it
    view.setZoom(1); // the user's zoom ends it
    QVERIFY(!view.isFitted());
    view.setZoom(20);
    QVERIFY(!allTilesShown(view));
    view.fitToViewport(0); // the Fit button: whatever it takes
    QVERIFY(allTilesShown(view));
    QCOMPARE(view.zoom(), 2.0); // 16 rows of 3 x 5 = 15 px and 6 px gaps need 336 px
    view.resize(500, 600);
    QTRY_VERIFY(view.zoom() > 2.0); // follows the viewport while fitted
    QVERIFY(allTilesShown(view));

    view.setTiles(grayTiles(3, 400)); // bigger than maxSide: shrinks by fractions
    view.fitToViewport(24, 160);
    QVERIFY(view.zoom() <= 160.0 / 400);
    QVERIFY(allTilesShown(view));

    // The Patches tab's scores read "#55 …": a caption wider than its patch
    // widens the cell instead.
    QVector<Tile> patches = grayTiles(9, 20);
    patches[4].caption = QStringLiteral("#55  0.123 ✂");
    view.setCaptionsVisible(true);
    view.setTiles(patches);
    view.setZoom(1);
    QVERIFY(view.tileRect(1).left() - view.tileRect(0).left()
        >= view.fontMetrics().horizontalAdvance(patches[4].caption));
}

void TestWidgets::tileGridPaintsManyTilesQuickly()
{
    TileGridView view;
    QVERIFY(showAt(view, { 800, 600 }));
    struct Case {
        int count, side;
        double zoom;
    };
    // All 4096 first-layer-sized kernels on screen at once; then 512
    // activation maps, a screenful of them.
    for (const Case& c : { Case { 4096, 3, 2 }, Case { 4096, 3, 24 }, Case { 512, 56, 1 }, Case { 512, 56, 0.25 } }) {
        view.setTiles(grayTiles(c.count, c.side));
        view.setZoom(c.zoom);
        QElapsedTimer timer;
        timer.start();
        const int frames = 10;
        for (int i = 0; i < frames; ++i) {
            view.verticalScrollBar()->setValue(i * 7);
            view.viewport()->grab(); // renders, unlike repaint() on a platform that may skip it
        }
        const double ms = static_cast<double>(timer.elapsed()) / frames;
        qInfo("TileGridView: %d tiles of %dx%d at zoom %g: %.1f ms a frame", c.count, c.side, c.side, c.zoom, ms);
        QVERIFY2(ms < 40, qPrintable(QString::number(ms))); // a few ms here
    }
}

void TestWidgets::imageViewMapsPixels()
{
    ImageView view;
    view.setPlaceholderText(QStringLiteral("No image"));
    QVERIFY(showAt(view, { 200, 200 }));
    QImage image(10, 5, QImage::Format_RGB32);
    image.fill(Qt::red);
    view.setImage(image);
    QSignalSpy hovered(&view, &ImageView::pixelHovered);

    // 10x5 fits 200x200 as 200x100, 50 px down: 20 display px per pixel.
    QTest::mouseMove(&view, { 25, 50 + 45 });
    QTRY_COMPARE(hovered.count(), 1);
    QCOMPARE(hovered.last().at(0).toPoint(), QPoint(1, 2));
    QTest::mouseMove(&view, { 25, 40 }); // above the image
    QTRY_COMPARE(hovered.count(), 2);
    QCOMPARE(hovered.last().at(0).toPoint(), QPoint(-1, -1));

    // Nearest-neighbour unless smooth: a 2x1 image upscaled keeps a hard edge.
    QImage pair(2, 1, QImage::Format_RGB32);
    pair.setPixel(0, 0, qRgb(0, 0, 0));
    pair.setPixel(1, 0, qRgb(255, 255, 255));
    view.setImage(pair);
    const QImage shot = view.grab().toImage();
    QCOMPARE(qRed(shot.pixel(98, 100)), 0);
    QCOMPARE(qRed(shot.pixel(101, 100)), 255);
}

void TestWidgets::countStrings()
{
    QCOMPARE(countString(0), QStringLiteral("0"));
    QCOMPARE(countString(999), QStringLiteral("999"));
    QCOMPARE(countString(1000), QStringLiteral("1.0K"));
    QCOMPARE(countString(9408), QStringLiteral("9.4K"));
    QCOMPARE(countString(999949), QStringLiteral("999.9K"));
    QCOMPARE(countString(999950), QStringLiteral("1.0M"));
    QCOMPARE(countString(11689512), QStringLiteral("11.7M")); // ResNet-18
    QCOMPARE(countString(1818558632), QStringLiteral("1.8G"));
    QCOMPARE(shapeString({ 64, 56, 56 }), QStringLiteral("64×56×56"));
}

void TestWidgets::moduleTreeStructure()
{
    ModuleTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setLayers(miniResNet());
    QCOMPARE(model.layerCount(), 17);

    // conv1 bn1 relu maxpool layer1 avgpool flatten classifier
    QCOMPARE(model.rowCount(), 8);
    QStringList top;
    for (int r = 0; r < model.rowCount(); ++r)
        top << model.index(r, ModuleTreeModel::Name).data().toString();
    QCOMPARE(top, QStringList({ "conv1", "bn1", "relu", "maxpool", "layer1", "avgpool", "flatten", "classifier" }));

    const QModelIndex layer1 = model.index(4, 0);
    QCOMPARE(model.rowCount(layer1), 2); // "0", "1"
    const QModelIndex block0 = model.index(0, 0, layer1);
    QCOMPARE(block0.data().toString(), QStringLiteral("0"));
    QCOMPARE(model.rowCount(block0), 6); // conv1 bn1 relu conv2 add relu#2
    QCOMPARE(model.index(5, 0, block0).data().toString(), QStringLiteral("relu#2"));
    QCOMPARE(model.rowCount(model.index(1, 0, layer1)), 3);
    QCOMPARE(model.rowCount(model.index(0, 0)), 0); // conv1 is a leaf

    // Paths and parents.
    QCOMPARE(model.indexForPath(QStringLiteral("layer1.0")), block0);
    QCOMPARE(model.indexForPath(QStringLiteral("layer1.0")).data(ModuleTreeModel::PathRole).toString(),
        QStringLiteral("layer1.0"));
    const QModelIndex conv = model.indexForLayer(4);
    QCOMPARE(conv.data(ModuleTreeModel::PathRole).toString(), QStringLiteral("layer1.0.conv1"));
    QCOMPARE(conv.parent(), block0);
    QCOMPARE(conv.parent().parent(), layer1);
    QVERIFY(!layer1.parent().isValid());
    QVERIFY(!model.indexForPath(QStringLiteral("layer2")).isValid());
    QVERIFY(!model.indexForLayer(17).isValid());
    // The layer's own node, not the module it is an alias of.
    QCOMPARE(model.indexForLayer(12).data(ModuleTreeModel::PathRole).toString(), QStringLiteral("layer1.1.relu#2"));

    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.layerCount(), 0);
}

void TestWidgets::moduleTreeRolesAndParams()
{
    ModuleTreeModel model;
    model.setLayers(miniResNet());
    auto cell = [&](const QString& path, int column, int role = Qt::DisplayRole) {
        const QModelIndex i = model.indexForPath(path);
        return model.index(i.row(), column, i.parent()).data(role);
    };
    using M = ModuleTreeModel;

    // A leaf shows its layer.
    QCOMPARE(cell("conv1", M::Op).toString(), QStringLiteral("conv2d"));
    QCOMPARE(cell("conv1", M::Shape).toString(), QStringLiteral("64×112×112"));
    QCOMPARE(cell("conv1", M::Params).toString(), QStringLiteral("9.4K"));
    QCOMPARE(cell("conv1", M::Name, M::LayerIndexRole).toInt(), 0);
    QCOMPARE(cell("classifier.1", M::Params).toString(), QStringLiteral("65.0K"));
    QCOMPARE(cell("relu", M::Params).toString(), QString());

    // An alias node shows the layer whose output it is, and the parameters
    // of everything inside it: 36864 * 2 + 128 = 73856.
    QCOMPARE(cell("layer1.0", M::Name, M::LayerIndexRole).toInt(), 9);
    QCOMPARE(cell("layer1.0", M::Op).toString(), QStringLiteral("relu"));
    QCOMPARE(cell("layer1.0", M::Shape).toString(), QStringLiteral("64×56×56"));
    QCOMPARE(cell("layer1.0", M::Params, M::SortRole).toLongLong(), 73856);
    QCOMPARE(cell("layer1.0", M::Params).toString(), QStringLiteral("73.9K"));
    QCOMPARE(cell("layer1", M::Name, M::LayerIndexRole).toInt(), 12);
    QCOMPARE(cell("layer1", M::Params, M::SortRole).toLongLong(), 73856 + 36864);
    const QString tip = cell("layer1.1", M::Name, Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("layer1.1.relu#2")) && tip.contains(QStringLiteral("layer1"))
            && tip.contains(QStringLiteral("64×56×56")),
        qPrintable(tip));

    // A pure container: no layer, no op or shape, the sum of its layers.
    QCOMPARE(cell("classifier", M::Name, M::LayerIndexRole).toInt(), -1);
    QCOMPARE(cell("classifier", M::Op).toString(), QString());
    QCOMPARE(cell("classifier", M::Shape).toString(), QString());
    QCOMPARE(cell("classifier", M::Params, M::SortRole).toLongLong(), 65000);

    // Sorting by name is forward order; by params, numeric.
    QVERIFY(cell("maxpool", M::Name, M::SortRole).toInt() < cell("layer1", M::Name, M::SortRole).toInt());
    QVERIFY(cell("layer1", M::Name, M::SortRole).toInt() < cell("avgpool", M::Name, M::SortRole).toInt());
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(M::SortRole);
    proxy.sort(M::Params, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, M::Name).data().toString(), QStringLiteral("layer1")); // 110720 > 65000 > 9408
    QCOMPARE(proxy.index(1, M::Name).data().toString(), QStringLiteral("classifier"));
    QCOMPARE(proxy.index(2, M::Name).data().toString(), QStringLiteral("conv1"));
}

void TestWidgets::moduleTreeFiltersRecursively()
{
    ModuleTreeModel model;
    model.setLayers(miniResNet());
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setRecursiveFilteringEnabled(true);
    proxy.setFilterRole(ModuleTreeModel::PathRole);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);

    proxy.setFilterFixedString(QStringLiteral("relu#2"));
    QCOMPARE(proxy.rowCount(), 1); // layer1, kept for its descendants
    const QModelIndex layer1 = proxy.index(0, 0);
    QCOMPARE(layer1.data().toString(), QStringLiteral("layer1"));
    QCOMPARE(proxy.rowCount(layer1), 2);
    QCOMPARE(proxy.rowCount(proxy.index(0, 0, layer1)), 1);
    QCOMPARE(proxy.index(0, 0, proxy.index(0, 0, layer1)).data(ModuleTreeModel::LayerIndexRole).toInt(), 9);

    // Matching on the shown name: "conv2" exists only in layer1.0.
    proxy.setFilterRole(Qt::DisplayRole);
    proxy.setFilterFixedString(QStringLiteral("conv2"));
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 1);

    proxy.setFilterFixedString(QString());
    QCOMPARE(proxy.rowCount(), 8);
}

void TestWidgets::topKChartOrderAndTexts()
{
    TopKChart chart;
    QVERIFY(showAt(chart, { 320, 200 }));
    const QString longLabel = QStringLiteral("German shepherd, German shepherd dog, German police dog, alsatian");
    chart.setPredictions({ { longLabel, 0.971 }, { "tiger cat", 0.0204 }, { "crane", 0.0051 }, { "crane", 0.001 } });
    QCOMPARE(chart.barCount(), 4);
    QCOMPARE(chart.texts(), QStringList({ longLabel + "  97.1%", "tiger cat  2.0%", "crane  0.5%", "crane  0.1%" }));

    // Best at the top: horizontal bars stack upwards, so it is the last category.
    QChartView* view = chartViews(chart).value(0);
    QVERIFY(view);
    const QStringList categories = categoryAxis(view)->categories();
    QCOMPARE(categories.size(), 4);
    // Elided in the middle: both ends of a long ImageNet name read.
    QCOMPARE(categories.last(), QStringLiteral("German sheph\u2026g, alsatian"));
    QVERIFY(categories.last().size() <= 24);
    QCOMPARE(categories.at(2), QStringLiteral("tiger cat"));
    QBarSet* set = barSet(view);
    QCOMPARE(set->at(3), 97.1);
    QCOMPARE(set->at(0), 0.1);

    chart.setPredictions({ { "a", 0.5 }, { "b", 0.25 } });
    QCOMPARE(chart.barCount(), 2);
    QCOMPARE(chart.texts(), QStringList({ "a  50.0%", "b  25.0%" }));
    chart.clear();
    QCOMPARE(chart.barCount(), 0);
    QVERIFY(chart.texts().isEmpty());

    // Live video calls this up to 30 times a second.
    QElapsedTimer timer;
    timer.start();
    const int updates = 200;
    for (int i = 0; i < updates; ++i) {
        QVector<QPair<QString, double>> top;
        for (int k = 0; k < 5; ++k)
            top.append({ QStringLiteral("class %1").arg((i / 3 + k) % 7), 0.5 / (k + 1) });
        chart.setPredictions(top);
        QCoreApplication::processEvents();
    }
    const double ms = static_cast<double>(timer.elapsed()) / updates;
    qInfo("TopKChart: %.2f ms per update including layout", ms);
    QVERIFY2(ms < 15, qPrintable(QString::number(ms))); // ~1 ms here
}

void TestWidgets::summaryChartsBars()
{
    ModelSummary summary;
    summary.rows = {
        row("conv1", 64 * 112 * 112 * 4, 9408, 118013952),
        row("relu", 64 * 112 * 112 * 4, 0, 0),
        row("maxpool", 64 * 56 * 56 * 4, 0, 0),
        row("fc", 1000 * 4, 513000, 512000),
    };
    SummaryCharts charts;
    QSignalSpy clicked(&charts, &SummaryCharts::layerClicked);
    charts.setSummary(summary);
    QCOMPARE(charts.barCount(SummaryCharts::Memory), 4);
    QCOMPARE(charts.barCount(SummaryCharts::Params), 2);
    QCOMPARE(charts.barCount(SummaryCharts::Flops), 2);
    QCOMPARE(charts.barLayer(SummaryCharts::Memory, 2), QStringLiteral("maxpool"));
    QCOMPARE(charts.barValue(SummaryCharts::Memory, 0), 3136.0); // KiB
    QCOMPARE(charts.barValue(SummaryCharts::Memory, 3), 3.90625);
    QCOMPARE(charts.barLayer(SummaryCharts::Params, 1), QStringLiteral("fc"));
    QCOMPARE(charts.barValue(SummaryCharts::Params, 1), 513000.0);
    QCOMPARE(charts.barLayer(SummaryCharts::Flops, 0), QStringLiteral("conv1"));
    QCOMPARE(charts.barValue(SummaryCharts::Flops, 0), 118013952.0);
    QCOMPARE(charts.barLayer(SummaryCharts::Flops, 5), QString());

    const QList<QChartView*> views = chartViews(charts);
    QCOMPARE(views.size(), 3);
    QCOMPARE(views[0]->chart()->title(), QStringLiteral("Activation memory per layer (KiB)"));
    QCOMPARE(views[1]->chart()->title(), QStringLiteral("Parameters per layer"));
    QCOMPARE(views[2]->chart()->title(), QStringLiteral("Multiply-adds per layer"));
    QCOMPARE(categoryAxis(views[1])->categories(), QStringList({ "conv1", "fc" }));
    QCOMPARE(categoryAxis(views[0])->categories().size(), 4);
    QVERIFY(xAxis(views[0])->labelsVisible());

    // Clicking the second bar of the parameter chart names fc.
    Q_EMIT barSet(views[1])->clicked(1);
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.last().at(0).toString(), QStringLiteral("fc"));

    // Too many names to read: the axis drops them, tooltips carry them.
    for (int i = 0; i < 30; ++i)
        summary.rows.push_back(row("extra", 4, 0, 0));
    charts.setSummary(summary);
    QCOMPARE(charts.barCount(SummaryCharts::Memory), 34);
    QVERIFY(!xAxis(views[0])->labelsVisible());
    QVERIFY(!categoryAxis(views[0])); // no label items laid out for 34 names
    QCOMPARE(categoryAxis(views[1])->categories(), QStringList({ "conv1", "fc" }));
    Q_EMIT barSet(views[0])->clicked(33);
    QCOMPARE(clicked.last().at(0).toString(), QStringLiteral("extra"));
    charts.setSummary({ {}, { row("a", 4, 1, 1) } }); // and back to names
    QCOMPARE(categoryAxis(views[0])->categories(), QStringList({ "a" }));
    QVERIFY(xAxis(views[0])->labelsVisible());

    QVERIFY(views[0]->chart()->axes(Qt::Vertical).value(0)->labelsVisible());
    charts.clear();
    QCOMPARE(charts.barCount(SummaryCharts::Memory), 0);
    // With no model the value axes read "1, 1, 0" (0..1 in whole numbers):
    // no numbers at all until there is something to count.
    for (QChartView* view : views)
        QVERIFY(!view->chart()->axes(Qt::Vertical).value(0)->labelsVisible());
}

void TestWidgets::summaryChartsAreQuickForBigModels()
{
    // DenseNet-121 has about 430 rows.
    ModelSummary summary;
    for (int i = 0; i < 430; ++i)
        summary.rows.push_back(row(qPrintable(QStringLiteral("features.block%1.layer").arg(i)), (i + 1) * 4096,
            i % 3 ? 0 : i * 100, i % 3 ? 0 : i * 10000));
    SummaryCharts charts;
    QVERIFY(showAt(charts, { 320, 600 }));
    QElapsedTimer timer;
    timer.start();
    charts.setSummary(summary);
    charts.grab(); // layout and paint included
    const qint64 ms = timer.elapsed();
    qInfo("SummaryCharts: %lld ms for 430 layers", ms);
    QCOMPARE(charts.barCount(SummaryCharts::Memory), 430);
    QCOMPARE(charts.barCount(SummaryCharts::Params), 143); // every third, bar the first (0 params)
    QVERIFY2(ms < 300, qPrintable(QString::number(ms))); // ~30 ms here; room for a loaded machine
}

// Saves pictures of each widget for a person to look at, when
// CONVSCOPE_WIDGET_SHOTS names a folder.
namespace {

void sendMouse(QWidget& widget, QEvent::Type type, QPointF pos, Qt::MouseButtons buttons,
    Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    const Qt::MouseButton button = type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton;
    QMouseEvent event(type, pos, widget.mapToGlobal(pos), button, buttons, modifiers);
    QApplication::sendEvent(&widget, &event);
}

// A press, moves and a release, as a hand does it.
void drag(QWidget& widget, QPointF from, QPointF to, Qt::KeyboardModifiers modifiers, int steps = 4)
{
    sendMouse(widget, QEvent::MouseButtonPress, from, Qt::LeftButton, modifiers);
    for (int i = 1; i <= steps; ++i)
        sendMouse(widget, QEvent::MouseMove, from + (to - from) * i / steps, Qt::LeftButton, modifiers);
    sendMouse(widget, QEvent::MouseButtonRelease, to, Qt::NoButton, modifiers);
}

// Four corners of a 10 x 5 box, and its centre.
const QVector<QPointF> kCorners { { 0, 0 }, { 10, 0 }, { 0, 5 }, { 10, 5 }, { 5, 2.5 } };

} // namespace

void TestWidgets::pointGridFindsNearestAndInside()
{
    std::vector<float> x { 0, 1, 2, 3, 1, NAN }, y { 0, 0, 0, 0, 1, 0 };
    PointGrid grid;
    grid.build(x, y);
    QCOMPARE(grid.bounds(), QRectF(0, 0, 3, 1)); // the NaN point is left out
    QCOMPARE(grid.nearest({ 1.1, 0.2 }, 0.5), 1);
    QCOMPARE(grid.nearest({ 1.1, 0.8 }, 0.5), 4);
    QCOMPARE(grid.nearest({ 1.5, 0.5 }, 0.1), -1);
    QCOMPARE(grid.nearest({ 9, 9 }, 1), -1);
    QCOMPARE(grid.nearest({ 9, 0 }, 6.5), 3);
    QCOMPARE(grid.inside(QRectF(0.5, -1, 2, 3)), (std::vector<int> { 1, 2, 4 }));
    QCOMPARE(grid.inside(QRectF(-5, -5, 20, 20)), (std::vector<int> { 0, 1, 2, 3, 4 }));
    QVERIFY(grid.inside(QRectF(5, 5, 1, 1)).empty());

    // Against a scan of every point, over many random points and queries.
    QRandomGenerator random(7);
    std::vector<float> rx(5000), ry(5000);
    for (size_t i = 0; i < rx.size(); ++i) {
        rx[i] = static_cast<float>(random.generateDouble() * 100);
        ry[i] = static_cast<float>(random.generateDouble() * 40 - 20);
    }
    grid.build(rx, ry);
    for (int q = 0; q < 200; ++q) {
        const QPointF p(random.generateDouble() * 120 - 10, random.generateDouble() * 60 - 30);
        const double radius = random.generateDouble() * 3;
        int expected = -1;
        double best = radius * radius;
        for (size_t i = 0; i < rx.size(); ++i) {
            const double dx = rx[i] - p.x(), dy = ry[i] - p.y();
            if (dx * dx + dy * dy <= best) {
                best = dx * dx + dy * dy;
                expected = static_cast<int>(i);
            }
        }
        QCOMPARE(grid.nearest(p, radius), expected);
        const QRectF box(p, QSizeF(random.generateDouble() * 30, random.generateDouble() * 20));
        std::vector<int> inside;
        for (size_t i = 0; i < rx.size(); ++i)
            if (rx[i] >= box.left() && rx[i] <= box.right() && ry[i] >= box.top() && ry[i] <= box.bottom())
                inside.push_back(static_cast<int>(i));
        QCOMPARE(grid.inside(box), inside);
    }
}

void TestWidgets::scatterViewMapsAndHits()
{
    ScatterView view;
    QVERIFY(showAt(view, { 400, 300 }));
    view.setPoints(kCorners, { 0, 1, 2, 3, 4 }, {});
    // Fitted into the widget less 12 px a side (376 x 276): 37.6 px a unit,
    // limited by the width; the centre (5, 2.5) at the widget's centre.
    QVERIFY(view.isFitted());
    QCOMPARE(view.pixelsPerUnit(), 37.6);
    QCOMPARE(view.toWidget({ 0, 0 }), QPointF(12, 244));
    QCOMPARE(view.toWidget({ 10, 5 }), QPointF(388, 56)); // y up
    QCOMPARE(view.toData({ 200, 150 }), QPointF(5, 2.5));
    QCOMPARE(view.pointAt({ 14, 242 }), 0);
    QCOMPARE(view.pointAt({ 386, 58 }), 3);
    QCOMPARE(view.pointAt({ 100, 100 }), -1);
    QCOMPARE(view.pointAt({ 200, 120 }), -1);
    QCOMPARE(view.pointAt({ 200, 120 }, 40), 4); // (200, 150)
    QCOMPARE(view.pointsIn(QRectF(0, 0, 200, 300)), (QVector<int> { 0, 2, 4 })); // x = 12, and 200 on the edge
    QCOMPARE(view.pointsIn(QRectF(QPointF(390, 0), QPointF(150, 100))), (QVector<int> { 3 })); // any corner order
    QCOMPARE(view.pointsIn(QPolygonF({ { 0, 260 }, { 220, 260 }, { 220, 140 }, { 0, 40 } })), (QVector<int> { 0, 2, 4 }));

    // Zoom keeps the point under the cursor; the others move away from it.
    view.zoomAt({ 12, 244 }, 2);
    QVERIFY(!view.isFitted());
    QCOMPARE(view.pixelsPerUnit(), 75.2);
    QCOMPARE(view.toWidget({ 0, 0 }), QPointF(12, 244));
    QCOMPARE(view.toWidget({ 10, 0 }), QPointF(764, 244));
    QCOMPARE(view.pointAt({ 388, 56 }), 4); // the centre is where the corner was
    view.pan({ 10, -5 });
    QCOMPARE(view.toWidget({ 0, 0 }), QPointF(22, 239));
    // The wheel: a notch of 120 is 1.0015^120 around the cursor.
    QWheelEvent wheel(QPointF(22, 239), view.mapToGlobal(QPointF(22, 239)), {}, { 0, 120 }, Qt::NoButton,
        Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    QVERIFY(std::abs(view.pixelsPerUnit() - 75.2 * std::pow(1.0015, 120)) < 1e-9);
    QCOMPARE(view.toWidget({ 0, 0 }), QPointF(22, 239));
    // New positions keep a moved view; Reset fits again.
    view.movePoints({ { 0, 0 }, { 20, 0 }, { 0, 5 }, { 20, 5 }, { 10, 2.5 } });
    QVERIFY(!view.isFitted());
    QCOMPARE(view.toWidget({ 0, 0 }), QPointF(22, 239));
    view.resetView();
    QCOMPARE(view.pixelsPerUnit(), 18.8);
    QCOMPARE(view.toWidget({ 20, 5 }), QPointF(388, 103)); // 276 - 94 = 182 px of height left: centred
    // While fitted, new positions are fitted too (an animation follows the points).
    view.movePoints(kCorners);
    QCOMPARE(view.pixelsPerUnit(), 37.6);

    // A legend takes room: the points are fitted beside it or below it, never under it.
    QVERIFY(view.legendRect().isEmpty());
    view.setLegend({ { 0, QStringLiteral("zero"), 1 }, { 1, QStringLiteral("one"), 1 } }, QStringLiteral("label"));
    const QRect legend = view.legendRect();
    QVERIFY(!legend.isEmpty() && view.rect().contains(legend));
    QCOMPARE(legend.right(), 400 - 1 - 6);
    QCOMPARE(legend.top(), 6);
    for (const QPointF& p : kCorners)
        QVERIFY(!legend.adjusted(-3, -3, 3, 3).contains(view.toWidget(p).toPoint()));
    // Wide and short: beside; tall and narrow: below.
    view.resize(600, 200);
    QVERIFY(view.toWidget({ 10, 5 }).x() < legend.left() + 200 - 6);
    QCOMPARE(view.toWidget({ 10, 5 }).y(), 12.0);
    view.resize(250, 500);
    QVERIFY(view.toWidget({ 10, 5 }).y() > view.legendRect().bottom());
    QCOMPARE(view.toWidget({ 0, 0 }).x(), 12.0);

    // The ring's line, set after the fit, widened the legend over the points
    // (the Embedding tab sets it last).
    view.resize(600, 200);
    view.setMarkLegend(QStringLiteral("label ≠ prediction (6 of 1000 images)"));
    view.setMarksVisible(true);
    QVERIFY(view.legendRect().width() > legend.width());
    for (const QPointF& p : kCorners)
        QVERIFY(!view.legendRect().adjusted(-3, -3, 3, 3).contains(view.toWidget(p).toPoint()));
}

void TestWidgets::scatterViewMouse()
{
    ScatterView view;
    QVERIFY(showAt(view, { 400, 300 }));
    view.setPoints(kCorners, { 0, 1, 2, 3, 4 }, { false, true, false, false, false });
    view.setCardFunction([](int index) {
        return ScatterView::Card { QImage(), QStringLiteral("point %1\nlabel %1 / prediction 9").arg(index) };
    });
    QSignalSpy hovered(&view, &ScatterView::pointHovered);
    QSignalSpy clicked(&view, &ScatterView::pointClicked);
    QSignalSpy selected(&view, &ScatterView::selectionChanged);

    sendMouse(view, QEvent::MouseMove, { 387, 57 }, Qt::NoButton);
    QCOMPARE(view.hoveredPoint(), 3);
    QCOMPARE(view.hoverText(), QStringLiteral("point 3\nlabel 3 / prediction 9"));
    QCOMPARE(hovered.count(), 1);
    QVERIFY(!view.grab().isNull()); // paints the card
    sendMouse(view, QEvent::MouseMove, { 300, 200 }, Qt::NoButton);
    QCOMPARE(view.hoveredPoint(), -1);
    QVERIFY(view.hoverText().isEmpty());

    // A click on a point reports it; the view does not move.
    sendMouse(view, QEvent::MouseButtonPress, { 13, 243 }, Qt::LeftButton);
    sendMouse(view, QEvent::MouseButtonRelease, { 13, 243 }, Qt::NoButton);
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.first().first().toInt(), 0);
    QVERIFY(view.isFitted());

    // Shift+drag: a box; Ctrl+drag: a lasso; a click beside the points clears.
    drag(view, { 0, 0 }, { 250, 300 }, Qt::ShiftModifier);
    QCOMPARE(view.selection(), (QVector<int> { 0, 2, 4 }));
    QCOMPARE(selected.count(), 1);
    QCOMPARE(clicked.count(), 1);
    QVERIFY(view.isFitted());
    sendMouse(view, QEvent::MouseButtonPress, { 380, 250 }, Qt::LeftButton, Qt::ControlModifier);
    for (QPointF p : { QPointF(400, 250), QPointF(400, 40), QPointF(180, 40), QPointF(180, 250) })
        sendMouse(view, QEvent::MouseMove, p, Qt::LeftButton, Qt::ControlModifier);
    sendMouse(view, QEvent::MouseButtonRelease, { 180, 250 }, Qt::NoButton, Qt::ControlModifier);
    QCOMPARE(view.selection(), (QVector<int> { 1, 3, 4 }));
    sendMouse(view, QEvent::MouseButtonPress, { 300, 200 }, Qt::LeftButton);
    sendMouse(view, QEvent::MouseButtonRelease, { 300, 200 }, Qt::NoButton);
    QVERIFY(view.selection().isEmpty());
    QCOMPARE(selected.count(), 3);

    // A plain drag pans by as much as the mouse moved.
    drag(view, { 300, 200 }, { 260, 230 }, Qt::NoModifier);
    QVERIFY(!view.isFitted());
    QCOMPARE(view.toWidget({ 0, 0 }), QPointF(12 - 40, 244 + 30));
    QCOMPARE(clicked.count(), 1);
    sendMouse(view, QEvent::MouseButtonDblClick, { 200, 150 }, Qt::LeftButton);
    QVERIFY(view.isFitted());
}

void TestWidgets::scatterViewDrawsClassColours()
{
    ScatterView view;
    QVERIFY(showAt(view, { 400, 300 }));
    view.setPoints(kCorners, { 0, 1, 2, 3, -1 }, { false, false, false, false, true });
    auto colourAt = [&view](int index) {
        const QPoint at = view.toWidget(view.point(index)).toPoint();
        return QColor(view.image().pixel(at));
    };
    // matplotlib's tab10 blue, orange, green, red; gray for no class.
    QCOMPARE(colourAt(0), QColor(31, 119, 180));
    QCOMPARE(colourAt(1), QColor(255, 127, 14));
    QCOMPARE(colourAt(3), QColor(214, 39, 40));
    QCOMPARE(colourAt(4), QColor(128, 128, 128));
    // The ring of a marked point is dark, just outside its dot.
    const QPoint centre = view.toWidget(view.point(4)).toPoint();
    const int ring = static_cast<int>(std::lround(view.dotRadius() + 1));
    QVERIFY(QColor(view.image().pixel(centre + QPoint(ring, 0))).value() < 120);
    view.setMarksVisible(false);
    QCOMPARE(QColor(view.image().pixel(centre + QPoint(ring + 1, 0))), QColor(Qt::white));
    // A selection fades the others.
    view.setSelection({ 1 });
    QCOMPARE(colourAt(1), QColor(255, 127, 14));
    QVERIFY(QColor(colourAt(0)).value() > 200 && QColor(colourAt(0)).saturation() < 120);
}

void TestWidgets::scatterViewPaints70kPointsQuickly()
{
    // 70,000 points in ten clusters (MNIST's size), 2 % of them ringed.
    QRandomGenerator random(3);
    QVector<QPointF> points;
    QVector<int> classes;
    QVector<bool> marked;
    for (int i = 0; i < 70000; ++i) {
        const int c = i % 10;
        const double angle = c * 0.628;
        points.append({ 40 * std::cos(angle) + random.bounded(20.0), 40 * std::sin(angle) + random.bounded(20.0) });
        classes.append(c);
        marked.append(random.bounded(50) == 0);
    }
    ScatterView view;
    QVERIFY(showAt(view, { 1000, 800 }));
    QVector<ScatterView::LegendEntry> legend;
    for (int c = 0; c < 10; ++c)
        legend.append({ c, QString::number(c), 7000 });
    view.setLegend(legend, QStringLiteral("label"));
    QElapsedTimer timer;
    timer.start();
    view.setPoints(points, classes, marked);
    const double setMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    // A frame: new positions (the grid rebuilt), the dots redrawn, painted.
    const int frames = 10;
    double layerMs = 0;
    timer.restart();
    for (int f = 0; f < frames; ++f) {
        for (QPointF& p : points)
            p += QPointF(0.01, -0.01);
        view.movePoints(points);
        view.grab();
        layerMs += view.lastLayerMs();
    }
    const double frameMs = static_cast<double>(timer.nsecsElapsed()) / 1e6 / frames;
    // Hover: 1000 hit tests.
    timer.restart();
    int hits = 0;
    for (int q = 0; q < 1000; ++q)
        hits += view.pointAt(QPointF(q % 1000, (q * 7) % 800)) >= 0;
    const double hitUs = static_cast<double>(timer.nsecsElapsed()) / 1e3 / 1000;
    timer.restart();
    const int inBox = view.pointsIn(QRectF(100, 100, 500, 400)).size();
    const double boxMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    qInfo("ScatterView, 70000 points at 1000x800: setPoints %.1f ms; a frame %.1f ms (dots %.1f ms); "
          "a hit test %.1f us (%d of 1000 hit); a box of %d points %.2f ms",
        setMs, frameMs, layerMs / frames, hitUs, hits, inBox, boxMs);
    QVERIFY2(frameMs < 100, qPrintable(QString::number(frameMs))); // ~10 ms here
    QVERIFY2(hitUs < 200, qPrintable(QString::number(hitUs)));
    QVERIFY(hits > 100 && inBox > 1000);
}

namespace {
const QStringList kFashionClasses { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
    "Bag", "Ankle boot" };

// A Fashion-MNIST test pass of a small CNN (~90 %): 1000 images a class,
// shirts taken for T-shirts, coats for pullovers, boots for sneakers.
QVector<qint64> fashionConfusion()
{
    return {
        860, 1, 15, 20, 3, 1, 95, 0, 5, 0, //
        2, 978, 1, 13, 3, 0, 2, 0, 1, 0, //
        16, 1, 855, 9, 62, 0, 56, 0, 1, 0, //
        18, 5, 10, 912, 28, 0, 25, 0, 2, 0, //
        1, 1, 60, 25, 870, 0, 42, 0, 1, 0, //
        0, 0, 0, 0, 0, 975, 0, 17, 1, 7, //
        100, 1, 55, 22, 55, 0, 760, 0, 7, 0, //
        0, 0, 0, 0, 0, 9, 0, 967, 0, 24, //
        4, 1, 3, 4, 2, 2, 5, 3, 975, 1, //
        0, 0, 0, 0, 0, 6, 1, 37, 0, 956, //
    };
}

bool isColourful(QRgb pixel)
{
    const int r = qRed(pixel), g = qGreen(pixel), b = qBlue(pixel);
    return std::max({ r, g, b }) - std::min({ r, g, b }) > 40;
}
} // namespace

void TestWidgets::confusionMatrixRoundTrip()
{
    ConfusionMatrixView view;
    QCOMPARE(view.classCount(), 0);
    view.setMatrix(fashionConfusion(), kFashionClasses);
    QCOMPARE(view.classCount(), 10);
    const QVector<qint64> counts = fashionConfusion();
    for (int truth = 0; truth < 10; ++truth) {
        QCOMPARE(view.rowTotal(truth), 1000);
        for (int predicted = 0; predicted < 10; ++predicted)
            QCOMPARE(view.count(truth, predicted), counts[truth * 10 + predicted]);
    }
    QCOMPARE(view.count(6, 0), 100); // Shirt taken for T-shirt/top
    QCOMPARE(view.count(10, 0), 0);
    QCOMPARE(view.count(-1, 0), 0);
    QCOMPARE(view.className(9), QStringLiteral("Ankle boot"));
    QCOMPARE(
        view.cellToolTip(9, 7), QStringLiteral("Ankle boot predicted as Sneaker: 37 images (3.7 % of Ankle boot)"));
    QCOMPARE(view.cellToolTip(8, 9), QStringLiteral("Bag predicted as Ankle boot: 1 image (0.1 % of Bag)"));
    QCOMPARE(view.cellToolTip(1, 1), QStringLiteral("Trouser predicted correctly: 978 images (97.8 % of Trouser)"));

    // K from the counts when the names do not match; missing names are made up.
    view.setMatrix({ 5, 1, 2, 7 }, { "cat" });
    QCOMPARE(view.classCount(), 2);
    QCOMPARE(view.count(1, 0), 2);
    QCOMPARE(view.className(1), QStringLiteral("class 1"));
    QCOMPARE(view.cellToolTip(0, 1), QStringLiteral("cat predicted as class 1: 1 image (16.7 % of cat)"));

    QTest::ignoreMessage(QtWarningMsg, "ConfusionMatrixView: 5 counts make no square matrix");
    view.setMatrix({ 1, 2, 3, 4, 5 }, {});
    QCOMPARE(view.classCount(), 0);
}

void TestWidgets::confusionMatrixLaysOutSquareCells()
{
    ConfusionMatrixView view;
    QCOMPARE(view.sizeHint(), QSize(380, 380));
    QVERIFY(view.minimumSizeHint().width() <= 240 && view.minimumSizeHint().height() <= 240);
    view.setMatrix(fashionConfusion(), kFashionClasses);
    for (const QSize size : { QSize(380, 380), QSize(360, 360), QSize(240, 240), QSize(600, 300) }) {
        view.resize(size);
        const QRect first = view.cellRect(0, 0);
        QVERIFY2(first.width() == first.height() && first.width() > 0, qPrintable(QDebug::toString(size)));
        for (int truth = 0; truth < 10; ++truth)
            for (int predicted = 0; predicted < 10; ++predicted) {
                const QRect cell = view.cellRect(truth, predicted);
                QCOMPARE(cell.size(), first.size());
                QCOMPARE(cell.topLeft(), first.topLeft() + QPoint(predicted, truth) * first.width());
                QVERIFY(view.rect().contains(cell));
                QCOMPARE(view.cellAt(cell.center()), QPoint(predicted, truth));
            }
        // Room on the left and on top for the names and the axis titles.
        QVERIFY(first.left() > 40 && first.top() > 40);
    }
    view.resize(380, 380);
    QVERIFY(view.cellRect(0, 0).width() >= 24);
    QVERIFY(view.countsVisible());
    QVERIFY(view.cellRect(0, 0).isValid());
    QVERIFY(!view.cellRect(0, 10).isValid());
    QCOMPARE(view.cellAt({ 1, 1 }), QPoint(-1, -1));

    // 40 classes at 240 px: colours only.
    view.resize(240, 240);
    view.setMatrix(QVector<qint64>(1600, 3), {});
    QVERIFY(view.cellRect(0, 0).width() < 14);
    QVERIFY(!view.countsVisible());
}

void TestWidgets::confusionMatrixClickEmitsCell()
{
    ConfusionMatrixView view;
    view.resize(380, 380);
    view.setMatrix(fashionConfusion(), kFashionClasses);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy clicked(&view, &ConfusionMatrixView::cellClicked);

    QTest::mouseClick(&view, Qt::LeftButton, {}, view.cellRect(6, 0).center());
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.takeFirst(), (QVariantList { 6, 0 }));
    QCOMPARE(view.selectedCell(), QPoint(0, 6));

    QTest::mouseClick(&view, Qt::LeftButton, {}, view.cellRect(9, 7).center());
    QCOMPARE(clicked.takeFirst(), (QVariantList { 9, 7 }));
    QCOMPARE(view.selectedCell(), QPoint(7, 9));

    // Beside the grid (the labels): nothing, and the choice stays.
    QTest::mouseClick(&view, Qt::LeftButton, {}, QPoint(2, 2));
    QTest::mouseClick(&view, Qt::RightButton, {}, view.cellRect(1, 1).center());
    QCOMPARE(clicked.count(), 0);
    QCOMPARE(view.selectedCell(), QPoint(7, 9));

    // Hovering a cell tells its numbers.
    const QPoint boots = view.cellRect(9, 7).center();
    QHelpEvent help(QEvent::ToolTip, boots, view.mapToGlobal(boots));
    QCoreApplication::sendEvent(&view, &help);
    QTRY_COMPARE(QToolTip::text(), QStringLiteral("Ankle boot predicted as Sneaker: 37 images (3.7 % of Ankle boot)"));
    QToolTip::hideText();

    // A new pass with the same classes keeps the chosen cell.
    view.setMatrix(fashionConfusion(), kFashionClasses);
    QCOMPARE(view.selectedCell(), QPoint(7, 9));
    view.setSelectedCell({ 12, 0 });
    QCOMPARE(view.selectedCell(), QPoint(-1, -1));
    view.setSelectedCell({ 2, 4 });
    QCOMPARE(view.selectedCell(), QPoint(2, 4));
}

void TestWidgets::confusionMatrixKeyboard()
{
    ConfusionMatrixView view;
    view.resize(380, 380);
    view.setMatrix(fashionConfusion(), kFashionClasses);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.focusPolicy(), Qt::StrongFocus);
    view.setFocus();
    QSignalSpy clicked(&view, &ConfusionMatrixView::cellClicked);

    QTest::keyClick(&view, Qt::Key_Return); // nothing chosen yet
    QCOMPARE(clicked.count(), 0);
    QTest::keyClick(&view, Qt::Key_Right); // the first key chooses the top left cell
    QCOMPARE(view.selectedCell(), QPoint(0, 0));
    QTest::keyClick(&view, Qt::Key_Right);
    QTest::keyClick(&view, Qt::Key_Down);
    QTest::keyClick(&view, Qt::Key_Down);
    QCOMPARE(view.selectedCell(), QPoint(1, 2));
    for (int i = 0; i < 5; ++i)
        QTest::keyClick(&view, Qt::Key_Left); // stops at the edge
    QCOMPARE(view.selectedCell(), QPoint(0, 2));
    QTest::keyClick(&view, Qt::Key_Enter);
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.takeFirst(), (QVariantList { 2, 0 }));

    for (int i = 0; i < 12; ++i)
        QTest::keyClick(&view, Qt::Key_Down);
    QTest::keyClick(&view, Qt::Key_End);
    QCOMPARE(view.selectedCell(), QPoint(9, 9));
    QTest::keyClick(&view, Qt::Key_Up);
    QTest::keyClick(&view, Qt::Key_Left);
    QTest::keyClick(&view, Qt::Key_Left);
    QTest::keyClick(&view, Qt::Key_Space);
    QTest::keyClick(&view, Qt::Key_Return);
    QCOMPARE(clicked.count(), 2);
    QCOMPARE(clicked.at(0), (QVariantList { 8, 7 }));
    QCOMPARE(clicked.at(1), (QVariantList { 8, 7 }));
}

void TestWidgets::confusionMatrixClearShowsNoCell()
{
    ConfusionMatrixView view;
    view.resize(380, 380);
    view.setMatrix(fashionConfusion(), kFashionClasses);
    view.setSelectedCell({ 0, 6 });
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QImage filled = view.grab().toImage();
    int colourful = 0;
    for (int y = 0; y < filled.height(); ++y)
        for (int x = 0; x < filled.width(); ++x)
            colourful += isColourful(filled.pixel(x, y));
    QVERIFY(colourful > 5000); // ten blue cells at least

    view.clear();
    QCOMPARE(view.classCount(), 0);
    QCOMPARE(view.count(0, 0), 0);
    QCOMPARE(view.selectedCell(), QPoint(-1, -1));
    QVERIFY(view.cellRect(0, 0).isEmpty());
    QCOMPARE(view.cellAt(view.rect().center()), QPoint(-1, -1));
    QVERIFY(!view.countsVisible());

    QSignalSpy clicked(&view, &ConfusionMatrixView::cellClicked);
    QTest::mouseClick(&view, Qt::LeftButton, {}, view.rect().center());
    QTest::keyClick(&view, Qt::Key_Right);
    QTest::keyClick(&view, Qt::Key_Return);
    QCOMPARE(clicked.count(), 0);
    QCOMPARE(view.selectedCell(), QPoint(-1, -1));

    // Only the hint is drawn: no coloured cell anywhere, and a little text in the middle.
    const QImage empty = view.grab().toImage();
    const QRgb background = empty.pixel(0, 0);
    QRect ink;
    for (int y = 0; y < empty.height(); ++y)
        for (int x = 0; x < empty.width(); ++x) {
            QVERIFY(!isColourful(empty.pixel(x, y)));
            if (empty.pixel(x, y) != background)
                ink |= QRect(x, y, 1, 1);
        }
    QVERIFY(!ink.isEmpty());
    QVERIFY(ink.height() < 40);
    QVERIFY(qAbs(ink.center().x() - empty.width() / 2) < 6 && qAbs(ink.center().y() - empty.height() / 2) < 6);
}

void TestWidgets::screenshots()
{
    const QString dir = qEnvironmentVariable("CONVSCOPE_WIDGET_SHOTS");
    if (dir.isEmpty())
        QSKIP("set CONVSCOPE_WIDGET_SHOTS=folder to save screenshots");
    QDir().mkpath(dir);

    QVector<Tile> tiles;
    for (int i = 0; i < 24; ++i) {
        QImage kernel(3, 3, QImage::Format_Grayscale8);
        for (int p = 0; p < 9; ++p)
            kernel.setPixel(p % 3, p / 3, qRgb((i * 31 + p * 57) % 256, 0, 0));
        tiles.append({ kernel, QStringLiteral("f%1").arg(i) });
    }
    TileGridView grid;
    grid.resize(320, 300);
    grid.setCaptionsVisible(true);
    grid.setTiles(tiles);
    grid.fitZoom(40);
    grid.setSelectedTile(5);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    QVERIFY(grid.renderAll().save(dir + "/tile_grid.png"));
    QVERIFY(grid.grab().save(dir + "/tile_grid_view.png"));

    TopKChart top;
    top.resize(320, 200);
    top.setPredictions({ { "German shepherd, German shepherd dog, German police dog, alsatian", 0.871 },
        { "malinois", 0.062 }, { "Norwegian elkhound, elkhound", 0.031 }, { "kelpie", 0.012 }, { "Leonberg", 0.004 } });
    top.show();
    QVERIFY(QTest::qWaitForWindowExposed(&top));
    QVERIFY(top.grab().save(dir + "/top_k.png"));

    ModelSummary summary;
    for (const LayerInfo& l : miniResNet()) {
        int64_t elements = 1;
        for (int64_t s : l.shape)
            elements *= s;
        summary.rows.push_back(row(l.name.c_str(), elements * 4, l.geometry.params, l.geometry.params * 3136));
    }
    SummaryCharts charts;
    charts.resize(320, 560);
    charts.setSummary(summary);
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    QVERIFY(charts.grab().save(dir + "/summary.png"));

    ModelSummary big; // ResNet-18 sized: names give way to tooltips
    for (int i = 0; i < 69; ++i)
        big.rows.push_back(row(qPrintable(QStringLiteral("layer%1").arg(i)), (70 - i) * 40000, i % 4 ? 0 : i * 9000,
            i % 4 ? 0 : i * 400000));
    charts.setSummary(big);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); // the old axis's labels
    QCoreApplication::processEvents();
    QVERIFY(charts.grab().save(dir + "/summary_many.png"));

    QVector<Tile> maps = grayTiles(64, 56);
    for (Tile& map : maps)
        for (int y = 0; y < 56; ++y)
            for (int x = 0; x < 56; ++x)
                map.image.setPixel(x, y, qRgb((x * y) % 256, 0, 0));
    grid.setTiles(maps);
    grid.fitZoom(64);
    QVERIFY(grid.grab().save(dir + "/tile_grid_maps.png"));

    ConfusionMatrixView confusion;
    confusion.resize(380, 380);
    confusion.setMatrix(fashionConfusion(), kFashionClasses);
    confusion.setSelectedCell({ 0, 6 });
    confusion.show();
    QVERIFY(QTest::qWaitForWindowExposed(&confusion));
    QVERIFY(confusion.grab().save(dir + "/confusion.png"));
    confusion.resize(240, 240);
    QVERIFY(confusion.grab().save(dir + "/confusion_small.png"));
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    confusion.setPalette(dark);
    confusion.resize(380, 380);
    QVERIFY(confusion.grab().save(dir + "/confusion_dark.png"));
    confusion.clear();
    QVERIFY(confusion.grab().save(dir + "/confusion_empty.png"));
}

QTEST_MAIN(TestWidgets)
#include "test_widgets.moc"
