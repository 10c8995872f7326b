#include "core/graph_passes.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <functional>
#include <regex>
#include <set>
#include <unordered_set>

namespace convscope::detail {

using namespace torch::jit;

bool attributePath(Value* value, std::vector<std::string>& names)
{
    Graph& graph = *value->owningGraph();
    while (value != graph.inputs()[0]) {
        Node* node = value->node();
        if (node->kind() != prim::GetAttr)
            return false;
        names.insert(names.begin(), node->s(attr::name));
        value = node->input(0);
    }
    return true;
}

c10::IValue attributeAt(const Module& module, const std::vector<std::string>& names)
{
    c10::IValue object = module._ivalue();
    for (const auto& name : names)
        object = object.toObject()->getAttr(name);
    return object;
}

namespace {

std::string joinPath(const std::vector<std::string>& names)
{
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ".") + n;
    return out;
}

// forward (scripted), forward1/forward2 (traced: later calls of the same module),
// forward__0 (scripted overloads such as DenseNet's _DenseLayer).
bool isForwardName(const std::string& name)
{
    static const std::regex pattern("forward([0-9]+|__[0-9]+)?");
    return std::regex_match(name, pattern);
}

void forEachNode(Block* block, const std::function<void(Node*)>& fn)
{
    for (Node* node : block->nodes()) {
        fn(node);
        for (Block* sub : node->blocks())
            forEachNode(sub, fn);
    }
}

// Copy of a callee's graph specialized to this call: arguments that are
// constants at the call site become constants, and plain attributes of `self`
// (bools, ints, lists, ...) become constants unless the callee writes them.
// Constant propagation then removes branches such as `if self.training`.
std::shared_ptr<Graph> specializeCallee(Graph& callee, Node* call, const c10::IValue* self)
{
    auto graph = callee.copy();
    WithInsertPoint guard(graph->block()->nodes().front());
    for (size_t i = 0; call && i < graph->inputs().size(); ++i) {
        if (auto value = toIValue(call->input(i))) {
            if (auto constant = tryInsertConstant(*graph, *value))
                graph->inputs()[i]->replaceAllUsesWith(*constant);
        }
    }
    if (self && self->isObject() && !graph->inputs().empty()) {
        auto object = self->toObject();
        auto type = object->type();
        std::set<std::string> written;
        std::vector<Node*> reads;
        forEachNode(graph->block(), [&](Node* node) {
            if (node->kind() == prim::SetAttr)
                written.insert(node->s(attr::name));
            else if (node->kind() == prim::GetAttr && node->input(0) == graph->inputs()[0])
                reads.push_back(node);
        });
        for (Node* read : reads) {
            const std::string& name = read->s(attr::name);
            auto slot = type->findAttributeSlot(name);
            if (!slot || written.count(name) || type->is_parameter(*slot) || type->is_buffer(*slot))
                continue;
            const c10::IValue value = object->getSlot(*slot);
            if (value.isTensor() || value.isObject() || value.isModule() || value.isFuture())
                continue;
            WithInsertPoint at(read);
            if (auto constant = tryInsertConstant(*graph, value))
                read->output()->replaceAllUsesWith(*constant);
        }
    }
    ConstantPropagation(graph);
    EliminateDeadCode(graph);
    return graph;
}

class Inliner {
public:
    Inliner(const Module& module, InlinedForward& out)
        : m_module(module)
        , m_out(out)
    {
    }

    void run(Block* block, const std::string& enclosingPath, bool topLevel)
    {
        Node* node = block->nodes().front();
        while (node != block->return_node()) {
            if (node->kind() == prim::CallMethod || node->kind() == prim::CallFunction) {
                Node* before = node->prev();
                Node* after = node->next();
                std::string path = enclosingPath;
                inlineCall(node, topLevel, path);
                // Newly inserted nodes belong to the callee; visit them next.
                for (Node* n = before->next(); n != after; n = n->next())
                    assignPath(n, path);
                node = before->next();
                continue;
            }
            for (Block* sub : node->blocks())
                run(sub, enclosingPath, false);
            node = node->next();
        }
    }

private:
    void assignPath(Node* node, const std::string& path)
    {
        m_out.nodePath[node] = path;
        for (Block* sub : node->blocks())
            forEachNode(sub, [&](Node* n) { m_out.nodePath[n] = path; });
    }

    void inlineCall(Node* call, bool topLevel, std::string& path)
    {
        GraphFunction* function = nullptr;
        std::shared_ptr<Graph> body;
        bool isModuleForward = false;
        if (call->kind() == prim::CallMethod) {
            auto type = call->input(0)->type()->expect<c10::ClassType>();
            const std::string method = call->s(attr::name);
            function = &toGraphFunction(type->getMethod(method));
            std::vector<std::string> names;
            if (attributePath(call->input(0), names)) {
                const c10::IValue self = attributeAt(m_module, names);
                body = specializeCallee(*function->graph(), call, &self);
                path = joinPath(names);
                isModuleForward = isForwardName(method);
            } else {
                body = specializeCallee(*function->graph(), call, nullptr);
            }
        } else {
            auto type = call->input(0)->type()->expect<c10::FunctionType>();
            function = &toGraphFunction(*type->function());
            call->removeInput(0);
            body = specializeCallee(*function->graph(), call, nullptr);
        }
        std::vector<Value*> outputs = inlineCallTo(call, function, body.get());
        if (!isModuleForward)
            return;
        if (!topLevel) {
            ++m_nestedCalls;
            return;
        }
        for (Value* output : outputs) {
            if (output->type()->kind() != c10::TypeKind::TensorType)
                continue;
            int index = m_callCount[path]++;
            // Registering the value as a graph output keeps it tracked through
            // the passes that follow (they rewrite uses, outputs included).
            m_tracked.push_back({path, index});
            output->owningGraph()->registerOutput(output);
        }
    }

public:
    std::vector<std::pair<std::string, int>> m_tracked;
    int m_nestedCalls = 0;

private:
    const Module& m_module;
    InlinedForward& m_out;
    std::unordered_map<std::string, int> m_callCount;
};

// In-place ops that have an out-of-place twin with the same arguments.
const std::unordered_set<std::string>& functionalizable()
{
    static const std::unordered_set<std::string> ops = {
        "aten::relu_", "aten::relu6_", "aten::hardtanh_", "aten::leaky_relu_", "aten::elu_", "aten::selu_",
        "aten::celu_", "aten::silu_", "aten::hardswish_", "aten::hardsigmoid_", "aten::mish_", "aten::sigmoid_",
        "aten::tanh_", "aten::gelu_", "aten::add_", "aten::sub_", "aten::mul_", "aten::div_", "aten::clamp_",
        "aten::clamp_min_", "aten::clamp_max_", "aten::threshold_", "aten::dropout_", "aten::feature_dropout_",
        "aten::alpha_dropout_", "aten::abs_", "aten::neg_", "aten::exp_", "aten::pow_", "aten::rrelu_"};
    return ops;
}

bool isViewLike(Node* node)
{
    static const std::unordered_set<std::string> ops = {
        "aten::view", "aten::reshape", "aten::flatten", "aten::transpose", "aten::permute", "aten::select",
        "aten::slice", "aten::narrow", "aten::expand", "aten::expand_as", "aten::squeeze", "aten::unsqueeze",
        "aten::as_strided", "aten::t", "aten::detach", "aten::alias", "aten::chunk", "aten::split", "aten::unbind",
        "aten::view_as", "aten::reshape_as", "aten::contiguous", "prim::ListConstruct", "prim::TupleConstruct",
        "prim::ListUnpack", "prim::TupleUnpack", "aten::__getitem__", "aten::append"};
    return ops.count(node->kind().toQualString()) > 0;
}

// Rewrites `y = relu_(x)` as `y = relu(x)` where no later op reads x or a view
// of it (that op expected the mutated value). Graph outputs do not count as
// readers: they are our taps, and want the value before the mutation.
void functionalize(Graph& graph, InlinedForward& out)
{
    std::unordered_map<const Node*, size_t> order;
    size_t index = 0;
    for (Node* node : graph.block()->nodes()) {
        ++index;
        order[node] = index;
        for (Block* sub : node->blocks())
            forEachNode(sub, [&](Node* n) { order[n] = index; });
    }
    std::vector<Node*> candidates;
    forEachNode(graph.block(), [&](Node* node) {
        if (node->owningBlock() == graph.block() && functionalizable().count(node->kind().toQualString()))
            candidates.push_back(node);
    });
    for (Node* node : candidates) {
        Value* target = node->input(0);
        // The alias set of `target`: views and containers built from it, and
        // what it is itself a view of.
        std::vector<Value*> aliases{target};
        for (Value* v = target; isViewLike(v->node()) && v->node()->inputs().size() > 0;) {
            v = v->node()->input(0);
            aliases.push_back(v);
        }
        bool safe = true;
        for (size_t i = 0; i < aliases.size() && safe; ++i) {
            for (const Use& use : aliases[i]->uses()) {
                Node* user = use.user;
                // Our taps (outputs 1..n) want the value before the mutation;
                // the model's own result (output 0) wants it after.
                if (user == node || (user == graph.return_node() && use.offset > 0))
                    continue;
                if (isViewLike(user)) {
                    for (Value* o : user->outputs())
                        if (std::find(aliases.begin(), aliases.end(), o) == aliases.end())
                            aliases.push_back(o);
                    if (user->kind() == Symbol::fromQualString("aten::append"))
                        aliases.push_back(user->input(0));
                }
                auto at = order.find(user);
                if (at == order.end() || at->second > order[node]) {
                    safe = false;
                    break;
                }
            }
        }
        if (!safe)
            continue;
        std::string name = node->kind().toQualString();
        name.pop_back();
        WithInsertPoint guard(node);
        Node* replacement = graph.insertNode(graph.create(Symbol::fromQualString(name), node->inputs(), 1));
        if (!replacement->maybeSchema()) {
            replacement->destroy();
            continue;
        }
        replacement->output()->setType(node->output()->type());
        replacement->copyMetadata(node);
        auto path = out.nodePath.find(node);
        if (path != out.nodePath.end())
            out.nodePath[replacement] = path->second;
        order[replacement] = order[node];
        node->output()->replaceAllUsesWith(replacement->output());
        out.nodePath.erase(node);
        node->destroy();
    }
}

// A trace records each convolution as aten::_convolution with the cuDNN
// flags of the moment baked in, allow_tf32 (on by default) among them: on a
// GPU since Ampere such a model ran in TF32 whatever keepFullFloat32() says
// (traced ResNet-18's layers were 0.1 off the CPU's on an H100; scripted
// ones, with aten::conv2d, matched). The flag is turned off here: float32
// convolutions stay float32. (The CPU ignores it.)
void keepFloat32Convolutions(Graph& graph)
{
    static const Symbol convolution = Symbol::fromQualString("aten::_convolution");
    Value* off = nullptr;
    forEachNode(graph.block(), [&](Node* node) {
        if (node->kind() != convolution || node->inputs().size() != 13)
            return;
        const auto allowTf32 = toIValue(node->input(12));
        if (!allowTf32 || !allowTf32->isBool() || !allowTf32->toBool())
            return;
        if (!off) {
            WithInsertPoint start(graph.block()->nodes().front());
            off = graph.insertConstant(false);
        }
        node->replaceInput(12, off);
    });
}

} // namespace

InlinedForward inlineForward(const Module& module)
{
    InlinedForward out;
    auto& forward = toGraphFunction(module.get_method("forward").function());
    // The top-level graph is specialized like any callee: `self` is the model.
    const c10::IValue self = module._ivalue();
    out.graph = specializeCallee(*forward.graph(), nullptr, &self);
    Inliner inliner(module, out);
    inliner.run(out.graph->block(), "", true);
    if (inliner.m_nestedCalls > 0)
        out.warnings.push_back(std::to_string(inliner.m_nestedCalls)
                               + " module call(s) sit inside data-dependent control flow and cannot be captured");
    functionalize(*out.graph, out);
    keepFloat32Convolutions(*out.graph);
    ConstantPropagation(out.graph);
    EliminateDeadCode(out.graph);

    // Read back where the tracked module outputs ended up, then untrack them.
    Graph& graph = *out.graph;
    for (size_t i = 0; i < inliner.m_tracked.size(); ++i) {
        Value* value = graph.outputs()[1 + i];
        out.calls.push_back({inliner.m_tracked[i].first, inliner.m_tracked[i].second, value});
    }
    while (graph.outputs().size() > 1)
        graph.eraseOutput(graph.outputs().size() - 1);
    return out;
}

} // namespace convscope::detail
