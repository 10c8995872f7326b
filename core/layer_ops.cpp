#include "core/layer_ops.h"

#include "core/graph_passes.h"

#include <cmath>
#include <optional>
#include <unordered_set>

namespace convscope::detail {

using namespace torch::jit;

namespace {

std::string bareKind(const Node* node)
{
    std::string name = node->kind().toUnqualString();
    if (!name.empty() && name.back() == '_' && name.rfind("__", 0) != 0)
        name.pop_back();
    return name;
}

bool isTensorValue(const Value* v)
{
    return v->type()->kind() == c10::TypeKind::TensorType;
}

int tensorInputs(const Node* node)
{
    int n = 0;
    for (const Value* v : node->inputs())
        n += isTensorValue(v) ? 1 : 0;
    return n;
}

bool in(const std::string& s, std::initializer_list<const char*> set)
{
    for (const char* x : set)
        if (s == x)
            return true;
    return false;
}

bool isConvKind(const std::string& k)
{
    return in(k, {"_convolution", "convolution", "_convolution_mode", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"});
}

std::optional<c10::IValue> constantInput(const Node* node, size_t i)
{
    if (i >= node->inputs().size())
        return std::nullopt;
    auto value = toIValue(node->input(i));
    if (!value)
        return std::nullopt;
    return *value;
}

// An int or int list argument, expanded to `dims` entries; empty if absent.
std::vector<int64_t> intList(const Node* node, size_t i, size_t dims)
{
    auto v = constantInput(node, i);
    if (!v || v->isNone())
        return {};
    if (v->isInt())
        return std::vector<int64_t>(dims, v->toInt());
    if (v->isIntList()) {
        auto list = v->toIntVector();
        if (list.size() == 1)
            return std::vector<int64_t>(dims, list[0]);
        return list;
    }
    return {};
}

int64_t product(const std::vector<int64_t>& v)
{
    int64_t p = 1;
    for (int64_t x : v)
        p *= x;
    return p;
}

bool isParameter(const Value* value, const Module& module)
{
    std::vector<std::string> names;
    if (!attributePath(const_cast<Value*>(value), names) || names.empty())
        return false;
    auto owner = attributeAt(module, {names.begin(), names.end() - 1});
    if (!owner.isObject())
        return false;
    auto type = owner.toObject()->type();
    auto slot = type->findAttributeSlot(names.back());
    return slot && type->is_parameter(*slot);
}

struct ConvArgs {
    size_t stride, padding, dilation;
};

// Argument positions of each convolution schema.
ConvArgs convArgs(const std::string& k)
{
    if (k.rfind("conv_transpose", 0) == 0) // (input, weight, bias, stride, padding, output_padding, groups, dilation)
        return {3, 4, 7};
    return {3, 4, 5};
}

} // namespace

torch::Tensor parameterTensor(const Value* value, const Module& module)
{
    std::vector<std::string> names;
    if (!attributePath(const_cast<Value*>(value), names) || names.empty())
        return {};
    auto iv = attributeAt(module, names);
    return iv.isTensor() ? iv.toTensor() : torch::Tensor();
}

bool isTransposedConv(const Node* node)
{
    const std::string k = bareKind(node);
    if (k.rfind("conv_transpose", 0) == 0)
        return true;
    if (k == "_convolution" || k == "convolution") {
        auto v = constantInput(node, 6);
        return v && v->isBool() && v->toBool();
    }
    return false;
}

int64_t convGroups(const Node* node)
{
    const std::string k = bareKind(node);
    size_t at = (k == "_convolution" || k == "convolution") ? 8 : 6;
    auto v = constantInput(node, at);
    return v && v->isInt() ? v->toInt() : 1;
}

OpKind opInfo(const Node* node, const Module* module)
{
    const std::string k = bareKind(node);
    if (isConvKind(k)) {
        auto weight = module ? parameterTensor(node->input(1), *module) : torch::Tensor();
        const int64_t dims = weight.defined() ? weight.dim() - 2 : 2;
        const bool transposed = isTransposedConv(node);
        std::string op = (transposed ? "conv_transpose" : "conv") + std::to_string(dims) + "d";
        const int64_t groups = convGroups(node);
        if (!transposed && groups > 1)
            op += (weight.defined() && weight.size(1) == 1) ? "_depthwise" : "_grouped";
        return {op, "conv"};
    }
    if (k == "linear" || k == "addmm")
        return {"linear", "linear"};
    if (k == "matmul" || k == "mm") {
        for (const Value* v : node->inputs())
            if (module && isParameter(v, *module))
                return {"linear", "linear"};
        return {k, "other"};
    }
    if (in(k, {"relu", "relu6", "hardtanh", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "sigmoid", "tanh",
               "hardswish", "hardsigmoid", "mish", "softplus", "prelu", "softmax", "log_softmax", "threshold", "rrelu",
               "glu"}))
        return {k, "activation"};
    if (in(k, {"max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
               "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
               "adaptive_max_pool2d", "adaptive_max_pool3d", "mean", "amax"}))
        return {k == "max_pool2d_with_indices" ? "max_pool2d" : k, "pool"};
    if (in(k, {"batch_norm", "instance_norm", "layer_norm", "group_norm", "local_response_norm"}))
        return {k, "norm"};
    if (in(k, {"add", "sub", "mul", "div"}) && tensorInputs(node) >= 2)
        return {k, "merge"};
    if (in(k, {"cat", "stack", "concat"}))
        return {k == "concat" ? "cat" : k, "merge"};
    if (in(k, {"flatten", "view", "reshape"}))
        return {k, "reshape"};
    if (in(k, {"dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout", "dropout2d"}))
        return {"dropout", "dropout"};
    if (k.rfind("upsample", 0) == 0 || k == "interpolate" || k == "pixel_shuffle")
        return {k, "upsample"};
    return {k, "other"};
}

bool isListedOp(const Node* node)
{
    // Only a module could make these meaningful; torch.mean or a bare view in
    // a composite module's forward is plumbing more often than a layer.
    const std::string k = bareKind(node);
    if (k == "mean" || k == "amax" || k == "matmul" || k == "mm")
        return false;
    const OpKind kind = opInfo(node);
    return kind.category != "other";
}

const OpGeometry& GraphGeometry::at(const Node* node) const
{
    static const OpGeometry empty;
    auto it = ops.find(node);
    return it == ops.end() ? empty : it->second;
}

namespace {

using Field = std::array<AxisField, 2>;

// A window of `kernel` (dilated) taps moved by `stride` with `padding`.
AxisField applyWindow(const AxisField& in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation)
{
    const double effective = static_cast<double>(dilation * (kernel - 1) + 1);
    AxisField out;
    out.size = in.size + (effective - 1) * in.jump;
    out.jump = in.jump * static_cast<double>(stride);
    out.start = in.start + ((effective - 1) / 2.0 - static_cast<double>(padding)) * in.jump;
    return out;
}

// An op that sees all `extent` positions of an axis at once (flatten, global pooling).
AxisField collapse(const AxisField& in, int64_t extent)
{
    return applyWindow(in, extent, extent, 0, 1);
}

// Looks through casts that hand on the same list (scripted DenseNet passes its
// growing feature list through prim::unchecked_cast).
const Value* rootList(const Value* v)
{
    while (v->node()->kind() == prim::unchecked_cast && v->node()->inputs().size() == 1)
        v = v->node()->input(0);
    return v;
}

class GeometryWalker {
public:
    GeometryWalker(Graph& graph, const std::unordered_map<const Value*, std::vector<int64_t>>& shapes,
                   const Module& module)
        : m_graph(graph)
        , m_shapes(shapes)
        , m_module(module)
    {
    }

    GraphGeometry run()
    {
        Value* input = m_graph.inputs()[1];
        m_out.fields[input] = Field{};
        // `aten::append(list, x)` grows a list in place (scripted DenseNet).
        for (Node* node : m_graph.block()->nodes())
            if (node->kind() == Symbol::fromQualString("aten::append"))
                m_appended[rootList(node->input(0))].push_back(node->input(1));
        for (Node* node : m_graph.block()->nodes())
            visit(node);
        return std::move(m_out);
    }

private:
    const std::vector<int64_t>* shape(const Value* v) const
    {
        auto it = m_shapes.find(v);
        return it == m_shapes.end() ? nullptr : &it->second;
    }

    int64_t numel(const Value* v) const
    {
        auto s = shape(v);
        return s ? product(*s) : 0;
    }

    const Field* field(const Value* v) const
    {
        auto it = m_out.fields.find(v);
        return it == m_out.fields.end() ? nullptr : &it->second;
    }

    // The widest field among a node's tensor inputs, list elements included.
    std::optional<Field> mergedField(const Node* node) const
    {
        std::optional<Field> best;
        auto consider = [&](const Value* v) {
            if (auto f = field(v))
                if (!best || (*f)[0].size * (*f)[1].size > (*best)[0].size * (*best)[1].size)
                    best = *f;
        };
        for (const Value* input : node->inputs()) {
            const Value* v = rootList(input);
            if (v->node()->kind() == prim::ListConstruct)
                for (const Value* e : v->node()->inputs())
                    consider(e);
            // Appends made later in the graph have no field yet, so only the
            // list's contents at this point count.
            auto app = m_appended.find(v);
            if (app != m_appended.end())
                for (const Value* e : app->second)
                    consider(e);
            consider(v);
        }
        return best;
    }

    void visit(Node* node)
    {
        if (node->kind() == prim::GetAttr || node->kind() == prim::Constant)
            return;
        const std::string k = bareKind(node);
        OpGeometry g;
        std::unordered_set<const Value*> seen;
        for (const Value* v : node->inputs())
            if (seen.insert(v).second && isParameter(v, m_module)) {
                auto t = parameterTensor(v, m_module);
                if (t.defined())
                    g.params += t.numel();
            }
        if (node->outputs().empty())
            return;
        const Value* out = node->output(0);
        const Value* x = node->inputs().empty() ? nullptr : node->input(0);
        const auto* inShape = x ? shape(x) : nullptr;
        const auto* outShape = shape(out);
        const Field* inField = x ? field(x) : nullptr;
        std::optional<Field> result;

        if (isConvKind(k)) {
            auto weight = parameterTensor(node->input(1), m_module);
            if (weight.defined() && weight.dim() >= 3) {
                const size_t dims = static_cast<size_t>(weight.dim() - 2);
                const ConvArgs args = convArgs(k);
                g.kernel.assign(weight.sizes().begin() + 2, weight.sizes().end());
                g.stride = intList(node, args.stride, dims);
                g.dilation = intList(node, args.dilation, dims);
                if (g.dilation.empty())
                    g.dilation.assign(dims, 1);
                auto pad = constantInput(node, args.padding);
                if (pad && pad->isString()) {
                    g.padding.assign(dims, 0);
                    if (pad->toStringRef() == "same")
                        for (size_t i = 0; i < dims; ++i)
                            g.padding[i] = g.dilation[i] * (g.kernel[i] - 1) / 2;
                    g.stride.assign(dims, 1);
                } else {
                    g.padding = intList(node, args.padding, dims);
                }
                if (g.stride.empty())
                    g.stride.assign(dims, 1);
                if (g.padding.empty())
                    g.padding.assign(dims, 0);
                g.groups = convGroups(node);
                const bool transposed = isTransposedConv(node);
                const int64_t perOutput = weight.size(1) * product(g.kernel);
                g.flops = (transposed ? numel(x) : numel(out)) * perOutput;
                if (inField && dims == 2) {
                    Field f;
                    for (size_t a = 0; a < 2; ++a) {
                        if (transposed) {
                            // Output o takes input i where o = s i - p + d kk: the
                            // taps kk that reach one output share d kk mod s, and
                            // their inputs lie (d (last - first) / s) apart. So a 2x2
                            // stride-2 kernel hands each output one input (its field
                            // unchanged) and FCN's 16x16 stride 8 two neighbours.
                            const int64_t s = g.stride[a], d = g.dilation[a], k = g.kernel[a];
                            int64_t span = 0;
                            for (int64_t r = 0; r < s; ++r) {
                                int64_t first = -1, last = -1;
                                for (int64_t kk = 0; kk < k; ++kk)
                                    if ((d * kk) % s == r) {
                                        first = first < 0 ? kk : first;
                                        last = kk;
                                    }
                                if (first >= 0)
                                    span = std::max(span, d * (last - first) / s);
                            }
                            f[a] = (*inField)[a];
                            f[a].size += static_cast<double>(span) * f[a].jump;
                            f[a].jump /= static_cast<double>(s);
                        } else {
                            f[a] = applyWindow((*inField)[a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a]);
                        }
                    }
                    result = f;
                }
            }
        } else if (k == "linear" || ((k == "matmul" || k == "mm") && node->inputs().size() == 2)) {
            auto w = parameterTensor(node->input(1), m_module);
            int64_t inner = inShape && !inShape->empty() ? inShape->back() : (w.defined() ? w.size(-1) : 0);
            g.flops = numel(out) * inner;
            result = inField ? std::optional<Field>(*inField) : std::nullopt;
        } else if (k == "addmm") {
            const auto* mat = shape(node->input(1));
            g.flops = numel(out) * (mat && !mat->empty() ? mat->back() : 0);
            if (auto f = field(node->input(1)))
                result = *f;
        } else if (in(k, {"max_pool2d", "max_pool2d_with_indices", "avg_pool2d"})) {
            g.kernel = intList(node, 1, 2);
            g.stride = intList(node, 2, 2);
            if (g.stride.empty())
                g.stride = g.kernel;
            g.padding = intList(node, 3, 2);
            if (g.padding.empty())
                g.padding.assign(2, 0);
            g.dilation = k == "avg_pool2d" ? std::vector<int64_t>{1, 1} : intList(node, 4, 2);
            if (g.dilation.empty())
                g.dilation.assign(2, 1);
            g.flops = numel(out) * product(g.kernel);
            if (inField && g.kernel.size() == 2) {
                Field f;
                for (size_t a = 0; a < 2; ++a)
                    f[a] = applyWindow((*inField)[a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a]);
                result = f;
            }
        } else if ((k == "adaptive_avg_pool2d" || k == "adaptive_max_pool2d") && inShape && outShape
                   && inShape->size() == 4 && outShape->size() == 4) {
            // Output cell i averages input [floor(i*n/m), ceil((i+1)*n/m)).
            int64_t windows = 1;
            Field f;
            for (size_t a = 0; a < 2; ++a) {
                const int64_t n = (*inShape)[2 + a], m = (*outShape)[2 + a];
                int64_t sum = 0;
                for (int64_t i = 0; i < m; ++i)
                    sum += (((i + 1) * n + m - 1) / m) - (i * n / m);
                windows *= sum;
                const int64_t kernel = (n + m - 1) / m, stride = std::max<int64_t>(1, n / m);
                g.kernel.push_back(kernel);
                g.stride.push_back(stride);
                g.padding.push_back(0);
                if (inField)
                    f[a] = applyWindow((*inField)[a], kernel, stride, 0, 1);
            }
            g.flops = (*inShape)[0] * (*inShape)[1] * windows;
            if (inField)
                result = f;
        } else if ((k == "mean" || k == "amax" || k == "flatten") && inShape && inShape->size() == 4 && outShape
                   && outShape->size() < 4) {
            if (k != "flatten")
                g.flops = numel(x);
            if (inField)
                result = Field{collapse((*inField)[0], (*inShape)[2]), collapse((*inField)[1], (*inShape)[3])};
        } else if ((k == "view" || k == "reshape") && inShape && inShape->size() == 4 && outShape
                   && outShape->size() == 2) {
            if (inField)
                result = Field{collapse((*inField)[0], (*inShape)[2]), collapse((*inField)[1], (*inShape)[3])};
        } else if (inField) {
            result = *inField;
            if (tensorInputs(node) > 1)
                result = mergedField(node);
        } else {
            result = mergedField(node);
        }

        if (result)
            for (const Value* o : node->outputs())
                if (isTensorValue(o))
                    m_out.fields[o] = *result;
        m_out.ops[node] = g;
    }

    Graph& m_graph;
    const std::unordered_map<const Value*, std::vector<int64_t>>& m_shapes;
    const Module& m_module;
    std::unordered_map<const Value*, std::vector<const Value*>> m_appended;
    GraphGeometry m_out;
};

} // namespace

GraphGeometry computeGeometry(Graph& graph, const std::unordered_map<const Value*, std::vector<int64_t>>& shapes,
                              const Module& module)
{
    return GeometryWalker(graph, shapes, module).run();
}

} // namespace convscope::detail
