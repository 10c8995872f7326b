#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace convscope {

enum class Colormap { Gray, Viridis, Inferno, Jet };

// "gray", "viridis", "inferno", "jet"; Error for anything else.
Colormap colormapFromName(const std::string& name);
std::string colormapName(Colormap map);
std::vector<std::string> colormapNames();

// Maps values in [0, 1] (clamped) shaped [..., H, W] to RGB [..., 3, H, W] in [0, 1].
torch::Tensor applyColormap(const torch::Tensor& values, Colormap map);

} // namespace convscope
