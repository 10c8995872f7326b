#pragma once

// Adversarial examples: small changes to an image, found with the model's own
// gradients, that change what it predicts.
//
// Everything happens in pixel space [0, 1], before the model's mean/std
// normalization (Model does that inside, so gradients and epsilons are in
// pixels, the units a person sees). Every attack runs on a batch.
//
//   fgsm      one signed-gradient step of size eps (Goodfellow et al. 2015)
//   bim       I-FGSM: `steps` signed steps of `alpha`, kept within eps of the
//             image (Kurakin et al. 2017)
//   pgd       BIM from a uniform random start in the eps-ball, with restarts
//             (Madry et al. 2018)
//   pgd-l2    PGD in the L2 ball: normalized gradient steps, projection onto
//             the ball, random start inside it
//   deepfool  the smallest L2 step across the linearized nearest class
//             boundary, repeated until the prediction changes, then
//             overshoot (Moosavi-Dezfooli et al. 2016)
//   cw        Carlini-Wagner L2: minimize ||d||^2 + c * margin loss in tanh
//             space with Adam, binary search over c per image (2017)
//
// Untargeted attacks move away from the label (the true class where known,
// else the clean prediction); targeted ones move towards `target`. A sample
// counts as fooled when its prediction is not the label (untargeted) or is
// the target (targeted). With early stopping an iterative attack stops
// changing a sample the step it is fooled, and leaves one that is fooled
// already (misclassified, or predicted as the target) unchanged, without a
// random start.

#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Dataset;
class Model;

enum class AttackMethod { Fgsm, Bim, Pgd, PgdL2, DeepFool, CarliniWagner };
AttackMethod attackMethodFromName(const std::string& name); // fgsm, bim, pgd, pgd-l2, deepfool, cw
std::string attackMethodName(AttackMethod method);
std::vector<std::string> attackMethodNames();
// Whether the attack works within a budget eps (fgsm, bim, pgd, pgd-l2) or
// looks for the smallest perturbation (deepfool, cw).
bool attackUsesEps(AttackMethod method);
// Whether its size is measured as an L2 norm (pgd-l2, deepfool, cw) rather than L-infinity.
bool attackIsL2(AttackMethod method);

struct AttackOptions {
    AttackMethod method = AttackMethod::Fgsm;
    double eps = 8.0 / 255;   // budget in pixels: L-infinity (fgsm, bim, pgd) or L2 (pgd-l2)
    double alpha = -1;        // step size; -1: 2.5 eps / steps (Madry et al.)
    int64_t steps = 10;       // bim/pgd: steps; deepfool: at most this many; cw: Adam steps per c
    int64_t target = -1;      // class to reach; -1: untargeted
    int64_t restarts = 1;     // pgd, pgd-l2: random starts; later ones only for samples not yet fooled
    bool randomStart = true;  // pgd, pgd-l2
    bool earlyStop = true;    // iterative attacks leave a sample alone once it is fooled
    uint64_t seed = 0;        // random starts (a CPU generator: the same on every device)
    double overshoot = 0.02;  // deepfool
    int64_t candidates = 10;  // deepfool: the clean top classes whose boundaries are tried
    double c = 1;             // cw: first c
    double kappa = 0;         // cw: required logit margin
    double learningRate = 0.05; // cw: Adam's (0.01 in the paper, which runs 10000 steps)
    int64_t binarySteps = 5;  // cw: rounds of the search over c
};

// Sensible defaults per method: fgsm 1 step, bim/pgd 10, pgd-l2 eps 0.5,
// deepfool up to 50 steps, cw 100 steps per c.
AttackOptions attackDefaults(AttackMethod method);
// The step an iterative attack takes: alpha, or 2.5 eps / steps when alpha
// is -1; eps for FGSM.
double attackStepSize(const AttackOptions& options);
// Throws Error naming the option for a value the method cannot use.
void checkAttackOptions(const Model& model, const AttackOptions& options);

// Results per sample; vectors have one entry per image.
struct AttackResult {
    torch::Tensor adversarial; // [N, C, H, W] CPU float in [0, 1]
    std::vector<int64_t> labels;          // what untargeted attacks move away from
    std::vector<int64_t> before, after;   // top prediction on the clean and the adversarial image
    torch::Tensor logitsBefore, logitsAfter; // [N, classes] CPU: the model's logits of both
    std::vector<double> beforeProbability, afterProbability; // of those predictions
    std::vector<double> trackedBefore, trackedAfter; // probability of the target (targeted) or the label
    std::vector<bool> success;            // fooled (see above), judged on `adversarial` as floats
    std::vector<double> linf, l2;         // of adversarial - clean
    std::vector<int64_t> l0;              // values (C x H x W) changed by half an 8-bit level or more
    std::vector<int64_t> steps;           // gradient steps that changed the sample (all restarts/rounds)
    // Per step, each sample's probability of the target (targeted) or the
    // label, from the first restart or round; entry 0 is the start.
    std::vector<std::vector<double>> curve;
    bool cancelled = false;               // stopped early: the images are the current ones
    double seconds = 0;
};

// Attacks `images` [N, C, H, W] in [0, 1]. `labels` (N entries, or empty for
// the clean predictions) are the classes untargeted attacks move away from.
// Each step's passes go through the model in chunks (core/batches): a set
// cancel flag stops midway and returns the images as the last whole step
// left them; memory running out halves the chunks (a note through
// `progress`) without changing the result.
AttackResult attack(Model& model, const torch::Tensor& images, const std::vector<int64_t>& labels,
                    const AttackOptions& options, const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// Accuracy against the size of the attack over (a sample of) a dataset.
struct RobustnessPoint {
    double eps = 0;
    int64_t correct = 0;  // still predicted as the label
    double accuracy = 0;  // correct / samples
    // classes x classes counts, row-major: row = the label (true class, or the
    // clean prediction without labels), column = the prediction under attack
    // at this eps (for deepfool/cw: the adversarial class where the
    // perturbation fits in eps, else the clean prediction).
    std::vector<int64_t> confusion;
    int64_t classes = 0;
};
struct RobustnessResult {
    AttackMethod method = AttackMethod::Fgsm;
    int64_t samples = 0;        // images attacked
    bool labeled = false;       // false: labels are the clean predictions
    double cleanAccuracy = 0;
    std::vector<RobustnessPoint> points; // one per eps (for deepfool/cw: L2 budgets read off the minimal perturbations)
    double successRate = 0;     // deepfool/cw: share of clean-correct samples fooled at all
    double medianL2 = 0;        // deepfool/cw: median L2 of the successful perturbations
    bool cancelled = false;     // points holds the finished budgets
    double seconds = 0;
    // With RobustnessOptions::keepImages: the images attacked ([samples, C, H, W]
    // CPU float, in the order of the confusion counts), their dataset indices
    // and labels, and per point the images the predictions came from (for
    // deepfool/cw the adversarial image where it fits the budget, else the
    // clean one). Empty when they would not fit keepBytes.
    torch::Tensor clean;
    std::vector<torch::Tensor> adversarial;
    std::vector<int64_t> images, labels;
};
struct RobustnessOptions {
    std::vector<double> epsilons;  // budgets to try (0 is clean accuracy)
    int64_t samples = 500;         // at most this many images, a seeded shuffle of the dataset
    uint64_t sampleSeed = 0;
    int64_t batch = 0;             // images per attack batch; 0: what 512 MiB of activations hold (at most 128)
    bool keepImages = false;       // keep the clean and adversarial images (Show in embedding)
    int64_t keepBytes = int64_t(256) << 20; // ... when all of them fit in this many bytes
};
RobustnessResult robustness(Model& model, Dataset& dataset, const AttackOptions& attackOptions,
                            const RobustnessOptions& options, const ProgressFn& progress = {},
                            const CancelFlag* cancel = nullptr);

// Class indices of the dataset's labels in the model's outputs: by name when
// every dataset class is one of the model's labels, else by position (Error
// when the dataset has more classes than the model has outputs).
std::vector<int64_t> datasetClassMap(const Model& model, const Dataset& dataset);

// The perturbation as a picture: 0.5 + scale * (adversarial - clean),
// clamped to [0, 1] ([C, H, W]).
torch::Tensor perturbationImage(const torch::Tensor& clean, const torch::Tensor& adversarial, double scale);

} // namespace convscope
