#pragma once

#include <QImage>
#include <QRgb>

#include <cstdint>
#include <vector>

namespace convscope
{

// An antialiased disc or ring as a small coverage mask, blended into a
// 32-bit image pixel by pixel: tens of thousands of dots in a few
// milliseconds, where a QPainter ellipse each would take a hundred or more.
class DotStamp
{
public:
    static DotStamp disc(double radius);
    // A ring of `width` pixels just outside a disc of `radius`.
    static DotStamp ring(double radius, double width);

    // Blends `colour` (opaque) at integer pixel (x, y) of an RGB32 or ARGB32
    // image, clipped to it.
    void draw(QImage& image, int x, int y, QRgb colour) const;
    int half() const { return m_half; }

private:
    DotStamp(int half, double inner, double outer);

    int m_half = 0; // the mask is (2·half + 1)² pixels
    std::vector<uint8_t> m_alpha; // coverage, row by row
    std::vector<int> m_first, m_last; // per row, the columns (−half … half) with any coverage
};

} // namespace convscope
