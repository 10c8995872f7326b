#pragma once

// Features of one layer over a dataset (or a seeded sample of it), one row
// per image: what the embedding maps (PCA, t-SNE) lay out.

#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Dataset;
class Model;

// Channel maps [C, H, W] become C spatial means, or all C*H*W values.
// Layers of units [F] are their F values either way.
enum class FeaturePooling { Mean, Flatten };
FeaturePooling featurePoolingFromName(const std::string& name); // "mean", "flatten"; Error otherwise
std::string featurePoolingName(FeaturePooling pooling);

struct FeatureOptions {
    FeaturePooling pooling = FeaturePooling::Mean;
    int64_t samples = 0;           // 0: every image; else at most this many, a seeded sample
    uint64_t seed = 0;
    int64_t batchSize = 0;         // 0: chosen from the layer's size
    std::string cacheDir;          // empty: no cache; else features are kept there per model/dataset/layer
    int64_t memoryLimit = int64_t(4) << 30; // bytes the feature matrix may take
};

struct FeatureSet {
    std::string layer;
    FeaturePooling pooling = FeaturePooling::Mean;
    torch::Tensor values;             // [N, D] float32 on the CPU
    std::vector<int64_t> images;      // dataset index of each row, ascending
    std::vector<int64_t> labels;      // the dataset's label of each row, -1 when unlabeled
    std::vector<int64_t> predictions; // the model's top class for each row
    bool fromCache = false;
};

// The rows extractFeatures takes: every index, or `samples` of them drawn by
// a seeded shuffle, in ascending order.
std::vector<int64_t> featureSample(int64_t size, int64_t samples, uint64_t seed);

// Runs the sample through the model in batches (no gradients; core/batches:
// short chunks with a cancel flag, halved after running out of memory, with
// a note through `progress`), reporting progress; throws Cancelled on cancel
// (nothing is cached then), Error when
// the matrix would exceed memoryLimit (naming the size and what to change).
// Unreadable images are skipped (noted on the dataset).
FeatureSet extractFeatures(Model& model, Dataset& dataset, int layer, const FeatureOptions& options,
                           const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// The same rows for images of one's own ([N, C, H, W] pixels in [0, 1]; an
// adversarial pair to place into a map of the dataset's features): [N, D]
// float on the CPU, and the model's top class of each in `predictions`.
torch::Tensor featureRows(Model& model, const torch::Tensor& images, int layer, FeaturePooling pooling,
                          std::vector<int64_t>* predictions = nullptr);

} // namespace convscope
