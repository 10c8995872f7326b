#pragma once

// Internal to core/: what each op of an inlined graph is, and what it costs.

#include "core/layer_graph.h"

#include <torch/csrc/jit/ir/ir.h>

#include <unordered_map>

namespace convscope::detail {

struct OpKind {
    std::string op;       // conv2d, relu, add, ...
    std::string category; // conv, linear, activation, pool, norm, merge, reshape, dropout, other
};

// Without a module, convolutions are not told apart as depthwise/grouped.
OpKind opInfo(const torch::jit::Node* node, const torch::jit::Module* module = nullptr);
// Ops listed as layers when they stand outside a leaf module.
bool isListedOp(const torch::jit::Node* node);

// The parameter or buffer a value reads through prim::GetAttr; undefined otherwise.
torch::Tensor parameterTensor(const torch::jit::Value* value, const torch::jit::Module& module);
bool isTransposedConv(const torch::jit::Node* node);
int64_t convGroups(const torch::jit::Node* node);

struct GraphGeometry {
    std::unordered_map<const torch::jit::Node*, OpGeometry> ops;
    std::unordered_map<const torch::jit::Value*, std::array<AxisField, 2>> fields;
    const OpGeometry& at(const torch::jit::Node* node) const;
};

// Walks the graph once with every tensor's shape (batch 1) known: kernel,
// stride, padding, parameters and multiply-adds per op, and the receptive
// field of every 4-D value, through residual and concat branches.
GraphGeometry computeGeometry(torch::jit::Graph& graph,
                              const std::unordered_map<const torch::jit::Value*, std::vector<int64_t>>& shapes,
                              const torch::jit::Module& module);

} // namespace convscope::detail
