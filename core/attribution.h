#pragma once

// What occlusion and the gradient methods share: which class they explain,
// how its score is read, and what "nothing here" looks like in pixels.

#include <torch/script.h>

#include <string>
#include <vector>

namespace convscope {

class Model;

// Softmax probability or raw logit of the target class.
enum class Score { Probability, Logit };
Score scoreFromName(const std::string& name); // "prob", "logit"; Error otherwise
std::string scoreName(Score score);

// What replaces the input where it is hidden (occlusion) or where a path
// starts (Integrated Gradients), in pixel space [0, 1]:
//   Gray  0.5 everywhere;
//   Zero  black (0);
//   Mean  the model's mean/std mean per channel (what normalizes to 0: the
//         "dataset mean" the model was trained with);
//   Blur  the input under a Gaussian blur (sigma given, reflect padding).
enum class Baseline { Gray, Zero, Mean, Blur };
Baseline baselineFromName(const std::string& name); // "gray", "zero", "mean", "blur"
std::string baselineName(Baseline baseline);
std::vector<std::string> baselineNames();

// The baseline image for `pixels` [C, H, W] (CPU float). `blurSigma` is used
// by Blur only.
torch::Tensor baselineImage(const torch::Tensor& pixels, Baseline baseline, const std::vector<double>& mean,
                            double blurSigma);
// Separable Gaussian blur of [C, H, W]: kernel radius ceil(3 sigma), taps
// exp(-x^2 / 2 sigma^2) normalized to sum 1, reflect padding (replicate where
// the image is too small to reflect).
torch::Tensor gaussianBlur(const torch::Tensor& pixels, double sigma);

// `pixels` [C, H, W] or [1, C, H, W] as a contiguous CPU float [C, H, W],
// detached; Error naming `method` ("occlusion takes one image ...") otherwise.
torch::Tensor oneImage(const torch::Tensor& pixels, const std::string& method);

// [N] scores of class `target` from logits [N, K].
torch::Tensor scoreOf(const torch::Tensor& logits, int64_t target, Score score);
// Checks `target` against the model's outputs; Error naming the range.
void checkTarget(const Model& model, int64_t target);

// How many images of the model's input size one batch may hold so that its
// activations stay within `budgetBytes` (estimated from the analyzed layer
// shapes; `backward` counts the gradients too), between 1 and `cap`.
int64_t imagesPerBatch(const Model& model, int64_t budgetBytes, bool backward, int64_t cap = 256);

} // namespace convscope
