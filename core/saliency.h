#pragma once

// Attribution: which input pixels the target class's score is most sensitive
// to. Most recipes backpropagate through the model's captured graph (no change
// to the model itself); Score-CAM instead runs the model on masked copies.

#include "core/attribution.h"
#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Model;

enum class SaliencyMethod {
    Gradient,      // |d score / d pixels|, max over colour channels (Simonyan et al. 2014)
    SmoothGrad,    // the same, averaged over noisy copies (Smilkov et al. 2017)
    IntegratedGradients, // (x - baseline) * mean gradient along the straight path (Sundararajan et al. 2017)
    GradCam,       // ReLU(sum_k mean(dS/dA_k) A_k) at one conv layer, upsampled (Selvaraju et al. 2017)
    GuidedBackprop, // gradient with every ReLU passing back only positive gradients (Springenberg et al. 2015)
    GuidedGradCam, // guided backprop times the Grad-CAM map
    GradCamPlusPlus, // Grad-CAM with weights sum_ij relu(g) g^2 / (2 g^2 + sum(A) g^3) (Chattopadhay et al. 2018)
    ScoreCam,      // ReLU(sum_k softmax(score of the input masked by A_k)_k A_k) (Wang et al. 2020)
    Deconvnet,     // gradient with every ReLU passing back its rectified gradient, ungated (Zeiler & Fergus 2014)
};
// "gradient", "smoothgrad", "ig", "gradcam", "guided", "guided-gradcam",
// "gradcam++", "scorecam", "deconvnet".
SaliencyMethod saliencyMethodFromName(const std::string& name);
std::string saliencyMethodName(SaliencyMethod method);
std::vector<std::string> saliencyMethodNames();
// Grad-CAM, guided Grad-CAM, Grad-CAM++ and Score-CAM explain a layer.
bool usesCamLayer(SaliencyMethod method);

struct SaliencyOptions {
    SaliencyMethod method = SaliencyMethod::Gradient;
    int64_t target = -1;          // -1: the predicted class
    Score score = Score::Logit;
    int layer = -1;               // the CAM methods' layer; -1: defaultCamLayer()
    // A segmentation model's region ([h, w] weights at the output's
    // resolution, core/segmentation's regionMask): the target's score is its
    // logit summed over the region (pytorch-grad-cam's
    // SemanticSegmentationTarget) or its mean probability there. Undefined:
    // the logits (for a segmentation model, its maps' pixel means).
    torch::Tensor region;
    // SmoothGrad: noisy copies, noise standard deviation as a fraction of the
    // input's max - min, and the seed of the noise (a CPU generator:
    // torch.Generator().manual_seed(seed) draws the same [samples, C, H, W]).
    int64_t samples = 25;
    double noise = 0.15;
    uint64_t seed = 0;
    // Integrated Gradients: path points (midpoint rule, alpha = (k + 0.5) / steps) and start.
    int64_t steps = 50;
    Baseline baseline = Baseline::Zero;
    double blurSigma = 0;         // 0: 1/32 of the shorter input side (at least 1)
    // Copies per backward pass (Score-CAM: per forward pass), halved when
    // memory runs out; 0: from memoryBudget (Score-CAM: scoreCamBatch()).
    int64_t batch = 0;
    int64_t memoryBudget = int64_t(1) << 30;
};

struct SaliencyResult {
    SaliencyMethod method = SaliencyMethod::Gradient;
    int64_t target = 0;
    int64_t predicted = 0;
    double score = 0;       // the target's score for the input
    std::string layer;      // the CAM methods' layer name, empty for the others
    // [H, W] >= 0 at the input resolution: what the heatmap draws.
    //   gradient, smoothgrad, guided, deconvnet: max over channels of |gradient|
    //   ig: |sum over channels of the attribution|
    //   gradcam, gradcam++, scorecam: the upsampled (bilinear) map
    //   guided-gradcam: max over channels of |guided gradient x map|
    torch::Tensor heatmap;
    // [C, H, W] signed, in pixel space: the gradient (averaged for
    // SmoothGrad), IG's attribution, the guided or deconvnet gradient (times
    // the map for guided-gradcam); undefined for the other CAM methods.
    torch::Tensor attribution;
    torch::Tensor cam;      // [h, w] map at the layer's resolution (the CAM methods)
    // Integrated Gradients' completeness check: sum of the attribution and
    // score(input) - score(baseline), which it approximates.
    double attributionSum = 0, scoreDelta = 0;
    // Score-CAM: the masked copies run (one per channel of the layer) and how
    // many went through the model at once, after any halving.
    int64_t copies = 0, batch = 0;
};

// The layer Grad-CAM explains by default: the last layer of channel maps
// (C x H x W with H x W > 1) that comes at or after the last convolution,
// i.e. the last convolutional feature map before pooling to a vector. -1 if
// the model has no convolution.
int defaultCamLayer(const Model& model);

// The masked copies Score-CAM runs at once: options.batch, else what
// options.memoryBudget holds and, on the CPU, no more than keep every
// activation of a batch below 32 MiB (past it malloc maps each block afresh).
int64_t scoreCamBatch(const Model& model, const SaliencyOptions& options);

// `pixels` [C, H, W] or [1, C, H, W] in [0, 1]. SmoothGrad, Integrated
// Gradients and Score-CAM go through the model in chunks (core/batches): a
// cancel is seen within tens of milliseconds, and memory running out halves
// the batch (a note through `progress`) without changing the result.
SaliencyResult saliency(Model& model, const torch::Tensor& pixels, const SaliencyOptions& options,
                        const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace convscope
