#pragma once

#include "core/progress.h"

#include <torch/script.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Dataset;
class Model;
struct LayerInfo;

// How one image scores for one channel: the maximum of its spatial map (with
// where it is), or the map's mean. A fully connected unit is its own score.
enum class TopkScore { Max, Mean };

// One of a channel's top-k images.
struct TopkHit {
    int64_t image = -1;              // dataset index
    int64_t label = -1;              // dataset label, -1 if unlabeled
    float score = 0;
    int64_t y = 0, x = 0;            // where the max is in the layer's map (0, 0 for mean and FC)
    std::array<int64_t, 4> box{};    // receptive field in input pixels: y0, x0, y1, x1 (end exclusive), clipped
    bool clipped = false;            // the field reached past the image border
};

struct TopkResult {
    std::string layer;
    TopkScore score = TopkScore::Max;
    int64_t k = 9;
    std::vector<std::vector<TopkHit>> channels; // [channel] best first; ties: lower image index first
    // Which scan this is, so shards merge and caches invalidate exactly.
    std::string modelHash;       // SHA-256 of the model file
    std::string datasetIdentity; // Dataset::identity()
    int shard = 0, shards = 1;
    int64_t scanned = 0;         // images of this shard done (a cancelled scan resumes here)
    int64_t total = 0;           // images in this shard
    bool complete() const { return scanned == total; }
};

struct TopkOptions {
    int64_t k = 9;
    TopkScore score = TopkScore::Max;
    // Images per forward pass, at most; 0: chosen from the layer sizes. With a
    // cancel flag the passes are shorter (core/batches), and a batch that runs
    // out of memory is halved (a note through the progress callback).
    int64_t batchSize = 0;
    int shard = 0, shards = 1;   // scan images i with i % shards == shard
    std::string cacheDir;        // empty: no cache; else results (and partial scans) live here
};

// One pass over the dataset (this shard of it), keeping for every channel of
// every listed layer the k best images. Memory is O(channels x k) whatever
// the dataset size. Reports progress; on cancel saves what it has to the
// cache (if any) and throws Cancelled; a later call with the same model,
// dataset, layer and options resumes from there. A complete cached result
// is returned without running the model.
std::vector<TopkResult> topkScan(Model& model, Dataset& dataset, const std::vector<int>& layers,
                                 const TopkOptions& options, const ProgressFn& progress = {},
                                 const CancelFlag* cancel = nullptr);

// Merges complete shard results of the same scan (same model, dataset, layer,
// k and score, shards 0..n-1 each once) into the result a single scan gives.
// Error otherwise, naming what differs or is missing.
TopkResult mergeTopk(const std::vector<TopkResult>& shards);

// The receptive field of unit (y, x) of a layer, in input pixels, clipped to
// the input; `clipped` tells whether clipping happened. For layers without a
// spatial field (fully connected) the whole input.
std::array<int64_t, 4> receptiveBox(const LayerInfo& layer, int64_t y, int64_t x, int64_t height, int64_t width,
                                    bool* clipped = nullptr);

// Pixels [C, y1-y0, x1-x0] of `image` [C, H, W] inside `box`.
torch::Tensor cropBox(const torch::Tensor& image, const std::array<int64_t, 4>& box);

// JSON as the CLI writes it ({"layer", "channels": [{"channel", "hits": [...]}]}
// plus the scan's identity), and back.
std::string topkJson(const TopkResult& result);
// One channel's hits as topkJson writes them: [{"image", "label", "score", "y", "x", "box", "clipped"}, ...].
std::string topkHitsJson(const std::vector<TopkHit>& hits);
TopkResult topkFromJson(const std::string& json);

// SHA-256 of a file's bytes, hex.
std::string fileSha256(const std::string& path);
// `name` with everything but letters, digits, '.' and '-' as '_', for cache file names.
std::string safeFileName(const std::string& name);
// Images per batch for a no-gradient pass keeping `layers`' outputs: about
// 256 MiB of activations, between 1 and 256.
int64_t scanBatchSize(const Model& model, const std::vector<int>& layers);

// topkJson in a file, written under a temporary name and renamed so that no
// reader (or crash) ever sees half a file; and read back, Error naming the
// file if it is not a top-k result.
void writeTopkFile(const std::string& path, const TopkResult& result);
TopkResult readTopkFile(const std::string& path);

} // namespace convscope
