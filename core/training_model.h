#pragma once

#include <torch/script.h>

#include <nlohmann/json.hpp>

#include <string>

namespace convscope {

// The model train() is training, lent to its step hook between two batches
// (on the training thread, valid only during the call), so that a view can
// watch it learn: the first layer's filters, what it does to one image, and
// its current weights saved to open in every other view.
class TrainingModel {
public:
    TrainingModel(torch::jit::Module& module, const torch::Tensor& mean, const torch::Tensor& stdev,
                  const nlohmann::ordered_json& metadata);

    // The first convolution's weights [O, I, kh, kw], a CPU copy.
    torch::Tensor firstLayerWeights() const;
    // Of pixels [C, H, W] in [0, 1]: the first convolution's output [O, h, w]
    // and the class probabilities [K], in eval mode (dropout off, batch norm's
    // running statistics), as the saved model would give them.
    std::pair<torch::Tensor, torch::Tensor> look(const torch::Tensor& pixels) const;
    // The current weights with the metadata so far, written atomically.
    void save(const std::string& path) const;

private:
    torch::jit::Module& m_module;
    torch::Tensor m_mean, m_stdev;
    const nlohmann::ordered_json& m_metadata;
};

// module.save to path + ".partial", then a rename: a reader (or a crash)
// never sees half a file. The module is saved in eval mode and left in
// train mode. Throws Error with the path and the reason (a full disk).
void saveCheckpoint(torch::jit::Module& module, const std::string& path, const nlohmann::ordered_json& metadata);

} // namespace convscope
