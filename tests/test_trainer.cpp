// The built-in trainer and architectures.

#include "core/architectures.h"
#include "core/error.h"
#include "core/model.h"
#include "core/trainer.h"
#include "io/datasets.h"
#include "io/image_io.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <thread>

using namespace convscope;

namespace {
// Accuracy of `model` on the fixed test split, computed here rather than taken
// from the trainer's report.
double testSplitAccuracy(Model& model, Dataset& data)
{
    const Split split = splitDataset(data);
    auto pixels = loadBatch(data, split.test);
    std::vector<int64_t> labels;
    for (int64_t i : split.test)
        labels.push_back(data.label(i));
    torch::NoGradGuard noGrad;
    return model.logits(pixels).argmax(1).eq(torch::tensor(labels)).to(torch::kDouble).mean().item<double>();
}
} // namespace

TEST(Trainer, ShortRunBeatsChanceAndSavesALoadableModel)
{
    test::TempDir dir;
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.epochs = 2;
    o.out = dir.file("lenet.pt");
    o.device = "cpu";
    std::vector<EpochReport> seen;
    const TrainReport r = train(*digits, o, [&](const EpochReport& e) { seen.push_back(e); });
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(r.trainSize, 4000);
    EXPECT_EQ(r.testSize, 1000);
    EXPECT_GT(r.bestTestAccuracy, 0.6); // chance is 0.1
    EXPECT_LT(seen[1].loss, seen[0].loss);
    EXPECT_FALSE(std::filesystem::exists(o.out + ".partial"));

    auto model = Model::load(o.out, {"cpu", {}});
    EXPECT_EQ(model->info().name, "lenet5 on handwritten digits sheet");
    EXPECT_EQ(model->info().input, (std::array<int64_t, 3>{1, 28, 28}));
    EXPECT_EQ(model->info().labels.size(), 10u);
    EXPECT_NEAR(model->info().mean[0], r.mean[0], 1e-9);
    // The saved model's accuracy on the test split is the reported one.
    EXPECT_NEAR(testSplitAccuracy(*model, *digits), r.bestTestAccuracy, 1e-9);
    const auto names = [&] {
        std::vector<std::string> n;
        for (const auto& l : model->layers())
            n.push_back(l.name);
        return n;
    }();
    EXPECT_EQ(names, (std::vector<std::string>{"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1",
                                                "relu3", "fc2", "relu4", "fc3"}));
}

TEST(Trainer, SameSeedSameRun)
{
    test::TempDir dir;
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.epochs = 1;
    o.device = "cpu";
    o.out = dir.file("a.pt");
    const TrainReport a = train(*digits, o);
    o.out = dir.file("b.pt");
    const TrainReport b = train(*digits, o);
    // Identical here; the margin only allows for a different OpenMP reduction order.
    EXPECT_NEAR(a.epochs[0].loss, b.epochs[0].loss, 1e-6 * a.epochs[0].loss);
    EXPECT_NEAR(a.epochs[0].testAccuracy, b.epochs[0].testAccuracy, 0.0015);
    o.seed = 5;
    o.out = dir.file("c.pt");
    EXPECT_NE(train(*digits, o).epochs[0].loss, a.epochs[0].loss);
}

TEST(Trainer, CancelKeepsTheBestCheckpoint)
{
    test::TempDir dir;
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.epochs = 5;
    o.device = "cpu";
    o.out = dir.file("m.pt");
    CancelFlag cancel{false};
    const TrainReport r = train(*digits, o, [&](const EpochReport&) { cancel = true; }, {}, &cancel);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.epochs.size(), 1u);
    EXPECT_EQ(r.bestEpoch, 1);
    EXPECT_TRUE(std::filesystem::exists(o.out));
    EXPECT_NO_THROW(Model::load(o.out, {"cpu", {}}));

    CancelFlag early{true};
    o.out = dir.file("none.pt");
    const TrainReport none = train(*digits, o, TrainHooks{}, {}, &early);
    EXPECT_TRUE(none.cancelled);
    EXPECT_EQ(none.bestEpoch, 0);
    EXPECT_FALSE(std::filesystem::exists(o.out));
}

TEST(Trainer, BadOptionsAndData)
{
    test::TempDir dir;
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.out = dir.file("x.pt");
    o.epochs = 0;
    EXPECT_THROW(train(*digits, o), Error);
    o.epochs = 1;
    o.optimizer = "rmsprop";
    try {
        train(*digits, o);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "unknown optimizer 'rmsprop': use sgd or adam");
    }
    o.optimizer = "sgd";
    auto wrongSize = io::openDataset("digits", {1, 32, 32});
    try {
        train(*wrongSize, o);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "the dataset delivers 1x32x32 images but the model takes 1x28x28");
    }
    test::writeText(dir.file("one.png"), "");
    io::writeImage(dir.file("one.png"), torch::zeros({1, 28, 28}));
    auto unlabeled = io::openDataset(dir.path(), {1, 28, 28});
    try {
        train(*unlabeled, o);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("has no labels"), std::string::npos) << e.what();
    }
}

TEST(Architectures, DropoutAndBatchNormFollowTrainAndEvalModes)
{
    torch::manual_seed(0);
    auto net = buildArchitecture("minivgg", {3, 32, 32}, 10);
    auto x = torch::rand({8, 3, 32, 32});
    torch::NoGradGuard noGrad;

    net.train();
    auto a = net.forward({x}).toTensor();
    auto b = net.forward({x}).toTensor();
    EXPECT_FALSE(torch::allclose(a, b)); // dropout draws a new mask
    // Batch norm in training normalises with the batch's own statistics...
    auto conv = net.attr("conv1_1").toModule().forward({x}).toTensor();
    auto bn = net.attr("bn1_1").toModule();
    auto normalised = bn.forward({conv}).toTensor();
    EXPECT_LT(normalised.mean({0, 2, 3}).abs().max().item<float>(), 1e-4);
    // ...and updates its running statistics (momentum 0.1 from 0).
    auto running = bn.attr("running_mean").toTensor();
    EXPECT_GT(running.abs().max().item<float>(), 0);

    net.eval();
    auto c = net.forward({x}).toTensor();
    auto d = net.forward({x}).toTensor();
    EXPECT_TRUE(torch::equal(c, d));
    // In eval mode batch norm uses the running statistics: by hand.
    auto expected = (conv - running.view({1, -1, 1, 1})) / (bn.attr("running_var").toTensor().view({1, -1, 1, 1}) + 1e-5).sqrt();
    EXPECT_TRUE(torch::allclose(bn.forward({conv}).toTensor(), expected, 1e-5, 1e-5));
}

// The lecture's switches change the graph as named, one at a time.
TEST(Architectures, BatchNormAndDropoutSwitches)
{
    const auto children = [](const torch::jit::Module& net) {
        std::vector<std::string> names;
        for (const auto& child : net.named_children())
            names.push_back(child.name);
        return names;
    };
    const auto has = [](const std::vector<std::string>& names, const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    auto plain = children(buildArchitecture("lenet5", {1, 28, 28}, 10));
    EXPECT_FALSE(has(plain, "bn1") || has(plain, "dropout1"));
    auto lenet = buildArchitecture("lenet5", {1, 28, 28}, 10, {true, 0.5});
    EXPECT_EQ(children(lenet), (std::vector<std::string>{"conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2",
                                                          "pool2", "fc1", "relu3", "dropout1", "fc2", "relu4",
                                                          "dropout2", "fc3"}));
    auto bnOnly = children(buildArchitecture("lenet5", {1, 28, 28}, 10, {true, std::nullopt}));
    EXPECT_TRUE(has(bnOnly, "bn2") && !has(bnOnly, "dropout2"));

    auto vgg = children(buildArchitecture("minivgg", {1, 28, 28}, 10));
    EXPECT_TRUE(has(vgg, "bn3_2") && has(vgg, "dropout"));
    auto bare = buildArchitecture("minivgg", {1, 28, 28}, 10, {false, 0.0});
    for (const auto& name : children(bare))
        EXPECT_TRUE(name.rfind("bn", 0) != 0 && name != "dropout") << name;
    bare.eval();
    torch::NoGradGuard noGrad;
    EXPECT_EQ(bare.forward({torch::rand({2, 1, 28, 28})}).toTensor().sizes(), (std::vector<int64_t>{2, 10}));
    EXPECT_THROW(buildArchitecture("lenet5", {1, 28, 28}, 10, {std::nullopt, 1.0}), Error);
}

TEST(Architectures, Shapes)
{
    auto lenet = buildArchitecture("lenet5", {1, 28, 28}, 10);
    lenet.eval();
    torch::NoGradGuard noGrad;
    EXPECT_EQ(lenet.forward({torch::zeros({2, 1, 28, 28})}).toTensor().sizes(), (std::vector<int64_t>{2, 10}));
    auto vgg = buildArchitecture("minivgg", {1, 28, 28}, 5);
    vgg.eval();
    EXPECT_EQ(vgg.forward({torch::zeros({1, 1, 28, 28})}).toTensor().sizes(), (std::vector<int64_t>{1, 5}));
    EXPECT_THROW(buildArchitecture("resnet", {1, 28, 28}, 10), Error);
    EXPECT_THROW(buildArchitecture("minivgg", {3, 20, 20}, 10), Error);
}

TEST(DefaultModel, ShippedLeNetReachesNinetyEightPercentOnTheTestSplit)
{
    auto model = Model::load(CONVSCOPE_SOURCE_DIR "/models/lenet5_digits.pt", {"cpu", {}});
    auto digits = io::openDataset("digits", {1, 28, 28});
    EXPECT_GE(testSplitAccuracy(*model, *digits), 0.98);
}

// What the Training tab hears: the data once, a step every `stepEvery`
// batches with the model to look at, and each test pass's confusion matrix,
// whose diagonal is the accuracy and whose cells are the predictions.
TEST(Trainer, HooksSeeTheRunAndTheTestPass)
{
    test::TempDir dir;
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.epochs = 1;
    o.out = dir.file("lenet.pt");
    o.snapshots = dir.file("epochs");
    o.device = "cpu";
    TrainStart start;
    std::vector<TrainStep> steps;
    std::vector<EpochReport> epochs;
    TrainHooks hooks;
    hooks.stepEvery = 10;
    hooks.onStart = [&](const TrainStart& s) { start = s; };
    hooks.onEpoch = [&](const EpochReport& e) { epochs.push_back(e); };
    hooks.onStep = [&](const TrainStep& s, const TrainingModel& model) {
        steps.push_back(s);
        if (steps.size() == 1) {
            EXPECT_EQ(model.firstLayerWeights().sizes(), (std::vector<int64_t>{6, 1, 5, 5}));
            auto [maps, probabilities] = model.look(torch::rand({1, 28, 28}));
            EXPECT_EQ(maps.sizes(), (std::vector<int64_t>{6, 28, 28}));
            EXPECT_NEAR(probabilities.sum().item<double>(), 1.0, 1e-5);
            model.save(dir.file("now.pt"));
        }
    };
    const TrainReport r = train(*digits, o, hooks);
    EXPECT_EQ(start.trainSize, 4000);
    EXPECT_EQ(start.batchesPerEpoch, 63);
    EXPECT_EQ(start.testItems, splitDataset(*digits).test);
    ASSERT_EQ(steps.size(), 7u); // batches 10, 20, ..., 60 and the last, 63
    EXPECT_EQ(steps.back().batch, 63);
    EXPECT_DOUBLE_EQ(steps.back().epochs, 1.0);
    ASSERT_EQ(epochs.size(), 1u);
    const auto& e = epochs[0];
    ASSERT_EQ(e.confusion.size(), 100u);
    ASSERT_EQ(e.testPredictions.size(), 1000u);
    int64_t total = 0, diagonal = 0;
    std::vector<int64_t> counted(100, 0);
    for (size_t i = 0; i < e.testPredictions.size(); ++i)
        counted[static_cast<size_t>(digits->label(start.testItems[i]) * 10 + e.testPredictions[i])] += 1;
    for (int t = 0; t < 10; ++t)
        for (int p = 0; p < 10; ++p) {
            total += e.confusion[static_cast<size_t>(t * 10 + p)];
            diagonal += t == p ? e.confusion[static_cast<size_t>(t * 10 + p)] : 0;
        }
    EXPECT_EQ(total, 1000);
    EXPECT_EQ(counted, e.confusion);
    EXPECT_DOUBLE_EQ(static_cast<double>(diagonal) / 1000.0, r.bestTestAccuracy);
    // The mid-run save opens as a model; the metadata names the snapshots.
    auto now = Model::load(dir.file("now.pt"));
    EXPECT_EQ(now->info().outputs, 10);
    auto best = Model::load(o.out);
    EXPECT_EQ(best->info().snapshots, std::filesystem::absolute(o.snapshots).string());
    EXPECT_EQ(listSnapshots(o.snapshots), (std::vector<std::string>{dir.file("epochs") + "/epoch_001.pt"}));
    EXPECT_TRUE(listSnapshots(dir.file("none")).empty());
}

// Paused, the run goes no further and its clock stops; cancel still ends it.
TEST(Trainer, PauseHoldsTheRunAndCancelEndsIt)
{
    test::TempDir dir;
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.epochs = 3;
    o.out = dir.file("lenet.pt");
    o.device = "cpu";
    std::atomic<bool> pause{false};
    CancelFlag cancel{false};
    int steps = 0;
    TrainHooks hooks;
    hooks.stepEvery = 1;
    hooks.pause = &pause;
    hooks.onStep = [&](const TrainStep&, const TrainingModel&) {
        if (++steps == 5)
            pause = true;
    };
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        cancel = true;
    });
    const TrainReport r = train(*digits, o, hooks, {}, &cancel);
    stopper.join();
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(steps, 5);
    EXPECT_TRUE(r.epochs.empty());
}

// PGD examples stay within the eps ball and the pixel range, and raise the
// loss of the shipped LeNet-5 well above that of the clean images.
TEST(Trainer, PgdExamplesStayInTheBallAndRaiseTheLoss)
{
    torch::manual_seed(0);
    const std::string path = CONVSCOPE_SOURCE_DIR "/models/lenet5_digits.pt";
    auto module = torch::jit::load(path);
    const auto info = Model::load(path, {"cpu", {}})->info();
    auto digits = io::openDataset("digits", {1, 28, 28});
    std::vector<int64_t> items(64);
    std::iota(items.begin(), items.end(), 0);
    const auto pixels = loadBatch(*digits, items);
    std::vector<int64_t> labelList;
    for (int64_t i : items)
        labelList.push_back(digits->label(i));
    const auto labels = torch::tensor(labelList);
    const auto mean = torch::full({1, 1, 1, 1}, info.mean[0]), stdev = torch::full({1, 1, 1, 1}, info.std[0]);
    module.train();
    const auto adversarial = pgdExamples(module, pixels, labels, mean, stdev, 0.1, 5);
    EXPECT_LE((adversarial - pixels).abs().max().item<double>(), 0.1 + 1e-6);
    EXPECT_GE(adversarial.min().item<double>(), 0.0);
    EXPECT_LE(adversarial.max().item<double>(), 1.0);
    EXPECT_TRUE(module.is_training()); // left as found
    torch::NoGradGuard noGrad;
    module.eval();
    const auto loss = [&](const torch::Tensor& x) {
        return at::cross_entropy_loss(module.forward({(x - mean) / stdev}).toTensor(), labels).item<double>();
    };
    EXPECT_GT(loss(adversarial), loss(pixels) + 1.0);
    for (const auto& p : module.parameters())
        EXPECT_FALSE(p.grad().defined()); // the attack leaves the weights' gradients alone
}
