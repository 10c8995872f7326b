#pragma once

// NumPy's .npy format (version 1.0), for handing tensors to Python and
// other tools exactly, without 8-bit rounding.

#include <torch/script.h>

#include <string>

namespace convscope {

// A float32, int64 or uint8 tensor, C order, little-endian; written under a
// temporary name and renamed. Throws Error for another type or a write failure.
void writeNpy(const std::string& path, const torch::Tensor& tensor);

} // namespace convscope
