#pragma once

// An embedding as a picture: one dot per point, coloured by class, on white
// (for `convscope tsne --png` and exports; the GUI draws its own view).

#include <torch/script.h>

#include <cstdint>
#include <vector>

namespace convscope {

struct ScatterStyle {
    int64_t width = 800, height = 800;
    double radius = 2.5;     // dot radius in pixels
    double margin = 0.04;    // of each side, left empty around the points
};

// `points` [N, 2] (x right, y up), `classes` N class indices (classColour;
// -1 gray). Later points are drawn over earlier ones. [3, height, width] in
// [0, 1]. Error for a shape that is not [N, 2] or a length mismatch.
torch::Tensor scatterPicture(const torch::Tensor& points, const std::vector<int64_t>& classes,
                             const ScatterStyle& style = {});

} // namespace convscope
