#include "core/trainer.h"

#include "core/architectures.h"
#include "core/device.h"
#include "core/error.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <numeric>
#include <thread>
#include <optional>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace convscope {

namespace F = torch::nn::functional;

torch::Tensor augmentBatch(const torch::Tensor& pixels, const TrainOptions& o)
{
    const int64_t n = pixels.size(0);
    auto options = pixels.options();
    torch::Tensor out = pixels;
    if (o.maxShift > 0 || o.maxRotation > 0) {
        // One affine map per image: rotation about the centre, then a shift.
        auto angle = (torch::rand({n}, options) * 2 - 1) * (o.maxRotation * M_PI / 180.0);
        auto shift = (torch::rand({n, 2}, options) * 2 - 1) * (2 * o.maxShift); // grid coordinates span 2
        auto cos = angle.cos(), sin = angle.sin();
        auto theta = torch::stack({torch::stack({cos, -sin, shift.select(1, 0)}, 1),
                                   torch::stack({sin, cos, shift.select(1, 1)}, 1)},
                                  1);
        auto grid = F::affine_grid(theta, pixels.sizes().vec(), false);
        out = F::grid_sample(out, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
    }
    if (o.horizontalFlip) {
        auto flip = torch::rand({n}, options) < 0.5;
        out = torch::where(flip.view({n, 1, 1, 1}), out.flip({3}), out);
    }
    if (o.brightness > 0) {
        auto factor = 1 + (torch::rand({n, 1, 1, 1}, options) * 2 - 1) * o.brightness;
        out = (out * factor).clamp(0, 1);
    }
    return out;
}

torch::Tensor pgdExamples(torch::jit::Module& module, const torch::Tensor& pixels, const torch::Tensor& labels,
                          const torch::Tensor& mean, const torch::Tensor& stdev, double epsilon, int steps)
{
    module.eval();
    const double alpha = 2.5 * epsilon / std::max(1, steps);
    auto x = (pixels + torch::empty_like(pixels).uniform_(-epsilon, epsilon)).clamp(0, 1).detach();
    for (int k = 0; k < steps; ++k) {
        x.requires_grad_(true);
        auto loss = F::cross_entropy(module.forward({(x - mean) / stdev}).toTensor(), labels);
        auto gradient = torch::autograd::grad({loss}, {x})[0];
        x = (x.detach() + alpha * gradient.sign());
        x = torch::min(torch::max(x, pixels - epsilon), pixels + epsilon).clamp(0, 1).detach();
    }
    module.train();
    return x;
}

namespace {

// Images of a split held in memory when they fit (the digits: 15 MB), read
// batch by batch otherwise.
class SplitData {
public:
    SplitData(Dataset& dataset, std::vector<int64_t> indices, const ProgressFn& progress, const CancelFlag* cancel,
              const char* stage)
        : m_dataset(dataset)
        , m_indices(std::move(indices))
    {
        if (m_indices.empty())
            return;
        const torch::Tensor first = dataset.image(m_indices.front());
        const double bytes = static_cast<double>(first.numel()) * 4 * static_cast<double>(m_indices.size());
        if (bytes > 1024.0 * 1024 * 1024)
            return; // lazy
        std::vector<torch::Tensor> images;
        std::vector<int64_t> kept;
        for (size_t i = 0; i < m_indices.size(); ++i) {
            throwIfCancelled(cancel);
            try {
                images.push_back(dataset.image(m_indices[i]));
                kept.push_back(m_indices[i]);
            } catch (const Error&) {
                dataset.noteSkipped(dataset.itemName(m_indices[i]));
            }
            if (progress && i % 256 == 0)
                progress(static_cast<double>(i) / static_cast<double>(m_indices.size()), stage);
        }
        m_indices = kept;
        if (!images.empty())
            m_images = torch::stack(images);
    }

    int64_t size() const { return static_cast<int64_t>(m_indices.size()); }
    const std::vector<int64_t>& indices() const { return m_indices; }

    // Pixels and labels of positions [begin, end) of `order` (positions into indices()).
    std::pair<torch::Tensor, torch::Tensor> batch(const std::vector<int64_t>& order, size_t begin, size_t end)
    {
        std::vector<int64_t> positions(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                       order.begin() + static_cast<std::ptrdiff_t>(end));
        std::vector<int64_t> wanted, labels;
        for (int64_t p : positions)
            wanted.push_back(m_indices[static_cast<size_t>(p)]);
        torch::Tensor pixels;
        std::vector<int64_t> loaded;
        if (m_images.defined()) {
            pixels = m_images.index_select(0, torch::tensor(positions));
            loaded = wanted;
        } else {
            pixels = loadBatch(m_dataset, wanted, &loaded);
        }
        for (int64_t index : loaded)
            labels.push_back(m_dataset.label(index));
        return {pixels, torch::tensor(labels, torch::kLong)};
    }

    // Per-channel mean and std over (up to 4000 of) the images.
    std::pair<std::vector<double>, std::vector<double>> statistics()
    {
        std::vector<int64_t> order(static_cast<size_t>(std::min<int64_t>(size(), 4000)));
        std::iota(order.begin(), order.end(), 0);
        auto [pixels, labels] = batch(order, 0, order.size());
        auto perChannel = pixels.transpose(0, 1).reshape({pixels.size(1), -1});
        auto mean = perChannel.mean(1), std = perChannel.std(1).clamp_min(1e-3);
        std::vector<double> m, s;
        for (int64_t c = 0; c < mean.size(0); ++c) {
            m.push_back(mean[c].item<double>());
            s.push_back(std[c].item<double>());
        }
        return {m, s};
    }

private:
    Dataset& m_dataset;
    std::vector<int64_t> m_indices;
    torch::Tensor m_images;
};


void checkOptions(const TrainOptions& o)
{
    if (o.epochs < 1 || o.epochs > 100000)
        throw Error("epochs must be at least 1");
    if (o.batchSize < 1 || o.batchSize > 65536)
        throw Error("batch size must be between 1 and 65536");
    if (!(o.learningRate > 0))
        throw Error("the learning rate must be positive");
    if (o.optimizer != "sgd" && o.optimizer != "adam")
        throw Error("unknown optimizer '" + o.optimizer + "': use sgd or adam");
    if (o.schedule != "cosine" && o.schedule != "step" && o.schedule != "none")
        throw Error("unknown schedule '" + o.schedule + "': use cosine, step or none");
    if (o.out.empty())
        throw Error("give the output file (--out FILE)");
    if (!o.adversarial.empty() && o.adversarial != "pgd")
        throw Error("unknown adversarial training '" + o.adversarial + "': use pgd");
    if (!o.adversarial.empty() && !(o.adversarialEpsilon > 0 && o.adversarialEpsilon <= 1))
        throw Error("the adversarial epsilon must lie in (0, 1] (pixels span [0, 1])");
    if (!o.adversarial.empty() && (o.adversarialSteps < 1 || o.adversarialSteps > 1000))
        throw Error("the adversarial steps must be between 1 and 1000");
}

} // namespace

double learningRateAt(const TrainOptions& o, int epoch)
{
    if (o.schedule == "cosine")
        return o.learningRate * 0.5 * (1 + std::cos(M_PI * epoch / std::max(1, o.epochs)));
    if (o.schedule == "step")
        return o.learningRate * std::pow(o.stepGamma, epoch / std::max(1, o.stepEvery));
    return o.learningRate;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(torch::jit::Module& module, const TrainOptions& options)
{
    std::vector<torch::Tensor> parameters;
    for (const auto& p : module.parameters())
        parameters.push_back(p);
    if (options.optimizer == "adam")
        return std::make_unique<torch::optim::Adam>(
            parameters, torch::optim::AdamOptions(options.learningRate).weight_decay(options.weightDecay));
    return std::make_unique<torch::optim::SGD>(
        parameters,
        torch::optim::SGDOptions(options.learningRate).momentum(options.momentum).weight_decay(options.weightDecay));
}

std::vector<std::string> listSnapshots(const std::string& folder)
{
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const bool digits = name.size() >= 12 && name.rfind("epoch_", 0) == 0 && name.substr(name.size() - 3) == ".pt"
                            && std::all_of(name.begin() + 6, name.end() - 3,
                                           [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (digits)
            files.push_back(it->path().string());
    }
    // By epoch number: epoch_1000.pt after epoch_999.pt.
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
        return std::make_pair(a.size(), a) < std::make_pair(b.size(), b);
    });
    return files;
}

void checkTrainingData(const Dataset& dataset, const Dataset* testSet)
{
    if (!dataset.labeled())
        throw Error("the dataset " + dataset.description()
                    + " has no labels: training needs class subfolders, an idx file with its labels, or digits");
    if (dataset.classes().size() < 2)
        throw Error("the dataset " + dataset.description() + " has one class: training needs at least 2");
    if (dataset.isTestSet())
        throw Error(dataset.description() + " is an official test set: train on its training set and test on this");
    if (testSet && testSet->classes() != dataset.classes()) {
        const auto list = [](const std::vector<std::string>& names) {
            std::string text;
            for (size_t i = 0; i < names.size() && i < 4; ++i)
                text += (i ? ", " : "") + names[i];
            return text + (names.size() > 4 ? ", … (" + std::to_string(names.size()) + ")" : "");
        };
        throw Error("the test set " + testSet->description() + " has other classes (" + list(testSet->classes())
                    + ") than the training set (" + list(dataset.classes()) + ")");
    }
}

std::array<int64_t, 3> inputFor(const std::string& arch, const std::array<int64_t, 3>& stored)
{
    // MiniVGG's 3x32x32 would blow Fashion-MNIST up to three gray copies at 32x32.
    if (stored[0] == 1 && stored[1] == 28 && stored[2] == 28)
        return stored;
    return defaultInput(arch);
}

TrainReport train(Dataset& dataset, const TrainOptions& options, const TrainHooks& hooks, const ProgressFn& progress,
                  const CancelFlag* cancel, Dataset* testSet)
{
    checkOptions(options);
    checkTrainingData(dataset, testSet);
    const auto started = std::chrono::steady_clock::now();
    const c10::Device device = parseDevice(options.device);
    torch::manual_seed(options.seed);

    TrainReport report;
    report.out = options.out;
    Split split;
    if (testSet) {
        split.train = everyItem(dataset);
        split.test = everyItem(*testSet);
        report.testSet = testSet->identity();
    } else {
        split = splitDataset(dataset, options.testFraction, options.seed);
    }
    std::optional<SplitData> trainSplit, testSplit;
    try {
        trainSplit.emplace(dataset, split.train, progress, cancel, "reading training images");
        testSplit.emplace(testSet ? *testSet : dataset, split.test, progress, cancel, "reading test images");
    } catch (const Cancelled&) {
        report.cancelled = true; // before any epoch: nothing written
        return report;
    }
    SplitData& trainData = *trainSplit;
    SplitData& testData = *testSplit;
    report.trainSize = trainData.size();
    report.testSize = testData.size();
    if (report.trainSize == 0 || report.testSize == 0)
        throw Error("the dataset " + dataset.description() + " is too small to split into training and test images");

    const std::array<int64_t, 3> input = options.input[0] ? options.input : defaultInput(options.arch);
    const auto [probe, probeLabels] = trainData.batch({0}, 0, 1);
    if (probe.size(1) != input[0] || probe.size(2) != input[1] || probe.size(3) != input[2])
        throw Error("the dataset delivers " + std::to_string(probe.size(1)) + "x" + std::to_string(probe.size(2)) + "x"
                    + std::to_string(probe.size(3)) + " images but the model takes " + std::to_string(input[0]) + "x"
                    + std::to_string(input[1]) + "x" + std::to_string(input[2]));
    std::tie(report.mean, report.std) = trainData.statistics();
    auto tensorOptions = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const auto mean = torch::tensor(std::vector<float>(report.mean.begin(), report.mean.end()), tensorOptions).view({1, -1, 1, 1});
    const auto stdev = torch::tensor(std::vector<float>(report.std.begin(), report.std.end()), tensorOptions).view({1, -1, 1, 1});

    const int64_t classes = static_cast<int64_t>(dataset.classes().size());
    keepTorchScriptUnfused();
    torch::jit::Module module = buildArchitecture(options.arch, input, classes, options.layers);
    if (!options.snapshots.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(options.snapshots, ec);
        if (ec)
            throw Error("cannot make the snapshot folder " + options.snapshots + ": " + ec.message());
    }
    module.to(device);
    module.train();
    std::unique_ptr<torch::optim::Optimizer> optimizer = makeOptimizer(module, options);

    nlohmann::ordered_json metadata;
    metadata["name"] = options.name.empty() ? options.arch + " on " + dataset.name() : options.name;
    metadata["input"] = input;
    metadata["mean"] = report.mean;
    metadata["std"] = report.std;
    metadata["labels"] = dataset.classes();
    metadata["dataset"] = dataset.identity();
    if (testSet)
        metadata["test_set"] = testSet->identity();
    metadata["arch"] = options.arch;
    const ArchitectureOptions layers = withDefaults(options.arch, options.layers);
    metadata["batch_norm"] = *layers.batchNorm;
    metadata["dropout"] = *layers.dropout;
    if (!options.adversarial.empty())
        metadata["adversarial"] = {{"method", options.adversarial},
                                   {"epsilon", options.adversarialEpsilon},
                                   {"steps", options.adversarialSteps}};
    if (!options.snapshots.empty())
        metadata["snapshots"] = std::filesystem::absolute(options.snapshots).string();
    const int64_t batches = (trainData.size() + options.batchSize - 1) / options.batchSize;
    if (hooks.onStart) {
        TrainStart start;
        start.trainSize = report.trainSize;
        start.testSize = report.testSize;
        start.batchesPerEpoch = batches;
        start.input = input;
        start.classes = dataset.classes();
        start.testItems = testData.indices();
        hooks.onStart(start);
    }

    // The test pass: accuracy, the confusion matrix and every image's prediction.
    auto evaluate = [&](SplitData& data, EpochReport& er) {
        torch::NoGradGuard noGrad;
        module.eval();
        std::vector<int64_t> order(static_cast<size_t>(data.size()));
        std::iota(order.begin(), order.end(), 0);
        er.confusion.assign(static_cast<size_t>(classes * classes), 0);
        er.testPredictions.assign(order.size(), -1);
        int64_t correct = 0, seen = 0;
        for (size_t begin = 0; begin < order.size(); begin += 512) {
            throwIfCancelled(cancel); // Stop does not wait for 10,000 test images
            const size_t end = std::min(order.size(), begin + 512);
            auto [pixels, labels] = data.batch(order, begin, end);
            if (!pixels.defined())
                continue;
            auto logits = module.forward({(pixels.to(device) - mean) / stdev}).toTensor();
            const auto predicted = logits.argmax(1).cpu();
            correct += predicted.eq(labels).sum().item<int64_t>();
            seen += labels.size(0);
            const auto p = predicted.accessor<int64_t, 1>();
            const auto t = labels.accessor<int64_t, 1>();
            // An unreadable image drops out of a lazily read batch: then the
            // positions no longer line up and only the counts are kept.
            const bool aligned = labels.size(0) == static_cast<int64_t>(end - begin);
            for (int64_t i = 0; i < labels.size(0); ++i) {
                er.confusion[static_cast<size_t>(t[i] * classes + p[i])] += 1;
                if (aligned)
                    er.testPredictions[begin + static_cast<size_t>(i)] = static_cast<int32_t>(p[i]);
            }
        }
        module.train();
        er.testAccuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
    };
    const bool adversarial = !options.adversarial.empty();

    const TrainingModel watched(module, mean, stdev, metadata); // what the hooks see of the run
    const int64_t stepEvery = hooks.stepEvery > 0 ? hooks.stepEvery : std::max<int64_t>(1, batches / 40);
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        const auto epochStart = std::chrono::steady_clock::now();
        EpochReport er;
        er.epoch = epoch + 1;
        er.learningRate = learningRateAt(options, epoch);
        for (auto& group : optimizer->param_groups())
            group.options().set_lr(er.learningRate);
        std::vector<int64_t> order(static_cast<size_t>(trainData.size()));
        std::iota(order.begin(), order.end(), 0);
        seededShuffle(order, options.seed * 1000003 + static_cast<uint64_t>(epoch));
        double lossSum = 0, stepLoss = 0;
        int64_t correct = 0, seen = 0, stepCorrect = 0, stepSeen = 0;
        double pausedSeconds = 0;
        try {
            for (int64_t b = 0; b < batches; ++b) {
                throwIfCancelled(cancel);
                if (hooks.pause && hooks.pause->load()) {
                    const auto pausedAt = std::chrono::steady_clock::now();
                    while (hooks.pause->load()) {
                        throwIfCancelled(cancel);
                        if (hooks.between)
                            hooks.between(epoch + 1, b, watched);
                        std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    }
                    pausedSeconds += secondsSince(pausedAt);
                }
                if (hooks.between)
                    hooks.between(epoch + 1, b, watched);
                const size_t begin = static_cast<size_t>(b * options.batchSize);
                auto [pixels, labels] = trainData.batch(order, begin, std::min(order.size(), begin + options.batchSize));
                if (!pixels.defined())
                    continue;
                pixels = pixels.to(device);
                labels = labels.to(device);
                if (options.augment)
                    pixels = augmentBatch(pixels, options);
                if (adversarial)
                    pixels = pgdExamples(module, pixels, labels, mean, stdev, options.adversarialEpsilon,
                                         options.adversarialSteps);
                auto logits = module.forward({(pixels - mean) / stdev}).toTensor();
                auto loss = F::cross_entropy(logits, labels);
                optimizer->zero_grad();
                loss.backward();
                optimizer->step();
                const double batchLoss = loss.item<double>() * static_cast<double>(labels.size(0));
                const int64_t batchCorrect = logits.argmax(1).eq(labels).sum().item<int64_t>();
                lossSum += batchLoss;
                correct += batchCorrect;
                seen += labels.size(0);
                stepLoss += batchLoss;
                stepCorrect += batchCorrect;
                stepSeen += labels.size(0);
                if (hooks.onStep && ((b + 1) % stepEvery == 0 || b + 1 == batches) && stepSeen) {
                    TrainStep step;
                    step.epoch = epoch + 1;
                    step.batch = b + 1;
                    step.batches = batches;
                    step.epochs = epoch + static_cast<double>(b + 1) / static_cast<double>(batches);
                    step.loss = stepLoss / static_cast<double>(stepSeen);
                    step.accuracy = static_cast<double>(stepCorrect) / static_cast<double>(stepSeen);
                    step.learningRate = er.learningRate;
                    hooks.onStep(step, watched);
                    stepLoss = 0;
                    stepCorrect = stepSeen = 0;
                }
                if (progress)
                    progress((epoch + static_cast<double>(b + 1) / static_cast<double>(batches)) / options.epochs,
                             "epoch " + std::to_string(epoch + 1));
            }
        } catch (const Cancelled&) {
            report.cancelled = true;
            break;
        }
        er.loss = seen ? lossSum / static_cast<double>(seen) : 0;
        er.trainAccuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0;
        try {
            evaluate(testData, er);
        } catch (const Cancelled&) {
            module.train();
            report.cancelled = true; // this epoch is not tested: not saved either
            break;
        }
        if (report.bestEpoch == 0 || er.testAccuracy > report.bestTestAccuracy) {
            report.bestEpoch = er.epoch;
            report.bestTestAccuracy = er.testAccuracy;
            metadata["test_accuracy"] = er.testAccuracy;
            metadata["epochs"] = er.epoch;
            saveCheckpoint(module, options.out, metadata);
            er.best = true;
        }
        if (!options.snapshots.empty()) {
            // Every epoch, for views that scrub through training (how the
            // filters form); each written as atomically as the best one.
            char file[32];
            std::snprintf(file, sizeof file, "epoch_%03d.pt", er.epoch);
            nlohmann::ordered_json snapshot = metadata;
            snapshot["test_accuracy"] = er.testAccuracy;
            snapshot["epochs"] = er.epoch;
            const std::string path = (std::filesystem::path(options.snapshots) / file).string();
            saveCheckpoint(module, path, snapshot);
            report.snapshots.push_back(path);
        }
        er.seconds = secondsSince(epochStart) - pausedSeconds;
        report.epochs.push_back(er);
        if (hooks.onEpoch)
            hooks.onEpoch(er);
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

} // namespace convscope
