#pragma once

// New points placed into a finished t-SNE map that stays as it is: openTSNE's
// TSNEEmbedding.transform (Poličar, Stražar & Zupan 2019). Each new point i
//   * is projected by the map's PCA, if t-SNE reduced its data first;
//   * takes its k = min(N, ⌈3·perplexity⌉) exact nearest neighbours among the
//     map's N points there, with the map's own perplexity (clamped to N/3),
//     and P_j|i from them as t-SNE's rows (bisected bandwidth, sum 1);
//   * starts at the median of its nearest `initNeighbours` map positions
//     (openTSNE's "median" initialization, per coordinate);
//   * descends its own KL(P_i || Q_i), Q_i = w_ij / Σ_j w_ij over the map's
//     points alone, w = 1/(1 + d²): the map's points do not move and the new
//     points do not see one another, so each point's result is the same
//     whichever other points are placed with it.
// The step follows openTSNE's transform defaults: 250 iterations at learning
// rate 0.1, momentum 0.8, delta-bar-delta gains as tsne(), and each point's
// gradient clipped to norm 0.25, so that a point started on top of map points
// does not shoot off; but no exaggeration, where openTSNE's 1.5 goes with its
// perplexity 5: at the map's own perplexity, 1 placed LeNet-5 digits taken
// out of their map back nearer their old places (median 0.28-0.29 of the
// distance to the 5th map neighbour against 0.40-0.41; 95.8-96.6 % within it
// against 93.6-95.0 %; tests/test_tsne_transform.cpp on three samples of 1500
// digits). The gradient is openTSNE's:
//   g_i = α Σ_j p_j|i w_ij (y_i - y_j) - Σ_j w_ij² (y_i - y_j) / Σ_j w_ij,
// half of dKL_i/dy_i (at α = 1), and the step is learningRate × gains × g_i.
// The sums over the map are exact (O(N) per point and iteration) up to
// kAutoExactMax map points, and Barnes-Hut above, on a quadtree of the fixed
// map built once.
//
// Deterministic: same map, same points, same options, same result, for any
// number of threads.

#include "core/progress.h"
#include "core/tsne.h"

#include <torch/script.h>

#include <cstdint>

namespace convscope {

// What placement needs of a t-SNE run.
struct TsneMap {
    torch::Tensor reference;     // [N, D'] float: the map's points where t-SNE found neighbours (after its PCA)
    torch::Tensor embedding;     // [N, 2] float: their places in the map
    double perplexity = 30;      // the map's (TsneResult::perplexity)
    torch::Tensor pcaMean;       // [D] float; undefined or empty: no reduction, D' = D
    torch::Tensor pcaComponents; // [D', D] float
};

// The map of tsne(features, ...)'s `result`: features [N, D] as given to tsne().
TsneMap tsneMap(const torch::Tensor& features, const TsneResult& result);
// The map less point `index` (the others keep their places).
TsneMap withoutPoint(const TsneMap& map, int64_t index);

struct PlacementOptions {
    int64_t iterations = 250;
    double learningRate = 0.1;
    double exaggeration = 1;       // > 1 pulls each point harder towards its neighbours
    double momentum = 0.8;
    double maxGradNorm = 0.25;     // each point's gradient clipped to this norm; <= 0: never
    int64_t initNeighbours = 25;   // the start is the median of this many nearest map positions
    // Auto: Exact up to kAutoExactMax map points, Barnes-Hut above.
    enum class Repulsion { Auto, Exact, BarnesHut } repulsion = Repulsion::Auto;
    double theta = 0.5;            // Barnes-Hut: a cell of side s at distance d is one charge when s/d < theta
    int threads = 0;               // > 0: at most this many; 0: LibTorch's
    static constexpr int64_t kAutoExactMax = 10000;
};

struct Placement {
    torch::Tensor embedding;  // [M, 2] float
    torch::Tensor neighbours; // [M, k] int64: indices into the map, nearest first
    double perplexity = 0;    // as used (after clamping)
    double kl = 0;            // mean over the new points of KL(P_i || Q_i)
    int64_t iterations = 0;   // iterations done
    PlacementOptions::Repulsion repulsion = PlacementOptions::Repulsion::Auto; // as used (never Auto)
    double seconds = 0;
    bool cancelled = false;
};

// Places newFeatures [M, D] (D as the features given to tsne()) into `map`.
// Throws Error for an empty or malformed map, a perplexity below 1, another
// number of features or non-finite values. A cancel before the optimization
// throws Cancelled; during it, returns the current places with cancelled = true.
Placement placeInMap(const TsneMap& map, const torch::Tensor& newFeatures, const PlacementOptions& options = {},
                     const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

namespace tsne_detail {

// The k nearest rows of `reference` [N, D] for each row of `queries` [M, D]
// (a query equal to a reference row finds it first): blocked matmuls and
// topk as nearestNeighbours, distances exact in double.
Neighbours queryNeighbours(const torch::Tensor& queries, const torch::Tensor& reference, int64_t k,
                           const CancelFlag* cancel = nullptr);

// g_i above for `points` [M, 2] against the fixed map [N, 2], with P_j|i
// ([M, k] double) over the map points `neighbours` ([M, k] int64); theta 0:
// the exact sums. [M, 2] double.
torch::Tensor placementGradient(const torch::Tensor& map, const torch::Tensor& neighbours,
                                const torch::Tensor& conditional, const torch::Tensor& points,
                                double exaggeration = 1, double theta = 0);

} // namespace tsne_detail
} // namespace convscope
