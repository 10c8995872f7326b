#include "core/activation_maps.h"

#include "core/error.h"
#include "core/tensor_grid.h"

#include <torch/nn/functional/upsampling.h>

namespace convscope {

namespace {

// min..max of all maps together; a constant layer becomes 0 like a constant map.
torch::Tensor normalizeShared(const torch::Tensor& maps)
{
    auto low = maps.min(), high = maps.max();
    return (maps - low) / (high - low).clamp_min(1e-12);
}

torch::Tensor coloured(const torch::Tensor& maps, Colormap map)
{
    return map == Colormap::Gray ? maps.unsqueeze(-3) : applyColormap(maps, map);
}

} // namespace

torch::Tensor activationTiles(const torch::Tensor& activation, MapRange range, Colormap map)
{
    torch::NoGradGuard noGrad;
    torch::Tensor maps = activation.detach().to(torch::kCPU, torch::kFloat32);
    if (maps.dim() == 1) {
        // Each unit alone would be a constant 1x1 map, all black: a feature
        // vector is always scaled over the layer so that its units compare.
        return coloured(normalizeShared(maps).view({-1, 1, 1}), map);
    }
    if (maps.dim() != 3)
        throw Error("cannot draw a " + std::to_string(maps.dim()) + "-D activation as channel maps");
    return coloured(range == MapRange::Shared ? normalizeShared(maps) : normalizeMaps(maps), map);
}

torch::Tensor overlayMap(const torch::Tensor& map, const torch::Tensor& input, Colormap colormap, double alpha)
{
    if (map.dim() != 2)
        throw Error("an overlay needs one [h, w] map, not a " + std::to_string(map.dim()) + "-D tensor");
    if (input.dim() != 3 || (input.size(0) != 1 && input.size(0) != 3))
        throw Error("an overlay needs a gray or RGB [C, H, W] image");
    if (!(alpha >= 0.0 && alpha <= 1.0))
        throw Error("the overlay's opacity must lie between 0 and 1");
    torch::NoGradGuard noGrad;
    namespace F = torch::nn::functional;
    auto values = normalizeShared(map.detach().to(torch::kCPU, torch::kFloat32));
    auto resized = F::interpolate(values.view({1, 1, map.size(0), map.size(1)}),
                                  F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{input.size(1), input.size(2)})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
    auto colour = applyColormap(resized[0][0], colormap);
    auto base = input.detach().to(torch::kCPU, torch::kFloat32).expand({3, input.size(1), input.size(2)});
    return (alpha * colour + (1.0 - alpha) * base).clamp(0.0, 1.0);
}

} // namespace convscope
