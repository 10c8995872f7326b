#pragma once

#include <QPointF>
#include <QRectF>

#include <vector>

namespace convscope
{

// A uniform grid of buckets over a set of 2-D points (about two points a
// bucket), so that "which point is near here" and "which points are in this
// box" visit only the buckets concerned instead of every point. Points with
// a non-finite coordinate are left out.
class PointGrid
{
public:
    void build(const std::vector<float>& x, const std::vector<float>& y);
    void clear();
    bool isEmpty() const { return m_items.empty(); }
    // The bounding box of the points (empty if none).
    QRectF bounds() const { return m_bounds; }

    // The point nearest `p` within `radius` (all in the points' units), -1 if none;
    // of equally near points, the last (the one drawn on top).
    int nearest(QPointF p, double radius) const;
    // Indices, ascending, of the points inside `box` (edges included).
    std::vector<int> inside(const QRectF& box) const;

private:
    // The buckets overlapping [x0, x1] x [y0, y1], clamped to the grid.
    void range(double x0, double y0, double x1, double y1, int& c0, int& r0, int& c1, int& r1) const;

    const std::vector<float>* m_x = nullptr;
    const std::vector<float>* m_y = nullptr;
    QRectF m_bounds;
    double m_cell = 1;
    int m_cols = 0, m_rows = 0;
    std::vector<int> m_start; // bucket b holds m_items[m_start[b] .. m_start[b + 1])
    std::vector<int> m_items;
};

} // namespace convscope
