#include "widgets/dot_stamp.h"

#include <algorithm>
#include <cmath>

namespace convscope
{

namespace
{

// Coverage of each pixel of a (2·half + 1)² mask by the band of distances
// [inner, outer] from its centre, smoothed over one pixel.
std::vector<uint8_t> band(int half, double inner, double outer)
{
    std::vector<uint8_t> alpha;
    alpha.reserve(static_cast<size_t>((2 * half + 1) * (2 * half + 1)));
    for (int dy = -half; dy <= half; ++dy)
        for (int dx = -half; dx <= half; ++dx) {
            const double r = std::hypot(dx, dy);
            const double a = std::clamp(std::min(outer + 0.5 - r, r - inner + 0.5), 0.0, 1.0);
            alpha.push_back(static_cast<uint8_t>(std::lround(255 * a)));
        }
    return alpha;
}

} // namespace

DotStamp::DotStamp(int half, double inner, double outer)
    : m_half(half)
    , m_alpha(band(half, inner, outer))
{
    // Only the covered columns of each row are visited when drawing.
    const int side = 2 * half + 1;
    for (int row = 0; row < side; ++row) {
        int first = half + 1, last = -half - 1;
        for (int dx = -half; dx <= half; ++dx)
            if (m_alpha[static_cast<size_t>(row * side + dx + half)] > 0) {
                first = std::min(first, dx);
                last = std::max(last, dx);
            }
        m_first.push_back(first);
        m_last.push_back(last);
    }
}

DotStamp DotStamp::disc(double radius)
{
    return DotStamp(static_cast<int>(std::ceil(radius + 0.5)), -1.0, radius);
}

DotStamp DotStamp::ring(double radius, double width)
{
    return DotStamp(static_cast<int>(std::ceil(radius + width + 0.5)), radius, radius + width);
}

void DotStamp::draw(QImage& image, int x, int y, QRgb colour) const
{
    const int w = image.width(), h = image.height();
    if (x + m_half < 0 || y + m_half < 0 || x - m_half >= w || y - m_half >= h)
        return;
    const int cr = qRed(colour), cg = qGreen(colour), cb = qBlue(colour);
    const int side = 2 * m_half + 1;
    for (int dy = -m_half; dy <= m_half; ++dy) {
        const int row = y + dy;
        if (row < 0 || row >= h)
            continue;
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(row));
        const uint8_t* mask = m_alpha.data() + (dy + m_half) * side + m_half;
        const size_t r = static_cast<size_t>(dy + m_half);
        for (int dx = std::max(m_first[r], -x); dx <= std::min(m_last[r], w - 1 - x); ++dx) {
            const int a = mask[dx];
            if (a == 0)
                continue;
            QRgb& p = line[x + dx];
            if (a == 255) {
                p = qRgb(cr, cg, cb);
                continue;
            }
            const int na = 255 - a;
            p = qRgb((cr * a + qRed(p) * na + 127) / 255, (cg * a + qGreen(p) * na + 127) / 255,
                (cb * a + qBlue(p) * na + 127) / 255);
        }
    }
}

} // namespace convscope
