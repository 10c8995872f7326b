// PCA and t-SNE (issue 9): PCA against data whose principal axes are known by
// construction; the perplexity search against its entropy target; the KL
// gradient against finite differences; the FFT repulsion against the exact
// sums; and whole runs for what t-SNE promises (KL falls, separated clusters
// stay together, same input same map, preview and cancel).

#include "core/class_colours.h"
#include "core/error.h"
#include "core/tsne.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

using namespace convscope;
using namespace convscope::tsne_detail;
using convscope::test::errorOf;

namespace {

// A fixed orthogonal d×d matrix (columns are the axes).
torch::Tensor rotation(int64_t d, uint64_t seed)
{
    torch::manual_seed(seed);
    return std::get<0>(at::linalg_qr(torch::randn({d, d}, torch::kDouble)));
}

// `perCluster` points around each of `clusters` centres 20 units apart (unit noise), and their labels.
std::pair<torch::Tensor, torch::Tensor> clusters(int64_t count, int64_t perCluster, int64_t d, uint64_t seed)
{
    torch::manual_seed(seed);
    auto centres = 20 * torch::randn({count, d}) / std::sqrt(2.0 * static_cast<double>(d));
    auto labels = torch::arange(count).repeat_interleave(perCluster);
    return {centres.index_select(0, labels) + torch::randn({count * perCluster, d}), labels};
}

// Leave-one-out majority vote of the k nearest map neighbours.
double knnAccuracy(const torch::Tensor& embedding, const torch::Tensor& labels, int64_t k = 10)
{
    auto nb = nearestNeighbours(embedding, k).indices;
    auto votes = labels.index_select(0, nb.reshape(-1)).view(nb.sizes());
    auto predicted = std::get<0>(votes.mode(1));
    return (predicted == labels).to(torch::kDouble).mean().item<double>();
}

std::vector<double> randomPoints(int64_t n, double scale, uint64_t seed)
{
    torch::manual_seed(seed);
    auto y = (scale * torch::randn({n * 2}, torch::kDouble)).contiguous();
    return {y.data_ptr<double>(), y.data_ptr<double>() + y.numel()};
}

double relativeError(const std::vector<double>& a, const std::vector<double>& b)
{
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff += (a[i] - b[i]) * (a[i] - b[i]);
        norm += b[i] * b[i];
    }
    return std::sqrt(diff / norm);
}

TsneOptions quick(int64_t iterations = 500)
{
    TsneOptions o;
    o.iterations = iterations;
    return o;
}

} // namespace

// ±5 e1, ±2 e2, ±0.5 e3, rotated and shifted: the covariance is R diag(50, 8, 0.5)/5 Rᵀ
// exactly, so the components are R's first columns and the variance fractions 50:8:0.5.
TEST(Pca, RecoversKnownAxesThroughCovarianceAndGram)
{
    for (int64_t d : {3, 10}) { // N = 6 >= D: covariance; N = 6 < D: Gram matrix
        SCOPED_TRACE(d);
        auto r = rotation(d, 1);
        auto z = torch::zeros({6, d}, torch::kDouble);
        const double half[3] = {5, 2, 0.5};
        for (int64_t a = 0; a < 3; ++a) {
            z[2 * a][a] = half[a];
            z[2 * a + 1][a] = -half[a];
        }
        auto shift = torch::linspace(-3, 3, d, torch::kDouble);
        auto result = pca(z.mm(r.t()) + shift, 3);

        EXPECT_TRUE(torch::allclose(result.mean.to(torch::kDouble), shift, 1e-5, 1e-5));
        for (int64_t a = 0; a < 3; ++a) {
            auto c = result.components[a].to(torch::kDouble);
            EXPECT_NEAR(std::abs(c.dot(r.select(1, a)).item<double>()), 1.0, 1e-6);
            EXPECT_GT(c[c.abs().argmax()].item<double>(), 0); // the sign rule
            EXPECT_NEAR(result.explainedVariance[a], half[a] * half[a] / (25 + 4 + 0.25), 1e-9);
            EXPECT_NEAR(result.projected[2 * a][a].abs().item<double>(), half[a], 1e-5);
        }
    }
    EXPECT_EQ(errorOf([] { pca(torch::randn({6, 10}), 6); }),
              "PCA of 6 points in 10 dimensions gives 1 to 5 components, not 6");
}

TEST(Tsne, PerplexityCalibrationHitsTheEntropy)
{
    torch::manual_seed(3);
    auto x = torch::randn({300, 10});
    for (double perplexity : {5.0, 30.0}) {
        auto nb = nearestNeighbours(x, static_cast<int64_t>(3 * perplexity));
        auto p = conditionalAffinities(nb.sqDistances, perplexity);
        auto entropy = -(p * p.clamp_min(1e-300).log()).sum(1);
        EXPECT_LT((p.sum(1) - 1).abs().max().item<double>(), 1e-12);
        EXPECT_LT((entropy - std::log(perplexity)).abs().max().item<double>(), 1e-5) << perplexity;
    }
}

TEST(Tsne, NeighboursAndAffinitiesAreExactAndSymmetric)
{
    torch::manual_seed(4);
    auto x = torch::randn({120, 7}, torch::kDouble);
    auto nb = nearestNeighbours(x, 15);
    auto all = torch::cdist(x, x).pow(2);
    all.fill_diagonal_(std::numeric_limits<double>::infinity());
    auto [expected, expectedIdx] = all.topk(15, 1, false, true);
    EXPECT_TRUE(torch::allclose(nb.sqDistances, expected, 1e-9, 1e-9));
    EXPECT_TRUE(torch::equal(nb.indices, expectedIdx));

    auto P = toDense(symmetrize(nb.indices, conditionalAffinities(nb.sqDistances, 5)));
    EXPECT_NEAR(P.sum().item<double>(), 1.0, 1e-12);
    EXPECT_TRUE(torch::allclose(P, P.t(), 0, 1e-15));
    EXPECT_EQ(P.diagonal().abs().max().item<double>(), 0.0);
}

TEST(Tsne, ExactGradientMatchesFiniteDifferences)
{
    torch::manual_seed(5);
    auto P = torch::rand({12, 12}, torch::kDouble);
    P = P + P.t();
    P.fill_diagonal_(0);
    P /= P.sum();
    auto Y = torch::randn({12, 2}, torch::kDouble);
    auto [kl, grad] = denseKlAndGradient(P, Y);
    const double h = 1e-6;
    for (int64_t i = 0; i < 12; ++i) {
        for (int64_t c = 0; c < 2; ++c) {
            auto plus = Y.clone(), minus = Y.clone();
            plus[i][c] += h;
            minus[i][c] -= h;
            const double numeric = (denseKlAndGradient(P, plus).first - denseKlAndGradient(P, minus).first) / (2 * h);
            EXPECT_NEAR(grad[i][c].item<double>(), numeric, 1e-7) << i << "," << c;
        }
    }
    EXPECT_GT(kl, 0);
}

// The optimizer's gradient (sparse attraction + exact repulsion) is the dense one.
TEST(Tsne, SparseGradientAndKlEqualTheDenseOnes)
{
    torch::manual_seed(6);
    auto x = torch::randn({80, 5});
    auto nb = nearestNeighbours(x, 30);
    auto P = symmetrize(nb.indices, conditionalAffinities(nb.sqDistances, 10));
    auto y = randomPoints(80, 2, 7);
    auto g = klGradient(P, y, repulsionExact(y), 1.0, true);
    auto Y = torch::from_blob(y.data(), {80, 2}, torch::kDouble);
    auto [kl, grad] = denseKlAndGradient(toDense(P), Y);
    EXPECT_NEAR(g.kl, kl, 1e-12 * kl);
    auto sparse = torch::from_blob(g.grad.data(), {80, 2}, torch::kDouble);
    EXPECT_TRUE(torch::allclose(sparse, grad, 1e-10, 1e-14));
}

// FIt-SNE's interpolation against the exact sums, from a map at initialization
// scale to one wider than the 50-interval minimum. With its defaults (3 nodes
// per unit interval) the forces are within a few per cent, as in FIt-SNE; five
// nodes cut the error about tenfold (the interpolation converges).
TEST(Tsne, FftRepulsionMatchesExactSums)
{
    struct Case {
        double scale, zTolerance, forceTolerance;
    };
    for (const Case& c : {Case{1e-4, 1e-5, 1e-5}, Case{1, 1e-5, 2e-4}, Case{10, 5e-3, 5e-2}, Case{40, 3e-2, 6e-2}}) {
        SCOPED_TRACE(c.scale);
        auto y = randomPoints(2000, c.scale, 8);
        auto exact = repulsionExact(y);
        auto fft = repulsionFft(y);
        EXPECT_LT(std::abs(fft.z - exact.z) / exact.z, c.zTolerance);
        EXPECT_LT(relativeError(fft.force, exact.force), c.forceTolerance);
        auto fine = repulsionFft(y, FftOptions{5, 1, 50});
        EXPECT_LT(std::abs(fine.z - exact.z) / exact.z, c.zTolerance / 10);
        EXPECT_LT(relativeError(fine.force, exact.force), c.forceTolerance / 5);
    }
}

// Barnes-Hut against the exact sums: within a per cent or so at θ = 0.5 on
// clustered and spread maps, and exact (to single precision) when θ is so
// small that no cell is ever far enough.
TEST(Tsne, BarnesHutRepulsionMatchesExactSums)
{
    for (double scale : {1e-4, 1.0, 10.0, 40.0}) {
        SCOPED_TRACE(scale);
        auto y = randomPoints(3000, scale, 13);
        auto exact = repulsionExact(y);
        auto bh = repulsionBarnesHut(y, 0.5);
        EXPECT_LT(std::abs(bh.z - exact.z) / exact.z, 1e-2);
        EXPECT_LT(relativeError(bh.force, exact.force), 3e-2);
        auto all = repulsionBarnesHut(y, 1e-9);
        EXPECT_LT(std::abs(all.z - exact.z) / exact.z, 1e-5);
        EXPECT_LT(relativeError(all.force, exact.force), 1e-4);
    }
    // Coincident points end in a leaf at the depth cap instead of splitting forever.
    std::vector<double> same(2 * 100, 3.0);
    same[0] = -5;
    auto exact = repulsionExact(same);
    auto bh = repulsionBarnesHut(same, 0.5);
    EXPECT_NEAR(bh.z, exact.z, 1e-4 * exact.z);
}

TEST(Tsne, SinglePrecisionAttractionEqualsTheExactOne)
{
    auto [x, labels] = clusters(4, 200, 10, 14);
    auto nb = nearestNeighbours(x, 30);
    auto P = symmetrize(nb.indices, conditionalAffinities(nb.sqDistances, 10));
    auto y = randomPoints(800, 5, 15);
    Repulsion none{std::vector<double>(y.size(), 0.0), 1.0};
    auto exact = klGradient(P, y, none, 1.0, false);
    auto fast = attraction(compact(P), y);
    for (double& g : exact.grad)
        g /= 4;
    EXPECT_LT(relativeError(fast, exact.grad), 1e-6);
}

TEST(Tsne, RenumberedAffinitiesAreTheSameMatrix)
{
    auto [x, labels] = clusters(3, 40, 6, 16);
    auto nb = nearestNeighbours(x, 15);
    auto P = symmetrize(nb.indices, conditionalAffinities(nb.sqDistances, 5));
    auto order = spatialOrder(randomPoints(120, 1, 17));
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 120; ++i)
        ASSERT_EQ(sorted[static_cast<size_t>(i)], i); // a permutation
    auto index = torch::tensor(order, torch::kLong);
    auto expected = toDense(P).index_select(0, index).index_select(1, index);
    EXPECT_TRUE(torch::equal(toDense(permuted(P, order)), expected));
}

// HNSW finds nearly all of the exact neighbours, never the point itself, and
// gives exact distances, nearest first.
TEST(Tsne, ApproximateNeighboursFindNearlyAllExactOnes)
{
    auto [x, labels] = clusters(10, 300, 20, 18);
    const int64_t k = 30;
    auto exact = nearestNeighbours(x, k);
    auto approx = approximateNeighbours(x, k);
    ASSERT_EQ(approx.indices.sizes().vec(), (std::vector<int64_t>{3000, k}));
    auto ai = approx.indices.accessor<int64_t, 2>();
    auto ad = approx.sqDistances.accessor<double, 2>();
    auto xd = x.to(torch::kDouble);
    int64_t found = 0;
    for (int64_t i = 0; i < 3000; ++i) {
        auto truth = exact.indices[i];
        for (int64_t c = 0; c < k; ++c) {
            ASSERT_NE(ai[i][c], i);
            if (c > 0) {
                ASSERT_LE(ad[i][c - 1], ad[i][c]);
            }
            found += (truth == ai[i][c]).any().item<bool>();
        }
        const double d = (xd[i] - xd[ai[i][k - 1]]).pow(2).sum().item<double>();
        ASSERT_NEAR(ad[i][k - 1], d, 1e-9 * d);
    }
    EXPECT_GE(static_cast<double>(found) / (3000.0 * k), 0.95);
}

TEST(Tsne, KlDecreases)
{
    auto [x, labels] = clusters(4, 60, 10, 9);
    auto r = tsne(x, quick(500));
    ASSERT_EQ(r.klCurve.size(), 50u);
    EXPECT_EQ(r.klCurve.back(), std::make_pair(int64_t(500), r.kl));
    double previous = std::numeric_limits<double>::infinity();
    for (const auto& [iteration, kl] : r.klCurve) {
        if (iteration <= 260) // after the exaggeration, KL of the true P only falls
            continue;
        EXPECT_LE(kl, previous + 1e-4) << iteration;
        previous = kl;
    }
    EXPECT_LT(r.kl, r.klCurve.front().second);
    EXPECT_EQ(r.iterations, 500);
}

TEST(Tsne, SeparatedClustersStayTogether)
{
    auto [x, labels] = clusters(5, 100, 60, 10); // 60-D: reduced to 50 by PCA first
    for (auto method : {TsneOptions::Repulsion::Exact, TsneOptions::Repulsion::BarnesHut, TsneOptions::Repulsion::Fft}) {
        auto o = quick();
        o.repulsion = method;
        auto r = tsne(x, o);
        EXPECT_EQ(r.embedding.sizes().vec(), (std::vector<int64_t>{500, 2}));
        EXPECT_GE(knnAccuracy(r.embedding, labels), 0.98);
        EXPECT_LT(r.kl, 1.5);
    }
}

TEST(Tsne, SameInputSameResult)
{
    auto [x, labels] = clusters(3, 50, 8, 11);
    for (auto method : {TsneOptions::Repulsion::Exact, TsneOptions::Repulsion::Fft}) {
        auto o = quick(method == TsneOptions::Repulsion::Exact ? 300 : 100);
        o.repulsion = method;
        auto a = tsne(x, o);
        o.threads = 1;
        EXPECT_TRUE(torch::equal(a.embedding, tsne(x, o).embedding));
    }

    // Above 500 points: Barnes-Hut, and the points renumbered as the map forms.
    auto [big, bigLabels] = clusters(3, 500, 8, 19);
    auto o = quick(300);
    auto b = tsne(big, o);
    EXPECT_EQ(b.repulsion, TsneOptions::Repulsion::BarnesHut);
    EXPECT_GE(knnAccuracy(b.embedding, bigLabels), 0.98); // rows are back in input order
    o.threads = 1;
    EXPECT_TRUE(torch::equal(b.embedding, tsne(big, o).embedding));
    o.neighbours = TsneOptions::Neighbours::Approximate;
    EXPECT_TRUE(tsne(big, o).approximateNeighbours);

    o = quick(300);
    o.init = TsneOptions::Init::Random;
    o.seed = 1;
    auto r1 = tsne(x, o);
    EXPECT_TRUE(torch::equal(r1.embedding, tsne(x, o).embedding));
    o.seed = 2;
    EXPECT_FALSE(torch::equal(r1.embedding, tsne(x, o).embedding));
}

TEST(Tsne, PreviewsAndCancels)
{
    auto [x, labels] = clusters(3, 30, 8, 12);
    CancelFlag cancel{false};
    std::vector<int64_t> seen;
    auto o = quick();
    o.reportEvery = 25;
    auto r = tsne(
        x, o,
        [&](int64_t iteration, const torch::Tensor& embedding, double kl) {
            seen.push_back(iteration);
            EXPECT_EQ(embedding.sizes().vec(), (std::vector<int64_t>{90, 2}));
            EXPECT_TRUE(std::isfinite(kl));
            if (iteration == 100)
                cancel = true;
        },
        {}, &cancel);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.iterations, 101); // the step after the preview at 100 finishes
    EXPECT_EQ(seen, (std::vector<int64_t>{25, 50, 75, 100, 101}));
    EXPECT_TRUE(torch::isfinite(r.embedding).all().item<bool>());
}

TEST(Tsne, RejectsBadInputAndClampsPerplexity)
{
    EXPECT_EQ(errorOf([] { tsne(torch::randn({4, 3})); }), "t-SNE needs at least 5 points, got 4");
    auto nan = torch::randn({20, 3});
    nan[3][1] = std::nan("");
    EXPECT_EQ(errorOf([&] { tsne(nan); }), "t-SNE: the data contains NaN or infinite values");
    EXPECT_EQ(errorOf([] { tsne(torch::ones({20, 3})); }), "t-SNE: all 20 points are identical");
    TsneOptions o = quick(50);
    o.perplexity = 0.5;
    EXPECT_EQ(errorOf([&] { tsne(torch::randn({20, 3}), o); }), "t-SNE perplexity must be at least 1, got 0.500000");
    o.perplexity = 30;
    EXPECT_DOUBLE_EQ(tsne(torch::randn({20, 3}), o).perplexity, 19.0 / 3);
}

// Classes past 19 (ImageNet's 281, 600) had no colour of their own: every point gray.
TEST(ClassColours, ManyOrLargeClassesTakeTheColoursByFrequency)
{
    // The digits keep their own colours, and unlabeled stays gray.
    const std::vector<int64_t> digits = {3, 0, 9, -1, 3};
    EXPECT_EQ(colourClasses(digits), digits);
    // 600 twice, 281 twice, 7 once: by count, the tie to the lower class.
    EXPECT_EQ(colourClasses({600, 281, 7, 600, 281}), (std::vector<int64_t>{1, 0, 2, 1, 0}));
    // 25 classes: the 20 most frequent are coloured, the 5 rarest gray.
    std::vector<int64_t> many;
    for (int64_t c = 0; c < 25; ++c)
        for (int64_t k = 0; k <= (c < 20 ? 1 : 0); ++k)
            many.push_back(c); // classes 0-19 twice, 20-24 once
    const std::vector<int64_t> colours = colourClasses(many);
    for (size_t i = 0; i < many.size(); ++i)
        EXPECT_EQ(colours[i], many[i] < 20 ? many[i] : -1) << "class " << many[i];
}
