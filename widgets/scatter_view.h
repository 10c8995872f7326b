#pragma once

#include <QColor>
#include <QImage>
#include <QPointF>
#include <QPolygonF>
#include <QString>
#include <QVector>
#include <QWidget>

#include <functional>
#include <memory>

class QPainter;

namespace convscope
{

// A scatter plot of up to ~100,000 points (a feature embedding), coloured by
// class with core's class colours, and a legend. The dots are stamped into a
// cached image that is redrawn only when the points, colours or view change;
// hover, the rubber band and the hover card are painted over it. Hit tests go
// through a grid over the points, never a scan of all of them.
//
// Drag pans, the wheel zooms around the cursor, a double click fits the view
// again; Shift+drag selects the points in a box, Ctrl+drag those in a lasso;
// a click on a point reports it, a click beside every point clears the
// selection. The y axis points up.
class ScatterView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScatterView)
public:
    struct LegendEntry {
        int colourClass = -1; // classColour's index; -1 gray
        QString name;
        int count = 0;
    };
    // An arrow over the points, in data coordinates (an image placed into
    // the map, clean to adversarial), with a label at each end.
    struct Arrow {
        QPointF from, to;
        QColor colour;
        QString fromLabel, toLabel;
    };
    // What the hover card shows for a point.
    struct Card {
        QImage image;
        QString text; // lines
    };
    using CardFunction = std::function<Card(int index)>;

    explicit ScatterView(QWidget* parent = nullptr);
    ~ScatterView() override;

    // New points: `classes` picks each one's colour (classColour; -1 gray),
    // `marked` rings it (e.g. misclassified). Clears the selection and fits
    // the view.
    void setPoints(const QVector<QPointF>& points, const QVector<int>& classes, const QVector<bool>& marked);
    // The same points at new positions (an animation frame): colours, marks
    // and selection stay; the view follows the points unless the user has
    // zoomed or panned.
    void movePoints(const QVector<QPointF>& points);
    void setClasses(const QVector<int>& classes);
    void setLegend(const QVector<LegendEntry>& entries, const QString& title = {});
    QRect legendRect() const; // where the legend is drawn (top right; empty if none)
    void clear();
    int pointCount() const;
    QPointF point(int index) const;

    void setMarksVisible(bool visible);
    bool marksVisible() const;
    void setMarkLegend(const QString& text); // the legend's line for a ring; empty: none
    void setCardFunction(CardFunction card);
    void setPlaceholderText(const QString& text); // shown while there are no points
    // Drawn over the dots until replaced; setPoints() and clear() remove them.
    void setArrows(const QVector<Arrow>& arrows);
    const QVector<Arrow>& arrows() const;

    // The view: fitted to the points (beside the legend) until the user
    // zooms or pans; resetView() fits it again.
    void resetView();
    bool isFitted() const;
    // Scales by `factor` keeping the point under `widgetPos` where it is.
    void zoomAt(QPointF widgetPos, double factor);
    void pan(QPointF widgetDelta);
    double pixelsPerUnit() const;
    QPointF toWidget(QPointF point) const;
    QPointF toData(QPointF widgetPos) const;
    double dotRadius() const; // in widget pixels

    // The point nearest `widgetPos` within `radius` pixels (default: the dot
    // radius plus 3), -1 if none.
    int pointAt(QPointF widgetPos, double radius = -1) const;
    // Indices, ascending, of the points drawn inside a widget rectangle or polygon.
    QVector<int> pointsIn(const QRectF& widgetRect) const;
    QVector<int> pointsIn(const QPolygonF& widgetPolygon) const;

    // Selected points keep their colour; the others fade.
    void setSelection(const QVector<int>& indices);
    const QVector<int>& selection() const;
    int hoveredPoint() const;
    QString hoverText() const; // the hover card's text, empty when none

    // The plot with its legend as shown, without hover or rubber band.
    QImage image() const;
    // Milliseconds the last redraw of the dots took.
    double lastLayerMs() const;

Q_SIGNALS:
    void pointHovered(int index); // -1 when the mouse leaves the points
    void pointClicked(int index);
    void selectionChanged(const QVector<int>& indices);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void setHovered(int index);
    void drawArrows(QPainter& painter) const;
    void legendChanged();
    void pointsChanged();
    void viewChanged();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
