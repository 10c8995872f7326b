#pragma once

#include <QAbstractScrollArea>
#include <QImage>
#include <QString>
#include <QVector>

#include <memory>

namespace convscope {

struct Tile {
    QImage image;    // any size; tiles of one grid are usually the same size
    QString caption; // drawn under the tile when captions are on
};

// A scrollable grid of many small images (filters, channel maps, patches),
// zoomed with nearest-neighbour scaling so that 3x3 kernels stay crisp.
// Paints only the visible tiles, so thousands of tiles scroll smoothly.
// Ctrl+wheel zooms; a click selects a tile.
class TileGridView final : public QAbstractScrollArea {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TileGridView)
public:
    explicit TileGridView(QWidget* parent = nullptr);
    ~TileGridView() override;

    // Replaces the tiles; keeps the zoom. columns == 0 lays them out to fill
    // the viewport width (or near-square when exporting).
    void setTiles(QVector<Tile> tiles, int columns = 0);
    void clear();
    int tileCount() const;
    const Tile& tile(int index) const;
    int columns() const; // as laid out now

    // Display pixels per tile pixel (>= 0.25). fitZoom() picks the zoom that
    // makes the largest tile about `target` display pixels wide.
    void setZoom(double zoom);
    double zoom() const;
    void fitZoom(int target = 64);
    // The largest whole zoom that shows every tile without scrolling, keeping
    // tiles between minSide and maxSide display pixels (scrolls below minSide).
    // The fit follows later resizes and tiles until setZoom() (the user's).
    void fitToViewport(int minSide = 24, int maxSide = 160);
    bool isFitted() const;
    void setCaptionsVisible(bool visible);
    // One zoom step in or out (whole numbers from 1 up), as Ctrl+wheel does.
    void zoomIn();
    void zoomOut();

    void setSelectedTile(int index); // -1 for none
    int selectedTile() const;

    // Where tile `index` is drawn, in viewport coordinates (empty if none),
    // and the tile at a viewport position (-1 between and outside tiles).
    QRect tileRect(int index) const;
    int tileAt(QPoint viewportPos) const;

    // The whole grid at the current zoom (not only the visible part), for export.
    QImage renderAll() const;

Q_SIGNALS:
    // `pixel` is in the tile image's own coordinates; index -1 when the mouse
    // leaves the tiles.
    void tileHovered(int index, QPoint pixel);
    void tileClicked(int index);
    // A double-click: "open this one".
    void tileActivated(int index);
    void zoomChanged(double zoom);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    void applyZoom(double zoom);
    void applyFit();
    bool viewportEvent(QEvent* event) override;

    struct Private;
    std::unique_ptr<Private> d;
};

// "− ×8 + Fit" buttons that drive a grid's zoom, for the views' tool rows.
QWidget* createZoomBar(TileGridView* grid, QWidget* parent = nullptr);

} // namespace convscope
