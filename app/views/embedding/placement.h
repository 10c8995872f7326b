#pragma once

// Images placed into the Embedding tab's finished t-SNE map without moving it
// (core placeInMap, openTSNE's transform): an adversarial example beside its
// clean image, drawn as an arrow from one to the other, with the classes of
// the map points around each. Runs on the model's worker. Not seen by moc:
// included from .cpp files only.

#include "core/features.h"
#include "core/progress.h"

#include <torch/script.h>

#include <QPointF>
#include <QString>
#include <QVector>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace convscope
{

class Model;
struct Embedding;
struct JobContext;
struct TsneMap;

// Where one image landed and what surrounds it there.
struct PlacedImage {
    QPointF at;
    int64_t prediction = -1;   // the model's top class of the image
    int64_t nearClass = -1;    // the commonest label (or prediction) of its nearest map points
    int nearCount = 0;         // of kNearest
};

struct PlacedPairs {
    QVector<PlacedImage> clean, adversarial; // one per pair
    double seconds = 0;
    bool cancelled = false;
    static constexpr int kNearest = 10;
};

// `clean` and `adversarial` [N, C, H, W] pixels placed into `map` (a t-SNE
// map of `layer`'s features, pooled by `pooling`), each named by the
// `labels` (or, where -1, the `predictions`) of its nearest map points.
PlacedPairs placeImagePairs(Model& model, const TsneMap& map, int layer, FeaturePooling pooling,
                            const std::vector<int64_t>& labels, const std::vector<int64_t>& predictions,
                            const torch::Tensor& clean, const torch::Tensor& adversarial,
                            const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// The same into the Embedding tab's map: `map` must hold a finished
// t-SNE map of the model's features (Error otherwise, in one line).
std::shared_ptr<const PlacedPairs> placePairs(Model& model, const Embedding& map, const torch::Tensor& clean,
                                              const torch::Tensor& adversarial, const JobContext& job);

// The commonest class among the first kNearest of `neighbours` (one placed
// point's row of map indices, nearest first): by label where there is one,
// else by prediction; a tie goes to the class met first.
void nameSurroundings(PlacedImage& image, const torch::Tensor& neighbours, const std::vector<int64_t>& labels,
                      const std::vector<int64_t>& predictions);

// The flow between the map's clusters: for each (class around the clean
// image, class around the adversarial one) that differ, how many pairs;
// most first.
struct ClusterFlow {
    int64_t from = -1, to = -1;
    int count = 0;
};
std::vector<ClusterFlow> clusterFlow(const PlacedPairs& pairs);
// " · moved between clusters: 4 → 9 (12), 7 → 3 (8), 1 → 8 (3)" (the three
// largest), or " · none left its cluster".
QString flowText(const PlacedPairs& pairs, const std::function<QString(int64_t)>& className);

// "among 3s (9 of 10 nearest)".
QString nearText(const PlacedImage& image, const QString& className);

} // namespace convscope
