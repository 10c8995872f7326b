#pragma once

// Colours for classes in plots, shared by core's pictures and the Qt views
// (widgets/ draws with them too): no LibTorch, no Qt.

#include <array>
#include <cstdint>

namespace convscope
{

// matplotlib's tab20, in its own order (dark, light, dark, light, ...).
const std::array<std::array<float, 3>, 20>& tab20();

// A colour per class index for plots: matplotlib's tab10 for 0-9, the light
// halves of tab20 for 10-19, gray past that (and for -1, unlabeled).
std::array<float, 3> classColour(int64_t index);

} // namespace convscope
