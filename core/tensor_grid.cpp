#include "core/tensor_grid.h"

#include "core/error.h"

#include <torch/nn/functional/upsampling.h>

#include <cmath>

namespace convscope {

namespace {

constexpr int64_t kMaxGridValues = int64_t(1) << 28; // 1 GiB of float32

int64_t nearSquareColumns(int64_t n)
{
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n)))));
}

} // namespace

torch::Tensor normalizeMaps(const torch::Tensor& maps)
{
    auto flat = maps.reshape({maps.size(0), -1});
    auto low = std::get<0>(flat.min(1, true));
    auto high = std::get<0>(flat.max(1, true));
    auto range = (high - low).clamp_min(1e-12);
    return ((flat - low) / range).reshape(maps.sizes());
}

torch::Tensor tileGrid(const torch::Tensor& tiles, int64_t columns, int64_t padding, int64_t minTile)
{
    if (tiles.dim() != 4 || tiles.size(0) == 0)
        throw Error("tiles must be a non-empty [N, C, h, w] tensor, not " + std::to_string(tiles.dim()) + "-D");
    torch::NoGradGuard noGrad;
    torch::Tensor t = tiles.detach().to(torch::kCPU, torch::kFloat32);
    const int64_t n = t.size(0), c = t.size(1), h = t.size(2), w = t.size(3);
    const int64_t side = std::max(h, w);
    const int64_t scale = minTile > side ? (minTile + side - 1) / side : 1;
    const int64_t cols = columns > 0 ? std::min(columns, n) : nearSquareColumns(n);
    const int64_t rows = (n + cols - 1) / cols;
    padding = std::max<int64_t>(0, padding);
    const int64_t th = h * scale, tw = w * scale;
    const int64_t height = rows * (th + padding) + padding, width = cols * (tw + padding) + padding;
    if (c * height * width > kMaxGridValues)
        throw Error("too many tiles to draw: " + std::to_string(n) + " tiles of " + std::to_string(th) + "x"
                    + std::to_string(tw) + " would make a " + std::to_string(width) + "x" + std::to_string(height)
                    + " image");
    if (scale > 1)
        t = torch::upsample_nearest2d(t, {th, tw});
    // Each tile in the top-left of a cell whose right and bottom edges are
    // padding; the cells then fold into rows and columns in one reshape.
    auto cells = torch::ones({rows * cols, c, th + padding, tw + padding});
    cells.narrow(0, 0, n).narrow(2, 0, th).narrow(3, 0, tw).copy_(t);
    auto body = cells.view({rows, cols, c, th + padding, tw + padding})
                    .permute({2, 0, 3, 1, 4})
                    .reshape({c, rows * (th + padding), cols * (tw + padding)});
    auto grid = torch::ones({c, height, width});
    grid.narrow(1, padding, body.size(1)).narrow(2, padding, body.size(2)).copy_(body);
    return grid;
}

torch::Tensor channelGrid(const torch::Tensor& activation, int64_t padding, int64_t minTile)
{
    torch::NoGradGuard noGrad;
    torch::Tensor maps = activation.detach().to(torch::kCPU, torch::kFloat32);
    if (maps.dim() == 1) {
        // A feature vector: one pixel per unit, scaled together so that units compare.
        const int64_t n = maps.size(0);
        const int64_t side = nearSquareColumns(n);
        auto padded = torch::zeros({side * side});
        auto low = maps.min(), high = maps.max();
        padded.narrow(0, 0, n).copy_((maps - low) / (high - low).clamp_min(1e-12));
        auto image = padded.view({1, 1, side, side});
        const int64_t scale = std::max<int64_t>(1, minTile * 4 / side);
        return torch::upsample_nearest2d(image, {side * scale, side * scale}).view({side * scale, side * scale});
    }
    if (maps.dim() != 3)
        throw Error("cannot draw a " + std::to_string(maps.dim()) + "-D activation as channel maps");
    return tileGrid(normalizeMaps(maps).unsqueeze(1), 0, padding, minTile)[0];
}

torch::Tensor fitPatch(const torch::Tensor& patch, int64_t side)
{
    const int64_t longest = std::max(patch.size(1), patch.size(2));
    if (longest <= side)
        return patch;
    const double scale = static_cast<double>(side) / static_cast<double>(longest);
    std::vector<int64_t> size{std::max<int64_t>(1, std::llround(patch.size(1) * scale)),
                              std::max<int64_t>(1, std::llround(patch.size(2) * scale))};
    return torch::nn::functional::interpolate(
               patch.unsqueeze(0),
               torch::nn::functional::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false))[0]
        .clamp(0, 1);
}

} // namespace convscope
