#pragma once

// Model-parameter randomization (Adebayo et al., "Sanity Checks for Saliency
// Maps", NeurIPS 2018): a copy of the model whose layers are re-initialized
// one step at a time, so that a saliency method's map can be compared with
// the map of the same method on a model that has forgotten what it learned.

#include <torch/script.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace convscope {

class Model;

enum class Randomization {
    Cascading,   // step k: the last k weighted layers re-initialized (top down, as in the paper)
    Independent, // step k: only the k-th weighted layer from the top
};
Randomization randomizationFromName(const std::string& name); // "cascading", "independent"
std::string randomizationName(Randomization mode);

// One randomization step: a convolution or linear layer with the
// normalization that directly follows it (conv2 + bn2 are one step), or a
// normalization layer with parameters of its own.
struct RandomizationStep {
    std::string name;                    // "conv2 + bn2", "fc3"
    std::vector<int> layers;             // graph layer indices, in graph order
    std::vector<std::string> parameters; // attribute paths, in the order they are drawn
};

// The steps in cascade order: the layer nearest the output first.
std::vector<RandomizationStep> randomizationSteps(const Model& model);

// A copy of a model (the loaded model itself is never changed) whose steps
// can be re-initialized and restored. Each step's tensors are drawn by
// PyTorch's default initializers (reset_parameters()): conv and linear
// weights Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)), biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), norm weights
// 1, biases 0, running mean 0, running variance 1. The random draws of step
// k come from a CPU generator seeded with seed + k, drawn in the step's
// parameter order, then moved to the model's device, so that a step's new
// weights are the same in either mode and on any device:
//     g = torch.Generator().manual_seed(seed + k); w.uniform_(-b, b, generator=g)
// Owned by one thread.
class RandomizedModel {
public:
    RandomizedModel(const Model& model, uint64_t seed);
    ~RandomizedModel();

    const std::vector<RandomizationStep>& steps() const { return m_steps; }
    // Step 0 is the original weights; step k (1..steps().size()) as `mode` says.
    void setStep(Randomization mode, int step);
    // The randomized copy, as the latest setStep left it.
    Model& model() { return *m_copy; }
    // Writes the copy as it is (atomically, as training's checkpoints) with
    // the model's metadata embedded, named `name`, so that it opens in
    // ConvScope like the original.
    void save(const std::string& path, const std::string& name);

private:
    struct Tensor {
        torch::Tensor live;     // the copy's own tensor
        torch::Tensor original; // its value as loaded
        std::string role;       // weight, bias, running_mean, running_var
        int64_t fanIn = 0;      // of the op's weight, for the bias bound
    };
    void reinitialize(size_t step);
    void restore(size_t step);

    std::unique_ptr<Model> m_copy;
    std::vector<RandomizationStep> m_steps;
    std::vector<std::vector<Tensor>> m_tensors; // [step]
    std::vector<bool> m_randomized;             // [step] re-initialized now
    uint64_t m_seed = 0;
};

} // namespace convscope
