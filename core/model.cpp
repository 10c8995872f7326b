#include "core/model.h"

#include "core/device.h"
#include "core/error.h"
#include "core/imagenet_classes.h"
#include "core/zip_directory.h"

#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace convscope {

namespace fs = std::filesystem;

namespace {

#if TORCH_VERSION_MAJOR >= 2
using WarningGuard = c10::WarningUtils::WarningHandlerGuard;
#else
using WarningGuard = c10::Warning::WarningHandlerGuard;
#endif

// Collects warnings the model's own code raises (TorchScript warnings.warn,
// e.g. scripted GoogLeNet's "always returns GoogleNetOutputs") instead of
// letting glog print them on every forward; load() reports them once as notes.
class WarningCollector final : public c10::WarningHandler {
public:
#if TORCH_VERSION_MAJOR >= 2
    void process(const c10::Warning& warning) override { add(warning.msg()); }
#else
    void process(const c10::SourceLocation&, const std::string& message, const bool) override { add(message); }
#endif
    std::vector<std::string> messages;

private:
    void add(const std::string& message)
    {
        if (std::find(messages.begin(), messages.end(), message) == messages.end())
            messages.push_back(message);
    }
};

std::string shapeText(const std::vector<int64_t>& dims)
{
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i)
        s += (i ? "x" : "") + std::to_string(dims[i]);
    return s;
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool startsWithZipHeader(const std::string& path)
{
    char magic[4] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(magic, 4);
    return in && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

// Tells apart the files people mistake for TorchScript before LibTorch sees them.
void checkArchive(const std::string& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error("model file not found: " + path);
    if (fs::is_directory(path, ec))
        throw Error(path + " is a folder, not a model file");
    if (fs::file_size(path, ec) == 0)
        throw Error(path + " is empty");
    auto entries = readZipEntryNames(path);
    if (!entries && startsWithZipHeader(path))
        throw Error(path + " is damaged or truncated: it starts like a zip archive but its directory is missing");
    if (!entries)
        throw Error(path + " is not a TorchScript model: not a zip archive (TorchScript files are written by torch.jit.save)");
    bool constants = false, code = false, data = false;
    for (const auto& e : *entries) {
        constants |= endsWith(e, "/constants.pkl");
        code |= e.find("/code/") != std::string::npos;
        data |= endsWith(e, "/data.pkl");
    }
    if (data && !constants && !code)
        throw Error(path + " was written by torch.save(), not torch.jit.save(): it holds weights or a pickled module but no "
                           "TorchScript code; export the model with torch.jit.script(model).save(path) or torch.jit.trace");
    if (!constants || !code)
        throw Error(path + " is a zip archive but not a TorchScript model (it has no constants.pkl and code/)");
}

std::string readSidecar(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error("cannot read metadata file " + path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A labels file named by metadata must stay inside the model's folder: model
// folders come from strangers, and "../../etc/passwd" is not a label list.
std::string resolveLabelsFile(const std::string& modelPath, const std::string& name)
{
    const fs::path folder = fs::absolute(fs::path(modelPath)).parent_path();
    if (fs::path(name).is_absolute())
        throw Error("labels_file '" + name + "' must be relative to the model's folder");
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(folder / name, ec);
    const fs::path base = fs::weakly_canonical(folder, ec);
    auto rel = resolved.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..")
        throw Error("labels_file '" + name + "' points outside the model's folder");
    return resolved.string();
}

// A model trained into NaN loads and runs, and every output is NaN: say so
// once, naming the first tensor (weights and buffers such as running_var).
std::optional<std::string> nonFiniteWeightsNote(const torch::jit::Module& module)
{
    std::string first;
    int64_t tensors = 0, values = 0;
    auto check = [&](const std::string& name, const torch::Tensor& t) {
        if (!t.is_floating_point())
            return;
        const int64_t bad = t.numel() - torch::isfinite(t).sum().item<int64_t>();
        if (bad == 0)
            return;
        if (first.empty())
            first = name + " (" + std::to_string(bad) + " of " + std::to_string(t.numel()) + ")";
        ++tensors;
        values += bad;
    };
    for (const auto& p : module.named_parameters())
        check(p.name, p.value);
    for (const auto& b : module.named_buffers())
        check(b.name, b.value);
    if (tensors == 0)
        return std::nullopt;
    return "the weights hold " + std::to_string(values) + " NaN or infinite value" + (values == 1 ? "" : "s") +
           " in " + std::to_string(tensors) + " tensor" + (tensors == 1 ? "" : "s") + ", first " + first +
           ": outputs will be NaN (was training diverging?)";
}

uint64_t nextModelId()
{
    static std::atomic<uint64_t> made{0};
    return ++made;
}

} // namespace

bool isSegmentation(const ModelInfo& info)
{
    return info.task == Task::Segmentation;
}

bool takesImages(const ModelInfo& info)
{
    return info.input[0] == 1 || info.input[0] == 3;
}

std::string notAnImageMessage(const ModelInfo& info)
{
    const auto& in = info.input;
    return "this model's input is " + shapeText({in[0], in[1], in[2]})
           + ", not an image (1 or 3 channels): summary, layers and filters work on it";
}

std::unique_ptr<Model> Model::load(const std::string& path, const LoadOptions& options)
{
    checkArchive(path);
    std::unique_ptr<Model> model(new Model());
    model->m_id = nextModelId();
    model->m_info.path = path;
    model->m_device = parseDevice(options.device);
    if (model->m_device.is_cuda())
        keepFullFloat32();
    keepTorchScriptUnfused();

    torch::jit::ExtraFilesMap extra{{"convscope.json", ""}};
    try {
        model->m_module = torch::jit::load(path, model->m_device, extra);
    } catch (const std::exception& e) {
        throw Error("cannot load " + path + ": " + torchMessage(e));
    }
    if (!model->m_module.find_method("forward"))
        throw Error(path + " has no forward() method");
    model->m_module.eval();
    // ConvScope only ever differentiates with respect to the input (saliency,
    // gradient ascent): weights that require grad would make autograd record
    // and keep what their gradients need on every pass.
    for (const torch::Tensor& parameter : model->m_module.parameters())
        parameter.requires_grad_(false);

    // Metadata: embedded, then the sidecar file, then the caller's overrides.
    ModelMetadata metadata;
    std::vector<std::string> sources;
    if (!extra["convscope.json"].empty()) {
        metadata = parseMetadata(extra["convscope.json"], path + " (embedded convscope.json)");
        sources.push_back("embedded convscope.json");
    }
    const std::string sidecar = path + ".json";
    if (fs::exists(sidecar)) {
        metadata.overrideWith(parseMetadata(readSidecar(sidecar), sidecar));
        sources.push_back(fs::path(sidecar).filename().string());
    }
    if (!options.overrides.empty()) {
        metadata.overrideWith(options.overrides);
        sources.push_back("overrides");
    }
    for (const auto& s : sources)
        model->m_info.metadataSource += (model->m_info.metadataSource.empty() ? "" : " + ") + s;
    if (sources.empty())
        model->m_info.metadataSource = "none";

    model->m_graph = std::make_unique<LayerGraph>(model->m_module);
    for (const auto& w : model->m_graph->warnings())
        model->m_info.notes.push_back(w);
    for (const auto& p : model->m_module.parameters())
        model->m_info.parameters += p.numel();
    if (auto note = nonFiniteWeightsNote(model->m_module))
        model->m_info.notes.push_back(*note);
    WarningCollector warnings;
    {
        WarningGuard guard(&warnings);
        model->resolveMetadata(metadata);
        model->checkForward(metadata);
    }
    for (const auto& w : warnings.messages)
        model->m_info.notes.push_back("the model warns: " + w);
    return model;
}

std::unique_ptr<Model> Model::copy() const
{
    std::unique_ptr<Model> model(new Model());
    model->m_id = nextModelId();
    model->m_info = m_info;
    model->m_device = m_device;
    model->m_mean = m_mean;
    model->m_std = m_std;
    model->m_module = m_module.deepcopy();
    for (const torch::Tensor& parameter : model->m_module.parameters())
        parameter.requires_grad_(false);
    model->m_graph = std::make_unique<LayerGraph>(model->m_module);
    const auto& in = m_info.input;
    WarningCollector quiet; // load() reported the model's warnings once
    WarningGuard guard(&quiet);
    torch::NoGradGuard noGrad;
    model->m_graph->analyze(model->normalize(torch::full({1, in[0], in[1], in[2]}, 0.5, torch::Device(m_device))));
    return model;
}

void Model::resolveMetadata(const ModelMetadata& metadata)
{
    m_info.name = metadata.name ? *metadata.name : fs::path(m_info.path).stem().string();
    m_info.snapshots = metadata.snapshots.value_or("");

    // Input shape: stated, or channels from the first convolution and the
    // first common size the model accepts.
    if (metadata.input) {
        m_info.input = *metadata.input;
    } else {
        int64_t channels = m_graph->firstConvChannels();
        if (channels == 0) {
            channels = 3;
            m_info.notes.push_back("input channels not stated and no convolution found: assuming 3");
        }
        const std::vector<int64_t> sizes = channels == 1 ? std::vector<int64_t>{28, 32, 64, 224}
                                                         : std::vector<int64_t>{224, 32, 299, 227, 64, 96, 28};
        int64_t chosen = 0;
        std::string firstError;
        for (int64_t size : sizes) {
            try {
                torch::NoGradGuard noGrad;
                m_module.forward({torch::zeros({1, channels, size, size}, torch::Device(m_device))});
                chosen = size;
                break;
            } catch (const std::exception& e) {
                if (firstError.empty())
                    firstError = torchMessage(e);
            }
        }
        if (chosen == 0)
            throw Error("input size not stated in the metadata and forward() fails on every common size (first error: "
                        + firstError + "); state it with \"input\": [C, H, W]");
        m_info.input = {channels, chosen, chosen};
        m_info.notes.push_back("input " + shapeText({channels, chosen, chosen})
                               + " inferred (channels from the first convolution; the first common size forward() accepts)");
    }
    const int64_t channels = m_info.input[0];

    auto perChannel = [&](const std::optional<std::vector<double>>& given, double fallback, const char* what) {
        if (!given) {
            m_info.notes.push_back(std::string(what) + " not stated: using " + (fallback == 0 ? "0" : "1")
                                   + " (pixels reach the model as [0, 1])");
            return std::vector<double>(channels, fallback);
        }
        if (given->size() == 1)
            return std::vector<double>(channels, given->front());
        if (static_cast<int64_t>(given->size()) != channels)
            throw Error(std::string(what) + " has " + std::to_string(given->size()) + " values but the model takes "
                        + std::to_string(channels) + " channel(s)");
        return *given;
    };
    m_info.mean = perChannel(metadata.mean, 0.0, "mean");
    m_info.std = perChannel(metadata.std, 1.0, "std");
    for (double s : m_info.std)
        if (!(s > 0))
            throw Error("std values must be positive");
    auto options = torch::TensorOptions().dtype(torch::kFloat32).device(m_device);
    m_mean = torch::tensor(std::vector<float>(m_info.mean.begin(), m_info.mean.end()), options).view({1, -1, 1, 1});
    m_std = torch::tensor(std::vector<float>(m_info.std.begin(), m_info.std.end()), options).view({1, -1, 1, 1});

    if (metadata.labels)
        m_info.labels = *metadata.labels;
    else if (metadata.labelsFile)
        m_info.labels = readLabelsFile(resolveLabelsFile(m_info.path, *metadata.labelsFile));
}

void Model::checkForward(const ModelMetadata& metadata)
{
    const auto& in = m_info.input;
    torch::Tensor pixels = torch::full({1, in[0], in[1], in[2]}, 0.5, torch::Device(m_device));
    torch::Tensor output, out;
    try {
        // One pass records every layer's shape and gives the class scores.
        output = outputOf(m_graph->analyze(normalize(pixels)));
        out = logitsOfOutput(output);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("forward() fails on a " + shapeText({1, in[0], in[1], in[2]}) + " input: " + torchMessage(e));
    }
    m_info.outputs = out.size(1);
    resolveTask(metadata, output);
    if (m_info.labels.empty() && m_info.outputs == static_cast<int64_t>(imagenetClassNames().size())) {
        // A 1000-way head is ImageNet's far more often than not (torchvision,
        // timm): names read better than "class 281", and the note says how to
        // correct it.
        m_info.labels = imagenetClassNames();
        m_info.notes.push_back("no labels: a 1000-output head, so ImageNet's class names are assumed "
                               "(state \"labels\" in the metadata if it was trained on other classes)");
    } else if (m_info.labels.empty()) {
        for (int64_t i = 0; i < m_info.outputs; ++i)
            m_info.labels.push_back(std::to_string(i));
        m_info.notes.push_back("no labels: classes are numbered 0.." + std::to_string(m_info.outputs - 1));
    } else if (static_cast<int64_t>(m_info.labels.size()) != m_info.outputs) {
        throw Error("labels: " + std::to_string(m_info.labels.size()) + " given but the model outputs "
                    + std::to_string(m_info.outputs) + " classes");
    }
}

torch::Tensor Model::outputOf(const c10::IValue& result)
{
    if (result.isTensor()) {
        torch::Tensor t = result.toTensor();
        if (t.dim() == 0)
            throw Error("forward() returned a scalar, not class scores");
        if (t.dim() != 2 && t.dim() != 4)
            throw Error("forward() returned a " + shapeText(t.sizes().vec()) + " tensor: ConvScope reads [N, C] class "
                        "scores or [N, C, H, W] scores per class and pixel");
        return t;
    }
    if (result.isGenericDict()) {
        // torchvision's FCN, DeepLabV3 and LR-ASPP: {"out": ..., "aux": ...}.
        const auto dict = result.toGenericDict();
        for (const auto& entry : dict)
            if (entry.key().isString() && entry.key().toStringRef() == "out")
                return outputOf(entry.value());
        throw Error("forward() returned a dict without an \"out\" entry");
    }
    if (result.isTuple())
        for (const auto& e : result.toTupleRef().elements())
            if (e.isTensor() || e.isTuple() || e.isList() || e.isGenericDict())
                return outputOf(e);
    if (result.isList())
        for (const auto& e : result.toListRef())
            if (e.isTensor())
                return outputOf(e);
    throw Error(std::string("forward() returned ") + result.tagKind() + ", not a tensor or a tuple starting with one");
}

torch::Tensor Model::logitsOfOutput(const torch::Tensor& output)
{
    return output.dim() == 4 ? output.mean({2, 3}) : output;
}

torch::Tensor Model::logitsOf(const c10::IValue& result)
{
    return logitsOfOutput(outputOf(result));
}

void Model::resolveTask(const ModelMetadata& metadata, const torch::Tensor& output)
{
    const bool maps = output.dim() == 4 && output.size(2) * output.size(3) > 1;
    if (metadata.task == std::optional<std::string>("segmentation") && !maps)
        throw Error("the metadata says \"task\": \"segmentation\" but forward() returns " + shapeText(output.sizes().vec())
                    + ", not [N, C, H, W] scores per pixel");
    if (!maps || metadata.task == std::optional<std::string>("classification"))
        return;
    m_info.task = Task::Segmentation;
    m_info.outputSize = {output.size(2), output.size(3)};
    if (!metadata.task)
        m_info.notes.push_back("the output is " + shapeText(output.sizes().vec())
                               + ", a score per class and pixel: opened as a segmentation model");
    if (metadata.palette) {
        if (static_cast<int64_t>(metadata.palette->size()) < m_info.outputs)
            throw Error("palette: " + std::to_string(metadata.palette->size()) + " colours for "
                        + std::to_string(m_info.outputs) + " classes");
        m_info.palette = *metadata.palette;
        m_info.palette.resize(static_cast<size_t>(m_info.outputs));
    } else {
        m_info.palette = vocPalette(m_info.outputs);
    }
}

std::vector<std::array<uint8_t, 3>> vocPalette(int64_t classes)
{
    // PASCAL VOC's colour map: class k's bits spread over r, g, b from the top bit down.
    std::vector<std::array<uint8_t, 3>> palette;
    for (int64_t k = 0; k < classes; ++k) {
        int64_t c = k;
        int r = 0, g = 0, b = 0;
        for (int j = 7; j >= 0 && c; --j, c >>= 3) {
            r |= static_cast<int>(c & 1) << j;
            g |= static_cast<int>((c >> 1) & 1) << j;
            b |= static_cast<int>((c >> 2) & 1) << j;
        }
        palette.push_back({static_cast<uint8_t>(r), static_cast<uint8_t>(g), static_cast<uint8_t>(b)});
    }
    return palette;
}

int Model::layerIndex(const std::string& name) const
{
    int index = m_graph->find(name);
    if (index >= 0)
        return index;
    std::string hint;
    int shown = 0;
    for (const auto& layer : layers()) {
        if (layer.name.find(name) != std::string::npos || name.find(layer.name) != std::string::npos) {
            hint += (shown ? ", " : "") + layer.name;
            if (++shown == 5)
                break;
        }
    }
    throw Error("no layer named '" + name + "'" + (hint.empty() ? " (run `convscope layers` for the list)" : "; did you mean " + hint + "?"));
}

torch::Tensor Model::prepare(const torch::Tensor& pixels) const
{
    const auto& in = m_info.input;
    if (pixels.dim() != 4 || pixels.size(1) != in[0] || pixels.size(2) != in[1] || pixels.size(3) != in[2])
        throw Error("the model takes N x " + shapeText({in[0], in[1], in[2]}) + " pixels, got " + shapeText(pixels.sizes().vec()));
    return pixels.to(m_device, torch::kFloat32);
}

torch::Tensor Model::normalize(const torch::Tensor& pixels) const
{
    return (prepare(pixels) - m_mean) / m_std;
}

template <typename Fn>
auto Model::timed(Fn&& forward) -> decltype(forward())
{
    WarningCollector quiet; // the model's warnings were reported once by load()
    WarningGuard guard(&quiet);
    auto start = std::chrono::steady_clock::now();
    try {
        auto result = forward();
        m_lastForwardMs.store(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
                              std::memory_order_relaxed);
        return result;
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("forward() failed: " + torchMessage(e));
    }
}

torch::Tensor Model::logits(const torch::Tensor& pixels)
{
    return logitsOfOutput(output(pixels));
}

torch::Tensor Model::output(const torch::Tensor& pixels)
{
    return timed([&] { return outputOf(m_module.forward({normalize(pixels)})); });
}

Model::Capture Model::capture(const torch::Tensor& pixels, const std::vector<int>& layers, bool withLogits,
                             ReluGradient relu)
{
    LayerGraph::Run run = timed([&] { return m_graph->run(normalize(pixels), layers, withLogits, relu); });
    Capture capture;
    if (withLogits) {
        capture.output = outputOf(run.result);
        capture.logits = logitsOfOutput(capture.output);
    }
    capture.layers = std::move(run.layers);
    return capture;
}

} // namespace convscope
