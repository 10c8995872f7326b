#pragma once

// Feature embeddings (issue 9): exact PCA and t-SNE, Qt-free.
//
// t-SNE (van der Maaten & Hinton 2008) as the fast implementations do it:
//   * PCA to `pcaDimensions` (50) first when the data has more dimensions,
//     and the first two principal components, scaled so the first has
//     standard deviation 1e-4, as the initialization (Kobak & Berens 2019).
//   * Input affinities over the k = min(N-1, 3·perplexity) exact nearest
//     neighbours (van der Maaten 2014), each row's Gaussian bandwidth found by
//     bisection so that its entropy is log(perplexity); P = (P_j|i + P_i|j)/2N,
//     sparse. The neighbours come from blocked squared-distance matmuls plus
//     topk: O(N²·D) flops and O(N·k) memory, the products by oneDNN inside
//     LibTorch (Debian's reference BLAS was 8× slower). Above 20,000 points
//     an HNSW graph (hnswlib) finds them instead: 10 s for 70,000 augmented
//     digits on 2 cores, against over a minute exactly, with 99.6 % found.
//   * Gradient descent with early exaggeration 12 for 250 iterations, learning
//     rate max(200, N/12) (Belkina et al. 2019), momentum 0.5 then 0.8, and
//     delta-bar-delta gains (+0.2 / ×0.8, at least 0.01; Jacobs 1988, as in
//     bhtsne). The step is learningRate × gains × gradient/4: the bhtsne,
//     FIt-SNE and openTSNE convention those learning rates are tuned for
//     (scikit-learn keeps the 4 and divides its 'auto' rate by 4 instead).
//   * Repulsion exact (O(N²), up to 500 points), Barnes-Hut (van der Maaten
//     2014; θ = 0.5, O(N log N)) by default above, or FFT-accelerated
//     interpolation (Linderman et al. 2019, FIt-SNE) on request. Barnes-Hut
//     walks the quadtree once per leaf of 32 points and sums the shared list
//     four lanes at a time; on 2 cores here it beat our FIt-SNE at 5000 to
//     70,000 points (FIt-SNE's FFT grid has 3 nodes per unit of the map's
//     extent, at least 150 per side, and grows as the map spreads).
//     Both are within a few per cent of the exact sums (tests/test_tsne.cpp).
//   * Every 250 iterations the points are renumbered in the map's quadtree
//     order, so that the attraction reads neighbours that are near in memory.
//   * KL divergence reported every `reportEvery` iterations and at the end:
//     exact over P's non-zeros, with Q's normalization Z from the same
//     repulsion method as the gradient (exact Z with Repulsion::Exact).
//
// Nothing is random with the PCA initialization: same input, same options,
// same result, for any number of threads (per-point sums are reduced in a
// fixed order).

#include "core/pca.h"
#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace convscope {

struct TsneOptions {
    // Clamped to (N-1)/3 when larger (as openTSNE does), so that 3·perplexity
    // neighbours exist; TsneResult::perplexity says what was used.
    double perplexity = 30;
    int64_t iterations = 1000;             // in total, exaggeration phase included
    int64_t exaggerationIterations = 250;
    double exaggeration = 12;
    double learningRate = -1;              // -1: max(200, N/12) (Belkina et al. 2019)
    double momentumEarly = 0.5, momentumLate = 0.8; // switched when exaggeration ends
    int64_t pcaDimensions = 50;            // reduce to this many first when D is larger; 0: never
    enum class Init { Pca, Random } init = Init::Pca; // Random: Gaussian, std 1e-4, from `seed`
    // Auto: Exact up to kAutoExactMax points, Barnes-Hut above (faster than
    // Fft at every size measured here, 5000 to 70,000; see the header).
    enum class Repulsion { Auto, Exact, BarnesHut, Fft } repulsion = Repulsion::Auto;
    // Auto: exact up to kAutoExactNeighboursMax points, HNSW above.
    enum class Neighbours { Auto, Exact, Approximate } neighbours = Neighbours::Auto;
    double theta = 0.5;                    // Barnes-Hut: a cell of side s at distance d is one charge when s/d < theta
    uint64_t seed = 0;                     // only used by Init::Random
    int64_t reportEvery = 10;              // preview + KL every so many iterations; <= 0: only at the end
    int threads = 0;                       // > 0: at most this many for the per-point loops; 0: LibTorch's
    static constexpr int64_t kAutoExactMax = 500;
    static constexpr int64_t kAutoExactNeighboursMax = 20000;
};

struct TsneResult {
    torch::Tensor embedding;               // [N, 2] float
    double kl = 0;                         // KL(P || Q) of the returned embedding
    std::vector<std::pair<int64_t, double>> klCurve; // (iterations done, KL)
    double perplexity = 0;                 // as used (after clamping)
    double secondsPca = 0, secondsNeighbours = 0, secondsAffinities = 0, secondsOptimization = 0;
    bool cancelled = false;
    int64_t iterations = 0;                // iterations done
    TsneOptions::Repulsion repulsion = TsneOptions::Repulsion::Auto; // the method used (never Auto)
    bool approximateNeighbours = false;    // HNSW was used
    // The PCA that reduced x first, when it did (undefined tensors otherwise):
    // neighbours were found among (x - pcaMean) · pcaComponentsᵀ, which is
    // where core/tsne_transform.h places new points.
    torch::Tensor pcaMean;                 // [D] float
    torch::Tensor pcaComponents;           // [pcaDimensions, D] float
};

// What Auto means for n points; other requests are returned as they are.
TsneOptions::Repulsion repulsionMethod(TsneOptions::Repulsion requested, int64_t n);
std::string repulsionName(TsneOptions::Repulsion method); // "exact", "barnes-hut", "fft", "auto"
TsneOptions::Repulsion repulsionFromName(const std::string& name); // Error for another name
TsneOptions::Neighbours neighboursFromName(const std::string& name); // "auto", "exact", "approximate"

// Called every reportEvery iterations with the current embedding [N, 2] float
// (a copy the callee may keep) and its KL.
using TsnePreview = std::function<void(int64_t iteration, const torch::Tensor& embedding, double kl)>;

// t-SNE of x [N, D]. Throws Error for fewer than 5 points, non-finite values,
// perplexity < 1 or all points identical. A cancel during PCA, neighbours or
// affinities throws Cancelled; during the optimization it returns the current
// embedding with cancelled = true.
TsneResult tsne(const torch::Tensor& x, const TsneOptions& options = {}, const TsnePreview& preview = {},
                const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// The pieces, exposed for tests and benchmarks. Embeddings are N×2 doubles,
// interleaved (x0, y0, x1, y1, ...).
namespace tsne_detail {

struct Neighbours {
    torch::Tensor indices;     // [N, k] int64, nearest first, never the point itself
    torch::Tensor sqDistances; // [N, k] double, exact squared Euclidean distances
};
Neighbours nearestNeighbours(const torch::Tensor& x, int64_t k, const CancelFlag* cancel = nullptr);
// The same from an HNSW graph (hnswlib): O(N log N), nearly all of the exact
// neighbours; their distances are exact. Deterministic (built on one thread).
Neighbours approximateNeighbours(const torch::Tensor& x, int64_t k, const CancelFlag* cancel = nullptr);

// Row i: P_j|i ∝ exp(-beta_i d_ij) with beta_i bisected until the row's entropy
// (natural log) is within 1e-7 of log(perplexity). [N, k] double, rows sum to 1.
torch::Tensor conditionalAffinities(const torch::Tensor& sqDistances, double perplexity, int threads = 0);

// Symmetric sparse P in CSR form; the values sum to 1.
struct SparseAffinities {
    int64_t n = 0;
    std::vector<int64_t> rowStart; // n + 1
    std::vector<int64_t> col;
    std::vector<double> p;
};
SparseAffinities symmetrize(const torch::Tensor& indices, const torch::Tensor& conditional);
torch::Tensor toDense(const SparseAffinities& P); // [N, N] double

// Σ_{j≠i} w_ij² (y_i - y_j) per point ([2N]) and Z = Σ_{i≠j} w_ij, w_ij = 1/(1+|y_i-y_j|²).
struct Repulsion {
    std::vector<double> force;
    double z = 0;
};
Repulsion repulsionExact(const std::vector<double>& y, int threads = 0);
// Barnes-Hut on a quadtree: cells with side/distance < theta act as one charge
// at their centre of mass. O(N log N) per call.
Repulsion repulsionBarnesHut(const std::vector<double>& y, double theta = 0.5, int threads = 0);
// FIt-SNE: the kernels w and w² between interpolation nodes on an equispaced grid
// (`intervalsPerUnit` boxes per unit of the embedding, at least `minIntervals`
// per side, `nodesPerInterval` Lagrange nodes in each), convolved by FFT.
struct FftOptions {
    int64_t nodesPerInterval = 3;
    double intervalsPerUnit = 1;
    int64_t minIntervals = 50;
};
Repulsion repulsionFft(const std::vector<double>& y, const FftOptions& options = {}, int threads = 0);

// The points in quadtree order (nearby points together): the optimization
// renumbers the points in this order now and then, so that each point's
// neighbours in P are mostly near it in memory too.
std::vector<int64_t> spatialOrder(const std::vector<double>& y);
// P with its points renumbered: point order[k] becomes k.
SparseAffinities permuted(const SparseAffinities& P, const std::vector<int64_t>& order);

// P in single precision, for the optimization's hot loop.
struct CompactAffinities {
    int64_t n = 0;
    std::vector<int64_t> rowStart;
    std::vector<int32_t> col;
    std::vector<float> p;
};
CompactAffinities compact(const SparseAffinities& P);
// Σ_j p_ij w_ij (y_i - y_j) per point ([2N]), summed in single precision.
std::vector<double> attraction(const CompactAffinities& P, const std::vector<double>& y, int threads = 0);

// The exact gradient dKL/dY = 4 Σ_j (α p_ij - q_ij) w_ij (y_i - y_j) ([2N]) with
// attraction over P's non-zeros and the repulsion given; the KL when asked
// (NaN otherwise; α = exaggeration scales P in the gradient only).
struct Gradient {
    std::vector<double> grad;
    double kl = 0;
};
Gradient klGradient(const SparseAffinities& P, const std::vector<double>& y, const Repulsion& repulsion,
                    double exaggeration, bool computeKl, int threads = 0);

// Dense reference: KL(P || Q) and its gradient for P [N, N] (symmetric, zero
// diagonal, sum 1) and Y [N, 2], both double, by plain tensor algebra.
std::pair<double, torch::Tensor> denseKlAndGradient(const torch::Tensor& P, const torch::Tensor& Y);

} // namespace tsne_detail
} // namespace convscope
