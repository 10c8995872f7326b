#pragma once

// Pictures of attribution maps: what the Saliency tab shows and
// `convscope occlusion|saliency --out/--overlay/--classes` write.

#include "core/class_colours.h" // classColour(), for the callers that draw legends
#include "core/colormap.h"

#include <torch/script.h>

#include <array>
#include <cstdint>
#include <vector>

namespace convscope {

// [H, W] -> RGB [3, H, W] in [0, 1], scaled from min(0, map min) to the map
// max: zero stays at the bottom of the colormap unless the map goes below
// it (occlusion drops can be negative: hiding a patch helped the class).
torch::Tensor heatmapImage(const torch::Tensor& map, Colormap colormap);
// The heatmap, scaled the same way and resized bilinearly to the input if
// needed, alpha-blended over `input` [C, H, W] (gray or RGB): [3, H, W].
torch::Tensor heatmapOverlay(const torch::Tensor& map, const torch::Tensor& input, Colormap colormap, double alpha);
// A signed pixel-space attribution [C, H, W] as an image the way guided
// backpropagation figures show it: centred on gray, 0.1 per standard
// deviation, clipped; [C, H, W] in [0, 1].
torch::Tensor attributionImage(const torch::Tensor& attribution);

// The class predicted under each occluder position, [rows, cols] int64, in
// colours: classes ranked by how many positions they win, each with its own
// colour from a 20-colour palette (matplotlib's tab20; past 20 classes the
// rest share gray).
struct ClassMapPicture {
    torch::Tensor image;                         // [3, rows, cols] in [0, 1]
    std::vector<int64_t> classes;                // ranked, most positions first
    std::vector<int64_t> counts;                 // positions each class wins
    std::vector<std::array<float, 3>> colours;   // one per ranked class
};
ClassMapPicture classMapPicture(const torch::Tensor& classes);

} // namespace convscope
