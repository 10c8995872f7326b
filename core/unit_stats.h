#pragma once

// A layer's channels over a whole dataset, one number pair per image and
// channel, so that any channel's statistics (its histogram, whether it is
// dead, which class makes it fire) come without another pass.

#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Dataset;
class Model;

struct LayerScores {
    std::string layer;
    std::string modelHash;       // SHA-256 of the model file
    std::string datasetIdentity; // Dataset::identity()
    std::vector<std::string> classes; // the dataset's, empty when unlabeled
    // [N, C] float32 on the CPU: each image's spatial mean and max of each
    // channel (the unit itself for a layer of units). Rows follow `images`.
    torch::Tensor mean, max;
    std::vector<int64_t> images; // dataset index of each row (unreadable items are left out)
    std::vector<int64_t> labels; // -1 when unlabeled
};

// One pass over every item of the dataset keeping `layer`'s per-image channel
// means and maxima. With a cache folder the result is stored there (written
// whole under a temporary name and renamed) and a later call with the same
// model file, dataset and layer reads it instead of running the model. A
// cancel throws Cancelled and keeps nothing.
LayerScores scanLayerScores(Model& model, Dataset& dataset, int layer, const std::string& cacheDir,
                            const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

struct ChannelStats {
    int64_t images = 0;
    // Histogram of the per-image maxima: `counts` in bins of equal width from
    // edges.front() to edges.back() (the last bin closed).
    std::vector<int64_t> counts;
    std::vector<double> edges;
    // Share of images whose map is never positive (max <= 0): a dead unit
    // fires for none of them.
    double deadFraction = 0;
    // Mean over each class's images of the per-image spatial mean; NaN for a
    // class without images. Empty when the dataset is unlabeled.
    std::vector<double> classMeans;
    std::vector<int64_t> classCounts;
    double mean = 0;        // over every image with finite values
    int64_t nonFinite = 0;  // images whose map held inf or NaN: in no bin, no class mean, not dead
};
ChannelStats channelStats(const LayerScores& scores, int64_t channel, int bins = 30);

} // namespace convscope
