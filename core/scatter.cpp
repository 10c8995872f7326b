#include "core/scatter.h"

#include "core/class_colours.h"
#include "core/error.h"

#include <algorithm>
#include <cmath>

namespace convscope {

torch::Tensor scatterPicture(const torch::Tensor& points, const std::vector<int64_t>& classes, const ScatterStyle& style)
{
    if (points.dim() != 2 || points.size(1) != 2)
        throw Error("a scatter plot takes [N, 2] points");
    if (static_cast<int64_t>(classes.size()) != points.size(0))
        throw Error("a scatter plot needs one class per point");
    if (style.width < 1 || style.height < 1)
        throw Error("a scatter plot needs a positive size");
    const torch::Tensor p = points.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const int64_t n = p.size(0), w = style.width, h = style.height;
    torch::Tensor image = torch::ones({h, w, 3}, torch::kFloat32);
    if (n == 0)
        return image.permute({2, 0, 1}).contiguous();
    const double* xy = p.data_ptr<double>();
    double x0 = xy[0], x1 = xy[0], y0 = xy[1], y1 = xy[1];
    for (int64_t i = 1; i < n; ++i) {
        x0 = std::min(x0, xy[2 * i]);
        x1 = std::max(x1, xy[2 * i]);
        y0 = std::min(y0, xy[2 * i + 1]);
        y1 = std::max(y1, xy[2 * i + 1]);
    }
    // One scale for both axes: distances in the map mean something.
    const double usableW = w * (1 - 2 * style.margin), usableH = h * (1 - 2 * style.margin);
    const double spanX = std::max(x1 - x0, 1e-12), spanY = std::max(y1 - y0, 1e-12);
    const double scale = std::min(usableW / spanX, usableH / spanY);
    const double offX = (w - spanX * scale) / 2, offY = (h - spanY * scale) / 2;
    float* pixels = image.data_ptr<float>();
    const double r = std::max(style.radius, 0.5);
    const int reach = static_cast<int>(std::ceil(r));
    for (int64_t i = 0; i < n; ++i) {
        const double cx = offX + (xy[2 * i] - x0) * scale;
        const double cy = h - (offY + (xy[2 * i + 1] - y0) * scale); // y up
        const auto colour = classColour(classes[static_cast<size_t>(i)]);
        for (int dy = -reach; dy <= reach; ++dy)
            for (int dx = -reach; dx <= reach; ++dx) {
                const auto px = static_cast<int64_t>(std::floor(cx)) + dx;
                const auto py = static_cast<int64_t>(std::floor(cy)) + dy;
                if (px < 0 || py < 0 || px >= w || py >= h)
                    continue;
                // Coverage of the pixel centre by the disc, smoothed over one pixel.
                const double d = std::hypot(px + 0.5 - cx, py + 0.5 - cy);
                const double a = std::clamp(r + 0.5 - d, 0.0, 1.0);
                if (a <= 0)
                    continue;
                float* out = pixels + 3 * (py * w + px);
                for (int c = 0; c < 3; ++c)
                    out[c] = static_cast<float>((1 - a) * out[c] + a * colour[static_cast<size_t>(c)]);
            }
    }
    return image.permute({2, 0, 1}).contiguous();
}

} // namespace convscope
