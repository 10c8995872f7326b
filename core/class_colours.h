#pragma once

// Colours for classes in plots, shared by core's pictures and the Qt views
// (widgets/ draws with them too): no LibTorch, no Qt.

#include <array>
#include <cstdint>
#include <vector>

namespace convscope
{

// matplotlib's tab20, in its own order (dark, light, dark, light, ...).
const std::array<std::array<float, 3>, 20>& tab20();

// A colour per class index for plots: matplotlib's tab10 for 0-9, the light
// halves of tab20 for 10-19, gray past that (and for -1, unlabeled).
std::array<float, 3> classColour(int64_t index);

// The classColour index to draw each of `classes` with. While every class is
// one of 0-19, its own (a digit keeps its tab10 colour everywhere); else the
// 20 most frequent classes take the 20 colours, most frequent first (ties:
// the lower class), and the rest are gray (-1). ImageNet predictions such as
// 281 or 600 drew every point gray.
std::vector<int64_t> colourClasses(const std::vector<int64_t>& classes);

} // namespace convscope
