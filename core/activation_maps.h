#pragma once

#include "core/colormap.h"

#include <torch/script.h>

namespace convscope {

enum class MapRange {
    PerChannel, // each channel scaled to its own min..max
    Shared,     // one min..max over the whole layer
};

// One layer's activation for one image, [C, H, W] (or [F] for a fully
// connected layer, treated as F maps of 1x1), as display tiles in [0, 1]:
// [C, 1, H, W] for Colormap::Gray, [C, 3, H, W] otherwise. A constant map
// becomes 0.
torch::Tensor activationTiles(const torch::Tensor& activation, MapRange range, Colormap map);

// One channel map [h, w] laid over the input image [C, H, W] in [0, 1]:
// the map is min..max normalized, resized bilinearly to H x W, coloured and
// alpha-blended over the (gray or RGB) input. Returns [3, H, W] in [0, 1].
torch::Tensor overlayMap(const torch::Tensor& map, const torch::Tensor& input, Colormap colormap, double alpha = 0.5);

} // namespace convscope
