#pragma once

// One channel of one layer, seen from every side (the Unit page): where in an
// input its strongest unit comes from, which weights make it, and which
// classes it speaks for through the layers after it.

#include "core/layer_graph.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Model;

// What a channel of `layer` is: its count and whether it is a map (C x H x W)
// or a unit (F). Error naming the shape for any other layer.
struct ChannelShape {
    int64_t channels = 0;
    int64_t height = 1, width = 1; // 1 x 1 for units
    bool map = false;
};
ChannelShape channelShape(const Model& model, int layer);
// Error unless 0 <= channel < channels, naming the range.
void checkChannel(const Model& model, int layer, int64_t channel);

// The gradient of one unit of a channel with respect to the input pixels,
// with the model's ReLUs passing gradients back as `relu` says: DVT's
// "deconv" pane when relu is Guided or Deconvnet.
struct UnitBackprop {
    int64_t y = 0, x = 0;   // the unit in the channel's map (0, 0 for a unit layer)
    double value = 0;       // its activation
    torch::Tensor gradient; // [C, H, W] on the CPU, in pixel space
    // [h, w] float32 on the CPU (1 x 1 for a unit layer): the channel's map,
    // the model's own values (the ReLUs' swap changes gradients only).
    torch::Tensor map;
};

// For every image of `images` [N, C, H, W] in [0, 1]: the channel's strongest
// unit (the first maximum, top left on ties, as top-k finds it), or the unit
// at `at[n]` when given (one (y, x) per image). One forward and one backward
// pass for the whole batch: images do not mix in an eval-mode network.
std::vector<UnitBackprop> unitBackprops(Model& model, const torch::Tensor& images, int layer, int64_t channel,
                                        ReluGradient relu,
                                        const std::vector<std::pair<int64_t, int64_t>>& at = {});

// The layer whose weights make `layer`'s channels: the layer itself when it
// is a convolution or a linear op, else the nearest one before it through
// ops that keep each channel apart (activations, norms, pooling, dropout)
// and the channel count. -1 when there is none.
int weightLayer(const Model& model, int layer);

// How much each class's logit gains per unit of the channel, through the
// weights after the layer (Activation Atlas's attribution to classes,
// Olah et al. 2019): the product of the linear layers' weights from the
// layer to the logits, the ReLUs between them taken as passing everything
// and biases left out. Defined when only ReLUs, dropout, flatten, a global
// average pool (for channel maps, which the pool averages) and linear layers
// follow the layer, in a chain ending at the logits.
struct ClassSupport {
    bool defined = false;
    std::string reason;     // why not, in words, when undefined
    torch::Tensor weights;  // [classes, channels] float64 on the CPU
    std::vector<std::string> path; // the linear layers multiplied, first to last
};
ClassSupport classSupport(Model& model, int layer);

// A channel's classes by support, strongest first: `count` top (most
// positive) and `count` bottom (most negative, most negative first), at
// most half the classes each so that the two lists never overlap.
struct SupportedClass {
    int64_t index = 0;
    double weight = 0;
};
void rankSupport(const ClassSupport& support, int64_t channel, int64_t count, std::vector<SupportedClass>& top,
                 std::vector<SupportedClass>& bottom);

} // namespace convscope
