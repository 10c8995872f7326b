#pragma once

// Plain value types (no LibTorch) so that widgets can hold them.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

// Receptive field of one output unit along one image axis, in input pixels:
// its size, the distance between neighbouring units (jump, the effective
// stride) and the centre of the first unit (start; pixel i spans [i, i+1)).
struct AxisField {
    double size = 1;
    double jump = 1;
    double start = 0.5;
};

// What an op costs and how it slides over its input, for one image.
struct OpGeometry {
    std::vector<int64_t> kernel, stride, padding, dilation; // empty where the op has none
    int64_t groups = 1;
    int64_t params = 0; // parameters read by this op (weights + bias)
    int64_t flops = 0;  // multiply-adds
};

// One value a person would want to look at: the output of a module call
// (named by its module path, "layer1.0.conv1"; a second call of the same
// module is "layer1.0.relu#2") or of a functional op inside a composite
// module ("layer1.0.add", "flatten").
struct LayerInfo {
    std::string name;
    std::vector<std::string> aliases; // enclosing modules whose output this also is
    std::string op;                   // conv2d, conv2d_depthwise, linear, relu, max_pool2d, add, cat, ...
    std::string category;             // conv, linear, activation, pool, norm, merge, reshape, dropout, other

    // Filled by LayerGraph::analyze (for one image, batch dimension dropped).
    std::vector<int64_t> shape;
    OpGeometry geometry;
    bool hasField = false;
    std::array<AxisField, 2> field{}; // [H, W]
};

} // namespace convscope
