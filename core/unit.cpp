#include "core/unit.h"

#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"

#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <numeric>

namespace convscope {

ChannelShape channelShape(const Model& model, int layer)
{
    if (layer < 0 || layer >= static_cast<int>(model.layers().size()))
        throw Error("no layer number " + std::to_string(layer));
    const LayerInfo& info = model.layers()[static_cast<size_t>(layer)];
    ChannelShape shape;
    if (info.shape.size() == 3) {
        shape = {info.shape[0], info.shape[1], info.shape[2], true};
    } else if (info.shape.size() == 1) {
        shape.channels = info.shape[0];
    } else {
        throw Error("layer '" + info.name + "' has shape "
                    + (info.shape.empty() ? std::string("[]") : dimsText(info.shape))
                    + ": a unit lives in a layer of channel maps (C x H x W) or of units (F)");
    }
    return shape;
}

void checkChannel(const Model& model, int layer, int64_t channel)
{
    const ChannelShape shape = channelShape(model, layer);
    if (channel < 0 || channel >= shape.channels)
        throw Error("layer '" + model.layers()[static_cast<size_t>(layer)].name + "' has channels 0 to "
                    + std::to_string(shape.channels - 1) + ", not " + std::to_string(channel));
}

std::vector<UnitBackprop> unitBackprops(Model& model, const torch::Tensor& images, int layer, int64_t channel,
                                        ReluGradient relu, const std::vector<std::pair<int64_t, int64_t>>& at)
{
    checkChannel(model, layer, channel);
    const ChannelShape shape = channelShape(model, layer);
    const int64_t n = images.size(0);
    if (!at.empty() && static_cast<int64_t>(at.size()) != n)
        throw Error("one unit position per image is needed");
    torch::Tensor in = model.prepare(images).detach().clone().requires_grad_(true);
    const torch::Tensor out = model.capture(in, {layer}, false, relu).layers.at(0);
    // [n, H*W] (or [n, 1]) of the channel, whatever the layer's rank.
    const torch::Tensor maps = (shape.map ? out.select(1, channel) : out.select(1, channel).unsqueeze(1)).reshape({n, -1});
    torch::Tensor flat;
    if (at.empty()) {
        flat = maps.detach().argmax(1); // the first maximum: top left on ties
    } else {
        std::vector<int64_t> positions;
        for (const auto& [y, x] : at) {
            if (y < 0 || y >= shape.height || x < 0 || x >= shape.width)
                throw Error("unit (" + std::to_string(y) + ", " + std::to_string(x) + ") is outside the "
                            + std::to_string(shape.height) + " x " + std::to_string(shape.width) + " map");
            positions.push_back(y * shape.width + x);
        }
        flat = torch::tensor(positions, torch::kInt64).to(maps.device());
    }
    const torch::Tensor units = maps.gather(1, flat.unsqueeze(1)).squeeze(1);
    // Images do not mix in eval mode, so one backward pass of the sum gives
    // each image the gradient of its own unit.
    const torch::Tensor gradient = torch::autograd::grad({units.sum()}, {in})[0].to(torch::kCPU, torch::kFloat32);
    const torch::Tensor where = flat.to(torch::kCPU);
    const torch::Tensor values = units.detach().to(torch::kCPU, torch::kFloat64);
    const torch::Tensor cpuMaps = maps.detach().to(torch::kCPU, torch::kFloat32).view({n, shape.height, shape.width});
    std::vector<UnitBackprop> result(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        UnitBackprop& r = result[static_cast<size_t>(i)];
        const int64_t p = where[i].item<int64_t>();
        r.y = p / shape.width;
        r.x = p % shape.width;
        r.value = values[i].item<double>();
        r.gradient = gradient[i].contiguous();
        r.map = cpuMaps[i].contiguous();
    }
    return result;
}

int weightLayer(const Model& model, int layer)
{
    const auto& layers = model.layers();
    if (layer < 0 || layer >= static_cast<int>(layers.size()))
        return -1;
    const int64_t channels = layers[static_cast<size_t>(layer)].shape.empty() ? -1
                                                                              : layers[static_cast<size_t>(layer)].shape[0];
    auto& graph = const_cast<Model&>(model).graph(); // lookups only: they never change after load()
    for (int i = layer; i >= 0; i = graph.inputLayer(i)) {
        const LayerInfo& info = layers[static_cast<size_t>(i)];
        if (info.shape.empty() || info.shape[0] != channels)
            return -1;
        if ((info.category == "conv" || info.category == "linear") && graph.weight(i).defined())
            return i;
        static const std::vector<std::string> keepsChannels = {"activation", "norm", "pool", "dropout"};
        if (std::find(keepsChannels.begin(), keepsChannels.end(), info.category) == keepsChannels.end())
            return -1;
    }
    return -1;
}

namespace {

ClassSupport undefinedSupport(std::string reason)
{
    ClassSupport support;
    support.reason = std::move(reason);
    return support;
}

} // namespace

ClassSupport classSupport(Model& model, int layer)
{
    const ChannelShape shape = channelShape(model, layer);
    const auto& layers = model.layers();
    const std::string name = layers[static_cast<size_t>(layer)].name;
    if (layer + 1 == static_cast<int>(layers.size()))
        return undefinedSupport("'" + name + "' is the model's output");
    bool spatial = shape.map && shape.height * shape.width > 1;
    // [current units, channels]: how the current layer's units depend on the channels.
    torch::Tensor product = torch::eye(shape.channels, torch::kFloat64);
    ClassSupport support;
    int previous = layer;
    for (int i = layer + 1; i < static_cast<int>(layers.size()); previous = i++) {
        const LayerInfo& info = layers[static_cast<size_t>(i)];
        const std::string what = "'" + info.name + "' (" + info.op + ")";
        if (model.graph().inputLayer(i) != previous)
            return undefinedSupport(what + " does not take '" + layers[static_cast<size_t>(previous)].name
                                    + "' as its input: the layers after '" + name + "' are not a chain");
        if ((info.category == "activation" && info.op == "relu") || info.category == "dropout")
            continue;
        if (info.category == "pool") {
            // Global: 1 x 1 out, and for a fixed kernel, one that covers the whole map.
            const auto& kernel = info.geometry.kernel;
            const auto in = model.graph().inputShape(i);
            const bool covers = kernel.empty()
                || (kernel.size() == 2 && in.size() == 3 && kernel[0] >= in[1] && kernel[1] >= in[2]);
            const bool global = info.shape.size() == 3 && info.shape[1] * info.shape[2] == 1 && covers;
            const bool averages = info.op.find("avg") != std::string::npos || !spatial;
            if (!global || !averages)
                return undefinedSupport(what + " follows '" + name + "': only a global average pool keeps the "
                                        "classes' weights per channel");
            spatial = false;
            continue;
        }
        if (info.category == "reshape") {
            if (spatial)
                return undefinedSupport(what + " flattens each position of '" + name
                                        + "' apart: its classes' weights differ per position");
            continue;
        }
        if (info.category == "linear") {
            const torch::Tensor weight = model.graph().weight(i);
            if (!weight.defined() || weight.dim() != 2 || weight.size(1) != product.size(0) || spatial)
                return undefinedSupport(what + " does not read one value per channel of '" + name + "'");
            product = weight.detach().to(torch::kCPU, torch::kFloat64).matmul(product);
            support.path.push_back(info.name);
            continue;
        }
        return undefinedSupport(what + " comes between '" + name + "' and the classes");
    }
    if (support.path.empty() || product.size(0) != model.info().outputs)
        return undefinedSupport("no linear classifier follows '" + name + "'");
    support.defined = true;
    support.weights = product;
    return support;
}

void rankSupport(const ClassSupport& support, int64_t channel, int64_t count, std::vector<SupportedClass>& top,
                 std::vector<SupportedClass>& bottom)
{
    top.clear();
    bottom.clear();
    if (!support.defined)
        return;
    const torch::Tensor column = support.weights.select(1, channel).contiguous();
    const double* w = column.data_ptr<double>();
    std::vector<int64_t> order(static_cast<size_t>(column.size(0)));
    std::iota(order.begin(), order.end(), 0);
    // Ties: the lower class first, so the lists are the same on every machine.
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return w[a] > w[b]; });
    if (order.empty())
        return;
    if (order.size() == 1) { // one class: it is the top, there is no bottom
        top.push_back({0, w[0]});
        return;
    }
    // Top and bottom never share a class: with few classes, each takes half.
    const int64_t n = std::min<int64_t>(count, column.size(0) / 2);
    for (int64_t i = 0; i < n; ++i)
        top.push_back({order[static_cast<size_t>(i)], w[order[static_cast<size_t>(i)]]});
    for (int64_t i = 0; i < n; ++i) {
        const int64_t c = order[order.size() - 1 - static_cast<size_t>(i)];
        bottom.push_back({c, w[c]});
    }
}

} // namespace convscope
