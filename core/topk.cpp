#include "core/topk.h"

#include "core/batches.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "core/sha256.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

namespace convscope {

namespace fs = std::filesystem;

namespace {

// Part of every cache key: a file written in an older layout is never read.
constexpr int kCacheVersion = 1;
// A batch's activations and the forward's intermediates stay under this.
constexpr int64_t kBatchBudgetBytes = int64_t(256) << 20;
constexpr int64_t kMaxBatch = 256;
// A cancelled or crashed scan loses at most this much work.
constexpr double kCheckpointSeconds = 5;

// Images of the dataset that belong to `shard` of `shards`.
int64_t shardSize(int64_t size, int shard, int shards)
{
    return shard < size ? (size - shard + shards - 1) / shards : 0;
}

// One running hit: where is the flat position in the map, -1 until known.
struct Entry {
    float score;
    int64_t image;
    int64_t where;
    int64_t row; // in the current batch while `where` is unknown
};

// One layer being scanned: for every channel its best images so far, best
// first, at most k.
struct Running {
    int layer = 0;
    const LayerInfo* info = nullptr;
    int64_t channels = 0;
    int64_t width = 1;   // of the map, to split a flat position into y, x
    int64_t mapSize = 1; // positions in one channel's map
    bool units = false; // a fully connected output: each unit its own score
    TopkResult result;  // identity and progress; channels filled on demand
    std::vector<std::vector<Entry>> best;
    std::vector<float> bar; // per channel: the k-th best score once there are k
    std::vector<char> full;
    std::string cacheFile;
};

std::string cacheKey(const Model& model, const Dataset& dataset, const std::string& modelHash,
                     const std::string& layer, const TopkOptions& options)
{
    // The input size and normalization change the activations without
    // changing the file, so they are part of the key too.
    std::ostringstream key;
    key << "convscope topk " << kCacheVersion << '\n' << modelHash << '\n';
    for (int64_t v : model.info().input)
        key << v << ',';
    for (double v : model.info().mean)
        key << v << ',';
    for (double v : model.info().std)
        key << v << ',';
    key << '\n' << dataset.identity() << '\n' << layer << '\n' << options.k << ' '
        << static_cast<int>(options.score) << ' ' << options.shard << '/' << options.shards;
    return sha256Hex(key.str()).substr(0, 32);
}


TopkResult finished(const Running& r, Dataset& dataset, const std::array<int64_t, 3>& input)
{
    TopkResult result = r.result;
    result.channels.assign(static_cast<size_t>(r.channels), {});
    for (size_t c = 0; c < r.best.size(); ++c)
        for (const Entry& e : r.best[c]) {
            TopkHit hit;
            hit.image = e.image;
            hit.label = dataset.label(e.image);
            hit.score = e.score;
            hit.y = e.where / r.width;
            hit.x = e.where % r.width;
            hit.box = receptiveBox(*r.info, hit.y, hit.x, input[1], input[2], &hit.clipped);
            result.channels[c].push_back(hit);
        }
    return result;
}

// A partial result read back from the cache as the running state; false if
// it does not fit this scan (then the scan starts over).
bool resume(Running& r, const TopkResult& saved)
{
    const TopkResult& want = r.result;
    if (saved.layer != want.layer || saved.score != want.score || saved.k != want.k
        || saved.modelHash != want.modelHash || saved.datasetIdentity != want.datasetIdentity
        || saved.shard != want.shard || saved.shards != want.shards || saved.total != want.total
        || saved.scanned < 0 || saved.scanned > saved.total
        || static_cast<int64_t>(saved.channels.size()) != r.channels)
        return false;
    std::vector<std::vector<Entry>> best(saved.channels.size());
    for (size_t c = 0; c < saved.channels.size(); ++c) {
        const auto& hits = saved.channels[c];
        if (static_cast<int64_t>(hits.size()) > want.k)
            return false;
        for (size_t j = 0; j < hits.size(); ++j) {
            const TopkHit& hit = hits[j];
            // Scanning on relies on the hits being this shard's images seen
            // so far, best first with ties by index: anything else starts over.
            const int64_t position = (hit.image - want.shard) / want.shards;
            if (hit.image < want.shard || (hit.image - want.shard) % want.shards || position >= saved.scanned
                || hit.y < 0 || hit.x < 0 || hit.x >= r.width || hit.y * r.width + hit.x >= r.mapSize)
                return false;
            const TopkHit* before = j > 0 ? &hits[j - 1] : nullptr;
            if (before && !(hit.score < before->score || (hit.score == before->score && hit.image > before->image)))
                return false;
            best[c].push_back({hit.score, hit.image, hit.y * r.width + hit.x, -1});
        }
    }
    r.best = std::move(best);
    r.result.scanned = saved.scanned;
    return true;
}

// Folds one batch of a layer's output [n, ...] (images `loaded`, ascending)
// into the running top-k. The scores are reduced on the model's device; the
// merge is a plain loop, because for C x n scores and k slots per channel
// the dispatch of a dozen small tensor ops (cat, stable sort, gather) costs
// more than the comparisons: 8 % of a LeNet-5 scan against 2-3 % now. Every
// image of the batch has a higher index than every running hit, so it enters
// only with a strictly higher score and goes after equal ones: ties stay
// with the lower index without a sort.
void absorb(Running& r, const torch::Tensor& output, const std::vector<int64_t>& loaded, TopkScore score)
{
    const int64_t n = output.size(0), k = r.result.k;
    torch::Tensor maps, values; // maps: [n, C, H*W], kept for the argmax of the few that enter
    if (r.units) {
        values = output;
    } else if (score == TopkScore::Max) {
        maps = output.flatten(2);
        values = maps.amax(2); // max without indices: ~7x faster than max with them
    } else {
        values = output.flatten(2).mean(2);
    }
    values = values.to(torch::kCPU, torch::kFloat32).contiguous();
    const float* v = values.data_ptr<float>();
    // The score a channel's newcomer must beat, in one contiguous array so
    // that the common case (it does not) is a linear scan of the scores.
    if (r.bar.empty()) {
        r.bar.assign(static_cast<size_t>(r.channels), -std::numeric_limits<float>::infinity());
        r.full.assign(static_cast<size_t>(r.channels), 0);
        for (size_t c = 0; c < r.best.size(); ++c)
            if (static_cast<int64_t>(r.best[c].size()) == k) {
                r.full[c] = 1;
                r.bar[c] = r.best[c].back().score;
            }
    }
    bool pending = false;
    for (int64_t row = 0; row < n; ++row, v += r.channels)
        for (size_t c = 0; c < static_cast<size_t>(r.channels); ++c) {
            float s = v[c];
            if (std::isnan(s))
                s = -std::numeric_limits<float>::infinity(); // a total order, or the merge is undefined
            if (r.full[c] && !(s > r.bar[c]))
                continue;
            auto& best = r.best[c];
            auto at = std::find_if(best.begin(), best.end(), [&](const Entry& e) { return e.score < s; });
            best.insert(at, {s, loaded[static_cast<size_t>(row)], maps.defined() ? -1 : 0, row});
            if (static_cast<int64_t>(best.size()) > k)
                best.pop_back();
            if (static_cast<int64_t>(best.size()) == k) {
                r.full[c] = 1;
                r.bar[c] = best.back().score;
            }
            pending = pending || maps.defined();
        }
    if (!pending)
        return;
    // One gather and argmax for the maps that entered; argmax returns the
    // first maximum, so a flat map's ties go to the top left.
    std::vector<int64_t> mapIndex;
    std::vector<Entry*> entries;
    for (int64_t c = 0; c < r.channels; ++c)
        for (Entry& e : r.best[static_cast<size_t>(c)])
            if (e.where < 0) {
                mapIndex.push_back(e.row * r.channels + c);
                entries.push_back(&e);
            }
    const torch::Tensor index = torch::tensor(mapIndex, torch::kInt64).to(maps.device());
    const torch::Tensor position = maps.reshape({n * r.channels, -1}).index_select(0, index).argmax(1).to(torch::kCPU);
    const int64_t* p = position.data_ptr<int64_t>();
    for (size_t i = 0; i < entries.size(); ++i)
        entries[i]->where = p[i];
}


// Folds one chunk's outputs (one per layer of `active`) for images `loaded`
// into each layer's running top-k. A layer resumed further along skips the
// images it has seen.
void absorbChunk(const std::vector<Running*>& active, const std::vector<torch::Tensor>& outputs,
                 const std::vector<int64_t>& loaded, const TopkOptions& options)
{
    for (size_t i = 0; i < outputs.size(); ++i) {
        Running& r = *active[i];
        const auto first = std::lower_bound(loaded.begin(), loaded.end(),
                                            options.shard + r.result.scanned * options.shards);
        const auto skip = static_cast<int64_t>(first - loaded.begin());
        const auto n = static_cast<int64_t>(loaded.size());
        if (skip == 0)
            absorb(r, outputs[i], loaded, options.score);
        else if (skip < n)
            absorb(r, outputs[i].narrow(0, skip, n - skip), std::vector<int64_t>(first, loaded.end()), options.score);
    }
}

// "layer conv2" or "layers conv1, conv2", for progress text.
std::string layerNames(const std::vector<Running*>& layers)
{
    std::string names = layers.size() == 1 ? "layer " : "layers ";
    for (size_t i = 0; i < layers.size() && i < 3; ++i)
        names += (i ? ", " : "") + layers[i]->result.layer;
    return layers.size() > 3 ? names + ", …" : names;
}

} // namespace

std::string safeFileName(const std::string& name)
{
    std::string safe;
    for (char c : name)
        safe += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    return safe;
}

int64_t scanBatchSize(const Model& model, const std::vector<int>& layers)
{
    auto numel = [](const std::vector<int64_t>& shape) {
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        return n;
    };
    const auto& in = model.info().input;
    int64_t largest = 0;
    for (const auto& layer : model.layers())
        largest = std::max(largest, numel(layer.shape));
    // The input, what we keep, and the two biggest tensors alive at once in
    // the forward (an op's input and output).
    int64_t floats = in[0] * in[1] * in[2] + 2 * largest;
    for (int layer : layers)
        floats += numel(model.layers()[static_cast<size_t>(layer)].shape);
    return std::clamp<int64_t>(kBatchBudgetBytes / (4 * std::max<int64_t>(floats, 1)), 1, kMaxBatch);
}

std::string fileSha256(const std::string& path)
{
    // Every scan asks; rehashing a 500 MB model each time would make a cached
    // result anything but instant. Size and modification time tell a rewrite.
    struct Known {
        uintmax_t size;
        fs::file_time_type time;
        std::string hash;
    };
    static std::mutex mutex;
    static std::map<std::string, Known> known;
    std::error_code error;
    const auto size = fs::file_size(path, error);
    const auto time = fs::last_write_time(path, error);
    if (error)
        throw Error("cannot read " + path);
    {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = known.find(path);
        if (it != known.end() && it->second.size == size && it->second.time == time)
            return it->second.hash;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error("cannot read " + path);
    Sha256 hash;
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        hash.update(buffer.data(), static_cast<size_t>(in.gcount()));
    }
    if (in.bad())
        throw Error("cannot read " + path);
    std::string hex = hash.hexDigest();
    std::lock_guard<std::mutex> lock(mutex);
    known[path] = {size, time, hex};
    return hex;
}

std::array<int64_t, 4> receptiveBox(const LayerInfo& layer, int64_t y, int64_t x, int64_t height, int64_t width,
                                    bool* clipped)
{
    if (clipped)
        *clipped = false;
    // A unit vector (or a map whose geometry is unknown) sees the whole image.
    if (!layer.hasField || layer.shape.size() < 2)
        return {0, 0, height, width};
    std::array<int64_t, 4> box{};
    const int64_t unit[2] = {y, x}, limit[2] = {height, width};
    bool cut = false;
    for (int axis = 0; axis < 2; ++axis) {
        const AxisField& f = layer.field[static_cast<size_t>(axis)];
        const double centre = f.start + static_cast<double>(unit[axis]) * f.jump;
        auto begin = static_cast<int64_t>(std::floor(centre - f.size / 2 + 0.5));
        auto end = std::max(begin + 1, static_cast<int64_t>(std::floor(centre + f.size / 2 + 0.5)));
        cut = cut || begin < 0 || end > limit[axis];
        // Keep at least one pixel even for a unit centred off the image.
        begin = std::clamp<int64_t>(begin, 0, limit[axis] - 1);
        end = std::clamp<int64_t>(end, begin + 1, limit[axis]);
        box[static_cast<size_t>(axis)] = begin;
        box[static_cast<size_t>(axis) + 2] = end;
    }
    if (clipped)
        *clipped = cut;
    return box;
}

torch::Tensor cropBox(const torch::Tensor& image, const std::array<int64_t, 4>& box)
{
    if (image.dim() != 3)
        throw Error("cropBox takes a [C, H, W] image, not " + std::to_string(image.dim()) + "-D");
    const auto [y0, x0, y1, x1] = box;
    if (y0 < 0 || x0 < 0 || y1 > image.size(1) || x1 > image.size(2) || y1 <= y0 || x1 <= x0)
        throw Error("box " + std::to_string(y0) + "," + std::to_string(x0) + "," + std::to_string(y1) + ","
                    + std::to_string(x1) + " is not inside a " + std::to_string(image.size(1)) + "x"
                    + std::to_string(image.size(2)) + " image");
    return image.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0).contiguous();
}

std::vector<TopkResult> topkScan(Model& model, Dataset& dataset, const std::vector<int>& layers,
                                 const TopkOptions& options, const ProgressFn& progress, const CancelFlag* cancel)
{
    if (layers.empty())
        throw Error("no layer to scan");
    if (options.k < 1)
        throw Error("k must be at least 1");
    if (options.shards < 1 || options.shard < 0 || options.shard >= options.shards)
        throw Error("shard " + std::to_string(options.shard) + "/" + std::to_string(options.shards)
                    + " does not exist: shards are numbered 0 to n-1 of n");
    if (dataset.size() == 0)
        throw Error("the dataset is empty");
    const std::string modelHash = fileSha256(model.info().path);
    const int64_t total = shardSize(dataset.size(), options.shard, options.shards);
    if (!options.cacheDir.empty()) {
        std::error_code error;
        fs::create_directories(options.cacheDir, error);
        if (error)
            throw Error("cannot create the cache folder " + options.cacheDir);
    }

    std::vector<Running> running(layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
        Running& r = running[i];
        if (layers[i] < 0 || layers[i] >= static_cast<int>(model.layers().size()))
            throw Error("no layer number " + std::to_string(layers[i]));
        r.layer = layers[i];
        r.info = &model.layers()[static_cast<size_t>(r.layer)];
        const auto& shape = r.info->shape;
        if (shape.empty() || shape.size() > 3)
            throw Error("layer '" + r.info->name + "' has shape "
                        + (shape.empty() ? std::string("[]") : dimsText(shape))
                        + ": top-k needs channel maps (C x H x W) or units (F)");
        r.channels = shape[0];
        r.units = shape.size() == 1;
        r.width = shape.size() == 3 ? shape[2] : shape.size() == 2 ? shape[1] : 1;
        r.mapSize = shape.size() == 3 ? shape[1] * shape[2] : r.width;
        r.best.assign(static_cast<size_t>(r.channels), {});
        TopkResult& result = r.result;
        result.layer = r.info->name;
        result.score = options.score;
        result.k = options.k;
        result.modelHash = modelHash;
        result.datasetIdentity = dataset.identity();
        result.shard = options.shard;
        result.shards = options.shards;
        result.total = total;
        if (options.cacheDir.empty())
            continue;
        r.cacheFile = (fs::path(options.cacheDir)
                       / (safeFileName(r.info->name) + "-" + cacheKey(model, dataset, modelHash, r.info->name, options)
                          + ".json"))
                          .string();
        std::error_code error;
        if (!fs::exists(r.cacheFile, error))
            continue;
        try {
            resume(r, readTopkFile(r.cacheFile));
        } catch (const Error&) {
            // A damaged cache file is as good as none: scan again.
        }
    }

    auto save = [&](const Running& r) {
        if (!r.cacheFile.empty())
            writeTopkFile(r.cacheFile, finished(r, dataset, model.info().input));
    };
    std::vector<Running*> active;
    int64_t from = total;
    for (auto& r : running) {
        if (r.result.complete())
            continue;
        active.push_back(&r);
        from = std::min(from, r.result.scanned);
    }
    if (!active.empty()) {
        std::vector<int> captured;
        for (auto* r : active)
            captured.push_back(r->layer);
        const int64_t batch = options.batchSize > 0 ? options.batchSize : scanBatchSize(model, captured);
        torch::NoGradGuard noGrad;
        auto lastSave = std::chrono::steady_clock::now();
        struct Chunk {
            std::vector<int64_t> loaded;
            std::vector<torch::Tensor> outputs; // empty when no image could be read
        };
        const auto compute = [&](int64_t start, int64_t n) {
            Chunk chunk;
            std::vector<int64_t> indices;
            for (int64_t p = from + start; p < from + start + n; ++p)
                indices.push_back(options.shard + p * options.shards);
            const torch::Tensor pixels = loadBatch(dataset, indices, &chunk.loaded);
            if (pixels.defined())
                chunk.outputs = model.capture(pixels, captured, false).layers;
            return chunk;
        };
        const auto commit = [&](int64_t start, int64_t n, const Chunk& chunk) {
            absorbChunk(active, chunk.outputs, chunk.loaded, options);
            const int64_t end = from + start + n;
            for (auto* r : active)
                r->result.scanned = std::max(r->result.scanned, end);
            if (progress)
                progress(static_cast<double>(end) / static_cast<double>(total),
                         layerNames(active) + ": " + std::to_string(end) + " / " + std::to_string(total) + " images");
            const auto now = std::chrono::steady_clock::now();
            if (end < total && std::chrono::duration<double>(now - lastSave).count() > kCheckpointSeconds) {
                for (auto* r : active)
                    save(*r);
                lastSave = now;
            }
        };
        try {
            Batches(batch, cancel, progress).run(total - from, compute, commit);
        } catch (const Cancelled&) {
            for (auto* r : active)
                save(*r);
            throw;
        }
    }

    std::vector<TopkResult> results;
    for (auto& r : running) {
        const bool wasScanned = std::find(active.begin(), active.end(), &r) != active.end();
        if (wasScanned)
            save(r);
        results.push_back(finished(r, dataset, model.info().input));
    }
    if (active.empty() && progress) {
        std::vector<Running*> all;
        for (auto& r : running)
            all.push_back(&r);
        progress(1.0, layerNames(all) + ": cached");
    }
    return results;
}

} // namespace convscope
