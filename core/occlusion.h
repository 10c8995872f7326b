#pragma once

// Occlusion sensitivity (Zeiler & Fergus, "Visualizing and Understanding
// Convolutional Networks", 2014): hide one square of the input at a time and
// watch the target class's score fall.

#include "core/attribution.h"
#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <vector>

namespace convscope {

class Model;

struct OcclusionOptions {
    int64_t window = 0;  // side of the square, pixels; 0: 1/8 of the shorter input side
    int64_t stride = 0;  // 0: half the window
    Baseline baseline = Baseline::Gray;
    int64_t target = -1; // -1: the class predicted for the unoccluded input
    Score score = Score::Probability;
    // A segmentation model's region ([h, w] weights at the output's
    // resolution, core/segmentation's regionMask): scores are the region's
    // mean class probability (or summed logit); undefined: the logits.
    torch::Tensor region;
    int64_t batch = 0;   // occluded copies per forward pass; 0: as many as memoryBudget allows
    int64_t memoryBudget = int64_t(1) << 30; // bytes of activations per batch
};

struct OcclusionResult {
    int64_t target = 0;
    int64_t predicted = 0;  // class predicted for the unoccluded input
    double baseScore = 0;   // target's score for the unoccluded input
    int64_t window = 0, stride = 0;
    int64_t batch = 0; // as run: halved from the asked batch for each time memory ran out
    std::vector<int64_t> rows, cols; // top-left corners of the windows along H and W
    // [H, W] at the input resolution: the mean score drop over all windows
    // covering each pixel (positive: hiding it hurt the target); 0 where no
    // window covers the pixel (only when the stride exceeds the window).
    torch::Tensor heatmap;
    torch::Tensor drops;      // [rows, cols] the drop of each window
    torch::Tensor classes;    // [rows, cols] int64: the class predicted with that window hidden
    torch::Tensor classScore; // [rows, cols] that class's probability
};

// Window corners along one axis: 0, stride, 2 stride, ... while the window
// fits, then one last window flush with the far border if the stride did not
// land there. Error if window is not in [1, size] or stride < 1.
std::vector<int64_t> windowStarts(int64_t size, int64_t window, int64_t stride);

// `pixels` [C, H, W] or [1, C, H, W] in [0, 1]. Runs without autograd, in
// batches (core/batches: chunks of tens of milliseconds when there is a
// cancel flag, halved when memory runs out); reports progress per chunk and
// stops with Cancelled when asked.
// The windows occlusion() would slide over a `height` x `width` input: only
// window, stride, rows and cols are set (the defaults resolved). Throws Error
// as occlusion() does for a window that does not fit.
OcclusionResult occlusionGrid(const OcclusionOptions& options, int64_t height, int64_t width);

OcclusionResult occlusion(Model& model, const torch::Tensor& pixels, const OcclusionOptions& options,
                          const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace convscope
