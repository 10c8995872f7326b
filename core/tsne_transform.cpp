#include "core/tsne_transform.h"

#include "core/error.h"
#include "core/pca.h"
#include "core/tsne_internal.h"
#include "core/tsne_quadtree.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

namespace convscope {

using namespace tsne_internal;

namespace {

// Between progress reports and cancel checks each point takes its steps on
// its own, as many as take about kChunkSeconds (at most kMaxChunkSteps; the
// first chunk, one step, measures the pace). Few chunks matter on a busy
// machine: each parallel region waited a scheduler slice for a thread whose
// core another process held (10-step chunks: 0.31 s for 100 points that took
// 0.03 s on idle cores). The places do not depend on the chunks.
constexpr double kChunkSeconds = 0.05;
constexpr int64_t kMaxChunkSteps = 50;

// The repulsion the fixed map exerts anywhere: Σ_j w, Σ_j w² (y - y_j) over
// its points, summed exactly or by Barnes-Hut on a quadtree
// (core/tsne_quadtree.h) built once: the map never moves, so the tree serves
// every point and every iteration.
class MapField {
public:
    // Exact sums read the points from a tree of one leaf: in their own order.
    MapField(const std::vector<double>& y, double theta)
        : m_exact(theta <= 0),
          m_tree(y, m_exact ? 1.0 : theta, m_exact ? std::numeric_limits<int64_t>::max() : kLeafSize)
    {
    }

    ChargeSums at(double px, double py, Charges& charges) const
    {
        const auto fx = static_cast<float>(px), fy = static_cast<float>(py);
        if (m_exact)
            return chargeSums(m_tree.xs.data(), m_tree.ys.data(), nullptr, m_tree.xs.size(), fx, fy);
        m_tree.collect(
            [&](const QuadTree::Node& node) {
                const double dx = px - node.cx, dy = py - node.cy;
                return dx * dx + dy * dy;
            },
            charges);
        return chargeSums(charges, fx, fy);
    }

private:
    static constexpr int64_t kLeafSize = 16;

    bool m_exact;
    QuadTree m_tree;
};

// What the gradient of new points reads: their P_j|i rows over the map and
// the map's positions.
struct Problem {
    const MapField& field;
    const std::vector<double>& map; // interleaved x, y
    const int64_t* neighbours;      // [M, k]
    const double* p;                // [M, k]
    int64_t k;
};

// g_i (see the header) of point i at (px, py).
void pointGradient(const Problem& problem, int64_t i, double px, double py, double exaggeration, Charges& charges,
                   double* g)
{
    double ax = 0, ay = 0;
    for (int64_t c = 0; c < problem.k; ++c) {
        const auto j = static_cast<size_t>(problem.neighbours[i * problem.k + c]);
        const double dx = px - problem.map[2 * j], dy = py - problem.map[2 * j + 1];
        const double pw = problem.p[i * problem.k + c] / (1 + dx * dx + dy * dy);
        ax += pw * dx;
        ay += pw * dy;
    }
    const ChargeSums s = problem.field.at(px, py, charges);
    g[0] = exaggeration * ax - s.fx / s.z;
    g[1] = exaggeration * ay - s.fy / s.z;
}

// KL(P_i || Q_i) = Σ_j p log(p / w_ij) + log Z_i, as Σ_j p = 1.
double pointKl(const Problem& problem, int64_t i, double px, double py, Charges& charges)
{
    double kl = 0;
    for (int64_t c = 0; c < problem.k; ++c) {
        const double p = problem.p[i * problem.k + c];
        if (p <= 0)
            continue;
        const auto j = static_cast<size_t>(problem.neighbours[i * problem.k + c]);
        const double dx = px - problem.map[2 * j], dy = py - problem.map[2 * j + 1];
        kl += p * std::log(p * (1 + dx * dx + dy * dy));
    }
    return kl + std::log(problem.field.at(px, py, charges).z);
}

std::vector<double> interleaved(const torch::Tensor& embedding)
{
    auto e = embedding.to(torch::kDouble).contiguous();
    return {e.data_ptr<double>(), e.data_ptr<double>() + e.numel()};
}

bool hasPca(const TsneMap& map)
{
    return map.pcaMean.defined() && map.pcaMean.numel() > 0;
}

// x in the space the map's neighbours were found in.
torch::Tensor project(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& components)
{
    if (!mean.defined() || mean.numel() == 0)
        return x.to(torch::kFloat).contiguous();
    return (x.to(torch::kDouble) - mean.to(torch::kDouble))
        .mm(components.to(torch::kDouble).t())
        .to(torch::kFloat)
        .contiguous();
}

// Error unless `map` is whole: N >= 1 points, as many places, a PCA that fits.
void checkMap(const TsneMap& map)
{
    const std::string what = "t-SNE placement: ";
    if (!map.reference.defined() || map.reference.dim() != 2 || map.reference.size(0) == 0)
        throw Error(what + "the map is empty");
    const int64_t n = map.reference.size(0);
    if (!map.embedding.defined() || map.embedding.dim() != 2 || map.embedding.size(1) != 2 ||
        map.embedding.size(0) != n)
        throw Error(what + "the map has " + std::to_string(n) + " points but " +
                    (map.embedding.defined() ? std::to_string(map.embedding.size(0)) : std::string("no")) +
                    " places for them in 2-D");
    if (hasPca(map) && (!map.pcaComponents.defined() || map.pcaComponents.dim() != 2 ||
                        map.pcaComponents.size(0) != map.reference.size(1) ||
                        map.pcaComponents.size(1) != map.pcaMean.size(0)))
        throw Error(what + "the map's PCA does not fit its " + std::to_string(map.reference.size(1)) +
                    "-dimensional points");
    if (!(map.perplexity >= 1))
        throw Error(what + "the map's perplexity must be at least 1, got " + std::to_string(map.perplexity));
}

} // namespace

TsneMap tsneMap(const torch::Tensor& features, const TsneResult& result)
{
    requireFiniteMatrix(features, "t-SNE map");
    if (!result.embedding.defined() || result.embedding.size(0) != features.size(0))
        throw Error("t-SNE map: " + std::to_string(features.size(0)) + " points but a map of " +
                    (result.embedding.defined() ? std::to_string(result.embedding.size(0)) : std::string("none")));
    TsneMap map;
    map.reference = project(features, result.pcaMean, result.pcaComponents);
    map.embedding = result.embedding.to(torch::kFloat).contiguous();
    map.perplexity = result.perplexity;
    map.pcaMean = result.pcaMean;
    map.pcaComponents = result.pcaComponents;
    return map;
}

TsneMap withoutPoint(const TsneMap& map, int64_t index)
{
    const int64_t n = map.reference.size(0);
    if (index < 0 || index >= n)
        throw Error("t-SNE map: no point " + std::to_string(index) + " among " + std::to_string(n));
    auto others = torch::cat({torch::arange(index, torch::kLong), torch::arange(index + 1, n, torch::kLong)});
    TsneMap out = map;
    out.reference = map.reference.index_select(0, others);
    out.embedding = map.embedding.index_select(0, others);
    return out;
}

namespace tsne_detail {

Neighbours queryNeighbours(const torch::Tensor& queries, const torch::Tensor& reference, int64_t k,
                           const CancelFlag* cancel)
{
    const int64_t m = queries.size(0), n = reference.size(0), d = reference.size(1);
    if (k < 1 || k > n)
        throw Error("t-SNE placement: " + std::to_string(k) + " neighbours asked of " + std::to_string(n) +
                    " map points");
    auto qf = queries.to(torch::kFloat).contiguous(), rf = reference.to(torch::kFloat).contiguous();
    auto qd = queries.to(torch::kDouble).contiguous();
    auto norms = rf.pow(2).sum(1).unsqueeze(0);
    // oneDNN for the products when it pays (see innerProducts).
    const bool mkldnn = at::hasMKLDNN() && m * n * d > (int64_t(1) << 22);
    auto rm = mkldnn ? rf.to_mkldnn() : torch::Tensor();
    Neighbours r{torch::empty({m, k}, torch::kLong), torch::empty({m, k}, torch::kDouble)};
    const double* q = qd.data_ptr<double>();
    // A float reference (a map's) is read as it is, each value widened: a
    // double copy of it all (28 MB for 70,000 x 50) cost more than the products.
    auto rx = reference.scalar_type() == torch::kFloat ? rf : reference.to(torch::kDouble).contiguous();
    // Blocks of queries keep the [rows, N] scores near 8 MB.
    const int64_t block = std::max<int64_t>(16, (int64_t(1) << 21) / n);
    for (int64_t start = 0; start < m; start += block) {
        throwIfCancelled(cancel);
        const int64_t b = std::min(block, m - start);
        // |q - x_j|² - |q|² ranks q's neighbours as the distance does.
        auto scores = innerProducts(qf.narrow(0, start, b), rf, rm).mul_(-2).add_(norms);
        auto chosen = std::get<1>(scores.topk(k, 1, /*largest=*/false, /*sorted=*/false)).contiguous();
        if (rx.scalar_type() == torch::kFloat)
            exactSorted(q, rx.data_ptr<float>(), d, start, b, k, chosen.data_ptr<int64_t>(), r);
        else
            exactSorted(q, rx.data_ptr<double>(), d, start, b, k, chosen.data_ptr<int64_t>(), r);
    }
    return r;
}

torch::Tensor placementGradient(const torch::Tensor& map, const torch::Tensor& neighbours,
                                const torch::Tensor& conditional, const torch::Tensor& points, double exaggeration,
                                double theta)
{
    const std::vector<double> y = interleaved(map);
    const MapField field(y, theta);
    auto nb = neighbours.to(torch::kLong).contiguous();
    auto p = conditional.to(torch::kDouble).contiguous();
    auto pts = points.to(torch::kDouble).contiguous();
    const Problem problem{field, y, nb.data_ptr<int64_t>(), p.data_ptr<double>(), nb.size(1)};
    auto out = torch::empty({pts.size(0), 2}, torch::kDouble);
    const double* in = pts.data_ptr<double>();
    double* g = out.data_ptr<double>();
    Charges charges;
    for (int64_t i = 0; i < pts.size(0); ++i)
        pointGradient(problem, i, in[2 * i], in[2 * i + 1], exaggeration, charges, g + 2 * i);
    return out;
}

} // namespace tsne_detail

Placement placeInMap(const TsneMap& map, const torch::Tensor& newFeatures, const PlacementOptions& options,
                     const ProgressFn& progress, const CancelFlag* cancel)
{
    using namespace tsne_detail;
    const auto t0 = std::chrono::steady_clock::now();
    checkMap(map);
    requireFiniteMatrix(newFeatures, "t-SNE placement");
    const int64_t n = map.reference.size(0), m = newFeatures.size(0);
    const int64_t features = hasPca(map) ? map.pcaMean.size(0) : map.reference.size(1);
    if (newFeatures.size(1) != features)
        throw Error("t-SNE placement: the new points have " + std::to_string(newFeatures.size(1)) +
                    " features, the map's points " + std::to_string(features));
    if (options.iterations < 0)
        throw Error("t-SNE placement: the iteration count cannot be negative");
    auto report = [&](double fraction, const std::string& stage) {
        if (progress)
            progress(fraction, stage);
    };

    Placement result;
    result.perplexity = std::max(1.0, std::min(map.perplexity, static_cast<double>(n) / 3));
    const int64_t k = std::min<int64_t>(n, static_cast<int64_t>(std::ceil(3 * result.perplexity)));
    result.repulsion = options.repulsion != PlacementOptions::Repulsion::Auto ? options.repulsion
                       : n <= PlacementOptions::kAutoExactMax              ? PlacementOptions::Repulsion::Exact
                                                                           : PlacementOptions::Repulsion::BarnesHut;
    // Each point's work is the same, so one even chunk per thread.
    const int threads = options.threads > 0 ? options.threads : at::get_num_threads();

    report(0, "neighbours");
    throwIfCancelled(cancel);
    const auto nb = queryNeighbours(project(newFeatures, map.pcaMean, map.pcaComponents), map.reference, k, cancel);
    report(0, "affinities");
    throwIfCancelled(cancel);
    const auto p = conditionalAffinities(nb.sqDistances, result.perplexity, options.threads).contiguous();
    result.neighbours = nb.indices;

    const std::vector<double> mapY = interleaved(map.embedding);
    const MapField field(mapY, result.repulsion == PlacementOptions::Repulsion::BarnesHut ? options.theta : 0.0);
    const Problem problem{field, mapY, nb.indices.data_ptr<int64_t>(), p.data_ptr<double>(), k};

    // openTSNE's "median": per coordinate, of the nearest map positions.
    const int64_t initCount = std::clamp<int64_t>(options.initNeighbours, 1, k);
    std::vector<double> y(static_cast<size_t>(2 * m)), update(y.size(), 0.0), gains(y.size(), 1.0);
    forPoints(m, threads, [&](int64_t first, int64_t last) {
        std::vector<double> values(static_cast<size_t>(initCount));
        for (int64_t i = first; i < last; ++i) {
            for (int c = 0; c < 2; ++c) {
                for (int64_t e = 0; e < initCount; ++e)
                    values[static_cast<size_t>(e)] =
                        mapY[static_cast<size_t>(2 * problem.neighbours[i * k + e] + c)];
                std::sort(values.begin(), values.end());
                const size_t mid = static_cast<size_t>(initCount / 2);
                y[static_cast<size_t>(2 * i + c)] =
                    initCount % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
            }
        }
    });

    int64_t it = 0, chunk = 1;
    while (it < options.iterations) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            result.cancelled = true;
            break;
        }
        report(static_cast<double>(it) / static_cast<double>(options.iterations), "placing");
        const int64_t steps = std::min(chunk, options.iterations - it);
        const auto chunkStart = std::chrono::steady_clock::now();
        // The points are independent: each takes its steps on its own.
        forPoints(m, threads, [&](int64_t first, int64_t last) {
            Charges charges;
            for (int64_t i = first; i < last; ++i) {
                double* yi = &y[static_cast<size_t>(2 * i)];
                double* ui = &update[static_cast<size_t>(2 * i)];
                double* gi = &gains[static_cast<size_t>(2 * i)];
                for (int64_t s = 0; s < steps; ++s) {
                    double g[2];
                    pointGradient(problem, i, yi[0], yi[1], options.exaggeration, charges, g);
                    const double norm = std::hypot(g[0], g[1]);
                    if (options.maxGradNorm > 0 && norm > options.maxGradNorm) {
                        const double scale = options.maxGradNorm / (norm + 1e-6); // openTSNE's clip
                        g[0] *= scale;
                        g[1] *= scale;
                    }
                    for (int c = 0; c < 2; ++c) {
                        gi[c] = (g[c] > 0) != (ui[c] > 0) ? gi[c] + 0.2 : std::max(gi[c] * 0.8, 0.01);
                        ui[c] = options.momentum * ui[c] - options.learningRate * gi[c] * g[c];
                        yi[c] += ui[c];
                    }
                }
            }
        });
        it += steps;
        const double seconds = std::max(secondsSince(chunkStart), 1e-6);
        chunk = std::clamp<int64_t>(static_cast<int64_t>(static_cast<double>(steps) * kChunkSeconds / seconds), 1,
                                    kMaxChunkSteps);
    }
    result.iterations = it;

    std::vector<double> kl(static_cast<size_t>(m));
    forPoints(m, threads, [&](int64_t first, int64_t last) {
        Charges charges;
        for (int64_t i = first; i < last; ++i)
            kl[static_cast<size_t>(i)] =
                pointKl(problem, i, y[static_cast<size_t>(2 * i)], y[static_cast<size_t>(2 * i + 1)], charges);
    });
    result.kl = m > 0 ? sumInOrder(kl) / static_cast<double>(m) : 0.0;
    result.embedding = m > 0 ? torch::from_blob(y.data(), {m, 2}, torch::kDouble).to(torch::kFloat)
                             : torch::zeros({0, 2}, torch::kFloat);
    result.seconds = secondsSince(t0);
    report(1, "done");
    return result;
}

} // namespace convscope
