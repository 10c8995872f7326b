#pragma once

// Internal to core/: matplotlib's listed colormaps, 256 RGB entries in [0, 1].

namespace convscope::detail {

extern const float kViridis[256][3];
extern const float kInferno[256][3];

} // namespace convscope::detail
