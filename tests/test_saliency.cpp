// Occlusion and gradient saliency against hand computation: tiny models whose
// scores are known functions of the pixels, so every drop, gradient and map
// can be written down without PyTorch.

#include "core/attribution.h"
#include "core/error.h"
#include "core/heatmap.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "core/saliency.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace convscope;
using convscope::test::errorOf;
using convscope::test::TempDir;

namespace {

const std::string kFixtures = CONVSCOPE_FIXTURE_DIR;

using test::Loaded;
using Linear = Loaded<test::LinearPixelNet>;
using ConvRelu = Loaded<test::ConvReluNet>;

std::vector<double> softmax(const std::vector<double>& logits)
{
    double total = 0;
    std::vector<double> p;
    for (double l : logits)
        total += std::exp(l);
    for (double l : logits)
        p.push_back(std::exp(l) / total);
    return p;
}

int64_t argmax(const std::vector<double>& values)
{
    return std::max_element(values.begin(), values.end()) - values.begin();
}

// Within `tolerance` of the expected values, scaled by their largest
// magnitude when that is above 1 (float32 against double).
void expectNear(const torch::Tensor& ours, const torch::Tensor& expected, double tolerance)
{
    ASSERT_EQ(ours.sizes(), expected.sizes());
    const torch::Tensor e = expected.to(torch::kFloat64);
    const double scale = std::max(1.0, e.abs().max().item<double>());
    EXPECT_LE((ours.to(torch::kFloat64) - e).abs().max().item<double>(), tolerance * scale);
}

torch::Tensor testImage(std::vector<int64_t> shape, uint64_t seed)
{
    torch::manual_seed(seed);
    return torch::rand(shape);
}

} // namespace

// -- window placement ---------------------------------------------------------

TEST(Occlusion, WindowStarts)
{
    using V = std::vector<int64_t>;
    EXPECT_EQ(windowStarts(8, 4, 4), (V{0, 4})); // exact fit
    EXPECT_EQ(windowStarts(10, 4, 4), (V{0, 4, 6})); // one more, flush with the border
    EXPECT_EQ(windowStarts(8, 3, 2), (V{0, 2, 4, 5}));
    EXPECT_EQ(windowStarts(7, 3, 2), (V{0, 2, 4}));
    EXPECT_EQ(windowStarts(112, 24, 20), (V{0, 20, 40, 60, 80, 88}));
    EXPECT_EQ(windowStarts(5, 5, 1), (V{0})); // window == side
    EXPECT_EQ(windowStarts(5, 5, 9), (V{0}));
    EXPECT_EQ(windowStarts(4, 1, 1), (V{0, 1, 2, 3}));
    EXPECT_EQ(windowStarts(9, 2, 5), (V{0, 5, 7}));
    EXPECT_EQ(errorOf([] { windowStarts(8, 9, 1); }),
              "the occlusion window (9 px) must lie between 1 and the input side (8 px)");
    EXPECT_EQ(errorOf([] { windowStarts(8, 0, 1); }),
              "the occlusion window (0 px) must lie between 1 and the input side (8 px)");
    EXPECT_EQ(errorOf([] { windowStarts(8, 2, 0); }), "the occlusion stride must be at least 1 pixel");
}

// -- occlusion of a linear model ----------------------------------------------

// Each window's drop and each pixel's mean, by the definition in double
// precision, for the linear model's logit and probability.
TEST(Occlusion, LinearModelDropsAndMeansByHand)
{
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 3);
    const std::vector<double> base = linear.net.logits(x);
    const int64_t target = 2;
    for (Score score : {Score::Logit, Score::Probability}) {
        for (Baseline baseline : {Baseline::Gray, Baseline::Zero, Baseline::Mean}) {
            SCOPED_TRACE(scoreName(score) + " " + baselineName(baseline));
            OcclusionOptions options;
            options.window = 3;
            options.stride = 2;
            options.target = target;
            options.score = score;
            options.baseline = baseline;
            options.batch = 4;
            const OcclusionResult r = occlusion(*linear.model, x, options);
            EXPECT_EQ(r.rows, (std::vector<int64_t>{0, 2, 3})); // 2 + 3 < 6: a third, flush
            EXPECT_EQ(r.cols, (std::vector<int64_t>{0, 2})); // 2 + 3 == 5: exact
            EXPECT_EQ(r.target, target);
            EXPECT_EQ(r.predicted, argmax(base));
            const auto pick = [&](const std::vector<double>& logits) {
                return score == Score::Logit ? logits[target] : softmax(logits)[target];
            };
            EXPECT_NEAR(r.baseScore, pick(base), 1e-6);

            std::vector<std::vector<double>> sum(6, std::vector<double>(5)), count = sum;
            for (size_t i = 0; i < r.rows.size(); ++i)
                for (size_t j = 0; j < r.cols.size(); ++j) {
                    torch::Tensor hidden = x.clone();
                    for (int64_t c = 0; c < 2; ++c) {
                        const double mean = test::LinearPixelNet::kMean[c];
                        hidden[c]
                            .narrow(0, r.rows[i], 3)
                            .narrow(1, r.cols[j], 3)
                            .fill_(baseline == Baseline::Gray       ? 0.5
                                       : baseline == Baseline::Zero ? 0.0
                                                                    : mean);
                    }
                    const std::vector<double> logits = linear.net.logits(hidden);
                    const double drop = pick(base) - pick(logits);
                    EXPECT_NEAR(r.drops[i][j].item<double>(), drop, 1e-5);
                    EXPECT_EQ(r.classes[i][j].item<int64_t>(), argmax(logits));
                    EXPECT_NEAR(r.classScore[i][j].item<double>(), softmax(logits)[argmax(logits)], 1e-6);
                    for (int64_t y = r.rows[i]; y < r.rows[i] + 3; ++y)
                        for (int64_t xx = r.cols[j]; xx < r.cols[j] + 3; ++xx) {
                            sum[y][xx] += drop;
                            count[y][xx] += 1;
                        }
                }
            ASSERT_EQ(r.heatmap.sizes(), (torch::IntArrayRef{6, 5}));
            for (int64_t y = 0; y < 6; ++y)
                for (int64_t xx = 0; xx < 5; ++xx)
                    EXPECT_NEAR(r.heatmap[y][xx].item<double>(), sum[y][xx] / count[y][xx], 1e-5) << y << "," << xx;
        }
    }
}

TEST(Occlusion, DefaultsHideSinglePixels)
{
    // 1/8 of a 5-pixel side rounds to 0: windows of one pixel, stride one,
    // and the map is each pixel's own contribution to the predicted logit.
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 4);
    OcclusionOptions options;
    options.score = Score::Logit;
    const OcclusionResult r = occlusion(*linear.model, x.unsqueeze(0), options);
    EXPECT_EQ(r.window, 1);
    EXPECT_EQ(r.stride, 1);
    const int64_t predicted = argmax(linear.net.logits(x));
    EXPECT_EQ(r.target, predicted);
    const torch::Tensor expected = (linear.net.gradient(predicted) * (x - 0.5)).sum(0);
    expectNear(r.heatmap, expected, 1e-5);
}

TEST(Occlusion, PixelsNoWindowCoversReadZero)
{
    // Window 1, stride 3 on a 6 x 5 image: rows 0, 3, 5 and columns 0, 3, 4
    // are hidden one pixel at a time; the rest lie in gaps.
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 5);
    OcclusionOptions options;
    options.window = 1;
    options.stride = 3;
    options.score = Score::Logit;
    const OcclusionResult r = occlusion(*linear.model, x, options);
    EXPECT_EQ(r.rows, (std::vector<int64_t>{0, 3, 5}));
    EXPECT_EQ(r.cols, (std::vector<int64_t>{0, 3, 4}));
    const torch::Tensor own = (linear.net.gradient(r.target) * (x - 0.5)).sum(0);
    for (int64_t y = 0; y < 6; ++y)
        for (int64_t xx = 0; xx < 5; ++xx) {
            const bool covered = (y == 0 || y == 3 || y == 5) && (xx == 0 || xx == 3 || xx == 4);
            EXPECT_NEAR(r.heatmap[y][xx].item<double>(), covered ? own[y][xx].item<double>() : 0.0, 1e-5) << y << "," << xx;
        }
}

TEST(Occlusion, BlurBaselineFillsWithTheBlurredImage)
{
    // Window 4 on the 6 x 5 input blurs with sigma max(1, 4 / 4) = 1.
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 6);
    const torch::Tensor blurred = gaussianBlur(x, 1.0);
    OcclusionOptions options;
    options.window = 4;
    options.stride = 4;
    options.baseline = Baseline::Blur;
    options.score = Score::Logit;
    options.target = 0;
    const OcclusionResult r = occlusion(*linear.model, x, options);
    for (size_t i = 0; i < r.rows.size(); ++i)
        for (size_t j = 0; j < r.cols.size(); ++j) {
            torch::Tensor hidden = x.clone();
            auto window = [&](const torch::Tensor& t) { return t.narrow(1, r.rows[i], 4).narrow(2, r.cols[j], 4); };
            window(hidden).copy_(window(blurred));
            EXPECT_NEAR(r.drops[i][j].item<double>(), linear.net.logits(x)[0] - linear.net.logits(hidden)[0], 1e-5);
        }
}

TEST(Occlusion, CancelAndProgress)
{
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 7);
    OcclusionOptions options;
    options.window = 2;
    options.stride = 1;
    options.batch = 4; // 5 x 4 windows: 5 batches
    std::vector<double> seen;
    occlusion(*linear.model, x, options, [&](double f, const std::string& stage) {
        EXPECT_EQ(stage, "occlusion");
        seen.push_back(f);
    });
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);

    CancelFlag cancel{true};
    EXPECT_THROW(occlusion(*linear.model, x, options, {}, &cancel), Cancelled);
    // Cancelled between batches: the first batch reports, the second never runs.
    cancel = false;
    int reports = 0;
    const ProgressFn cancelAfterOne = [&](double, const std::string&) {
        ++reports;
        cancel = true;
    };
    EXPECT_THROW(occlusion(*linear.model, x, options, cancelAfterOne, &cancel), Cancelled);
    EXPECT_EQ(reports, 1);
}

// -- gradients of a linear model ------------------------------------------------

// d logit_k / d pixel (c, y, x) = W[k, c, y, x] / std_c: the model's weights.
TEST(Saliency, GradientOfALinearModelIsItsWeights)
{
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 8);
    const std::vector<double> logits = linear.net.logits(x);
    const int64_t target = 1;
    const torch::Tensor weights = linear.net.gradient(target);

    SaliencyOptions options;
    options.target = target;
    SaliencyResult r = saliency(*linear.model, x, options);
    EXPECT_EQ(r.target, target);
    EXPECT_EQ(r.predicted, argmax(logits));
    EXPECT_NEAR(r.score, logits[target], 1e-5);
    expectNear(r.attribution, weights, 1e-6);
    expectNear(r.heatmap, weights.abs().amax(0), 1e-6);

    // d p_t / d x = p_t (g_t - sum_j p_j g_j).
    options.score = Score::Probability;
    r = saliency(*linear.model, x, options);
    const std::vector<double> p = softmax(logits);
    torch::Tensor expected = weights.clone();
    for (int64_t j = 0; j < test::LinearPixelNet::kClasses; ++j)
        expected -= p[static_cast<size_t>(j)] * linear.net.gradient(j);
    expected *= p[target];
    EXPECT_NEAR(r.score, p[target], 1e-6);
    expectNear(r.attribution, expected, 1e-6);

    // A constant gradient: SmoothGrad's average is the gradient itself.
    options.score = Score::Logit;
    options.method = SaliencyMethod::SmoothGrad;
    options.samples = 5;
    options.batch = 2;
    std::vector<double> seen;
    r = saliency(*linear.model, x, options, [&](double f, const std::string&) { seen.push_back(f); });
    expectNear(r.attribution, weights, 1e-6);
    expectNear(r.heatmap, weights.abs().amax(0), 1e-6);
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);
}

// On a linear model Integrated Gradients is exact: (x - b) W / std, and the
// attributions add up to the score's change to the last rounding.
TEST(Saliency, IntegratedGradientsOfALinearModel)
{
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 9);
    const int64_t target = 3;
    for (Baseline baseline : {Baseline::Zero, Baseline::Gray, Baseline::Mean}) {
        SCOPED_TRACE(baselineName(baseline));
        SaliencyOptions options;
        options.method = SaliencyMethod::IntegratedGradients;
        options.target = target;
        options.baseline = baseline;
        options.steps = 3;
        const SaliencyResult r = saliency(*linear.model, x, options);
        const torch::Tensor start = baseline == Baseline::Zero ? torch::zeros_like(x)
            : baseline == Baseline::Gray                       ? torch::full_like(x, 0.5)
                                         : torch::tensor({0.25f, 0.5f}).view({2, 1, 1}).expand_as(x);
        const torch::Tensor expected = (x - start).to(torch::kFloat64) * linear.net.gradient(target);
        expectNear(r.attribution, expected, 1e-6);
        expectNear(r.heatmap, expected.sum(0).abs(), 1e-6);
        const double delta = linear.net.logits(x)[target] - linear.net.logits(start)[target];
        EXPECT_NEAR(r.scoreDelta, delta, 1e-5);
        EXPECT_NEAR(r.attributionSum, delta, 1e-5);
    }
}

TEST(Saliency, GradCamNeedsAConvolution)
{
    Linear linear;
    const torch::Tensor x = testImage({2, 6, 5}, 1);
    EXPECT_EQ(defaultCamLayer(*linear.model), -1);
    SaliencyOptions options;
    options.method = SaliencyMethod::GradCam;
    EXPECT_EQ(errorOf([&] { saliency(*linear.model, x, options); }),
              "Grad-CAM needs a convolutional layer, and this model has none");
    options.layer = linear.model->layerIndex("fc");
    EXPECT_EQ(errorOf([&] { saliency(*linear.model, x, options); }),
              "Grad-CAM needs a layer of channel maps (C x H x W); 'fc' has shape 4");
    options.target = 4;
    options.method = SaliencyMethod::Gradient;
    EXPECT_EQ(errorOf([&] { saliency(*linear.model, x, options); }),
              "target class 4 is out of range: the model has 4 outputs (0..3)");
}

// -- a convolution, a ReLU and a pool ---------------------------------------------

TEST(Saliency, GuidedBackpropClampsWhatFlowsBackThroughTheRelu)
{
    ConvRelu conv;
    const torch::Tensor x = testImage({1, 4, 4}, 10);
    bool differs = false;
    for (int64_t target = 0; target < 3; ++target) {
        SCOPED_TRACE(target);
        SaliencyOptions options;
        options.target = target;
        const torch::Tensor plain = conv.net.gradient(x, target, false);
        expectNear(saliency(*conv.model, x, options).attribution, plain, 1e-6);
        options.method = SaliencyMethod::GuidedBackprop;
        const SaliencyResult guided = saliency(*conv.model, x, options);
        const torch::Tensor expected = conv.net.gradient(x, target, true);
        expectNear(guided.attribution, expected, 1e-6);
        expectNear(guided.heatmap, expected.abs().amax(0), 1e-6);
        differs = differs || !torch::allclose(expected, plain);
    }
    // The clamp matters for these weights: some class's guided gradient differs.
    EXPECT_TRUE(differs);
    // The model itself is untouched: plain gradients again afterwards.
    SaliencyOptions options;
    options.target = 0;
    expectNear(saliency(*conv.model, x, options).attribution, conv.net.gradient(x, 0, false), 1e-6);
}

// Grad-CAM at the pool (2 x 2 maps): the fc weights are dS/dA, their spatial
// means weigh the maps, and bilinear upsampling to 4 x 4 (align_corners
// false) has the weights [1, 0], [.75, .25], [.25, .75], [0, 1] along each axis.
TEST(Saliency, GradCamByHand)
{
    ConvRelu conv;
    EXPECT_EQ(conv.model->layers().at(static_cast<size_t>(defaultCamLayer(*conv.model))).name, "pool");
    const torch::Tensor x = testImage({1, 4, 4}, 11);
    const test::ConvReluNet& net = conv.net;
    const torch::Tensor maps = torch::max_pool2d(
        torch::relu(torch::conv2d((x.unsqueeze(0) - 0.5) / 0.5, net.convWeight, net.convBias, 1, 1)), 2, 2)[0];
    const torch::Tensor up = torch::tensor({{1.0, 0.0}, {0.75, 0.25}, {0.25, 0.75}, {0.0, 1.0}}, torch::kFloat64);
    int nonZero = 0;
    for (int64_t target = 0; target < 3; ++target) {
        SCOPED_TRACE(target);
        torch::Tensor cam = torch::zeros({2, 2}, torch::kFloat64);
        for (int64_t k = 0; k < 2; ++k)
            cam += net.fcWeight[target].narrow(0, 4 * k, 4).mean().item<double>() * maps[k].to(torch::kFloat64);
        cam = cam.clamp_min(0);
        nonZero += cam.max().item<double>() > 0;
        SaliencyOptions options;
        options.method = SaliencyMethod::GradCam;
        options.target = target;
        const SaliencyResult r = saliency(*conv.model, x, options);
        EXPECT_EQ(r.layer, "pool");
        EXPECT_FALSE(r.attribution.defined());
        expectNear(r.cam, cam, 1e-6);
        expectNear(r.heatmap, up.mm(cam).mm(up.t()), 1e-6);

        options.method = SaliencyMethod::GuidedGradCam;
        const SaliencyResult g = saliency(*conv.model, x, options);
        expectNear(g.cam, cam, 1e-6);
        const torch::Tensor expected = net.gradient(x, target, true).to(torch::kFloat64) * up.mm(cam).mm(up.t());
        expectNear(g.attribution, expected, 1e-6);
        expectNear(g.heatmap, expected.abs().amax(0), 1e-6);
    }
    EXPECT_GT(nonZero, 0);
}

TEST(Saliency, CancelAndDefaultLayerOfAResnet)
{
    ConvRelu conv;
    SaliencyOptions options;
    options.method = SaliencyMethod::SmoothGrad;
    CancelFlag cancel{true};
    EXPECT_THROW(saliency(*conv.model, testImage({1, 4, 4}, 12), options, {}, &cancel), Cancelled);

    auto resnet = Model::load(kFixtures + "/resnet18_traced.pt", {test::device(), {}});
    EXPECT_EQ(resnet->layers().at(static_cast<size_t>(defaultCamLayer(*resnet))).name, "layer4.1.relu#2");
    auto alexnet = Model::load(kFixtures + "/alexnet_scripted.pt", {test::device(), {}});
    // The last 2 x 2 max pool; not the adaptive pool that resamples it to 6 x 6.
    EXPECT_EQ(alexnet->layers().at(static_cast<size_t>(defaultCamLayer(*alexnet))).name, "features.12");
}

// Score-CAM runs a forward pass per channel (the pool's 2 here, one a batch):
// progress after each batch, and a cancel seen between them.
TEST(Saliency, ScoreCamReportsEachBatchAndCancels)
{
    ConvRelu conv;
    const torch::Tensor x = testImage({1, 4, 4}, 13);
    SaliencyOptions options;
    options.method = SaliencyMethod::ScoreCam;
    options.batch = 1;
    std::vector<double> seen;
    const SaliencyResult r = saliency(*conv.model, x, options, [&](double f, const std::string& stage) {
        EXPECT_EQ(stage, "scorecam");
        seen.push_back(f);
    });
    EXPECT_EQ(seen, (std::vector<double>{0.5, 1.0, 1.0})); // the last one: saliency() done
    EXPECT_EQ(r.layer, "pool");
    EXPECT_EQ(r.copies, 2);
    EXPECT_EQ(r.batch, 1);
    EXPECT_EQ(r.cam.sizes(), (torch::IntArrayRef{2, 2}));
    EXPECT_TRUE(torch::isfinite(r.heatmap).all().item<bool>());

    CancelFlag cancel{false};
    int reports = 0;
    const ProgressFn cancelAfterOne = [&](double, const std::string&) {
        ++reports;
        cancel = true;
    };
    EXPECT_THROW(saliency(*conv.model, x, options, cancelAfterOne, &cancel), Cancelled);
    EXPECT_EQ(reports, 1);
}

// -- baselines and pictures -----------------------------------------------------

TEST(Attribution, BlurOfAnImpulseIsTheSeparableKernel)
{
    const double sigma = 1.5;
    const int radius = 5; // ceil(3 sigma)
    std::vector<double> taps;
    double total = 0;
    for (int i = -radius; i <= radius; ++i)
        total += std::exp(-i * i / (2 * sigma * sigma));
    for (int i = -radius; i <= radius; ++i)
        taps.push_back(std::exp(-i * i / (2 * sigma * sigma)) / total);
    const auto tap = [&](int64_t i) { return std::abs(i) <= radius ? taps[static_cast<size_t>(i + radius)] : 0.0; };

    torch::Tensor impulse = torch::zeros({2, 15, 16});
    impulse[1][7][8] = 1;
    impulse[0][1][8] = 1; // a row from the top: reflect padding mirrors it across row 0
    const torch::Tensor blurred = gaussianBlur(impulse, sigma);
    ASSERT_EQ(blurred.sizes(), impulse.sizes());
    for (int64_t y = 0; y < 15; ++y)
        for (int64_t x = 0; x < 16; ++x) {
            EXPECT_NEAR(blurred[1][y][x].item<double>(), tap(y - 7) * tap(x - 8), 1e-7);
            // Row y sees row 1 at offset 1 - y, and its mirror (row -1) at -1 - y.
            const double mirrored = (tap(1 - y) + tap(-1 - y)) * tap(x - 8);
            EXPECT_NEAR(blurred[0][y][x].item<double>(), mirrored, 1e-7) << y << "," << x;
        }
    EXPECT_NEAR(blurred[1].sum().item<double>(), 1.0, 1e-6);

    // Too small to reflect (radius 3 on 3 pixels): replicate, so a constant
    // image stays constant.
    expectNear(gaussianBlur(torch::full({1, 3, 3}, 0.25), 1.0), torch::full({1, 3, 3}, 0.25), 1e-7);
}

TEST(Attribution, Baselines)
{
    const torch::Tensor x = testImage({3, 4, 5}, 13);
    EXPECT_TRUE(baselineImage(x, Baseline::Gray, {}, 1).equal(torch::full_like(x, 0.5)));
    EXPECT_TRUE(baselineImage(x, Baseline::Zero, {}, 1).equal(torch::zeros_like(x)));
    const torch::Tensor mean = baselineImage(x, Baseline::Mean, {0.1, 0.2, 0.3}, 1);
    for (int64_t c = 0; c < 3; ++c)
        EXPECT_TRUE(mean[c].equal(torch::full({4, 5}, static_cast<float>(0.1 * (c + 1)))));
    EXPECT_TRUE(baselineImage(x, Baseline::Blur, {}, 1.2).equal(gaussianBlur(x, 1.2)));
    EXPECT_EQ(baselineFromName("grey"), Baseline::Gray);
    EXPECT_EQ(errorOf([] { baselineFromName("purple"); }), "unknown baseline 'purple': use gray, zero, mean or blur");
    EXPECT_EQ(errorOf([] { scoreFromName("median"); }), "unknown score 'median': use prob or logit");
    EXPECT_EQ(errorOf([] { saliencyMethodFromName("lrp"); }),
              "unknown method 'lrp': use gradient, smoothgrad, ig, gradcam, guided, guided-gradcam, gradcam++, scorecam "
              "or deconvnet");
    for (const std::string& name : saliencyMethodNames())
        EXPECT_EQ(saliencyMethodName(saliencyMethodFromName(name)), name);
}

TEST(Heatmap, ClassMapRanksClassesAndColoursThemInTab20Order)
{
    // matplotlib's tab20: #1f77b4, #aec7e8, #ff7f0e.
    const std::array<float, 3> first{31 / 255.f, 119 / 255.f, 180 / 255.f},
        second{174 / 255.f, 199 / 255.f, 232 / 255.f}, third{255 / 255.f, 127 / 255.f, 14 / 255.f};
    const torch::Tensor classes = torch::tensor({7, 5, 2, 5, 5, 2}, torch::kLong).view({2, 3});
    const ClassMapPicture picture = classMapPicture(classes);
    EXPECT_EQ(picture.classes, (std::vector<int64_t>{5, 2, 7}));
    EXPECT_EQ(picture.counts, (std::vector<int64_t>{3, 2, 1}));
    ASSERT_EQ(picture.image.sizes(), (torch::IntArrayRef{3, 2, 3}));
    const std::array<float, 3> tab20[3] = {first, second, third};
    const size_t rank[2][3] = {{2, 0, 1}, {0, 0, 1}};
    for (int64_t r = 0; r < 2; ++r)
        for (int64_t c = 0; c < 3; ++c)
            for (size_t k = 0; k < 3; ++k) {
                const float pixel = picture.image[static_cast<int64_t>(k)][r][c].item<float>();
                EXPECT_NEAR(pixel, tab20[rank[r][c]][k], 1e-3);
                EXPECT_EQ(pixel, picture.colours[rank[r][c]][k]);
            }

    // Ties go to the lower class index; past 20 classes the rest share gray.
    EXPECT_EQ(classMapPicture(torch::tensor({9, 4, 4, 9}, torch::kLong).view({2, 2})).classes,
              (std::vector<int64_t>{4, 9}));
    const ClassMapPicture many = classMapPicture(torch::arange(22, torch::kLong).view({2, 11}));
    EXPECT_EQ(many.classes.size(), 22u);
    EXPECT_EQ(many.colours[20], (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
    EXPECT_EQ(many.colours[21], (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
    EXPECT_NE(many.colours[19], many.colours[20]);
    EXPECT_FLOAT_EQ(many.image[0][1][10].item<float>(), 0.5f);
}

TEST(Heatmap, ScaledFromZeroOrTheMinimum)
{
    // Gray colormap: the picture is the scaled map itself.
    const torch::Tensor positive = torch::tensor({1.0f, 2.0f, 4.0f, 3.0f}).view({2, 2});
    expectNear(heatmapImage(positive, Colormap::Gray)[0], positive / 4, 1e-7);
    const torch::Tensor signed_ = torch::tensor({-1.0f, 0.0f, 3.0f, 1.0f}).view({2, 2});
    expectNear(heatmapImage(signed_, Colormap::Gray)[1], (signed_ + 1) / 4, 1e-7);
    expectNear(heatmapImage(torch::zeros({2, 2}), Colormap::Gray), torch::zeros({3, 2, 2}), 0);
}
