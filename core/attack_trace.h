#pragma once

// Where an adversarial perturbation grows inside the network (issue 25): the
// amplification curve ‖a_adv − a_clean‖ / ‖a_clean‖ for every layer in
// forward order, beside the same curve for random noise of the same size,
// so that one sees the attack grow where noise fades.
//
// The noise matches each image's perturbation in the attack's own norm:
// a random sign per value times the perturbation's L∞ for L∞ attacks, or
// Gaussian noise scaled so that its L2 (after clipping to [0, 1], as the
// attacks clip) is the perturbation's L2 for L2 attacks. Drawn from a CPU
// generator seeded with `seed`: the same noise on every device and run.

#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Model;

struct LayerChange {
    int layer = -1;                 // index in Model::layers()
    std::string name;
    // ‖a_adv − a_clean‖ / ‖a_clean‖ (Frobenius over the layer's values),
    // averaged over the images; infinite where a clean activation is all zero
    // and the other is not, 0 where both are.
    double relativeChange = 0;
    double noiseRelativeChange = 0; // the same for the noisy image
};

struct AttackTrace {
    std::vector<LayerChange> layers; // every layer, forward order
    torch::Tensor noisy;             // [N, C, H, W] CPU float: clean + noise, clipped to [0, 1]
    bool l2 = false;                 // the noise is Gaussian with the perturbation's L2
    uint64_t seed = 0;
    bool cancelled = false;          // layers is empty
};

// clean + noise of the size of (adversarial - clean) per image, in [0, 1].
torch::Tensor matchedNoise(const torch::Tensor& clean, const torch::Tensor& adversarial, bool l2, uint64_t seed);

// Relative change of one activation pair (any shape; one image).
double relativeChange(const torch::Tensor& clean, const torch::Tensor& other);

// The amplification curves of `adversarial` against `clean` ([N, C, H, W]
// in [0, 1]): one forward pass per image of clean, adversarial and noisy
// together, every layer captured. A set cancel flag stops between images.
AttackTrace traceAttack(Model& model, const torch::Tensor& clean, const torch::Tensor& adversarial, bool l2,
                        uint64_t seed = 0, const CancelFlag* cancel = nullptr);

// Per channel of one layer's activations ([C, ...] or [F]: each value its own
// channel): how far the adversarial image moved it, largest first.
struct ChannelChange {
    int64_t channel = 0;
    double change = 0;         // ‖a_adv,c − a_clean,c‖
    double relativeChange = 0; // over ‖a_clean,c‖ (infinite for a silent clean channel that woke)
};
std::vector<ChannelChange> channelChanges(const torch::Tensor& clean, const torch::Tensor& adversarial);

} // namespace convscope
