#include "core/features.h"

#include "core/batches.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_cache.h"
#include "core/model.h"
#include "core/sha256.h"
#include "core/topk.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <sstream>

namespace convscope {

namespace fs = std::filesystem;

namespace {

int64_t featureWidth(const LayerInfo& layer, FeaturePooling pooling)
{
    if (layer.shape.empty())
        return 1;
    if (pooling == FeaturePooling::Mean && layer.shape.size() == 3)
        return layer.shape[0];
    int64_t n = 1;
    for (int64_t d : layer.shape)
        n *= d;
    return n;
}

// [B, ...] activations as [B, D] rows.
torch::Tensor rows(const torch::Tensor& out, FeaturePooling pooling)
{
    if (pooling == FeaturePooling::Mean && out.dim() == 4)
        return out.mean({2, 3});
    return out.reshape({out.size(0), -1});
}

std::string cacheFile(const Model& model, const Dataset& dataset, const std::string& layer,
                      const FeatureOptions& options)
{
    std::ostringstream key;
    key << kFeatureCacheVersion << '\n'
        << fileSha256(model.info().path) << '\n'
        << model.info().mean.size() << ' ';
    // Metadata changes what the model sees (mean/std, input size).
    for (double m : model.info().mean)
        key << m << ' ';
    for (double s : model.info().std)
        key << s << ' ';
    for (int64_t d : model.info().input)
        key << d << ' ';
    key << '\n'
        << dataset.identity() << '\n'
        << layer << '\n'
        << featurePoolingName(options.pooling) << ' ' << options.samples << ' ' << options.seed;
    return (fs::path(options.cacheDir) / (safeFileName(layer) + "-" + sha256Hex(key.str()).substr(0, 32) + ".features"))
        .string();
}

} // namespace

FeaturePooling featurePoolingFromName(const std::string& name)
{
    if (name == "mean")
        return FeaturePooling::Mean;
    if (name == "flatten")
        return FeaturePooling::Flatten;
    throw Error("unknown pooling '" + name + "': use mean (a channel's spatial mean) or flatten (every value)");
}

std::string featurePoolingName(FeaturePooling pooling)
{
    return pooling == FeaturePooling::Mean ? "mean" : "flatten";
}

std::vector<int64_t> featureSample(int64_t size, int64_t samples, uint64_t seed)
{
    std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(size, 0)));
    std::iota(order.begin(), order.end(), 0);
    if (samples > 0 && samples < size) {
        seededShuffle(order, seed);
        order.resize(static_cast<size_t>(samples));
        std::sort(order.begin(), order.end());
    }
    return order;
}

FeatureSet extractFeatures(Model& model, Dataset& dataset, int layer, const FeatureOptions& options,
                           const ProgressFn& progress, const CancelFlag* cancel)
{
    if (layer < 0 || layer >= static_cast<int>(model.layers().size()))
        throw Error("no layer " + std::to_string(layer));
    const LayerInfo& info = model.layers()[static_cast<size_t>(layer)];
    FeatureSet set;
    set.layer = info.name;
    set.pooling = options.pooling;
    const std::vector<int64_t> sample = featureSample(dataset.size(), options.samples, options.seed);
    if (sample.empty())
        throw Error(dataset.description() + " has no images");
    const int64_t width = featureWidth(info, options.pooling);
    const double bytes = 4.0 * static_cast<double>(width) * static_cast<double>(sample.size());
    if (bytes > static_cast<double>(options.memoryLimit)) {
        std::ostringstream message;
        message.precision(3);
        message << "features of " << sample.size() << " images x " << width << " values of " << info.name << " need "
                << bytes / (1 << 30) << " GiB (at most " << options.memoryLimit / double(1 << 30)
                << "): take fewer images"
                << (options.pooling == FeaturePooling::Flatten && info.shape.size() == 3
                        ? " or the spatial mean of each channel"
                        : "");
        throw Error(message.str());
    }

    std::string file;
    if (!options.cacheDir.empty()) {
        std::error_code error;
        fs::create_directories(options.cacheDir, error);
        if (error)
            throw Error("cannot create the cache folder " + options.cacheDir);
        file = cacheFile(model, dataset, info.name, options);
        // A cache of another shape or sample (damaged, or a hash collision) is recomputed.
        if (readFeatureCache(file, set) && set.values.size(1) == width && set.images == sample) {
            if (progress)
                progress(1.0, info.name + ": cached");
            return set;
        }
        set = FeatureSet{};
        set.layer = info.name;
        set.pooling = options.pooling;
    }

    const int64_t batch = options.batchSize > 0 ? options.batchSize : scanBatchSize(model, {layer});
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    const auto total = static_cast<int64_t>(sample.size());
    struct Chunk {
        std::vector<int64_t> loaded;
        torch::Tensor rows, predicted; // on the CPU; undefined when no image could be read
    };
    const auto compute = [&](int64_t start, int64_t n) {
        Chunk chunk;
        const std::vector<int64_t> want(sample.begin() + start, sample.begin() + start + n);
        const torch::Tensor pixels = loadBatch(dataset, want, &chunk.loaded);
        if (pixels.defined() && !chunk.loaded.empty()) {
            const Model::Capture capture = model.capture(pixels, {layer}, true);
            chunk.rows = rows(capture.layers[0], options.pooling).to(torch::kCPU, torch::kFloat32);
            chunk.predicted = capture.logits.argmax(1).to(torch::kCPU).contiguous();
        }
        return chunk;
    };
    const auto commit = [&](int64_t start, int64_t n, const Chunk& chunk) {
        if (chunk.rows.defined()) {
            parts.push_back(chunk.rows);
            const int64_t* predicted = chunk.predicted.data_ptr<int64_t>();
            for (size_t i = 0; i < chunk.loaded.size(); ++i) {
                set.images.push_back(chunk.loaded[i]);
                set.labels.push_back(dataset.label(chunk.loaded[i]));
                set.predictions.push_back(predicted[i]);
            }
        }
        if (progress)
            progress(static_cast<double>(start + n) / static_cast<double>(total),
                     info.name + ": " + std::to_string(start + n) + " / " + std::to_string(total) + " images");
    };
    Batches(batch, cancel, progress).run(total, compute, commit);
    if (parts.empty())
        throw Error("no image of " + dataset.description() + " could be read");
    set.values = torch::cat(parts).contiguous();
    if (!file.empty())
        writeFeatureCache(file, set);
    return set;
}

torch::Tensor featureRows(Model& model, const torch::Tensor& images, int layer, FeaturePooling pooling,
                          std::vector<int64_t>* predictions)
{
    if (layer < 0 || layer >= static_cast<int>(model.layers().size()))
        throw Error("no layer " + std::to_string(layer));
    torch::NoGradGuard noGrad;
    const Model::Capture capture = model.capture(model.prepare(images), {layer}, true);
    if (predictions) {
        const torch::Tensor top = capture.logits.argmax(1).to(torch::kCPU).contiguous();
        predictions->assign(top.data_ptr<int64_t>(), top.data_ptr<int64_t>() + top.numel());
    }
    return rows(capture.layers[0], pooling).to(torch::kCPU, torch::kFloat32).contiguous();
}

} // namespace convscope
