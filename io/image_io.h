#pragma once

#include <torch/script.h>

#include <string>

namespace convscope::io {

// Reads an image the way every command feeds a model: decode, convert to
// `channels` (1: luminance; 3: RGB, gray replicated, alpha dropped), resize to
// height x width with bilinear interpolation, scale to [0, 1].
// Returns [1, channels, height, width] float32. Throws Error on a missing or
// undecodable file.
torch::Tensor readImage(const std::string& path, int64_t channels, int64_t height, int64_t width);

// The same without resizing: [1, channels, H, W] at the file's own size.
torch::Tensor readImageNative(const std::string& path, int64_t channels);

// Writes [H, W] or [C, H, W] (C = 1 or 3, RGB) values in [0, 1] as an 8-bit
// image; the format follows the extension (png, jpg, bmp, ...). The file is
// written under a temporary name and renamed, so a failure never leaves half
// a file where a good one was.
void writeImage(const std::string& path, const torch::Tensor& image);

} // namespace convscope::io
