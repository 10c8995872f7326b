#include "core/layer_graph.h"

#include "core/error.h"
#include "core/graph_passes.h"
#include "core/layer_ops.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace convscope {

using namespace torch::jit;

struct LayerGraph::Impl {
    Module module;
    detail::InlinedForward inlined;
    std::vector<Value*> values;                // outputs of top-level nodes, in order
    std::unordered_map<const Value*, int> position;
    std::vector<LayerInfo> layers;
    std::vector<int> layerValue;               // position of each layer's value
    std::vector<const Node*> layerNode;
    std::unordered_map<std::string, int> byName;
    std::unordered_map<const Value*, std::vector<int64_t>> shapes; // one image each, from analyze()

    std::mutex cacheMutex;
    std::map<std::vector<int>, std::shared_ptr<GraphFunction>> cache;

    const Node* producer(int layer) const;
    const Value* dataInput(int layer) const;
    std::vector<int64_t> shapeOf(const Value* value) const;
    void collectValues();
    void nameLayers();
    std::shared_ptr<GraphFunction> function(const std::vector<int>& positions, bool withResult, ReluGradient relu);
    std::vector<c10::IValue> execute(const torch::Tensor& input, const std::vector<int>& positions, bool withResult,
                                     ReluGradient relu = ReluGradient::Standard);
};

namespace {

bool isTensor(const Value* v)
{
    return v->type()->kind() == c10::TypeKind::TensorType;
}

std::string kindName(const Node* node)
{
    return node->kind().toUnqualString();
}

int componentCount(const std::string& path)
{
    return path.empty() ? 0 : 1 + static_cast<int>(std::count(path.begin(), path.end(), '.'));
}

} // namespace

void LayerGraph::Impl::collectValues()
{
    for (Node* node : inlined.graph->block()->nodes())
        for (Value* v : node->outputs()) {
            position[v] = static_cast<int>(values.size());
            values.push_back(v);
        }
}

void LayerGraph::Impl::nameLayers()
{
    // Module outputs: a value may be the output of several nested modules
    // (layer1.0.relu#2 == layer1.0 == layer1); the innermost names it.
    std::map<int, std::vector<std::string>> moduleNames; // position -> names, innermost first
    std::set<std::string> callPaths;
    for (const auto& call : inlined.calls) {
        callPaths.insert(call.path);
        auto at = position.find(call.value);
        if (call.path.empty() || at == position.end())
            continue; // the model itself, or a module that returns its input
        std::string name = call.call == 0 ? call.path : call.path + "#" + std::to_string(call.call + 1);
        moduleNames[at->second].push_back(name);
    }
    for (auto& [pos, names] : moduleNames)
        std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
            return componentCount(a) > componentCount(b);
        });
    auto isLeaf = [&](const std::string& path) {
        if (path.empty())
            return false;
        auto first = callPaths.lower_bound(path + ".");
        return first == callPaths.end() || first->rfind(path + ".", 0) != 0;
    };

    std::set<std::string> used;
    for (const auto& [pos, names] : moduleNames)
        for (const auto& n : names)
            used.insert(n);

    std::map<int, LayerInfo> found;
    for (const auto& [pos, names] : moduleNames) {
        LayerInfo info;
        info.name = names.front();
        info.aliases.assign(names.begin() + 1, names.end());
        found[pos] = info;
    }
    // Functional ops (residual adds, concatenations, flatten, F.relu, ...) in
    // composite modules or in the model's own forward.
    for (Node* node : inlined.graph->block()->nodes()) {
        if (node->outputs().empty() || !isTensor(node->output(0)) || !detail::isListedOp(node))
            continue;
        const int pos = position[node->output(0)];
        if (found.count(pos))
            continue;
        auto pathIt = inlined.nodePath.find(node);
        const std::string path = pathIt == inlined.nodePath.end() ? std::string() : pathIt->second;
        if (isLeaf(path))
            continue; // an op inside e.g. Conv2d.forward: the module output covers it
        std::string base = (path.empty() ? "" : path + ".") + detail::opInfo(node, &module).op;
        std::string name = base;
        for (int k = 2; used.count(name); ++k)
            name = base + "#" + std::to_string(k);
        used.insert(name);
        LayerInfo info;
        info.name = name;
        found[pos] = info;
    }
    for (auto& [pos, info] : found) {
        const Node* node = values[pos]->node();
        const auto op = detail::opInfo(node, &module);
        info.op = op.op;
        info.category = op.category;
        byName[info.name] = static_cast<int>(layers.size());
        for (const auto& alias : info.aliases)
            byName.emplace(alias, static_cast<int>(layers.size()));
        layers.push_back(info);
        layerValue.push_back(pos);
        layerNode.push_back(node);
    }
}

LayerGraph::LayerGraph(const Module& module)
    : d(std::make_unique<Impl>())
{
    d->module = module;
    try {
        d->inlined = detail::inlineForward(module);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("cannot flatten the model's forward(): " + torchMessage(e));
    }
    d->collectValues();
    d->nameLayers();
}

LayerGraph::~LayerGraph() = default;

const std::vector<LayerInfo>& LayerGraph::layers() const
{
    return d->layers;
}

std::vector<std::string> LayerGraph::warnings() const
{
    return d->inlined.warnings;
}

int LayerGraph::find(const std::string& name) const
{
    auto it = d->byName.find(name);
    return it == d->byName.end() ? -1 : it->second;
}

int64_t LayerGraph::firstConvChannels() const
{
    for (Node* node : d->inlined.graph->block()->nodes()) {
        if (detail::opInfo(node, &d->module).category != "conv")
            continue;
        auto weight = detail::parameterTensor(node->input(1), d->module);
        if (!weight.defined() || weight.dim() < 3)
            continue;
        const bool transposed = detail::isTransposedConv(node);
        int64_t groups = detail::convGroups(node);
        return transposed ? weight.size(0) : weight.size(1) * groups;
    }
    return 0;
}

const Node* LayerGraph::Impl::producer(int layer) const
{
    if (layer < 0 || layer >= static_cast<int>(layers.size()))
        throw Error("no layer number " + std::to_string(layer));
    return layerNode[static_cast<size_t>(layer)];
}

const Value* LayerGraph::Impl::dataInput(int layer) const
{
    const Node* node = producer(layer);
    if (node->inputs().empty())
        return nullptr;
    // addmm(bias, x, weight.t()) is the one op whose data comes second.
    return node->input(kindName(node) == "addmm" && node->inputs().size() > 1 ? 1 : 0);
}

std::vector<int64_t> LayerGraph::Impl::shapeOf(const Value* value) const
{
    auto it = value ? shapes.find(value) : shapes.end();
    return it == shapes.end() ? std::vector<int64_t>() : it->second;
}

torch::Tensor LayerGraph::weight(int layer) const
{
    const Node* node = d->producer(layer);
    const std::string category = detail::opInfo(node, &d->module).category;
    const std::string kind = kindName(node);
    if (category == "conv" || kind == "linear")
        return node->inputs().size() > 1 ? detail::parameterTensor(node->input(1), d->module) : torch::Tensor();
    if (category != "linear")
        return {};
    // addmm(bias, x, W.t()) and matmul(x, W.t()) from older traces, or
    // matmul(x, W) with W stored as [in, out] by hand-written models.
    const Value* operand = node->input(kind == "addmm" ? 2 : 1);
    if (operand->node()->kind() == aten::t)
        return detail::parameterTensor(operand->node()->input(0), d->module);
    auto stored = detail::parameterTensor(operand, d->module);
    return stored.defined() && stored.dim() == 2 ? stored.t() : torch::Tensor();
}

namespace {

// Which argument of each parameterized op holds what; -1: none.
struct ParameterSlots {
    int weight = -1, bias = -1, runningMean = -1, runningVar = -1;
};

ParameterSlots parameterSlots(const Node* node, const std::string& category)
{
    const std::string kind = kindName(node);
    if (category == "conv" || kind == "linear")
        return {1, 2};
    if (kind == "addmm")
        return {2, 0};
    if (kind == "matmul" || kind == "mm")
        return {1};
    if (kind == "batch_norm" || kind == "instance_norm")
        return {1, 2, 3, 4};
    if (kind == "layer_norm" || kind == "group_norm")
        return {2, 3};
    return {};
}

} // namespace

std::vector<LayerGraph::Parameter> LayerGraph::parameters(int layer) const
{
    const Node* node = d->producer(layer);
    const ParameterSlots slots = parameterSlots(node, detail::opInfo(node, &d->module).category);
    std::vector<Parameter> out;
    const auto add = [&](int slot, const char* role) {
        if (slot < 0 || slot >= static_cast<int>(node->inputs().size()))
            return;
        Value* value = const_cast<Value*>(node->input(static_cast<size_t>(slot)));
        if (value->node()->kind() == aten::t) // addmm's and matmul's W.t()
            value = value->node()->input(0);
        std::vector<std::string> names;
        if (!detail::attributePath(value, names) || names.empty())
            return;
        const c10::IValue tensor = detail::attributeAt(d->module, names);
        if (!tensor.isTensor() || !tensor.toTensor().defined())
            return;
        std::string name;
        for (const auto& n : names)
            name += (name.empty() ? "" : ".") + n;
        out.push_back({name, role, tensor.toTensor()});
    };
    add(slots.weight, "weight");
    add(slots.bias, "bias");
    add(slots.runningMean, "running_mean");
    add(slots.runningVar, "running_var");
    return out;
}

int LayerGraph::inputLayer(int layer) const
{
    const Value* value = d->dataInput(layer);
    auto at = value ? d->position.find(value) : d->position.end();
    if (at == d->position.end())
        return -1;
    const auto found = std::find(d->layerValue.begin(), d->layerValue.end(), at->second);
    return found == d->layerValue.end() ? -1 : static_cast<int>(found - d->layerValue.begin());
}

std::vector<int64_t> LayerGraph::inputShape(int layer) const
{
    return d->shapeOf(d->dataInput(layer));
}

std::vector<int64_t> LayerGraph::imageInputShape(int layer) const
{
    const Value* value = d->dataInput(layer);
    while (value) {
        auto shape = d->shapeOf(value);
        if (shape.size() == 3)
            return shape;
        const Node* node = value->node();
        const std::string category = detail::opInfo(node).category;
        const bool passesOn = category == "reshape" || category == "dropout" || kindName(node) == "contiguous";
        if (!passesOn || node->inputs().empty())
            break;
        value = node->input(0);
    }
    return {};
}

std::shared_ptr<GraphFunction> LayerGraph::Impl::function(const std::vector<int>& positions, bool withResult,
                                                          ReluGradient relu)
{
    std::vector<int> key = positions;
    key.push_back(withResult ? -1 : -2);
    key.push_back(-3 - static_cast<int>(relu));
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto it = cache.find(key);
    if (it != cache.end())
        return it->second;

    // Graph::copy() clones nodes in order, so positions carry over.
    auto graph = inlined.graph->copy();
    std::vector<Value*> copied;
    for (Node* node : graph->block()->nodes())
        for (Value* v : node->outputs())
            copied.push_back(v);
    std::vector<Value*> outputs;
    if (withResult)
        outputs.push_back(graph->outputs()[0]);
    for (int pos : positions)
        outputs.push_back(copied.at(pos));
    while (!graph->outputs().empty())
        graph->eraseOutput(0);
    Node* tuple = graph->insertNode(graph->createTuple(outputs));
    graph->registerOutput(tuple->output());
    if (relu != ReluGradient::Standard)
        detail::guideRelus(*graph, relu == ReluGradient::Deconvnet);
    EliminateDeadCode(graph);

    if (cache.size() >= 32)
        cache.erase(cache.begin());
    // The simple executor runs the graph as it is: the profiling executor
    // would spend its first two runs of every new layer choice profiling and
    // optimizing (~100 ms for LeNet-5), which the GUI feels on each click,
    // for no gain on CPU where there is nothing to fuse.
    auto fn = std::make_shared<GraphFunction>("convscope_taps", graph, nullptr, ExecutorExecutionMode::SIMPLE);
    cache[key] = fn;
    return fn;
}

std::vector<c10::IValue> LayerGraph::Impl::execute(const torch::Tensor& input, const std::vector<int>& positions,
                                                   bool withResult, ReluGradient relu)
{
    auto fn = function(positions, withResult, relu);
    Stack stack{module._ivalue(), input};
    fn->run(stack);
    return stack.back().toTupleRef().elements().vec();
}

LayerGraph::Run LayerGraph::run(const torch::Tensor& input, const std::vector<int>& layers, bool withResult,
                                ReluGradient relu)
{
    std::vector<int> positions;
    for (int layer : layers) {
        if (layer < 0 || layer >= static_cast<int>(d->layers.size()))
            throw Error("no layer number " + std::to_string(layer));
        positions.push_back(d->layerValue[layer]);
    }
    auto outputs = d->execute(input, positions, withResult, relu);
    Run run;
    size_t i = 0;
    if (withResult)
        run.result = outputs[i++];
    for (; i < outputs.size(); ++i)
        run.layers.push_back(outputs[i].toTensor());
    return run;
}

c10::IValue LayerGraph::analyze(const torch::Tensor& input)
{
    std::vector<int> tensors;
    for (size_t pos = 0; pos < d->values.size(); ++pos) {
        const Node* node = d->values[pos]->node();
        if (isTensor(d->values[pos]) && node->kind() != prim::GetAttr && node->kind() != prim::Constant)
            tensors.push_back(static_cast<int>(pos));
    }
    std::vector<c10::IValue> outputs;
    {
        torch::NoGradGuard noGrad;
        outputs = d->execute(input, tensors, true);
    }
    std::unordered_map<const Value*, std::vector<int64_t>> shapes;
    shapes[d->inlined.graph->inputs()[1]] = input.sizes().vec();
    for (size_t i = 0; i < tensors.size(); ++i)
        shapes[d->values[tensors[i]]] = outputs[1 + i].toTensor().sizes().vec();
    d->shapes.clear();
    for (const auto& [value, shape] : shapes)
        if (!shape.empty())
            d->shapes[value] = std::vector<int64_t>(shape.begin() + 1, shape.end());

    const auto geometry = detail::computeGeometry(*d->inlined.graph, shapes, d->module);
    for (size_t i = 0; i < d->layers.size(); ++i) {
        LayerInfo& info = d->layers[i];
        const Value* value = d->values[d->layerValue[i]];
        auto shape = shapes.at(value);
        info.shape.assign(shape.begin() + (shape.empty() ? 0 : 1), shape.end());
        info.geometry = geometry.at(d->layerNode[i]);
        auto field = geometry.fields.find(value);
        info.hasField = field != geometry.fields.end();
        if (info.hasField)
            info.field = field->second;
    }
    return outputs[0];
}

} // namespace convscope
