#pragma once

#include <torch/script.h>

namespace convscope {

// Lays out the channel maps of one activation ([C, H, W], or [F] for a fully
// connected layer) as a near-square grid image [H', W'] in [0, 1], each map
// scaled to its own min..max, tiles separated by `padding` pixels of 1.0 gray.
// Tiles smaller than `minTile` pixels are enlarged (nearest neighbour) so a
// 7x7 map stays readable.
torch::Tensor channelGrid(const torch::Tensor& activation, int64_t padding = 1, int64_t minTile = 32);

// Lays out display tiles [N, C, h, w] (values in [0, 1]) as one image
// [C, H', W'], row-major, in `columns` columns (0: near-square; never more
// than N), separated and framed by `padding` pixels of 1.0 (white), the layout
// of torchvision.utils.make_grid. Tiles smaller than `minTile` pixels are
// enlarged by the smallest integer factor that reaches it (nearest neighbour,
// so that 3x3 kernels stay crisp). Throws Error when the image would be
// unreasonably large (over 2^28 values).
torch::Tensor tileGrid(const torch::Tensor& tiles, int64_t columns = 0, int64_t padding = 1, int64_t minTile = 32);

// Scales each [H, W] map of a [C, H, W] tensor to [0, 1] on its own.
torch::Tensor normalizeMaps(const torch::Tensor& maps);

// [C, h, w] resized (bilinear, clamped to [0, 1]) so its longer side is at
// most `side`; never enlarged, since grids zoom with square pixels instead.
torch::Tensor fitPatch(const torch::Tensor& patch, int64_t side);

} // namespace convscope
