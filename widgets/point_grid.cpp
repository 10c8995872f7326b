#include "widgets/point_grid.h"

#include <algorithm>
#include <cmath>

namespace convscope
{

void PointGrid::clear()
{
    m_x = m_y = nullptr;
    m_bounds = {};
    m_cols = m_rows = 0;
    m_start.clear();
    m_items.clear();
}

void PointGrid::build(const std::vector<float>& x, const std::vector<float>& y)
{
    clear();
    m_x = &x;
    m_y = &y;
    const size_t n = std::min(x.size(), y.size());
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    int finite = 0;
    for (size_t i = 0; i < n; ++i)
        if (std::isfinite(x[i]) && std::isfinite(y[i])) {
            x0 = std::min<double>(x0, x[i]);
            x1 = std::max<double>(x1, x[i]);
            y0 = std::min<double>(y0, y[i]);
            y1 = std::max<double>(y1, y[i]);
            ++finite;
        }
    if (finite == 0)
        return;
    m_bounds = QRectF(QPointF(x0, y0), QPointF(x1, y1));
    // Square buckets, about two points each, at most 1024 a side.
    const double w = std::max(x1 - x0, 1e-12), h = std::max(y1 - y0, 1e-12);
    m_cell = std::sqrt(w * h / std::max(1.0, finite / 2.0));
    m_cell = std::max({ m_cell, w / 1024, h / 1024 });
    m_cols = std::max(1, static_cast<int>(std::ceil(w / m_cell)));
    m_rows = std::max(1, static_cast<int>(std::ceil(h / m_cell)));
    std::vector<int> bucket(n, -1);
    m_start.assign(static_cast<size_t>(m_cols) * m_rows + 1, 0);
    for (size_t i = 0; i < n; ++i) {
        if (!(std::isfinite(x[i]) && std::isfinite(y[i])))
            continue;
        int c0, r0, c1, r1;
        range(x[i], y[i], x[i], y[i], c0, r0, c1, r1);
        bucket[i] = r0 * m_cols + c0;
        ++m_start[static_cast<size_t>(bucket[i]) + 1];
    }
    for (size_t b = 1; b < m_start.size(); ++b)
        m_start[b] += m_start[b - 1];
    m_items.resize(static_cast<size_t>(finite));
    std::vector<int> fill(m_start.begin(), m_start.end() - 1);
    for (size_t i = 0; i < n; ++i)
        if (bucket[i] >= 0)
            m_items[static_cast<size_t>(fill[static_cast<size_t>(bucket[i])]++)] = static_cast<int>(i);
}

void PointGrid::range(double x0, double y0, double x1, double y1, int& c0, int& r0, int& c1, int& r1) const
{
    auto clampTo = [](double v, int count) {
        if (!(v > 0))
            return 0;
        return v >= count - 1 ? count - 1 : static_cast<int>(v);
    };
    c0 = clampTo((x0 - m_bounds.left()) / m_cell, m_cols);
    c1 = clampTo((x1 - m_bounds.left()) / m_cell, m_cols);
    r0 = clampTo((y0 - m_bounds.top()) / m_cell, m_rows);
    r1 = clampTo((y1 - m_bounds.top()) / m_cell, m_rows);
}

int PointGrid::nearest(QPointF p, double radius) const
{
    if (m_items.empty() || !(radius >= 0))
        return -1;
    const QRectF reach(p.x() - radius, p.y() - radius, 2 * radius, 2 * radius);
    if (!reach.intersects(m_bounds.adjusted(-1e-9, -1e-9, 1e-9, 1e-9)))
        return -1;
    int c0, r0, c1, r1;
    range(reach.left(), reach.top(), reach.right(), reach.bottom(), c0, r0, c1, r1);
    int best = -1;
    double bestSq = radius * radius;
    for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) {
            const size_t b = static_cast<size_t>(r) * m_cols + c;
            for (int k = m_start[b]; k < m_start[b + 1]; ++k) {
                const int i = m_items[static_cast<size_t>(k)];
                const double dx = (*m_x)[static_cast<size_t>(i)] - p.x(), dy = (*m_y)[static_cast<size_t>(i)] - p.y();
                const double sq = dx * dx + dy * dy;
                if (sq < bestSq || (sq == bestSq && i > best)) {
                    bestSq = sq;
                    best = i;
                }
            }
        }
    return best;
}

std::vector<int> PointGrid::inside(const QRectF& box) const
{
    std::vector<int> found;
    const QRectF b = box.normalized();
    if (m_items.empty() || b.right() < m_bounds.left() || b.left() > m_bounds.right() || b.bottom() < m_bounds.top()
        || b.top() > m_bounds.bottom())
        return found;
    int c0, r0, c1, r1;
    range(b.left(), b.top(), b.right(), b.bottom(), c0, r0, c1, r1);
    for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) {
            const size_t bucket = static_cast<size_t>(r) * m_cols + c;
            for (int k = m_start[bucket]; k < m_start[bucket + 1]; ++k) {
                const int i = m_items[static_cast<size_t>(k)];
                const double x = (*m_x)[static_cast<size_t>(i)], y = (*m_y)[static_cast<size_t>(i)];
                if (x >= b.left() && x <= b.right() && y >= b.top() && y <= b.bottom())
                    found.push_back(i);
            }
        }
    std::sort(found.begin(), found.end());
    return found;
}

} // namespace convscope
