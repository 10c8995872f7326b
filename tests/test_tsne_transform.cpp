// New points placed into a fixed t-SNE map (core/tsne_transform.h): the
// placement gradient against autograd of the per-point KL, the neighbours
// against brute force, the map's PCA applied to new points, independence of
// the points and threads, errors and cancel; and the check, LeNet-5
// digits taken out of their map one at a time and placed back.

#include "core/dataset.h"
#include "core/error.h"
#include "core/features.h"
#include "core/model.h"
#include "core/tsne.h"
#include "core/tsne_transform.h"
#include "io/datasets.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

using namespace convscope;
using namespace convscope::tsne_detail;
using convscope::test::errorOf;

namespace {

// `perCluster` points around each of `count` centres 20 units apart (unit
// noise), and their labels. The centres come from `seed`, the noise from
// `noiseSeed` (default: the same): other points of the same clusters.
std::pair<torch::Tensor, torch::Tensor> clusters(int64_t count, int64_t perCluster, int64_t d, uint64_t seed,
                                                 int64_t noiseSeed = -1)
{
    torch::manual_seed(seed);
    auto centres = 20 * torch::randn({count, d}) / std::sqrt(2.0 * static_cast<double>(d));
    if (noiseSeed >= 0)
        torch::manual_seed(static_cast<uint64_t>(noiseSeed));
    auto labels = torch::arange(count).repeat_interleave(perCluster);
    return {centres.index_select(0, labels) + torch::randn({count * perCluster, d}), labels};
}

// The first n points of `map` alone.
TsneMap firstPoints(const TsneMap& map, int64_t n)
{
    TsneMap out = map;
    out.reference = map.reference.narrow(0, 0, n);
    out.embedding = map.embedding.narrow(0, 0, n);
    return out;
}

TsneOptions quick(int64_t iterations = 500)
{
    TsneOptions o;
    o.iterations = iterations;
    o.reportEvery = 0;
    return o;
}

// KL(P_i || Q_i) summed over the new points `y` [M, 2], by plain tensor algebra.
torch::Tensor denseKl(const torch::Tensor& map, const torch::Tensor& neighbours, const torch::Tensor& p,
                      const torch::Tensor& y, double exaggeration)
{
    auto w = 1 / (1 + (y.unsqueeze(1) - map.unsqueeze(0)).pow(2).sum(-1)); // [M, N]
    auto logZ = w.sum(1).log();
    // α scales the attraction only, as in the gradient.
    return (exaggeration * (p * (p.log() - w.gather(1, neighbours).log())).sum(1) + logZ).sum();
}

} // namespace

// g_i = α Σ p w (y_i - y_j) - Σ w² (y_i - y_j) / Z_i is half of the KL's
// gradient (single-precision sums over the map: 1e-6 or so).
TEST(TsneTransform, GradientIsHalfTheKlGradient)
{
    torch::manual_seed(1);
    auto map = 3 * torch::randn({300, 2}, torch::kDouble);
    auto y = 3 * torch::randn({7, 2}, torch::kDouble);
    auto nb = queryNeighbours(torch::randn({7, 5}), torch::randn({300, 5}), 20);
    auto p = conditionalAffinities(nb.sqDistances, 5);
    for (double exaggeration : {1.0, 1.5}) {
        auto yg = y.clone().requires_grad_(true);
        denseKl(map, nb.indices, p, yg, exaggeration).backward();
        auto expected = yg.grad() / 2;
        auto g = placementGradient(map, nb.indices, p, y, exaggeration);
        EXPECT_LT((g - expected).norm().item<double>(), 1e-5 * expected.norm().item<double>()) << exaggeration;
    }
    // Barnes-Hut on the fixed map: the repulsion (α = 0) within a per cent at
    // θ = 0.5, and exact when no cell is ever far enough.
    const auto repulsion = placementGradient(map, nb.indices, p, y, 0);
    auto bh = placementGradient(map, nb.indices, p, y, 0, 0.5);
    EXPECT_LT((bh - repulsion).norm().item<double>(), 1e-2 * repulsion.norm().item<double>());
    auto all = placementGradient(map, nb.indices, p, y, 0, 1e-9);
    EXPECT_LT((all - repulsion).norm().item<double>(), 1e-5 * repulsion.norm().item<double>());
}

TEST(TsneTransform, QueryNeighboursAreExact)
{
    torch::manual_seed(2);
    auto reference = torch::randn({500, 9}, torch::kDouble);
    auto queries = torch::cat({torch::randn({40, 9}, torch::kDouble), reference.narrow(0, 100, 3)});
    auto nb = queryNeighbours(queries, reference, 12);
    auto [expected, expectedIdx] = torch::cdist(queries, reference).pow(2).topk(12, 1, false, true);
    EXPECT_TRUE(torch::allclose(nb.sqDistances, expected, 1e-9, 1e-9));
    EXPECT_TRUE(torch::equal(nb.indices, expectedIdx));
    EXPECT_EQ(nb.indices[40][0].item<int64_t>(), 100); // a reference point finds itself first
    EXPECT_EQ(nb.sqDistances[40][0].item<double>(), 0.0);
}

// 60-D clusters: t-SNE reduces them to 50 by PCA, which the map keeps and
// applies to new points. A map point's own features find it first and land
// near it; fresh points of a cluster land among its points.
TEST(TsneTransform, NewPointsGoThroughTheMapsPca)
{
    auto [x, labels] = clusters(5, 100, 60, 3);
    auto result = tsne(x, quick());
    ASSERT_EQ(result.pcaMean.sizes().vec(), (std::vector<int64_t>{60}));
    ASSERT_EQ(result.pcaComponents.sizes().vec(), (std::vector<int64_t>{50, 60}));
    auto map = tsneMap(x, result);
    EXPECT_EQ(map.reference.sizes().vec(), (std::vector<int64_t>{500, 50}));
    EXPECT_DOUBLE_EQ(map.perplexity, 30);

    auto own = placeInMap(map, x.narrow(0, 0, 20));
    EXPECT_TRUE(torch::equal(own.neighbours.select(1, 0), torch::arange(20, torch::kLong)));
    EXPECT_EQ(own.neighbours.size(1), 90);
    EXPECT_EQ(own.repulsion, PlacementOptions::Repulsion::Exact);
    EXPECT_EQ(own.iterations, 250);

    auto [fresh, freshLabels] = clusters(5, 20, 60, 3, 30);
    auto placed = placeInMap(map, fresh);
    auto nearest = queryNeighbours(placed.embedding, map.embedding, 10).indices;
    auto votes = std::get<0>(labels.index_select(0, nearest.reshape(-1)).view(nearest.sizes()).mode(1));
    EXPECT_GE((votes == freshLabels).to(torch::kDouble).mean().item<double>(), 0.98);

    // Without a reduction (D <= 50) nothing is kept, and points are used as they are.
    auto [small, smallLabels] = clusters(3, 40, 8, 4);
    auto plain = tsne(small, quick(300));
    EXPECT_EQ(plain.pcaMean.numel(), 0);
    auto plainMap = tsneMap(small, plain);
    EXPECT_TRUE(torch::equal(plainMap.reference, small));
    EXPECT_EQ(placeInMap(plainMap, small.narrow(0, 7, 1)).neighbours[0][0].item<int64_t>(), 7);
}

// Each point sees only the map: placed alone or with others, on one thread
// or several, it lands on the same spot. The optimization lowers its KL.
TEST(TsneTransform, PointsAreIndependentAndTheKlFalls)
{
    auto [x, labels] = clusters(4, 150, 10, 5);
    auto map = tsneMap(x, tsne(x, quick()));
    auto [fresh, freshLabels] = clusters(4, 6, 10, 5, 50);
    PlacementOptions o;
    o.threads = 2;
    auto together = placeInMap(map, fresh, o);
    o.threads = 1;
    EXPECT_TRUE(torch::equal(together.embedding, placeInMap(map, fresh, o).embedding));
    for (int64_t i : {0, 9, 23})
        EXPECT_TRUE(torch::equal(together.embedding[i], placeInMap(map, fresh.narrow(0, i, 1), o).embedding[0]));

    o.iterations = 0;
    const auto start = placeInMap(map, fresh, o);
    EXPECT_LT(together.kl, start.kl);
    // The start is the median of the 25 nearest map positions.
    auto first = map.embedding.index_select(0, start.neighbours[0].narrow(0, 0, 25));
    EXPECT_TRUE(torch::allclose(start.embedding[0], std::get<0>(first.median(0)), 0, 1e-6));

    // Barnes-Hut on the fixed map lands where the exact sums do.
    o.iterations = 250;
    o.repulsion = PlacementOptions::Repulsion::BarnesHut;
    auto bh = placeInMap(map, fresh, o);
    EXPECT_EQ(bh.repulsion, PlacementOptions::Repulsion::BarnesHut);
    EXPECT_LT((bh.embedding - together.embedding).norm(2, 1).max().item<double>(), 0.5);
}

TEST(TsneTransform, RejectsBadInputAndCancels)
{
    auto [x, labels] = clusters(3, 40, 60, 6);
    auto map = tsneMap(x, tsne(x, quick(100)));
    EXPECT_EQ(errorOf([&] { placeInMap(map, torch::randn({2, 59})); }),
              "t-SNE placement: the new points have 59 features, the map's points 60");
    auto nan = x.narrow(0, 0, 3).clone();
    nan[1][4] = std::nan("");
    EXPECT_EQ(errorOf([&] { placeInMap(map, nan); }), "t-SNE placement: the data contains NaN or infinite values");
    EXPECT_EQ(errorOf([&] { placeInMap(TsneMap{}, x); }), "t-SNE placement: the map is empty");
    auto low = map;
    low.perplexity = 0.5;
    EXPECT_EQ(errorOf([&] { placeInMap(low, x); }),
              "t-SNE placement: the map's perplexity must be at least 1, got 0.500000");
    auto torn = map;
    torn.embedding = torn.embedding.narrow(0, 0, 10);
    EXPECT_EQ(errorOf([&] { placeInMap(torn, x); }),
              "t-SNE placement: the map has 120 points but 10 places for them in 2-D");
    EXPECT_EQ(errorOf([&] { tsneMap(x.narrow(0, 0, 5), tsne(x, quick(10))); }), "t-SNE map: 5 points but a map of 120");
    EXPECT_EQ(errorOf([&] { withoutPoint(map, 120); }), "t-SNE map: no point 120 among 120");
    EXPECT_EQ(withoutPoint(map, 3).embedding.size(0), 119);
    EXPECT_EQ(placeInMap(map, torch::zeros({0, 60})).embedding.sizes().vec(), (std::vector<int64_t>{0, 2}));
    // A map of 6 points: the perplexity drops to 2, every point a neighbour.
    auto tiny = placeInMap(firstPoints(map, 6), x.narrow(0, 50, 1));
    EXPECT_DOUBLE_EQ(tiny.perplexity, 2);
    EXPECT_EQ(tiny.neighbours.size(1), 6);

    CancelFlag cancel{true};
    EXPECT_THROW(placeInMap(map, x, {}, {}, &cancel), Cancelled);
    cancel = false;
    std::vector<double> seen;
    auto r = placeInMap(
        map, x, {},
        [&](double fraction, const std::string& stage) {
            if (stage == "placing") {
                seen.push_back(fraction);
                if (fraction >= 0.2)
                    cancel = true;
            }
        },
        &cancel);
    // The chunk after the report that set the flag finishes (its steps depend on the pace).
    EXPECT_TRUE(r.cancelled);
    EXPECT_GT(r.iterations, 50);
    EXPECT_LT(r.iterations, 250);
    EXPECT_GE(seen.back(), 0.2);
    EXPECT_TRUE(torch::isfinite(r.embedding).all().item<bool>());
}

// The check: 500 times, a digit's features (LeNet-5's 84 units of
// relu4) are taken out of the map of 1500 digits, the others staying where
// they are, and placed back. At least 90 % must land within the distance
// from their old place to its 5th nearest neighbour in the map.
TEST(TsneTransform, DigitsTakenOutLandBackInPlace)
{
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    auto model = Model::load(CONVSCOPE_SOURCE_DIR "/models/lenet5_digits.pt", {"cpu", {}});
    auto digits = io::openDataset("digits", {1, 28, 28});
    FeatureOptions fo;
    fo.samples = 1500;
    fo.seed = 1;
    const FeatureSet features = extractFeatures(*model, *digits, model->layerIndex("relu4"), fo);
    ASSERT_EQ(features.values.sizes().vec(), (std::vector<int64_t>{1500, 84}));
    const auto t1 = Clock::now();
    const auto result = tsne(features.values, quick(750));
    const TsneMap map = tsneMap(features.values, result);
    const auto t2 = Clock::now();

    // The distance from each point's place to its 5th nearest neighbour in the map.
    const auto fifth = nearestNeighbours(map.embedding, 5).sqDistances.select(1, 4).sqrt();
    int64_t trials = 0, close = 0;
    std::vector<double> ratios;
    for (int64_t i = 0; i < 1500; i += 3) {
        const auto placed = placeInMap(withoutPoint(map, i), features.values.narrow(0, i, 1));
        const double moved = (placed.embedding[0] - map.embedding[i]).norm().item<double>();
        const double radius = fifth[i].item<double>();
        close += moved <= radius;
        ratios.push_back(moved / radius);
        ++trials;
    }
    const auto t3 = Clock::now();
    std::sort(ratios.begin(), ratios.end());
    const double share = static_cast<double>(close) / static_cast<double>(trials);
    std::printf("[ placement ] %lld of %lld digits (%.1f %%) back within their 5th neighbour's distance; "
                "distance / that radius: median %.2f, 90th percentile %.2f; features %.1f s, map %.1f s, "
                "%lld placements %.1f s\n",
                static_cast<long long>(close), static_cast<long long>(trials), 100 * share,
                ratios[ratios.size() / 2], ratios[ratios.size() * 9 / 10],
                std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count(),
                static_cast<long long>(trials), std::chrono::duration<double>(t3 - t2).count());
    EXPECT_EQ(trials, 500);
    EXPECT_GE(share, 0.9);
}
