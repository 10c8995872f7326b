#pragma once

#include "core/architectures.h"
#include "core/dataset.h"
#include "core/progress.h"
#include "core/training_model.h"

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torch::optim {
class Optimizer;
}

namespace convscope {

struct TrainOptions {
    std::string arch = "lenet5";
    ArchitectureOptions layers; // the lecture's switches: batch norm, dropout
    std::array<int64_t, 3> input{}; // zeros: the architecture's default
    int epochs = 10;
    int batchSize = 64;
    std::string optimizer = "sgd"; // sgd (momentum) or adam
    double learningRate = 0.05;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    std::string schedule = "cosine"; // cosine, step or none
    int stepEvery = 5;               // step schedule: multiply by stepGamma every stepEvery epochs
    double stepGamma = 0.1;
    // Augmentation, drawn per image per step.
    bool augment = true;
    double maxShift = 0.1;    // fraction of the image side
    double maxRotation = 10;  // degrees
    bool horizontalFlip = false;
    double brightness = 0.2;  // multiply by U(1 - b, 1 + b)
    double testFraction = 0.2;
    uint64_t seed = 0;
    std::string device = "auto";
    std::string out;          // where the best checkpoint is written
    std::string snapshots;    // a folder for every epoch's model (epoch_001.pt, ...); empty: none
    std::string name;         // metadata name; default "<arch> on <dataset>"
    // Adversarial training (Madry et al. 2018): "pgd" trains each batch on
    // PGD-k examples within an L-inf ball of radius adversarialEpsilon in
    // pixels [0, 1] (random start, step 2.5 eps / k); empty: the images as they are.
    std::string adversarial;
    double adversarialEpsilon = 0.1;
    int adversarialSteps = 3;
};

struct EpochReport {
    int epoch = 0; // 1-based
    double loss = 0;
    double trainAccuracy = 0;
    double testAccuracy = 0;
    double learningRate = 0;
    double seconds = 0;
    bool best = false; // this epoch's model was written to `out`
    // The test pass: counts[true * K + predicted], and each test image's
    // predicted class in the order of TrainStart::testItems.
    std::vector<int64_t> confusion;
    std::vector<int32_t> testPredictions;
};

// What is known once the data is read, before the first batch.
struct TrainStart {
    int64_t trainSize = 0, testSize = 0, batchesPerEpoch = 0;
    std::array<int64_t, 3> input{};
    std::vector<std::string> classes;
    std::vector<int64_t> testItems; // indices into the test set (or the dataset's held-out split)
};

// Every `stepEvery` batches: the mean loss and accuracy of the batches since
// the last report.
struct TrainStep {
    int epoch = 0;          // 1-based
    int64_t batch = 0;      // batches done in this epoch
    int64_t batches = 0;    // per epoch
    double epochs = 0;      // progress in epochs: epoch - 1 + batch / batches
    double loss = 0, accuracy = 0;
    double learningRate = 0;
};

// What a watcher (the Training tab) hears from train(), on the training
// thread. `pause`, while true, holds the run between two batches; cancel
// still ends it.
struct TrainHooks {
    std::function<void(const TrainStart&)> onStart;
    std::function<void(const EpochReport&)> onEpoch;
    int stepEvery = 25; // 0 or less: about 40 reports an epoch
    std::function<void(const TrainStep&, const TrainingModel&)> onStep;
    const std::atomic<bool>* pause = nullptr;
    // Before every batch, and every 20 ms while paused: the model as it
    // stands, after `batches` batches of epoch `epoch` (1-based), to save.
    std::function<void(int epoch, int64_t batches, const TrainingModel&)> between;
};

struct TrainReport {
    std::vector<EpochReport> epochs;
    int bestEpoch = 0;
    double bestTestAccuracy = 0;
    bool cancelled = false;
    int64_t trainSize = 0, testSize = 0;
    std::vector<double> mean, std; // of the training split, stored in the metadata
    double seconds = 0;
    std::string out;
    std::vector<std::string> snapshots; // one file per finished epoch, when asked for
    std::string testSet; // the identity of the official test set used, empty for a held-out split
};

// Trains a built-in architecture on a labeled dataset, opened in the
// architecture's input format. After each epoch the model is evaluated on the
// fixed test split and, when it is the best so far, saved to options.out with
// convscope.json embedded (input, mean/std, labels, name, dataset, test
// accuracy). Cancelling stops after the current batch; the best checkpoint
// stays on disk. Throws Error on bad options or data.
//
// With `testSet` (an official test set, in the same format and with the same
// classes), every image of `dataset` trains and the model is evaluated on
// `testSet` instead of a held-out split.
TrainReport train(Dataset& dataset, const TrainOptions& options, const TrainHooks& hooks,
                  const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr, Dataset* testSet = nullptr);
inline TrainReport train(Dataset& dataset, const TrainOptions& options,
                         const std::function<void(const EpochReport&)>& onEpoch = {}, const ProgressFn& progress = {},
                         const CancelFlag* cancel = nullptr, Dataset* testSet = nullptr)
{
    TrainHooks hooks;
    hooks.onEpoch = onEpoch;
    return train(dataset, options, hooks, progress, cancel, testSet);
}

// The optimizer `options` ask for (SGD with momentum, or Adam) over the
// module's parameters, and the learning rate of epoch `epoch` (0-based) under their
// schedule: train() and trainSegmentation() share them.
std::unique_ptr<torch::optim::Optimizer> makeOptimizer(torch::jit::Module& module, const TrainOptions& options);
double learningRateAt(const TrainOptions& options, int epoch);

// What train() refuses before it starts, as one line: unlabeled data, one
// class, an official test set to train on, a test set with other classes.
void checkTrainingData(const Dataset& dataset, const Dataset* testSet = nullptr);

// The input a built-in architecture takes for a dataset whose images are
// `stored` (C, H, W as read): the dataset's own 1x28x28 for MNIST-like data,
// else the architecture's default.
std::array<int64_t, 3> inputFor(const std::string& arch, const std::array<int64_t, 3>& stored);

// The snapshots train() kept in `folder` (epoch_001.pt, ...), in epoch order;
// empty when the folder is gone or holds none.
std::vector<std::string> listSnapshots(const std::string& folder);

// The per-step augmentation, exposed for tests: random shift, rotation,
// optional horizontal flip and brightness, on pixels [N, C, H, W] in [0, 1].
torch::Tensor augmentBatch(const torch::Tensor& pixels, const TrainOptions& options);

// PGD-k examples for adversarial training, exposed for tests: pixels [N, C, H, W]
// in [0, 1], the module taking (pixels - mean) / stdev. The module is in eval
// mode while attacked (dropout off, batch norm's statistics untouched) and
// left in train mode; its parameters' gradients are not touched.
torch::Tensor pgdExamples(torch::jit::Module& module, const torch::Tensor& pixels, const torch::Tensor& labels,
                          const torch::Tensor& mean, const torch::Tensor& stdev, double epsilon, int steps);

} // namespace convscope
