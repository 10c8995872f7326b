// Gradient ascent against hand computation: a linear model whose gradient
// is its weights, so one Plain step, the L2 pull, Yosinski's decay, blur and
// clipping can all be written down without LibTorch's autograd.

#include "core/ascent.h"
#include "core/error.h"
#include "core/model.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace convscope;
using convscope::test::errorOf;
using convscope::test::TempDir;

namespace {

using Net = test::LinearPixelNet;
using Linear = test::Loaded<Net>;

// TinyNet (1 x 12 x 12) with mean pixel 0.5.
struct Tiny {
    TempDir dir;
    std::unique_ptr<Model> model = [this] {
        test::writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12], "mean": [0.5], "std": [0.5]})");
        return Model::load(dir.file("tiny.pt"), {test::device(), {}});
    }();
};

AscentOptions preset(AscentPreset which, int64_t steps)
{
    AscentOptions o = ascentPreset(which);
    o.steps = steps;
    o.previewEvery = 0;
    return o;
}

// The model's mean pixel as [C, 1, 1], double.
torch::Tensor meanOf()
{
    return torch::tensor({Net::kMean[0], Net::kMean[1]}, torch::kFloat64).view({2, 1, 1});
}

void expectNear(const torch::Tensor& ours, const torch::Tensor& expected, double tolerance)
{
    ASSERT_EQ(ours.sizes(), expected.sizes());
    EXPECT_LE((ours.to(torch::kFloat64) - expected.to(torch::kFloat64)).abs().max().item<double>(), tolerance);
}

void expectNear(double ours, double expected, double relative)
{
    EXPECT_NEAR(ours, expected, relative * std::max(1.0, std::abs(expected)));
}

torch::Tensor seededImage(std::vector<int64_t> shape, uint64_t seed)
{
    torch::manual_seed(seed);
    return torch::rand(shape);
}

} // namespace

// -- Plain --------------------------------------------------------------------

TEST(Ascent, OnePlainStepIsTheHandFormula)
{
    Linear linear;
    const torch::Tensor start = seededImage({2, 6, 5}, 4);
    for (bool minimize : {false, true}) {
        AscentOptions o = preset(AscentPreset::Plain, 1);
        o.learningRate = 0.05; // large enough that some pixels reach 0 or 1
        o.l2 = 0.01;
        o.start = start;
        AscentObjective objective;
        objective.minimize = minimize;
        const int64_t k = 2;
        const AscentResult r = ascend(*linear.model, objective, {k}, o);

        // gain = ±logit_k - l2 |x - mean|^2: its gradient is ±W_k / std - 2 l2 (x - mean).
        const torch::Tensor x0 = start.to(torch::kFloat64);
        const torch::Tensor g = (minimize ? -1.0 : 1.0) * linear.net.gradient(k) - 2 * o.l2 * (x0 - meanOf());
        const torch::Tensor rms = g.pow(2).mean().sqrt();
        const torch::Tensor x1 = (x0 + o.learningRate * g / rms).clamp(0, 1);
        ASSERT_GT((x1 == 1).sum().item<int64_t>() + (x1 == 0).sum().item<int64_t>(), 0); // the clamp is exercised
        expectNear(r.images, x1.unsqueeze(0), 1e-6);
        EXPECT_EQ(r.steps, 1);
        EXPECT_FALSE(r.cancelled);
        ASSERT_EQ(r.curve.size(), 1u);
        expectNear(r.startValues.at(0), linear.net.logits(start)[k], 1e-5);
        expectNear(r.curve[0].at(0), linear.net.logits(start)[k], 1e-5);
        expectNear(r.endValues.at(0), linear.net.logits(x1.to(torch::kFloat32))[k], 1e-5);
        EXPECT_EQ(r.endValues[0] > r.startValues[0], !minimize);
    }
}

TEST(Ascent, NoiseStartAndNoSteps)
{
    Linear linear;
    const AscentResult r = ascend(*linear.model, {}, {0, 3}, preset(AscentPreset::Plain, 0));
    ASSERT_EQ(r.images.sizes(), (std::vector<int64_t>{2, 2, 6, 5}));
    EXPECT_GE(r.images.min().item<double>(), 0.4);
    EXPECT_LE(r.images.max().item<double>(), 0.6);
    EXPECT_FALSE(torch::equal(r.images[0], r.images[1])); // each image its own noise
    EXPECT_EQ(r.steps, 0);
    EXPECT_TRUE(r.curve.empty());
    for (int i = 0; i < 2; ++i) {
        const double logit = linear.net.logits(r.images[i])[i == 0 ? 0 : 3];
        expectNear(r.startValues.at(i), logit, 1e-5);
        expectNear(r.endValues.at(i), logit, 1e-5);
    }
}

TEST(Ascent, LinearObjectiveRisesEveryStepAndFallsWhenMinimized)
{
    Linear linear;
    AscentOptions o = preset(AscentPreset::Plain, 25);
    o.l2 = 0;
    o.learningRate = 0.03;
    for (bool minimize : {false, true}) {
        AscentObjective objective;
        objective.minimize = minimize;
        const AscentResult r = ascend(*linear.model, objective, {0, 3}, o);
        ASSERT_EQ(r.curve.size(), 25u);
        for (size_t i = 0; i < 2; ++i) {
            std::vector<double> values;
            for (const auto& step : r.curve)
                values.push_back(step.at(i));
            values.push_back(r.endValues.at(i));
            for (size_t s = 1; s < values.size(); ++s)
                EXPECT_GT(minimize ? values[s - 1] - values[s] : values[s] - values[s - 1], 1e-4)
                    << "image " << i << ", step " << s;
        }
    }
}

TEST(Ascent, SameSeedSameImagesOtherSeedOthers)
{
    Tiny tiny;
    AscentObjective objective;
    objective.layer = tiny.model->layerIndex("conv1");
    for (AscentPreset which : {AscentPreset::Plain, AscentPreset::Yosinski, AscentPreset::Lucid}) {
        AscentOptions o = preset(which, 6);
        o.upsample = 1;
        o.seed = 7;
        const AscentResult a = ascend(*tiny.model, objective, {1, 2}, o);
        const AscentResult b = ascend(*tiny.model, objective, {1, 2}, o);
        o.seed = 8;
        const AscentResult c = ascend(*tiny.model, objective, {1, 2}, o);
        EXPECT_TRUE(torch::equal(a.images, b.images)) << ascentPresetName(which);
        EXPECT_EQ(a.endValues, b.endValues) << ascentPresetName(which);
        EXPECT_EQ(a.curve, b.curve) << ascentPresetName(which);
        EXPECT_FALSE(torch::equal(a.images, c.images)) << ascentPresetName(which);
    }
}

// -- preview and cancel ---------------------------------------------------------

TEST(Ascent, PreviewEveryFewStepsAndAfterTheLast)
{
    Linear linear;
    for (AscentPreset which : {AscentPreset::Plain, AscentPreset::Lucid}) {
        AscentOptions o = preset(which, 10);
        o.previewEvery = 4;
        std::vector<int64_t> steps;
        std::vector<double> last;
        torch::Tensor lastImages;
        auto keep = [&](int64_t step, const torch::Tensor& images, const std::vector<double>& values) {
            steps.push_back(step);
            last = values;
            lastImages = images.clone();
        };
        const AscentResult r = ascend(*linear.model, {}, {1}, o, keep);
        EXPECT_EQ(steps, (std::vector<int64_t>{4, 8, 10})) << ascentPresetName(which);
        EXPECT_EQ(last, r.endValues);
        EXPECT_TRUE(torch::equal(lastImages, r.images));

        o.steps = 8; // a multiple: no extra report
        steps.clear();
        ascend(*linear.model, {}, {1}, o, [&](int64_t step, const torch::Tensor&, const std::vector<double>&) {
            steps.push_back(step);
        });
        EXPECT_EQ(steps, (std::vector<int64_t>{4, 8})) << ascentPresetName(which);

        o.previewEvery = 0;
        steps.clear();
        ascend(*linear.model, {}, {1}, o, [&](int64_t step, const torch::Tensor&, const std::vector<double>&) {
            steps.push_back(step);
        });
        EXPECT_TRUE(steps.empty());
    }
}

TEST(Ascent, CancelKeepsTheCurrentImages)
{
    Linear linear;
    for (AscentPreset which : {AscentPreset::Plain, AscentPreset::Lucid}) {
        // Before the first step: the start, no steps, no throw.
        CancelFlag cancel{true};
        AscentOptions o = preset(which, 20);
        o.upsample = 2;
        AscentResult r = ascend(*linear.model, {}, {0, 1}, o, {}, &cancel);
        EXPECT_TRUE(r.cancelled);
        EXPECT_EQ(r.steps, 0);
        EXPECT_TRUE(r.curve.empty());
        const int64_t factor = which == AscentPreset::Lucid ? 2 : 1;
        EXPECT_EQ(r.images.sizes(), (std::vector<int64_t>{2, 2, 6 * factor, 5 * factor}));
        EXPECT_EQ(r.startValues.size(), 2u);
        EXPECT_EQ(r.endValues.size(), 2u);

        // From the preview after 6 steps: stops there with the images it showed.
        cancel = false;
        o.previewEvery = 3;
        torch::Tensor shown;
        r = ascend(*linear.model, {}, {0, 1}, o,
                   [&](int64_t step, const torch::Tensor& images, const std::vector<double>&) {
                       if (step == 6) {
                           shown = images.clone();
                           cancel = true;
                       }
                   },
                   &cancel);
        EXPECT_TRUE(r.cancelled);
        EXPECT_EQ(r.steps, 6);
        EXPECT_EQ(r.curve.size(), 6u);
        ASSERT_TRUE(shown.defined());
        EXPECT_TRUE(torch::equal(r.images, shown)) << ascentPresetName(which);
        EXPECT_EQ(r.endValues, objectiveValues(*linear.model, {}, {0, 1}, r.images));
    }
}

// A run that can be cancelled computes each step in chunks of the batch (the
// first of two images, growing with the measured time): the same images as
// one batch, to float rounding.
TEST(Ascent, ChunkedStepsMatchOneBatch)
{
    Tiny tiny;
    AscentObjective objective;
    objective.layer = tiny.model->layerIndex("conv2");
    const std::vector<int64_t> channels{0, 1, 2, 3, 4, 5, 6, 7};
    for (AscentPreset which : {AscentPreset::Plain, AscentPreset::Yosinski, AscentPreset::Lucid}) {
        AscentOptions o = preset(which, 6);
        o.upsample = 1;
        o.seed = 3;
        const AscentResult batch = ascend(*tiny.model, objective, channels, o);
        CancelFlag never{false};
        const AscentResult chunked = ascend(*tiny.model, objective, channels, o, {}, &never);
        EXPECT_FALSE(chunked.cancelled);
        EXPECT_EQ(chunked.steps, 6);
        expectNear(chunked.images, batch.images, 1e-5);
        ASSERT_EQ(chunked.curve.size(), batch.curve.size());
        for (size_t step = 0; step < batch.curve.size(); ++step)
            for (size_t i = 0; i < channels.size(); ++i)
                expectNear(chunked.curve[step][i], batch.curve[step][i], 1e-5);
    }
}

// -- Yosinski's regularizers ------------------------------------------------------

// A learning rate so small that the step itself is lost in float rounding:
// what one step does is then the regularizers alone.
AscentOptions regularizersOnly(int64_t steps)
{
    AscentOptions o = preset(AscentPreset::Yosinski, steps);
    o.learningRate = 1e-9;
    o.decay = 0;
    o.blurEvery = 0;
    o.clipPercentile = 0;
    return o;
}

TEST(Ascent, YosinskiDecayPullsTowardsTheMean)
{
    Linear linear;
    AscentOptions o = regularizersOnly(1);
    o.start = seededImage({2, 6, 5}, 6);
    o.decay = 0.25;
    const AscentResult r = ascend(*linear.model, {}, {1}, o);
    const torch::Tensor x0 = o.start.to(torch::kFloat64);
    expectNear(r.images[0], meanOf() + 0.75 * (x0 - meanOf()), 1e-6);
}

TEST(Ascent, YosinskiClipSetsTheWeakestPixelsToTheMean)
{
    // Yosinski et al.'s code: pixels whose norm is below
    // np.percentile(norms, p) (linear interpolation) become the mean.
    Linear linear;
    const torch::Tensor start = seededImage({2, 6, 5}, 11);
    for (double percentile : {20.0, 50.0, 2.0}) {
        AscentOptions o = regularizersOnly(1);
        o.start = start;
        o.clipPercentile = percentile;
        const AscentResult r = ascend(*linear.model, {}, {1}, o);

        const torch::Tensor x0 = start.to(torch::kFloat64);
        const torch::Tensor norms = (x0 - meanOf()).pow(2).sum(0).sqrt().flatten(); // 30 distinct norms
        std::vector<double> sorted(norms.data_ptr<double>(), norms.data_ptr<double>() + norms.numel());
        std::sort(sorted.begin(), sorted.end());
        const double position = percentile / 100.0 * static_cast<double>(sorted.size() - 1);
        const size_t below = static_cast<size_t>(position);
        const double threshold = sorted[below] + (position - below) * (sorted[below + 1] - sorted[below]);
        const torch::Tensor weak = (norms < threshold).view({1, 6, 5});
        const torch::Tensor expected = torch::where(weak, meanOf().expand({2, 6, 5}), x0);
        EXPECT_EQ(weak.sum().item<int64_t>(), static_cast<int64_t>(below) + 1) << percentile;
        expectNear(r.images[0], expected, 1e-6);
    }
}

TEST(Ascent, YosinskiBlursEveryNSteps)
{
    // An impulse of 0.5 over the mean pixel, far enough from the borders
    // that reflection plays no part: blurred, it is the outer product of the
    // taps exp(-d^2 / 2) (|d| <= 3, sigma 1) normalized to sum 1.
    Tiny tiny;
    torch::Tensor start = torch::full({1, 12, 12}, 0.5);
    start[0][6][6] = 1.0;
    std::vector<double> taps;
    double total = 0;
    for (int d = -3; d <= 3; ++d)
        total += std::exp(-d * d / 2.0);
    for (int d = -3; d <= 3; ++d)
        taps.push_back(std::exp(-d * d / 2.0) / total);
    torch::Tensor blurred = torch::full({1, 12, 12}, 0.5, torch::kFloat64);
    for (int dy = -3; dy <= 3; ++dy)
        for (int dx = -3; dx <= 3; ++dx)
            blurred[0][6 + dy][6 + dx] = 0.5 + 0.5 * taps[dy + 3] * taps[dx + 3];

    AscentObjective objective;
    objective.layer = tiny.model->layerIndex("conv1");
    for (int64_t steps : {1, 2, 3}) {
        AscentOptions o = regularizersOnly(steps);
        o.start = start;
        o.blurEvery = 2;
        o.blurSigma = 1.0;
        const AscentResult r = ascend(*tiny.model, objective, {0}, o);
        expectNear(r.images[0], steps == 1 ? start.to(torch::kFloat64) : blurred, 1e-6);
    }
}

// -- Lucid --------------------------------------------------------------------------

TEST(Ascent, LucidImagesAreUpsampledAndInsideTheUnitInterval)
{
    Linear linear;
    Tiny tiny;
    AscentObjective conv;
    conv.layer = tiny.model->layerIndex("conv2");
    struct Case {
        Model* model;
        AscentObjective objective;
        int64_t upsample;
        bool fourier;
        std::vector<int64_t> shape;
    };
    // Default: enough to reach 112 px, at most 4 times.
    const Case cases[] = {{linear.model.get(), {}, 0, true, {2, 2, 24, 20}},
                          {linear.model.get(), {}, 3, false, {2, 2, 18, 15}},
                          {tiny.model.get(), conv, 0, true, {2, 1, 48, 48}},
                          {tiny.model.get(), conv, 1, true, {2, 1, 12, 12}}};
    for (const Case& c : cases) {
        AscentOptions o = preset(AscentPreset::Lucid, 30);
        o.upsample = c.upsample;
        o.fourier = c.fourier;
        const AscentResult r = ascend(*c.model, c.objective, {1, 2}, o);
        ASSERT_EQ(r.images.sizes(), c.shape);
        EXPECT_GT(r.images.min().item<double>(), 0);
        EXPECT_LT(r.images.max().item<double>(), 1);
        for (size_t i = 0; i < 2; ++i)
            EXPECT_GT(r.endValues.at(i), r.startValues.at(i)) << c.shape[2] << ", image " << i;
    }
}

TEST(Ascent, LucidEndValueIsTheImageAtTheInputSize)
{
    Linear linear;
    AscentOptions o = preset(AscentPreset::Lucid, 10);
    o.upsample = 2;
    const AscentResult r = ascend(*linear.model, {}, {3}, o);
    // Each input pixel is the mean of its 2 x 2 block.
    const torch::Tensor small = r.images[0].view({2, 6, 2, 5, 2}).mean({2, 4});
    expectNear(r.endValues.at(0), linear.net.logits(small)[3], 1e-5);
}

// -- errors ---------------------------------------------------------------------------

TEST(Ascent, Errors)
{
    Linear linear;
    Tiny tiny;
    const AscentOptions o = preset(AscentPreset::Plain, 1);
    auto fails = [&](Model& model, const AscentObjective& objective, const std::vector<int64_t>& units,
                     const AscentOptions& options) {
        return errorOf([&] { ascend(model, objective, units, options); });
    };
    // Objective errors: ascend() and objectiveValues() say the same.
    auto objectiveFails = [&](Model& model, const AscentObjective& objective, const std::vector<int64_t>& units) {
        const auto& in = model.info().input;
        const std::string message = fails(model, objective, units, o);
        EXPECT_EQ(errorOf([&] { objectiveValues(model, objective, units, torch::rand({1, in[0], in[1], in[2]})); }),
                  message);
        return message;
    };
    EXPECT_EQ(objectiveFails(*linear.model, {}, {4}), "class 4 is out of range (0..3)");
    EXPECT_EQ(objectiveFails(*linear.model, {}, {-1}), "class -1 is out of range (0..3)");
    EXPECT_EQ(objectiveFails(*linear.model, {}, {}), "nothing to optimize: give at least one class");

    AscentObjective objective;
    objective.layer = tiny.model->layerIndex("conv1");
    EXPECT_EQ(objectiveFails(*tiny.model, objective, {4}), "channel 4 is out of range (0..3)");
    objective.layer = tiny.model->layerIndex("fc");
    EXPECT_EQ(objectiveFails(*tiny.model, objective, {10}), "unit 10 is out of range (0..9)");
    objective.layer = tiny.model->layerIndex("conv2");
    objective.channelMean = false;
    objective.y = 2;
    objective.x = 0;
    EXPECT_EQ(objectiveFails(*tiny.model, objective, {0}), "unit (2, 0) lies outside 'conv2', whose maps are 2x2");
    objective.y = 1;
    objective.x = 1;
    EXPECT_EQ(objectiveFails(*tiny.model, objective, {0}), "(no error)");

    TempDir dir;
    test::writeRowsNet(dir.file("rows.pt"));
    auto rows = Model::load(dir.file("rows.pt"), {test::device(), {}});
    AscentObjective flat;
    flat.layer = rows->layerIndex("rows");
    EXPECT_EQ(objectiveFails(*rows, flat, {0}),
              "gradient ascent needs a layer of channel maps or of units; 'rows' has shape 4x5");

    AscentOptions bad = o;
    bad.steps = -1;
    EXPECT_EQ(fails(*linear.model, {}, {0}, bad), "the number of steps cannot be negative");
    bad = o;
    bad.learningRate = 0;
    EXPECT_EQ(fails(*linear.model, {}, {0}, bad), "the learning rate must be positive");
    bad = o;
    bad.start = torch::rand({1, 6, 5});
    EXPECT_EQ(fails(*linear.model, {}, {0}, bad), "the start image must be 2x6x5 like the model's input");
    EXPECT_EQ(errorOf([] { ascentPresetFromName("deepdream"); }),
              "unknown preset 'deepdream': use plain, yosinski or lucid");
    EXPECT_EQ(ascentPresetFromName("lucid"), AscentPreset::Lucid);
    EXPECT_EQ(ascentPresetName(AscentPreset::Yosinski), "yosinski");
}
