#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace convscope {

class Model;

// The weights of the conv or linear op that produces one layer, arranged as
// images: [out, in, kh, kw] for a convolution (in = input channels per
// group); for a linear layer whose input is an image-shaped tensor (after a
// flatten, or the model input itself) each row reshaped to [out, C, H, W].
struct FilterSet {
    std::string layer;      // layer name
    std::string op;         // conv2d, conv2d_depthwise, linear, ...
    torch::Tensor weights;  // CPU float32, detached, always 4-D as above
    bool fromLinear = false;
    bool colour = false;    // 3 input channels: can be shown as RGB tiles
};

// Throws Error with a one-line message if the layer has no weights to show
// ("layer 'relu' (relu) has no weights"), or if a linear layer's input has
// no image shape.
FilterSet filterWeights(Model& model, int layer);

enum class FilterRange {
    PerFilter, // each filter [in, kh, kw] scaled to its own min..max
    Shared,    // one min..max over the whole layer, so magnitudes compare
};

// Display tiles in [0, 1], shaped [N, 1 or 3, kh, kw]:
// - colourTiles: one RGB tile per filter (FilterSet::colour only), [out, 3, kh, kw]
// - sliceTiles: every filter's per-input-channel slices, row-major by filter,
//   [out * in, 1, kh, kw]
// - oneFilterTiles: filter `index`'s slices, [in, 1, kh, kw]
// With FilterRange::PerFilter every slice of one filter shares that filter's range.
torch::Tensor colourTiles(const FilterSet& set, FilterRange range);
torch::Tensor sliceTiles(const FilterSet& set, FilterRange range);
torch::Tensor oneFilterTiles(const FilterSet& set, int64_t index, FilterRange range);

} // namespace convscope
