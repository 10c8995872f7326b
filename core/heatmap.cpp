#include "core/heatmap.h"

#include "core/class_colours.h"
#include "core/error.h"

#include <algorithm>
#include <map>

namespace convscope {

namespace {

torch::Tensor scaled(const torch::Tensor& map)
{
    if (map.dim() != 2)
        throw Error("a heatmap is one [H, W] map, not a " + std::to_string(map.dim()) + "-D tensor");
    torch::Tensor m = map.detach().to(torch::kCPU, torch::kFloat32);
    const double low = std::min(0.0, m.min().item<double>());
    const double high = m.max().item<double>();
    return high > low ? (m - low) / (high - low) : torch::zeros_like(m);
}

} // namespace

torch::Tensor heatmapImage(const torch::Tensor& map, Colormap colormap)
{
    torch::NoGradGuard noGrad;
    torch::Tensor values = scaled(map);
    return colormap == Colormap::Gray ? values.unsqueeze(0).expand({3, -1, -1}).clone() : applyColormap(values, colormap);
}

torch::Tensor heatmapOverlay(const torch::Tensor& map, const torch::Tensor& input, Colormap colormap, double alpha)
{
    if (input.dim() != 3 || (input.size(0) != 1 && input.size(0) != 3))
        throw Error("an overlay needs a gray or RGB [C, H, W] image");
    if (!(alpha >= 0.0 && alpha <= 1.0))
        throw Error("the overlay's opacity must lie between 0 and 1");
    torch::NoGradGuard noGrad;
    torch::Tensor values = scaled(map);
    if (values.size(0) != input.size(1) || values.size(1) != input.size(2))
        values = torch::upsample_bilinear2d(values.view({1, 1, values.size(0), values.size(1)}),
                                            {input.size(1), input.size(2)}, false)[0][0];
    torch::Tensor colour = colormap == Colormap::Gray ? values.unsqueeze(0).expand({3, -1, -1}) : applyColormap(values, colormap);
    torch::Tensor base = input.detach().to(torch::kCPU, torch::kFloat32).expand({3, input.size(1), input.size(2)});
    return (alpha * colour + (1.0 - alpha) * base).clamp(0.0, 1.0);
}

torch::Tensor attributionImage(const torch::Tensor& attribution)
{
    torch::NoGradGuard noGrad;
    torch::Tensor a = attribution.detach().to(torch::kCPU, torch::kFloat32);
    const double std = a.std().item<double>();
    const torch::Tensor centred = a - a.mean();
    return (std > 0 ? centred / std * 0.1 + 0.5 : torch::full_like(a, 0.5)).clamp(0.0, 1.0);
}

ClassMapPicture classMapPicture(const torch::Tensor& classes)
{
    if (classes.dim() != 2)
        throw Error("a class map is [rows, cols]");
    const torch::Tensor flat = classes.to(torch::kCPU, torch::kLong).contiguous().flatten();
    std::map<int64_t, int64_t> counts;
    const int64_t* values = flat.data_ptr<int64_t>();
    for (int64_t i = 0; i < flat.numel(); ++i)
        ++counts[values[i]];
    ClassMapPicture picture;
    for (const auto& [cls, n] : counts)
        picture.classes.push_back(cls);
    // Most positions first; ties by class index, so the order is stable.
    std::stable_sort(picture.classes.begin(), picture.classes.end(),
                     [&](int64_t a, int64_t b) { return counts[a] > counts[b]; });
    std::map<int64_t, std::array<float, 3>> colourOf;
    for (size_t i = 0; i < picture.classes.size(); ++i) {
        const std::array<float, 3> colour = i < tab20().size() ? tab20()[i] : std::array<float, 3>{0.5f, 0.5f, 0.5f};
        picture.counts.push_back(counts[picture.classes[i]]);
        picture.colours.push_back(colour);
        colourOf[picture.classes[i]] = colour;
    }
    picture.image = torch::empty({3, classes.size(0), classes.size(1)});
    auto pixels = picture.image.accessor<float, 3>();
    for (int64_t r = 0; r < classes.size(0); ++r)
        for (int64_t c = 0; c < classes.size(1); ++c) {
            const auto& colour = colourOf[values[r * classes.size(1) + c]];
            for (int k = 0; k < 3; ++k)
                pixels[k][r][c] = colour[static_cast<size_t>(k)];
        }
    return picture;
}

} // namespace convscope
