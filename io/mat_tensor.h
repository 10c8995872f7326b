#pragma once

// Internal to io/: OpenCV images to tensors, the one conversion every reader uses.

#include "core/dataset.h"

#include <opencv2/core.hpp>
#include <torch/script.h>

namespace convscope::io::detail {

// Decodes an image file as stored (8/16-bit, gray/colour/alpha); Error if missing or undecodable.
cv::Mat decodeFile(const std::string& path);

// To float [0, 1] with `channels` channels in RGB order (1: luminance; 3: gray
// replicated, alpha dropped; other counts: gray replicated).
cv::Mat toChannels(const cv::Mat& raw, int64_t channels);
// [1, C, H, W] float32 copy of a float image.
torch::Tensor toTensor(const cv::Mat& image);
// [C, H, W] in `format` (zeros keep what the file has), bilinear resize.
torch::Tensor formatImage(const cv::Mat& raw, const ImageFormat& format);

} // namespace convscope::io::detail
