#pragma once

// Internal to core/: the only header that exposes LibTorch's JIT IR.

#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace convscope::detail {

// The output of one call of a submodule's forward(), after inlining.
struct ModuleCall {
    std::string path;          // "layer1.0.conv1" ("" for the model itself)
    int call = 0;              // 0 for the first call of this module, 1 for the second, ...
    torch::jit::Value* value;  // a Tensor value of the inlined graph
};

// The model's forward() as one flat graph: every submodule call inlined, the
// non-tensor attributes (training flags, use_res_connect, ...) folded into
// constants so that scripted control flow collapses, and in-place ops turned
// out-of-place so that each captured value is the one its layer produced.
// Parameters stay prim::GetAttr reads of `self` (input 0), so autograd works.
struct InlinedForward {
    std::shared_ptr<torch::jit::Graph> graph;
    std::vector<ModuleCall> calls;                              // in call order
    std::unordered_map<const torch::jit::Node*, std::string> nodePath; // module path of each node
    std::vector<std::string> warnings;
};

InlinedForward inlineForward(const torch::jit::Module& module);

// Replaces every aten::relu / relu_ node of `graph` (top-level block) by
// convscope::guided_relu (or deconv_relu): same values, guided-backpropagation
// (or deconvnet) gradients. Returns how many were replaced. In guided_relu.cpp.
int guideRelus(torch::jit::Graph& graph, bool deconvnet = false);

// Follows a chain of prim::GetAttr from `self` (graph input 0); the attribute
// names, or false if `value` is not such a chain.
bool attributePath(torch::jit::Value* value, std::vector<std::string>& names);
c10::IValue attributeAt(const torch::jit::Module& module, const std::vector<std::string>& names);

} // namespace convscope::detail
