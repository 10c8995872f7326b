#pragma once

// Activation maximization: the input a unit, a channel or a class responds to
// most, found by gradient ascent in pixel space with the model fixed.
//
// Presets (every knob of AscentOptions can be changed after choosing one):
//   Plain     normalized gradient ascent with an L2 penalty towards the mean
//             image, projected onto [0, 1] (Simonyan et al. 2014);
//   Yosinski  the same plus L2 decay, a Gaussian blur every few steps and
//             clipping of small-norm pixels (Yosinski et al. 2015);
//   Lucid     a Fourier-space image with 1/frequency scaling, decorrelated
//             colour and a sigmoid, random affine jitter every step, Adam
//             (Olah et al., "Feature Visualization", Distill 2017).

#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace convscope {

class Model;

enum class AscentPreset { Plain, Yosinski, Lucid };
AscentPreset ascentPresetFromName(const std::string& name); // "plain", "yosinski", "lucid"
std::string ascentPresetName(AscentPreset preset);

// What one image maximizes. `layer` -1 means the model's class scores
// (logits, before softmax); otherwise a layer of channel maps [C, H, W] or of
// units [F]. For channel maps: the mean of the channel, or one unit of it at
// (y, x) (-1: the centre). For units and logits: that unit.
struct AscentObjective {
    int layer = -1;
    bool channelMean = true; // channel maps only: false picks the unit at (y, x)
    int64_t y = -1, x = -1;
    bool minimize = false;
};

struct AscentOptions {
    AscentPreset preset = AscentPreset::Plain;
    int64_t steps = 200;
    double learningRate = 0.01; // Plain/Yosinski: RMS pixel change per step; Lucid: Adam's
    double l2 = 1e-3;           // Plain: penalty weight on ||x - mean||^2 (pixels)
    // Yosinski
    double decay = 1e-4;        // x <- mean + (1 - decay)(x - mean) each step
    int64_t blurEvery = 4;      // 0: never
    double blurSigma = 1.0;
    double clipPercentile = 20; // pixels whose colour norm (about the mean) is below this percentile become the mean
    // Lucid
    bool fourier = true;
    bool decorrelate = true;    // only with 3 channels
    double jitter = -1;         // random shift of up to +-jitter input pixels; -1: Lucid's 12 px (pad 12,
                                // jitter 8 + 4) scaled from 224 px to the input's shorter side, at least 1
    double scaleMin = 0.9, scaleMax = 1.1;
    double rotateDegrees = 10;
    int64_t upsample = 0;       // optimize at this multiple of the input size; 0: enough to reach 112 px (at most 4)
    uint64_t seed = 0;
    torch::Tensor start;        // [C, H, W] in [0, 1] to start from instead of noise (Plain/Yosinski)
    int64_t previewEvery = 8;   // steps between reports
    // A stopped run measures its images (one forward pass of the whole batch,
    // longer than a stop may take in the GUI) unless this is false: then
    // endValues stay empty, as do startValues when no step was taken, and the
    // last report is not made.
    bool measureIfCancelled = true;
};

// Defaults of a preset (steps, learning rate, regularizers).
AscentOptions ascentPreset(AscentPreset preset);

struct AscentResult {
    // [N, C, h, w] in [0, 1]: the optimized images (h, w: the input size
    // times `upsample` for Lucid, the input size otherwise).
    torch::Tensor images;
    std::vector<double> startValues, endValues; // objective of each image before and after (untransformed, at the input size)
    std::vector<std::vector<double>> curve;     // per step, each image's objective (during the step, before its update)
    int64_t steps = 0;                          // steps actually taken
    bool cancelled = false;                     // stopped early; images are the current ones
    double seconds = 0;
};

// Called every previewEvery steps and after the last with the step count, the
// current images and the latest objective values.
using AscentPreview = std::function<void(int64_t step, const torch::Tensor& images, const std::vector<double>& values)>;

// One image per entry of `units` (a channel, a unit of a linear layer or a
// class), all optimized together as one batch (computed in chunks when it can
// be cancelled). A set cancel flag stops the run within tens of milliseconds
// and returns what there is (`cancelled`), it does not throw: a step cut
// short is dropped, the images are those the last whole step left.
AscentResult ascend(Model& model, const AscentObjective& objective, const std::vector<int64_t>& units,
                    const AscentOptions& options, const AscentPreview& preview = {}, const CancelFlag* cancel = nullptr);

// The objective of `units` for `images` [N, C, H, W] at the input size, one value each.
std::vector<double> objectiveValues(Model& model, const AscentObjective& objective, const std::vector<int64_t>& units,
                                    const torch::Tensor& images);

} // namespace convscope
