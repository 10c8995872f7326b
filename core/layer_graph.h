#pragma once

#include "core/layer_info.h"

#include <torch/script.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace convscope {

// How gradients flow back through ReLUs: as the model defines them, as
// guided backpropagation wants (only positive gradients, only where the
// forward value was positive), or as the deconvnet does (positive gradients,
// wherever they go).
enum class ReluGradient { Standard, Guided, Deconvnet };

// A TorchScript model's forward() flattened into one graph whose intermediate
// values can be returned alongside the result, with autograd intact.
class LayerGraph {
public:
    // `module` must already be in eval mode and on its final device.
    explicit LayerGraph(const torch::jit::Module& module);
    ~LayerGraph();
    LayerGraph(const LayerGraph&) = delete;
    LayerGraph& operator=(const LayerGraph&) = delete;

    const std::vector<LayerInfo>& layers() const;
    // Index of a layer by name or alias, -1 if none.
    int find(const std::string& name) const;
    // Channels the first convolution expects (0 if the model has none).
    int64_t firstConvChannels() const;

    // The weight parameter of the conv or linear op that produces `layer`:
    // [out, in / groups, kh, kw] for a convolution as stored, [out, in] for a
    // linear op (addmm and matmul read it transposed; it is returned
    // untransposed). Undefined for any other op, or when the weight is computed
    // rather than read from a parameter.
    torch::Tensor weight(int layer) const;
    // Shape, for one image, of the data input of the op producing `layer`
    // (recorded by analyze(); empty before).
    std::vector<int64_t> inputShape(int layer) const;
    // [C, H, W] of the image that `layer`'s data input was flattened from,
    // looking back through flatten/view/reshape/dropout ops to the model input
    // if need be; the input's own shape when it is 3-D; empty when there is no
    // such image (the input came from another linear layer, say).
    std::vector<int64_t> imageInputShape(int layer) const;
    // The layer whose output is the data input of the op producing `layer`;
    // -1 when that input is the model's input or a value no layer names.
    int inputLayer(int layer) const;
    std::vector<std::string> warnings() const;

    // The parameters and buffers the op producing `layer` reads, each once, in
    // the op's argument order, with their role in the op: "weight" or "bias"
    // (conv, linear, norms), "running_mean" or "running_var" (batch and
    // instance norm). `name` is the attribute path ("layer1.0.bn1.weight").
    // The tensors are the module's own: changing them in place changes what
    // the model computes. Empty for ops without parameters.
    struct Parameter {
        std::string name;
        std::string role;
        torch::Tensor tensor;
    };
    std::vector<Parameter> parameters(int layer) const;

    struct Run {
        c10::IValue result; // forward()'s own return value (None unless asked)
        std::vector<torch::Tensor> layers;
    };
    // One forward pass returning the listed layers' outputs. Without
    // `withResult` the graph is cut after the last requested layer.
    Run run(const torch::Tensor& input, const std::vector<int>& layers, bool withResult = true,
            ReluGradient relu = ReluGradient::Standard);

private:
    // One forward pass of `input` (the model's own input, batch 1) that records
    // every value's shape, then fills LayerInfo's shapes and complexity.
    // Returns forward()'s result. Throws what the model throws. Private: it
    // rewrites layers() in place, which only Model::load may do, before the
    // graph is shared between threads.
    c10::IValue analyze(const torch::Tensor& input);
    friend class Model;

    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace convscope
