// Adversarial attacks against hand computation: on a linear model of the
// pixels the loss gradient, the FGSM step and the distance to every class
// boundary are known in closed form, so the attacks' images, norms and
// step counts can be written down without LibTorch's autograd.

#include "core/attack.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

using namespace convscope;
using convscope::test::errorOf;

namespace {

using Net = test::LinearPixelNet;
using Linear = test::Loaded<Net>; // weights and the model

// `n` images with every value in [lo, hi] (away from 0 and 1: no clamping).
torch::Tensor images(int64_t n, uint64_t seed, double lo = 0.3, double hi = 0.7)
{
    torch::manual_seed(seed);
    return lo + (hi - lo) * torch::rand({n, Net::kChannels, Net::kHeight, Net::kWidth});
}

int64_t argmax(const std::vector<double>& v)
{
    return std::max_element(v.begin(), v.end()) - v.begin();
}

// The class of each image [N, C, H, W] by the formula.
std::vector<int64_t> predictions(const Net& net, const torch::Tensor& x)
{
    std::vector<int64_t> out;
    for (int64_t i = 0; i < x.size(0); ++i)
        out.push_back(argmax(net.logits(x[i])));
    return out;
}

// d cross_entropy(logits(x), cls) / d x by the formula: sum_k (p_k - [k = cls]) W_k / std.
torch::Tensor lossGradient(const Net& net, const torch::Tensor& x, int64_t cls)
{
    const std::vector<double> z = net.logits(x);
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (double v : z)
        sum += std::exp(v - top);
    torch::Tensor g = torch::zeros({Net::kChannels, Net::kHeight, Net::kWidth}, torch::kFloat64);
    for (int64_t k = 0; k < Net::kClasses; ++k)
        g += (std::exp(z[static_cast<size_t>(k)] - top) / sum - (k == cls ? 1.0 : 0.0)) * net.gradient(k);
    return g;
}

// The nearest class boundary of `x` from class `from` (the linear model's
// exact L2 distance |z_k - z_from| / ||W_k / std - W_from / std||) and the
// unit direction across it.
std::pair<double, torch::Tensor> nearestBoundary(const Net& net, const torch::Tensor& x, int64_t from)
{
    const std::vector<double> z = net.logits(x);
    double best = std::numeric_limits<double>::infinity();
    torch::Tensor direction;
    for (int64_t k = 0; k < Net::kClasses; ++k) {
        if (k == from)
            continue;
        const torch::Tensor w = net.gradient(k) - net.gradient(from);
        const double d = std::abs(z[static_cast<size_t>(k)] - z[static_cast<size_t>(from)]) / w.norm().item<double>();
        if (d < best) {
            best = d;
            direction = w / w.norm();
        }
    }
    return {best, direction};
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

AttackOptions options(AttackMethod method)
{
    return attackDefaults(method);
}

// Images and labels in memory.
class TensorDataset final : public Dataset {
public:
    TensorDataset(torch::Tensor images, std::vector<int64_t> labels) : m_images(std::move(images)), m_labels(std::move(labels))
    {
        for (int64_t k = 0; k < Net::kClasses; ++k)
            m_classes.push_back("class " + std::to_string(k)); // not the model's labels: by position
        m_name = "tensors";
        m_identity = "tensors";
    }
    int64_t size() const override { return m_images.size(0); }
    torch::Tensor image(int64_t index) override { return m_images[index]; }
    int64_t label(int64_t index) const override { return m_labels[static_cast<size_t>(index)]; }
    std::string itemName(int64_t index) const override { return "#" + std::to_string(index); }

private:
    torch::Tensor m_images;
    std::vector<int64_t> m_labels;
};

} // namespace

// -- FGSM ---------------------------------------------------------------------

TEST(Attack, FgsmIsTheSignedLossGradientStep)
{
    Linear linear;
    // Values all over [0, 1]: a large eps clamps many of them.
    const torch::Tensor x = images(4, 1, 0, 1);
    for (double eps : {0.03, 0.4}) {
        for (int64_t target : {int64_t(-1), int64_t(2)}) {
            AttackOptions o = options(AttackMethod::Fgsm);
            o.eps = eps;
            o.target = target;
            const AttackResult r = attack(*linear.model, x, {}, o);
            ASSERT_EQ(r.adversarial.sizes(), x.sizes());
            for (int64_t i = 0; i < 4; ++i) {
                const int64_t clean = argmax(linear.net.logits(x[i]));
                EXPECT_EQ(r.before[static_cast<size_t>(i)], clean);
                EXPECT_EQ(r.labels[static_cast<size_t>(i)], clean);
                if (target >= 0 && clean == target) { // already there: left alone
                    EXPECT_EQ(maxDiff(r.adversarial[i], x[i]), 0.0);
                    EXPECT_EQ(r.steps[static_cast<size_t>(i)], 0);
                    continue;
                }
                // Up the loss of the label, or down the loss of the target.
                const torch::Tensor g = lossGradient(linear.net, x[i], target >= 0 ? target : clean);
                const torch::Tensor expected =
                    (x[i].to(torch::kFloat64) + (target >= 0 ? -eps : eps) * g.sign()).clamp(0, 1);
                EXPECT_LE(maxDiff(r.adversarial[i], expected), 1e-6) << "eps " << eps << " target " << target;
                const torch::Tensor d = expected - x[i].to(torch::kFloat64);
                EXPECT_NEAR(r.l2[static_cast<size_t>(i)], d.norm().item<double>(), 1e-5);
                EXPECT_NEAR(r.linf[static_cast<size_t>(i)], d.abs().max().item<double>(), 1e-6);
                EXPECT_LE(r.linf[static_cast<size_t>(i)], eps + 1e-6);
                EXPECT_EQ(r.l0[static_cast<size_t>(i)], d.abs().ge(0.5 / 255).sum().item<int64_t>());
                EXPECT_EQ(r.steps[static_cast<size_t>(i)], 1);
                const int64_t after = argmax(linear.net.logits(expected.to(torch::kFloat32)));
                EXPECT_EQ(r.after[static_cast<size_t>(i)], after);
                EXPECT_EQ(r.success[static_cast<size_t>(i)], target >= 0 ? after == target : after != clean);
            }
        }
    }
}

// -- DeepFool -----------------------------------------------------------------

TEST(Attack, DeepFoolCrossesALinearBoundaryInOneStep)
{
    Linear linear;
    const torch::Tensor x = images(6, 2);
    for (double overshoot : {0.0, 0.02, 0.5}) {
        AttackOptions o = options(AttackMethod::DeepFool);
        o.overshoot = overshoot;
        const AttackResult r = attack(*linear.model, x, {}, o);
        for (int64_t i = 0; i < 6; ++i) {
            const size_t s = static_cast<size_t>(i);
            const auto [distance, direction] = nearestBoundary(linear.net, x[i], r.labels[s]);
            // The exact step to the boundary (and 1e-4 beyond), then the overshoot.
            const torch::Tensor expected = x[i].to(torch::kFloat64) + (1 + overshoot) * (distance + 1e-4) * direction;
            EXPECT_LE(maxDiff(r.adversarial[i], expected), 1e-5) << "overshoot " << overshoot << " sample " << i;
            EXPECT_NEAR(r.l2[s], (1 + overshoot) * (distance + 1e-4), 1e-5);
            EXPECT_EQ(r.steps[s], 1);
            EXPECT_TRUE(r.success[s]);
            EXPECT_NE(r.after[s], r.labels[s]);
            ASSERT_EQ(r.curve.size(), 2u); // the start and after the step
        }
    }
}

// -- PGD ----------------------------------------------------------------------

TEST(Attack, PgdStaysInTheBallAndInTheBox)
{
    Linear linear;
    const torch::Tensor x = images(6, 3, 0, 1);
    for (AttackMethod method : {AttackMethod::Bim, AttackMethod::Pgd, AttackMethod::PgdL2}) {
        const bool l2 = method == AttackMethod::PgdL2;
        for (double eps : l2 ? std::vector<double>{0.05, 0.5} : std::vector<double>{0.01, 0.1}) {
            AttackOptions o = options(method);
            o.eps = eps;
            o.alpha = eps; // steps as large as the ball: the projection does the work
            o.steps = 8;
            o.restarts = 3;
            o.earlyStop = false;
            const AttackResult r = attack(*linear.model, x, {}, o);
            EXPECT_GE(r.adversarial.min().item<float>(), 0.0f);
            EXPECT_LE(r.adversarial.max().item<float>(), 1.0f);
            const torch::Tensor d = (r.adversarial.to(torch::kFloat64) - x.to(torch::kFloat64)).flatten(1);
            for (int64_t i = 0; i < 6; ++i) {
                const double size = l2 ? d[i].norm().item<double>() : d[i].abs().max().item<double>();
                EXPECT_LE(size, eps + 1e-6) << attackMethodName(method) << " eps " << eps;
                EXPECT_NEAR(l2 ? r.l2[static_cast<size_t>(i)] : r.linf[static_cast<size_t>(i)], size, 1e-9);
                // Without early stop each restart runs all its steps, and the
                // next one only for a sample still not fooled (BIM: no restarts).
                const int64_t steps = r.steps[static_cast<size_t>(i)];
                const int64_t most = method == AttackMethod::Bim ? 8 : 8 * 3;
                EXPECT_TRUE(steps % 8 == 0 && steps >= 8 && steps <= most) << steps;
                EXPECT_TRUE(steps == most || r.success[static_cast<size_t>(i)]) << steps;
            }
        }
    }
}

TEST(Attack, BimWithOneFullStepIsFgsm)
{
    Linear linear;
    const torch::Tensor x = images(5, 4, 0, 1);
    AttackOptions f = options(AttackMethod::Fgsm);
    f.eps = 0.05;
    AttackOptions b = options(AttackMethod::Bim);
    b.eps = 0.05;
    b.alpha = 0.05;
    b.steps = 1;
    EXPECT_EQ(maxDiff(attack(*linear.model, x, {}, f).adversarial, attack(*linear.model, x, {}, b).adversarial), 0.0);
    // PGD from no random start is BIM.
    AttackOptions p = b;
    p.method = AttackMethod::Pgd;
    p.steps = 6;
    p.alpha = 0.02;
    p.randomStart = false;
    p.restarts = 4; // restarts need random starts: one run
    b.steps = 6;
    b.alpha = 0.02;
    const AttackResult rp = attack(*linear.model, x, {}, p), rb = attack(*linear.model, x, {}, b);
    EXPECT_EQ(maxDiff(rp.adversarial, rb.adversarial), 0.0);
    EXPECT_EQ(rp.steps, rb.steps);
}

TEST(Attack, EarlyStopLeavesFooledSamplesAlone)
{
    Linear linear;
    const torch::Tensor x = images(3, 5);
    const std::vector<int64_t> clean = predictions(linear.net, x);
    // Sample 1's "true" class is one it is not predicted as: fooled from the start.
    const std::vector<int64_t> labels = {clean[0], (clean[1] + 1) % Net::kClasses, clean[2]};
    for (AttackMethod method : {AttackMethod::Fgsm, AttackMethod::Bim, AttackMethod::Pgd, AttackMethod::PgdL2,
                                AttackMethod::DeepFool}) {
        AttackOptions o = options(method);
        o.eps = method == AttackMethod::PgdL2 ? 0.02 : 0.002; // too small to fool the others
        const AttackResult r = attack(*linear.model, x, labels, o);
        const std::string name = attackMethodName(method);
        EXPECT_EQ(r.labels, labels);
        EXPECT_EQ(r.steps[1], 0) << name;
        EXPECT_TRUE(r.success[1]) << name;
        // Left as it is: no random start either.
        EXPECT_EQ(maxDiff(r.adversarial[1], x[1]), 0.0) << name;
        EXPECT_EQ(r.l2[1], 0.0) << name;
        EXPECT_EQ(r.curve.front()[1], r.trackedBefore[1]) << name;
        EXPECT_GT(r.steps[0], 0) << name;
        if (method != AttackMethod::DeepFool) {
            EXPECT_GT(maxDiff(r.adversarial[0], x[0]), 0.0) << name;
            EXPECT_FALSE(r.success[0]) << name;
        }
    }
    // Without early stop it is moved like the others.
    AttackOptions o = options(AttackMethod::Bim);
    o.eps = 0.002;
    o.earlyStop = false;
    const AttackResult r = attack(*linear.model, x, labels, o);
    EXPECT_EQ(r.steps, (std::vector<int64_t>{10, 10, 10}));
    EXPECT_GT(maxDiff(r.adversarial[1], x[1]), 0.0);
}

TEST(Attack, TargetedAttacksReachTheTarget)
{
    Linear linear;
    const torch::Tensor x = images(4, 6);
    for (AttackMethod method : {AttackMethod::Bim, AttackMethod::Pgd, AttackMethod::PgdL2, AttackMethod::DeepFool,
                                AttackMethod::CarliniWagner}) {
        for (int64_t target = 0; target < Net::kClasses; ++target) {
            AttackOptions o = options(method);
            o.target = target;
            o.eps = method == AttackMethod::PgdL2 ? 3.0 : 0.3;
            o.steps = method == AttackMethod::CarliniWagner ? 50 : 30;
            const AttackResult r = attack(*linear.model, x, {}, o);
            for (int64_t i = 0; i < 4; ++i) {
                const size_t s = static_cast<size_t>(i);
                EXPECT_EQ(r.after[s], target) << attackMethodName(method) << " sample " << i;
                EXPECT_TRUE(r.success[s]);
                EXPECT_EQ(argmax(linear.net.logits(r.adversarial[i])), target);
                // The logits it returns are those of the images, by the formula.
                const std::vector<double> before = linear.net.logits(x[i]), after = linear.net.logits(r.adversarial[i]);
                ASSERT_EQ(r.logitsAfter.sizes(), (std::vector<int64_t>{4, Net::kClasses}));
                for (int64_t k = 0; k < Net::kClasses; ++k) {
                    EXPECT_NEAR(r.logitsBefore[i][k].item<double>(), before[static_cast<size_t>(k)], 1e-4);
                    EXPECT_NEAR(r.logitsAfter[i][k].item<double>(), after[static_cast<size_t>(k)], 1e-4)
                        << attackMethodName(method) << " sample " << i;
                }
                if (r.before[s] != target) {
                    EXPECT_GT(r.trackedAfter[s], r.trackedBefore[s]);
                } else if (method != AttackMethod::CarliniWagner) { // (CW minimizes the change: it keeps going)
                    EXPECT_EQ(r.steps[s], 0);
                }
            }
        }
    }
}

TEST(Attack, RestartsRunOnlyForSamplesNotYetFooledFromSeededStarts)
{
    Linear linear;
    const torch::Tensor x = images(3, 7);
    std::vector<int64_t> labels = predictions(linear.net, x);
    labels[2] = (labels[2] + 1) % Net::kClasses; // fooled from the start
    AttackOptions o = options(AttackMethod::Pgd);
    o.eps = 0.001; // too small to fool
    o.alpha = 0.0002; // and steps too small to forget the start
    o.steps = 3;
    o.restarts = 4;
    o.seed = 11;
    const AttackResult a = attack(*linear.model, x, labels, o);
    // Every restart of the unfooled ones runs all its steps; the start counts
    // no step, and the fooled one is never restarted.
    EXPECT_EQ(a.steps, (std::vector<int64_t>{12, 12, 0}));
    EXPECT_LE(maxDiff(a.adversarial, x), 0.001 + 1e-6);
    const AttackResult same = attack(*linear.model, x, labels, o);
    EXPECT_EQ(maxDiff(a.adversarial, same.adversarial), 0.0);
    o.seed = 12;
    EXPECT_GT(maxDiff(a.adversarial, attack(*linear.model, x, labels, o).adversarial), 1e-5);
    // One restart: the first random start only, so another image than after four.
    o.seed = 11;
    o.restarts = 1;
    const AttackResult one = attack(*linear.model, x, labels, o);
    EXPECT_EQ(one.steps, (std::vector<int64_t>{3, 3, 0}));
    EXPECT_GT(maxDiff(one.adversarial[0], a.adversarial[0]), 1e-5);
    EXPECT_GT(maxDiff(one.adversarial[1], a.adversarial[1]), 1e-5);
    // The fooled one kept its first start: the same in both.
    EXPECT_EQ(maxDiff(one.adversarial[2], a.adversarial[2]), 0.0);
    // The curve follows the first restart: the start and 3 steps.
    EXPECT_EQ(a.curve.size(), 4u);
}

// -- Carlini-Wagner -----------------------------------------------------------

TEST(Attack, CarliniWagnerFindsNoLessThanTheExactDistanceAndKeepsFailuresClean)
{
    Linear linear;
    const torch::Tensor x = images(4, 8);
    const AttackResult r = attack(*linear.model, x, {}, options(AttackMethod::CarliniWagner));
    for (int64_t i = 0; i < 4; ++i) {
        const size_t s = static_cast<size_t>(i);
        const double distance = nearestBoundary(linear.net, x[i], r.labels[s]).first;
        EXPECT_TRUE(r.success[s]);
        // No perturbation smaller than the exact distance can cross; Adam gets close to it.
        EXPECT_GE(r.l2[s], distance - 1e-6) << i;
        EXPECT_LE(r.l2[s], 1.15 * distance + 1e-3) << i;
        EXPECT_EQ(r.steps[s], 5 * 100);
    }
    // c far too small for a few steps: nobody is fooled, and the images stay clean.
    AttackOptions o = options(AttackMethod::CarliniWagner);
    o.c = 1e-9;
    o.steps = 3;
    o.binarySteps = 1;
    const AttackResult none = attack(*linear.model, x, {}, o);
    EXPECT_EQ(maxDiff(none.adversarial, x), 0.0);
    EXPECT_EQ(none.success, (std::vector<bool>{false, false, false, false}));
    EXPECT_EQ(none.l2, (std::vector<double>{0, 0, 0, 0}));
    EXPECT_EQ(none.after, none.before);
}

// -- robustness ---------------------------------------------------------------

TEST(Attack, RobustnessCurves)
{
    Linear linear;
    const torch::Tensor x = images(10, 9);
    std::vector<int64_t> labels = predictions(linear.net, x);
    labels[3] = (labels[3] + 1) % Net::kClasses; // two misclassified images
    labels[7] = (labels[7] + 2) % Net::kClasses;
    TensorDataset dataset(x, labels);

    RobustnessOptions ro;
    ro.epsilons = {0, 0.002, 0.01, 0.03, 0.1, 0.3};
    ro.batch = 4;
    AttackOptions o = options(AttackMethod::Pgd);
    o.steps = 5;
    std::vector<double> fractions;
    const RobustnessResult r = robustness(*linear.model, dataset, o, ro,
                                          [&](double f, const std::string&) { fractions.push_back(f); });
    EXPECT_EQ(r.samples, 10);
    EXPECT_TRUE(r.labeled);
    EXPECT_DOUBLE_EQ(r.cleanAccuracy, 0.8);
    ASSERT_EQ(r.points.size(), 6u);
    EXPECT_EQ(r.points[0].correct, 8); // eps 0: clean accuracy
    EXPECT_DOUBLE_EQ(r.points[0].accuracy, 0.8);
    for (size_t k = 1; k < r.points.size(); ++k) {
        EXPECT_DOUBLE_EQ(r.points[k].eps, ro.epsilons[k]);
        EXPECT_LE(r.points[k].correct, r.points[k - 1].correct) << "eps " << ro.epsilons[k];
        EXPECT_DOUBLE_EQ(r.points[k].accuracy, r.points[k].correct / 10.0);
    }
    EXPECT_EQ(r.points.back().correct, 0);
    EXPECT_GT(r.points[1].correct, 0);
    ASSERT_FALSE(fractions.empty());
    EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
    EXPECT_LE(fractions.back(), 1.0);

    // A sample: as many images as asked.
    ro.samples = 6;
    EXPECT_EQ(robustness(*linear.model, dataset, o, ro).samples, 6);

    // DeepFool: every budget read off the exact distances (one step each).
    ro.samples = 500;
    ro.epsilons.clear();
    std::vector<double> needed;
    for (int64_t i = 0; i < 10; ++i)
        if (i != 3 && i != 7)
            needed.push_back(1.02 * (nearestBoundary(linear.net, x[i], labels[static_cast<size_t>(i)]).first + 1e-4));
    std::sort(needed.begin(), needed.end());
    ro.epsilons = {0};
    for (size_t k = 0; k + 1 < needed.size(); ++k)
        ro.epsilons.push_back((needed[k] + needed[k + 1]) / 2); // between two: survivors drop by one
    ro.epsilons.push_back(needed.back() * 2);
    const RobustnessResult df = robustness(*linear.model, dataset, options(AttackMethod::DeepFool), ro);
    ASSERT_EQ(df.points.size(), needed.size() + 1);
    for (size_t k = 0; k < df.points.size(); ++k)
        EXPECT_EQ(df.points[k].correct, static_cast<int64_t>(needed.size() - k)) << "eps " << df.points[k].eps;
    EXPECT_DOUBLE_EQ(df.successRate, 1.0);
    EXPECT_NEAR(df.medianL2, (needed[3] + needed[4]) / 2, 1e-5);
}

// -- cancel, progress, errors -------------------------------------------------

TEST(Attack, CancelReturnsTheImagesSoFar)
{
    Linear linear;
    const torch::Tensor x = images(3, 10);
    AttackOptions o = options(AttackMethod::Bim);
    o.eps = 0.002;
    o.earlyStop = false;
    CancelFlag cancel{false};
    // Asked to stop after the first step.
    std::vector<double> fractions;
    const AttackResult r = attack(*linear.model, x, {}, o,
                                  [&](double f, const std::string&) {
                                      fractions.push_back(f);
                                      cancel = true;
                                  },
                                  &cancel);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.steps, (std::vector<int64_t>{1, 1, 1}));
    EXPECT_EQ(fractions, (std::vector<double>{0.1}));
    ASSERT_EQ(r.adversarial.sizes(), x.sizes());
    EXPECT_GT(maxDiff(r.adversarial, x), 0.0);
    EXPECT_LE(maxDiff(r.adversarial, x), 0.002 + 1e-6);
    for (AttackMethod method : {AttackMethod::Pgd, AttackMethod::DeepFool, AttackMethod::CarliniWagner}) {
        const AttackResult c = attack(*linear.model, x, {}, options(method), {}, &cancel);
        EXPECT_TRUE(c.cancelled) << attackMethodName(method);
        EXPECT_EQ(c.adversarial.sizes(), x.sizes());
        EXPECT_EQ(c.steps, (std::vector<int64_t>{0, 0, 0})) << attackMethodName(method);
    }
    // Robustness stopped during its first attack keeps the budgets done.
    TensorDataset dataset(x, {0, 1, 2});
    RobustnessOptions ro;
    ro.epsilons = {0, 0.01, 0.02};
    CancelFlag later{false};
    const RobustnessResult rc =
        robustness(*linear.model, dataset, o, ro, [&](double, const std::string&) { later = true; }, &later);
    EXPECT_TRUE(rc.cancelled);
    ASSERT_EQ(rc.points.size(), 1u); // eps 0 needs no attack
    EXPECT_EQ(rc.points[0].eps, 0.0);
}

TEST(Attack, ProgressReachesTheEnd)
{
    Linear linear;
    AttackOptions o = options(AttackMethod::Pgd);
    o.eps = 0.001;
    o.steps = 4;
    o.restarts = 2;
    std::vector<double> fractions;
    std::vector<std::string> stages;
    attack(*linear.model, images(2, 11), {}, o, [&](double f, const std::string& stage) {
        fractions.push_back(f);
        stages.push_back(stage);
    });
    EXPECT_EQ(fractions, (std::vector<double>{0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0}));
    EXPECT_EQ(stages.front(), "restart 1, step 1");
    EXPECT_EQ(stages.back(), "restart 2, step 4");
}

TEST(Attack, OptionsAndStepSize)
{
    EXPECT_EQ(attackMethodFromName("pgd-l2"), AttackMethod::PgdL2);
    EXPECT_EQ(attackMethodName(AttackMethod::CarliniWagner), "cw");
    EXPECT_EQ(attackMethodNames(), (std::vector<std::string>{"fgsm", "bim", "pgd", "pgd-l2", "deepfool", "cw"}));
    EXPECT_TRUE(attackIsL2(AttackMethod::DeepFool));
    EXPECT_FALSE(attackIsL2(AttackMethod::Pgd));
    EXPECT_FALSE(attackUsesEps(AttackMethod::CarliniWagner));
    AttackOptions o = attackDefaults(AttackMethod::Pgd);
    o.eps = 0.04;
    EXPECT_DOUBLE_EQ(attackStepSize(o), 2.5 * 0.04 / 10);
    o.alpha = 0.003;
    EXPECT_DOUBLE_EQ(attackStepSize(o), 0.003);
    o.method = AttackMethod::Fgsm;
    EXPECT_DOUBLE_EQ(attackStepSize(o), 0.04);
    EXPECT_EQ(attackDefaults(AttackMethod::Fgsm).steps, 1);
    EXPECT_EQ(attackDefaults(AttackMethod::DeepFool).steps, 50);
    EXPECT_EQ(attackDefaults(AttackMethod::CarliniWagner).steps, 100);
    EXPECT_DOUBLE_EQ(attackDefaults(AttackMethod::PgdL2).eps, 0.5);
}

TEST(Attack, BadOptionsThrowClearErrors)
{
    Linear linear;
    Model& model = *linear.model;
    const auto check = [&](const std::function<void(AttackOptions&)>& change) {
        AttackOptions o = attackDefaults(AttackMethod::Pgd);
        change(o);
        return errorOf([&] { checkAttackOptions(model, o); });
    };
    EXPECT_EQ(check([](AttackOptions&) {}), "(no error)");
    EXPECT_EQ(check([](AttackOptions& o) { o.eps = 0; }), "eps must be a positive number");
    EXPECT_EQ(check([](AttackOptions& o) { o.eps = std::nan(""); }), "eps must be a positive number");
    EXPECT_EQ(check([](AttackOptions& o) {
                  o.method = AttackMethod::DeepFool;
                  o.eps = 0;
              }),
              "(no error)"); // deepfool has no budget
    EXPECT_EQ(check([](AttackOptions& o) { o.steps = 0; }), "steps must be at least 1");
    EXPECT_EQ(check([](AttackOptions& o) { o.alpha = -2; }), "the step size must be a positive number");
    EXPECT_EQ(check([](AttackOptions& o) { o.alpha = std::numeric_limits<double>::infinity(); }),
              "the step size must be a positive number");
    EXPECT_EQ(check([](AttackOptions& o) { o.restarts = 0; }), "restarts must be at least 1");
    EXPECT_EQ(check([](AttackOptions& o) { o.target = 4; }),
              "target class 4 is out of range: the model has 4 outputs (0..3)");
    EXPECT_EQ(check([](AttackOptions& o) { o.overshoot = -0.1; }),
              "DeepFool needs an overshoot of 0 or more and at least 1 candidate class");
    EXPECT_EQ(check([](AttackOptions& o) { o.candidates = 0; }),
              "DeepFool needs an overshoot of 0 or more and at least 1 candidate class");
    EXPECT_EQ(check([](AttackOptions& o) { o.c = 0; }),
              "Carlini-Wagner needs c > 0, kappa >= 0, a learning rate > 0 and at least 1 search round");
    EXPECT_EQ(check([](AttackOptions& o) { o.binarySteps = 0; }),
              "Carlini-Wagner needs c > 0, kappa >= 0, a learning rate > 0 and at least 1 search round");
    EXPECT_EQ(errorOf([] { attackMethodFromName("jsma"); }),
              "unknown attack 'jsma': use fgsm, bim, pgd, pgd-l2, deepfool or cw");

    const torch::Tensor x = images(2, 12);
    const AttackOptions pgd = attackDefaults(AttackMethod::Pgd);
    EXPECT_EQ(errorOf([&] { attack(model, x, {1}, pgd); }), "attack: 1 labels for 2 images");
    EXPECT_EQ(errorOf([&] { attack(model, x, {1, 4}, pgd); }), "attack: label 4 is not one of the model's 4 classes");

    TensorDataset dataset(x, {0, 1});
    RobustnessOptions ro;
    EXPECT_EQ(errorOf([&] { robustness(model, dataset, pgd, ro); }), "robustness needs at least one eps");
    ro.epsilons = {0, -0.1};
    EXPECT_EQ(errorOf([&] { robustness(model, dataset, pgd, ro); }), "every eps must be 0 or a positive number");
    ro.epsilons = {0.1};
    ro.samples = 0;
    EXPECT_EQ(errorOf([&] { robustness(model, dataset, pgd, ro); }), "robustness needs at least 1 sample");
}
