#include "core/unit_stats.h"

#include "core/batches.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_cache.h"
#include "core/model.h"
#include "core/sha256.h"
#include "core/topk.h"
#include "core/unit.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

namespace convscope {

namespace fs = std::filesystem;

namespace {

// Part of every cache file name: a file of an older layout is never read.
constexpr int kScoresVersion = 1;

std::string cacheKey(const Model& model, const std::string& modelHash, const std::string& datasetIdentity,
                     const std::string& layer)
{
    // Metadata changes what the model sees (mean/std, input size) without
    // changing its file.
    std::ostringstream key;
    key << "convscope unit scores " << kScoresVersion << '\n' << modelHash << '\n';
    for (double m : model.info().mean)
        key << m << ' ';
    for (double s : model.info().std)
        key << s << ' ';
    for (int64_t d : model.info().input)
        key << d << ' ';
    key << '\n' << datasetIdentity << '\n' << layer;
    return sha256Hex(key.str()).substr(0, 32);
}

} // namespace

LayerScores scanLayerScores(Model& model, Dataset& dataset, int layer, const std::string& cacheDir,
                            const ProgressFn& progress, const CancelFlag* cancel)
{
    const ChannelShape shape = channelShape(model, layer);
    const LayerInfo& info = model.layers()[static_cast<size_t>(layer)];
    if (dataset.size() == 0)
        throw Error(dataset.description() + " has no images");
    LayerScores scores;
    scores.layer = info.name;
    scores.modelHash = fileSha256(model.info().path);
    scores.datasetIdentity = dataset.identity();
    scores.classes = dataset.classes();
    const int64_t channels = shape.channels;

    std::string file;
    if (!cacheDir.empty()) {
        std::error_code error;
        fs::create_directories(cacheDir, error);
        if (error)
            throw Error("cannot create the cache folder " + cacheDir);
        file = (fs::path(cacheDir)
                / (safeFileName(info.name) + "-" + cacheKey(model, scores.modelHash, scores.datasetIdentity, info.name)
                   + ".scores"))
                   .string();
        FeatureSet cached;
        // The layer is in the file's key (readFeatureCache keeps no name).
        if (readFeatureCache(file, cached) && cached.values.size(1) == 2 * channels) {
            scores.mean = cached.values.narrow(1, 0, channels).contiguous();
            scores.max = cached.values.narrow(1, channels, channels).contiguous();
            scores.images = std::move(cached.images);
            scores.labels = std::move(cached.labels);
            if (progress)
                progress(1.0, info.name + ": cached");
            return scores;
        }
    }

    const int64_t total = dataset.size();
    const int64_t batch = scanBatchSize(model, {layer});
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    struct Chunk {
        std::vector<int64_t> loaded;
        torch::Tensor rows; // [n, 2C] on the CPU: means then maxima; undefined when no image could be read
    };
    const auto compute = [&](int64_t start, int64_t n) {
        Chunk chunk;
        std::vector<int64_t> want(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            want[static_cast<size_t>(i)] = start + i;
        const torch::Tensor pixels = loadBatch(dataset, want, &chunk.loaded);
        if (pixels.defined() && !chunk.loaded.empty()) {
            const torch::Tensor out = model.capture(pixels, {layer}, false).layers.at(0);
            const torch::Tensor flat = out.reshape({out.size(0), channels, -1}).to(torch::kFloat32);
            chunk.rows = torch::cat({flat.mean(2), flat.amax(2)}, 1).to(torch::kCPU).contiguous();
        }
        return chunk;
    };
    const auto commit = [&](int64_t start, int64_t n, const Chunk& chunk) {
        if (chunk.rows.defined()) {
            parts.push_back(chunk.rows);
            for (int64_t index : chunk.loaded) {
                scores.images.push_back(index);
                scores.labels.push_back(dataset.label(index));
            }
        }
        if (progress)
            progress(static_cast<double>(start + n) / static_cast<double>(total),
                     info.name + ": " + std::to_string(start + n) + " / " + std::to_string(total) + " images");
    };
    Batches(batch, cancel, progress).run(total, compute, commit);
    if (parts.empty())
        throw Error("no image of " + dataset.description() + " could be read");
    const torch::Tensor values = torch::cat(parts).contiguous();
    scores.mean = values.narrow(1, 0, channels).contiguous();
    scores.max = values.narrow(1, channels, channels).contiguous();
    if (!file.empty()) {
        FeatureSet set;
        set.layer = info.name;
        set.values = values;
        set.images = scores.images;
        set.labels = scores.labels;
        set.predictions.assign(scores.images.size(), -1);
        writeFeatureCache(file, set); // a cache that cannot be written is only slower next time
    }
    return scores;
}

ChannelStats channelStats(const LayerScores& scores, int64_t channel, int bins)
{
    if (!scores.max.defined() || channel < 0 || channel >= scores.max.size(1))
        throw Error("no channel " + std::to_string(channel) + " in the scan of " + scores.layer);
    ChannelStats stats;
    const torch::Tensor maxima = scores.max.select(1, channel).to(torch::kFloat64).contiguous();
    const torch::Tensor means = scores.mean.select(1, channel).to(torch::kFloat64).contiguous();
    const int64_t n = maxima.size(0);
    stats.images = n;
    if (n == 0)
        return stats;
    const double* mx = maxima.data_ptr<double>();
    const double* mn = means.data_ptr<double>();
    // A model that overflows (inf, NaN) on some images: those are counted
    // apart, and the histogram and means are of the others.
    const auto finiteAt = [&](int64_t i) { return std::isfinite(mx[i]) && std::isfinite(mn[i]); };
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
    int64_t dead = 0, finite = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (!finiteAt(i)) {
            ++stats.nonFinite;
            continue;
        }
        ++finite;
        lo = std::min(lo, mx[i]);
        hi = std::max(hi, mx[i]);
        dead += mx[i] <= 0 ? 1 : 0;
        sum += mn[i];
    }
    stats.deadFraction = static_cast<double>(dead) / static_cast<double>(n);
    if (finite == 0)
        return stats;
    stats.mean = sum / static_cast<double>(finite);
    bins = std::max(bins, 1);
    if (hi <= lo)
        hi = lo + 1; // one value: one bin of width 1 from it
    stats.edges.resize(static_cast<size_t>(bins) + 1);
    for (int b = 0; b <= bins; ++b)
        stats.edges[static_cast<size_t>(b)] = lo + (hi - lo) * b / bins;
    stats.counts.assign(static_cast<size_t>(bins), 0);
    for (int64_t i = 0; i < n; ++i) {
        if (!finiteAt(i))
            continue;
        const auto b = std::min<int64_t>(bins - 1, static_cast<int64_t>((mx[i] - lo) / (hi - lo) * bins));
        ++stats.counts[static_cast<size_t>(std::max<int64_t>(b, 0))];
    }
    if (!scores.classes.empty()) {
        const size_t k = scores.classes.size();
        std::vector<double> sums(k, 0);
        stats.classCounts.assign(k, 0);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t label = scores.labels[static_cast<size_t>(i)];
            if (label < 0 || label >= static_cast<int64_t>(k) || !finiteAt(i))
                continue;
            sums[static_cast<size_t>(label)] += mn[i];
            ++stats.classCounts[static_cast<size_t>(label)];
        }
        stats.classMeans.resize(k);
        for (size_t c = 0; c < k; ++c)
            stats.classMeans[c] = stats.classCounts[c] ? sums[c] / static_cast<double>(stats.classCounts[c])
                                                       : std::numeric_limits<double>::quiet_NaN();
    }
    return stats;
}

} // namespace convscope
