#include "core/segmentation_training.h"

#include "core/architectures.h"
#include "core/device.h"
#include "core/error.h"
#include "core/segmentation.h"
#include "core/training_model.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <numeric>

namespace convscope {

namespace {

// Every image and label map of a dataset in memory (8000 canvases of 64x64: 160 MB).
struct Loaded {
    torch::Tensor images; // [N, C, H, W] float
    torch::Tensor labels; // [N, H, W] uint8
};

Loaded loadAll(Dataset& data, const ProgressFn& progress, const CancelFlag* cancel, const char* stage)
{
    std::vector<torch::Tensor> images, labels;
    for (int64_t i = 0; i < data.size(); ++i) {
        throwIfCancelled(cancel);
        torch::Tensor map = data.labelMap(i);
        if (!map.defined())
            throw Error(data.description() + " has no per-pixel labels: segmentation trains on --data digit-canvas");
        images.push_back(data.image(i));
        labels.push_back(map.to(torch::kUInt8));
        if (progress && i % 256 == 0)
            progress(static_cast<double>(i) / static_cast<double>(data.size()), stage);
    }
    if (images.empty())
        throw Error(data.description() + " is empty");
    return {torch::stack(images), torch::stack(labels)};
}

} // namespace

SegmentationTrainReport trainSegmentation(Dataset& train, Dataset& test, const TrainOptions& options,
                                          const std::function<void(const SegmentationEpoch&)>& onEpoch,
                                          const ProgressFn& progress, const CancelFlag* cancel)
{
    if (!isSegmentationArchitecture(options.arch))
        throw Error(options.arch + " is a classifier: per-pixel labels train unet-small or fcn-small");
    if (options.epochs < 1 || options.batchSize < 1 || !(options.learningRate > 0))
        throw Error("epochs, batch size and learning rate must be positive");
    if (options.out.empty())
        throw Error("give the output file (--out FILE)");
    if (options.optimizer != "sgd" && options.optimizer != "adam")
        throw Error("unknown optimizer '" + options.optimizer + "': use sgd or adam");
    if (train.classes() != test.classes())
        throw Error("the training and test canvases have different classes");
    const auto started = std::chrono::steady_clock::now();
    const c10::Device device = parseDevice(options.device);
    torch::manual_seed(options.seed);
    SegmentationTrainReport report;
    Loaded trainData, testData;
    try {
        trainData = loadAll(train, progress, cancel, "making training canvases");
        testData = loadAll(test, progress, cancel, "making test canvases");
    } catch (const Cancelled&) {
        report.cancelled = true;
        return report;
    }
    report.trainSize = trainData.images.size(0);
    report.testSize = testData.images.size(0);
    const std::array<int64_t, 3> input = options.input[0] ? options.input : defaultInput(options.arch);
    if (trainData.images.size(1) != input[0] || trainData.images.size(2) != input[1] || trainData.images.size(3) != input[2])
        throw Error("the canvases do not match the model's input " + std::to_string(input[0]) + "x"
                    + std::to_string(input[1]) + "x" + std::to_string(input[2]));
    const torch::Tensor perChannel = trainData.images.transpose(0, 1).reshape({input[0], -1});
    const torch::Tensor m = perChannel.mean(1), s = perChannel.std(1).clamp_min(1e-3);
    for (int64_t c = 0; c < input[0]; ++c) {
        report.mean.push_back(m[c].item<double>());
        report.std.push_back(s[c].item<double>());
    }
    auto tensorOptions = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const auto mean = torch::tensor(std::vector<float>(report.mean.begin(), report.mean.end()), tensorOptions).view({1, -1, 1, 1});
    const auto stdev = torch::tensor(std::vector<float>(report.std.begin(), report.std.end()), tensorOptions).view({1, -1, 1, 1});

    const int64_t classes = static_cast<int64_t>(train.classes().size());
    keepTorchScriptUnfused();
    torch::jit::Module module = buildArchitecture(options.arch, input, classes);
    // The score layer's bias starts at the log of each class's share of the
    // training pixels. From zero, Adam's bounded steps took thousands of
    // batches just to learn that 95 % of the pixels are background, and the
    // digits were not learned in that time (in PyTorch as here).
    {
        torch::NoGradGuard noGrad;
        const torch::Tensor share = torch::bincount(trainData.labels.reshape({-1}).to(torch::kLong), {}, classes)
                                        .to(torch::kFloat32)
                                        / static_cast<double>(trainData.labels.numel());
        module.attr(scoreLayerOf(options.arch)).toModule().attr("bias").toTensor().copy_(share.clamp_min(1e-4).log());
    }
    module.to(device);
    module.train();
    std::unique_ptr<torch::optim::Optimizer> optimizer = makeOptimizer(module, options);

    nlohmann::ordered_json metadata;
    metadata["name"] = options.name.empty() ? options.arch + " on " + train.name() : options.name;
    metadata["task"] = "segmentation";
    metadata["input"] = input;
    metadata["mean"] = report.mean;
    metadata["std"] = report.std;
    metadata["labels"] = train.classes();
    // Black background, then Tableau's ten colours: VOC's palette makes
    // class 7 gray, invisible on a gray digit.
    metadata["palette"] = nlohmann::ordered_json::array({{0, 0, 0}, {31, 119, 180}, {255, 127, 14}, {44, 160, 44},
                                                         {214, 39, 40}, {148, 103, 189}, {140, 86, 75}, {227, 119, 194},
                                                         {188, 189, 34}, {23, 190, 207}, {255, 221, 87}});
    metadata["dataset"] = train.identity();
    metadata["test_set"] = test.identity();
    metadata["arch"] = options.arch;

    const int64_t n = report.trainSize;
    const int64_t batches = (n + options.batchSize - 1) / options.batchSize;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        const auto epochStart = std::chrono::steady_clock::now();
        SegmentationEpoch e;
        e.epoch = epoch + 1;
        e.learningRate = learningRateAt(options, epoch);
        for (auto& group : optimizer->param_groups())
            group.options().set_lr(e.learningRate);
        std::vector<int64_t> order(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        seededShuffle(order, options.seed * 1000003 + static_cast<uint64_t>(epoch));
        const torch::Tensor orderTensor = torch::tensor(order, torch::kLong);
        double lossSum = 0;
        int64_t right = 0, seen = 0;
        try {
            for (int64_t b = 0; b < batches; ++b) {
                throwIfCancelled(cancel);
                const torch::Tensor which = orderTensor.slice(0, b * options.batchSize, std::min(n, (b + 1) * options.batchSize));
                const torch::Tensor pixels = trainData.images.index_select(0, which).to(device);
                const torch::Tensor labels = trainData.labels.index_select(0, which).to(device, torch::kLong);
                const torch::Tensor out = module.forward({(pixels - mean) / stdev}).toTensor();
                const torch::Tensor loss = torch::nn::functional::cross_entropy(out, labels);
                optimizer->zero_grad();
                loss.backward();
                optimizer->step();
                lossSum += loss.item<double>() * static_cast<double>(labels.numel());
                right += out.argmax(1).eq(labels).sum().item<int64_t>();
                seen += labels.numel();
                if (progress)
                    progress((epoch + static_cast<double>(b + 1) / static_cast<double>(batches)) / options.epochs,
                             "epoch " + std::to_string(epoch + 1));
            }
            // The test canvases, in eval mode.
            torch::NoGradGuard noGrad;
            module.eval();
            SegmentationScore score(classes);
            for (int64_t begin = 0; begin < report.testSize; begin += 128) {
                throwIfCancelled(cancel);
                const int64_t end = std::min(report.testSize, begin + 128);
                const torch::Tensor out = module.forward({(testData.images.slice(0, begin, end).to(device) - mean) / stdev}).toTensor();
                score.add(out.argmax(1), testData.labels.slice(0, begin, end).to(torch::kLong));
            }
            module.train();
            e.pixelAccuracy = score.pixelAccuracy();
            e.meanIoU = score.meanIoU();
            e.iou = score.iou();
        } catch (const Cancelled&) {
            module.train();
            report.cancelled = true; // this epoch is not tested: not saved either
            break;
        }
        e.loss = seen ? lossSum / static_cast<double>(seen) : 0;
        e.trainPixelAccuracy = seen ? static_cast<double>(right) / static_cast<double>(seen) : 0;
        if (report.bestEpoch == 0 || e.meanIoU > report.bestMeanIoU) {
            report.bestEpoch = e.epoch;
            report.bestMeanIoU = e.meanIoU;
            metadata["test_mean_iou"] = e.meanIoU;
            metadata["test_pixel_accuracy"] = e.pixelAccuracy;
            nlohmann::ordered_json iou = nlohmann::ordered_json::array();
            for (double v : e.iou)
                iou.push_back(std::isnan(v) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v));
            metadata["test_iou"] = iou;
            metadata["epochs"] = e.epoch;
            saveCheckpoint(module, options.out, metadata);
            e.best = true;
        }
        e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count();
        report.epochs.push_back(e);
        if (onEpoch)
            onEpoch(e);
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

} // namespace convscope
