#include "core/tensor_grid.h"

#include "core/error.h"

#include <cmath>

namespace convscope {

torch::Tensor normalizeMaps(const torch::Tensor& maps)
{
    auto flat = maps.reshape({maps.size(0), -1});
    auto low = std::get<0>(flat.min(1, true));
    auto high = std::get<0>(flat.max(1, true));
    auto range = (high - low).clamp_min(1e-12);
    return ((flat - low) / range).reshape(maps.sizes());
}

torch::Tensor channelGrid(const torch::Tensor& activation, int64_t padding, int64_t minTile)
{
    torch::NoGradGuard noGrad;
    torch::Tensor maps = activation.detach().to(torch::kCPU, torch::kFloat32);
    if (maps.dim() == 1) {
        // A feature vector: one pixel per unit, scaled together so that units compare.
        const int64_t n = maps.size(0);
        const int64_t side = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
        auto padded = torch::zeros({side * side});
        auto low = maps.min(), high = maps.max();
        padded.narrow(0, 0, n).copy_((maps - low) / (high - low).clamp_min(1e-12));
        auto image = padded.view({1, 1, side, side});
        const int64_t scale = std::max<int64_t>(1, minTile * 4 / side);
        return torch::upsample_nearest2d(image, {side * scale, side * scale}).view({side * scale, side * scale});
    }
    if (maps.dim() != 3)
        throw Error("cannot draw a " + std::to_string(maps.dim()) + "-D activation as channel maps");
    maps = normalizeMaps(maps);
    const int64_t c = maps.size(0), h = maps.size(1), w = maps.size(2);
    const int64_t scale = std::max<int64_t>(1, (minTile + std::max(h, w) - 1) / std::max(h, w));
    if (scale > 1)
        maps = torch::upsample_nearest2d(maps.unsqueeze(1), {h * scale, w * scale}).squeeze(1);
    const int64_t th = maps.size(1), tw = maps.size(2);
    const int64_t cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(c))));
    const int64_t rows = (c + cols - 1) / cols;
    auto grid = torch::ones({rows * (th + padding) + padding, cols * (tw + padding) + padding});
    for (int64_t i = 0; i < c; ++i) {
        const int64_t r = i / cols, col = i % cols;
        grid.narrow(0, padding + r * (th + padding), th).narrow(1, padding + col * (tw + padding), tw).copy_(maps[i]);
    }
    return grid;
}

} // namespace convscope
