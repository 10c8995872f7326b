#pragma once

// The model-parameter randomization test of Adebayo et al. ("Sanity Checks
// for Saliency Maps", NeurIPS 2018): each saliency method's map on the
// trained model against its map on copies whose layers were re-initialized,
// step by step. A method whose map hardly changes explains the image, not
// the model.

#include "core/map_similarity.h"
#include "core/progress.h"
#include "core/randomization.h"
#include "core/saliency.h"

#include <torch/script.h>

#include <functional>
#include <string>
#include <vector>

namespace convscope {

class Model;

struct SanityOptions {
    std::vector<SaliencyMethod> methods;
    // Target, score, Grad-CAM layer, SmoothGrad and IG settings: as the
    // Saliency tab and `convscope saliency` take them (method is ignored).
    // The class explained is the trained model's (predicted unless given) at
    // every step.
    SaliencyOptions saliency;
    Randomization mode = Randomization::Cascading;
    // Which steps to compute besides 0 (the trained model), ascending; empty:
    // every step.
    std::vector<int> steps;
};

// One method at one step.
struct SanityCell {
    torch::Tensor heatmap;     // [H, W] what the Saliency tab draws
    SanityMaps maps;           // the normalized maps compared
    MapSimilarity similarity;  // to the method's map at step 0 (all 1 there)
};

struct SanityResult {
    Randomization mode = Randomization::Cascading;
    int64_t target = 0, predicted = 0;
    std::string camLayer; // the CAM methods' layer, if any runs
    // "original", then the layer(s) re-initialized at each step computed.
    std::vector<int> steps;                      // 0 first
    std::vector<std::string> stepNames;          // one per entry of steps
    std::vector<SaliencyMethod> methods;
    std::vector<std::vector<SanityCell>> cells;  // [method][index into steps]
};

// Called after each cell is computed (on the computing thread), step by step
// and within a step method by method, with the result so far (every step
// named, target set, cells[m] as long as computed) and the new cell's indices
// (cells[method][stepIndex]), so that a figure can fill in as it goes.
using SanityCellFn = std::function<void(const SanityResult& soFar, size_t method, size_t stepIndex)>;

// `randomized` is a copy of `model` (the loaded model is never changed); it
// is left at the last step computed. Progress covers every cell; cancel is
// seen within a method's own chunking (SmoothGrad, IG, Score-CAM) or
// between cells.
SanityResult sanityCheck(Model& model, RandomizedModel& randomized, const torch::Tensor& pixels,
                         const SanityOptions& options, const ProgressFn& progress = {},
                         const CancelFlag* cancel = nullptr, const SanityCellFn& onCell = {});

// The map a method's sanity maps are made from: the signed attribution in
// pixel space where the method has one, else its heatmap (the CAM methods).
torch::Tensor comparedMap(const SaliencyResult& result);

} // namespace convscope
