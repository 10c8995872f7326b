#include "core/features.h"

#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "core/sha256.h"
#include "core/topk.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace convscope {

namespace fs = std::filesystem;

namespace {

// Part of every cache key: a file of an older layout is never read.
constexpr int kCacheVersion = 1;

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
    key << kCacheVersion << '\n'
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

// A header line of JSON, then the matrix (float32) and the three index
// columns (int64), in this machine's byte order (a cache never travels).
void writeCache(const std::string& path, const FeatureSet& set)
{
    const std::string temporary = path + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        const torch::Tensor values = set.values.contiguous();
        nlohmann::json header = {{"version", kCacheVersion}, {"rows", values.size(0)}, {"cols", values.size(1)},
                                 {"layer", set.layer}};
        out << header.dump() << '\n';
        out.write(static_cast<const char*>(values.data_ptr()), static_cast<std::streamsize>(values.nbytes()));
        for (const auto* column : {&set.images, &set.labels, &set.predictions})
            out.write(reinterpret_cast<const char*>(column->data()),
                      static_cast<std::streamsize>(column->size() * sizeof(int64_t)));
        if (!out)
            return; // a cache that cannot be written is only slower next time
    }
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error)
        fs::remove(temporary, error);
}

// False (and `set` untouched) for a missing or damaged file.
bool readCache(const std::string& path, FeatureSet& set)
{
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line))
        return false;
    const nlohmann::json header = nlohmann::json::parse(line, nullptr, false);
    if (header.is_discarded() || header.value("version", 0) != kCacheVersion || !header.contains("rows")
        || !header.contains("cols"))
        return false;
    const int64_t n = header["rows"].get<int64_t>(), d = header["cols"].get<int64_t>();
    if (n < 0 || d < 1 || n > (int64_t(1) << 31) / d)
        return false;
    torch::Tensor values = torch::empty({n, d}, torch::kFloat32);
    in.read(static_cast<char*>(values.data_ptr()), static_cast<std::streamsize>(values.nbytes()));
    std::vector<std::vector<int64_t>> columns(3, std::vector<int64_t>(static_cast<size_t>(n)));
    for (auto& column : columns)
        in.read(reinterpret_cast<char*>(column.data()), static_cast<std::streamsize>(column.size() * sizeof(int64_t)));
    if (!in || in.peek() != std::char_traits<char>::eof())
        return false;
    set.values = values;
    set.images = std::move(columns[0]);
    set.labels = std::move(columns[1]);
    set.predictions = std::move(columns[2]);
    set.fromCache = true;
    return true;
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
        if (readCache(file, set) && set.values.size(1) == width) {
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
    std::vector<int64_t> loaded;
    const auto total = static_cast<int64_t>(sample.size());
    for (int64_t start = 0; start < total; start += batch) {
        throwIfCancelled(cancel);
        const std::vector<int64_t> want(sample.begin() + start, sample.begin() + std::min(total, start + batch));
        const torch::Tensor pixels = loadBatch(dataset, want, &loaded);
        if (pixels.defined() && !loaded.empty()) {
            const Model::Capture capture = model.capture(pixels, {layer}, true);
            parts.push_back(rows(capture.layers[0], options.pooling).to(torch::kCPU, torch::kFloat32));
            const torch::Tensor predicted = capture.logits.argmax(1).to(torch::kCPU).contiguous();
            for (size_t i = 0; i < loaded.size(); ++i) {
                set.images.push_back(loaded[i]);
                set.labels.push_back(dataset.label(loaded[i]));
                set.predictions.push_back(predicted[static_cast<int64_t>(i)].item<int64_t>());
            }
        }
        if (progress) {
            const int64_t done = std::min(total, start + batch);
            progress(static_cast<double>(done) / static_cast<double>(total),
                     info.name + ": " + std::to_string(done) + " / " + std::to_string(total) + " images");
        }
    }
    if (parts.empty())
        throw Error("no image of " + dataset.description() + " could be read");
    set.values = torch::cat(parts).contiguous();
    if (!file.empty())
        writeCache(file, set);
    return set;
}

} // namespace convscope
