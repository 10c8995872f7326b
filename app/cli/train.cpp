// `convscope train`: a built-in architecture on a labeled dataset.

#include "app/cli/common.h"
#include "app/shell/defaults.h"
#include "app/views/training/run.h"
#include "core/architectures.h"
#include "core/dataset.h"
#include "core/device.h"
#include "core/error.h"
#include "core/model_metadata.h"
#include "core/trainer.h"
#include "io/datasets.h"

#include <nlohmann/json.hpp>

#include <QFileInfo>

#include <array>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

CancelFlag g_interrupted{false};

extern "C" void onInterrupt(int)
{
    g_interrupted = true; // stop after this batch; the best checkpoint stays
}

double number(const QCommandLineParser& parser, const char* name)
{
    bool ok = false;
    const double v = parser.value(QString::fromLatin1(name)).toDouble(&ok);
    if (!ok)
        throw Error(std::string("bad --") + name + " '" + parser.value(QString::fromLatin1(name)).toStdString() + "'");
    return v;
}

} // namespace

int trainCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    const TrainOptions d;
    auto text = [](double v) { return QString::number(v); };
    parser.addOptions({
        {QStringLiteral("arch"), QStringLiteral("lenet5 (default), minivgg, or for segmentation unet-small or fcn-small."),
         QStringLiteral("ARCH"), QStringLiteral("lenet5")},
        {QStringLiteral("data"),
         QStringLiteral("Dataset: 'digits' (default), 'fashion-mnist', an image folder, an idx file, or 'digit-canvas' "
                        "(segmentation: digits at random places, a label per pixel)."),
         QStringLiteral("DATASET"), defaultDatasetSpec()},
        {QStringLiteral("test-data"),
         QStringLiteral("An official test set to test on instead of a held-out split (fashion-mnist: its 10,000 test images, by default)."),
         QStringLiteral("FILE|FOLDER")},
        {QStringLiteral("labels"), QStringLiteral("Class names, one per line, for the dataset's classes in order."), QStringLiteral("FILE")},
        {QStringLiteral("out"), QStringLiteral("Where to write the best model (default <arch>_<data>.pt)."), QStringLiteral("FILE")},
        {QStringLiteral("epochs"), QStringLiteral("Epochs (default 10)."), QStringLiteral("N"), text(d.epochs)},
        {QStringLiteral("batch"), QStringLiteral("Mini-batch size (default 64)."), QStringLiteral("N"), text(d.batchSize)},
        {QStringLiteral("optimizer"), QStringLiteral("sgd (with momentum, default) or adam."), QStringLiteral("NAME"), QStringLiteral("sgd")},
        {QStringLiteral("lr"), QStringLiteral("Learning rate (default 0.05; use ~0.001 with adam)."), QStringLiteral("LR"), text(d.learningRate)},
        {QStringLiteral("momentum"), QStringLiteral("SGD momentum (default 0.9)."), QStringLiteral("M"), text(d.momentum)},
        {QStringLiteral("weight-decay"), QStringLiteral("Weight decay (default 5e-4)."), QStringLiteral("W"), text(d.weightDecay)},
        {QStringLiteral("schedule"), QStringLiteral("cosine (default), step or none."), QStringLiteral("NAME"), QStringLiteral("cosine")},
        {QStringLiteral("step-every"), QStringLiteral("Step schedule: epochs between steps (default 5)."), QStringLiteral("N"), text(d.stepEvery)},
        {QStringLiteral("step-gamma"), QStringLiteral("Step schedule: factor per step (default 0.1)."), QStringLiteral("G"), text(d.stepGamma)},
        {QStringLiteral("no-augment"), QStringLiteral("Train on the images as they are.")},
        {QStringLiteral("dropout"), QStringLiteral("Dropout probability (0: none; default lenet5 none, minivgg 0.3)."), QStringLiteral("P")},
        {QStringLiteral("batchnorm"), QStringLiteral("Batch norm after every convolution (minivgg's default; lenet5 adds bn1, bn2).")},
        {QStringLiteral("no-batchnorm"), QStringLiteral("No batch norm (lenet5's default).")},
        {QStringLiteral("snapshots"), QStringLiteral("Save every epoch's model in this folder (epoch_001.pt, ...)."), QStringLiteral("DIR")},
        {QStringLiteral("adversarial"), QStringLiteral("Adversarial training: 'pgd' trains on PGD examples of every batch."), QStringLiteral("METHOD")},
        {QStringLiteral("adv-eps"), QStringLiteral("Adversarial training: L-inf radius in pixels [0, 1] (default 0.1)."), QStringLiteral("E"), text(d.adversarialEpsilon)},
        {QStringLiteral("adv-steps"), QStringLiteral("Adversarial training: PGD steps per batch (default 3)."), QStringLiteral("K"), text(d.adversarialSteps)},
        {QStringLiteral("max-shift"), QStringLiteral("Random shift, fraction of the side (default 0.1)."), QStringLiteral("F"), text(d.maxShift)},
        {QStringLiteral("max-rotation"), QStringLiteral("Random rotation in degrees (default 10)."), QStringLiteral("DEG"), text(d.maxRotation)},
        {QStringLiteral("hflip"), QStringLiteral("Random horizontal flips (not for digits).")},
        {QStringLiteral("brightness"), QStringLiteral("Random brightness factor range (default 0.2)."), QStringLiteral("B"), text(d.brightness)},
        {QStringLiteral("test-fraction"), QStringLiteral("Share of each class held out for testing (default 0.2)."), QStringLiteral("F"), text(d.testFraction)},
        {QStringLiteral("input"),
         QStringLiteral("Input C,H,W (default: 1,28,28 for 1-channel 28x28 data; else lenet5 1,28,28, minivgg 3,32,32)."),
         QStringLiteral("C,H,W")},
        {QStringLiteral("seed"), QStringLiteral("Random seed (default 0): the same run on the same machine."), QStringLiteral("S"), QStringLiteral("0")},
        {QStringLiteral("name"), QStringLiteral("Model name stored in its metadata."), QStringLiteral("NAME")},
        {QStringLiteral("device"), QStringLiteral("cpu, cuda, cuda:N or auto (default)."), QStringLiteral("DEVICE"), QStringLiteral("auto")},
        {QStringLiteral("threads"), QStringLiteral("CPU threads (default: every core)."), QStringLiteral("N"), QStringLiteral("0")},
        {QStringLiteral("canvases"), QStringLiteral("digit-canvas: training canvases (default 8000)."), QStringLiteral("N"),
         QStringLiteral("8000")},
        {QStringLiteral("json"), QStringLiteral("Print a JSON report at the end.")},
    });
    parse(parser, arguments, 0, 0,
          "train [--arch lenet5|minivgg|unet-small|fcn-small] [--data DATASET] [--epochs N] [--out FILE] [--json]");

    TrainOptions o;
    o.arch = parser.value(QStringLiteral("arch")).toStdString();
    const auto names = architectureNames();
    if (std::find(names.begin(), names.end(), o.arch) == names.end())
        throw Error("unknown architecture '" + o.arch + "': use lenet5, minivgg, unet-small or fcn-small");
    o.epochs = static_cast<int>(number(parser, "epochs"));
    o.batchSize = static_cast<int>(number(parser, "batch"));
    o.optimizer = parser.value(QStringLiteral("optimizer")).toStdString();
    o.learningRate = number(parser, "lr");
    o.momentum = number(parser, "momentum");
    o.weightDecay = number(parser, "weight-decay");
    o.schedule = parser.value(QStringLiteral("schedule")).toStdString();
    o.stepEvery = static_cast<int>(number(parser, "step-every"));
    o.stepGamma = number(parser, "step-gamma");
    o.augment = !parser.isSet(QStringLiteral("no-augment"));
    if (parser.isSet(QStringLiteral("batchnorm")) && parser.isSet(QStringLiteral("no-batchnorm")))
        throw Error("--batchnorm and --no-batchnorm: give one");
    if (parser.isSet(QStringLiteral("batchnorm")) || parser.isSet(QStringLiteral("no-batchnorm")))
        o.layers.batchNorm = parser.isSet(QStringLiteral("batchnorm"));
    if (parser.isSet(QStringLiteral("dropout")))
        o.layers.dropout = number(parser, "dropout");
    o.snapshots = parser.value(QStringLiteral("snapshots")).toStdString();
    o.adversarial = parser.value(QStringLiteral("adversarial")).toStdString();
    if (o.adversarial.empty() && (parser.isSet(QStringLiteral("adv-eps")) || parser.isSet(QStringLiteral("adv-steps"))))
        throw Error("--adv-eps and --adv-steps set adversarial training: add --adversarial pgd");
    o.adversarialEpsilon = number(parser, "adv-eps");
    bool stepsOk = false;
    o.adversarialSteps = parser.value(QStringLiteral("adv-steps")).toInt(&stepsOk);
    if (!stepsOk)
        throw Error("bad --adv-steps '" + parser.value(QStringLiteral("adv-steps")).toStdString() + "': a whole number");
    o.maxShift = number(parser, "max-shift");
    o.maxRotation = number(parser, "max-rotation");
    o.horizontalFlip = parser.isSet(QStringLiteral("hflip"));
    o.brightness = number(parser, "brightness");
    o.testFraction = number(parser, "test-fraction");
    o.seed = static_cast<uint64_t>(number(parser, "seed"));
    o.device = parser.value(QStringLiteral("device")).toStdString();
    o.name = parser.value(QStringLiteral("name")).toStdString();
    const std::string data = parser.value(QStringLiteral("data")).toStdString();
    if (isSegmentationArchitecture(o.arch) || data == "digit-canvas") {
        if (!isSegmentationArchitecture(o.arch) || data != "digit-canvas")
            throw Error("segmentation trains unet-small or fcn-small on --data digit-canvas");
        if (!parser.isSet(QStringLiteral("out")))
            o.out = o.arch + "_digit_canvas.pt";
        else
            o.out = parser.value(QStringLiteral("out")).toStdString();
        o.input = parser.isSet(QStringLiteral("input")) ? parseInputShape(parser.value(QStringLiteral("input")).toStdString())
                                                        : defaultInput(o.arch);
        setThreads(static_cast<int>(number(parser, "threads")));
        g_interrupted = false;
        auto previous = std::signal(SIGINT, onInterrupt);
        try {
            const int code = trainSegmentationCommand(o, static_cast<int64_t>(number(parser, "canvases")),
                                                      parser.isSet(QStringLiteral("json")), g_interrupted);
            std::signal(SIGINT, previous);
            return code;
        } catch (...) {
            std::signal(SIGINT, previous);
            throw;
        }
    }
    o.input = parser.isSet(QStringLiteral("input")) ? parseInputShape(parser.value(QStringLiteral("input")).toStdString())
                                                    : trainingInput(o.arch, QString::fromStdString(data));
    o.out = parser.isSet(QStringLiteral("out")) ? parser.value(QStringLiteral("out")).toStdString()
                                                : o.arch + "_" + QFileInfo(QString::fromStdString(data)).baseName().toStdString() + ".pt";
    setThreads(static_cast<int>(number(parser, "threads")));

    const ImageFormat format{o.input[0], o.input[1], o.input[2]};
    auto dataset = io::openDataset(data, format);
    const std::string testData = parser.isSet(QStringLiteral("test-data"))
                                     ? parser.value(QStringLiteral("test-data")).toStdString()
                                     : io::officialTestSet(data);
    std::unique_ptr<Dataset> testSet;
    if (!testData.empty())
        testSet = io::openDataset(testData, format);
    if (parser.isSet(QStringLiteral("labels"))) {
        const std::vector<std::string> names = readLabelsFile(parser.value(QStringLiteral("labels")).toStdString());
        dataset->renameClasses(names);
        if (testSet)
            testSet->renameClasses(names);
    }
    checkTrainingData(*dataset, testSet.get()); // before a word of the run is printed
    const bool json = parser.isSet(QStringLiteral("json"));
    std::ostream& log = json ? std::cerr : std::cout;
    log << "training " << o.arch << " (input " << o.input[0] << "x" << o.input[1] << "x" << o.input[2] << ") on "
        << dataset->description() << ", " << o.epochs << " epochs"
        << (o.adversarial.empty() ? std::string()
                                  : ", on PGD-" + std::to_string(o.adversarialSteps) + " examples at eps "
                                        + QString::number(o.adversarialEpsilon).toStdString())
        << " -> " << o.out << '\n';
    log << "testing on " << (testSet ? "the official test set " + testSet->description()
                                     : "a held-out " + std::to_string(static_cast<int>(std::lround(o.testFraction * 100)))
                                           + " % of each class")
        << '\n';

    g_interrupted = false;
    auto previous = std::signal(SIGINT, onInterrupt);
    TrainReport report;
    try {
        report = train(*dataset, o, [&](const EpochReport& e) {
            log << "epoch " << std::setw(3) << e.epoch << "/" << o.epochs << std::fixed << std::setprecision(4) << "  loss "
                << e.loss << std::setprecision(2) << "  train " << e.trainAccuracy * 100 << "%  test "
                << e.testAccuracy * 100 << "%  lr " << std::setprecision(5) << e.learningRate << std::setprecision(1)
                << "  " << e.seconds << " s" << (e.best ? "  saved" : "") << std::endl;
        }, {}, &g_interrupted, testSet.get());
    } catch (...) {
        std::signal(SIGINT, previous);
        throw;
    }
    std::signal(SIGINT, previous);
    if (!dataset->skippedSummary().empty())
        std::cerr << "convscope train: note: " << dataset->skippedSummary() << '\n';
    if (report.cancelled)
        log << (report.bestEpoch ? "interrupted: the best model so far (epoch " + std::to_string(report.bestEpoch) + ") is in " + o.out
                                 : std::string("interrupted before the first epoch ended: nothing written"))
            << '\n';
    else
        log << "best test accuracy " << std::setprecision(2) << report.bestTestAccuracy * 100 << "% (epoch "
            << report.bestEpoch << "), written to " << o.out << ", " << std::setprecision(1) << report.seconds << " s\n";
    if (json) {
        nlohmann::ordered_json out;
        out["arch"] = o.arch;
        out["dataset"] = dataset->identity();
        out["train_images"] = report.trainSize;
        out["test_images"] = report.testSize;
        out["input"] = o.input;
        out["snapshots"] = report.snapshots;
        out["adversarial"] = o.adversarial.empty()
                                 ? nlohmann::ordered_json(nullptr)
                                 : nlohmann::ordered_json({{"method", o.adversarial},
                                                           {"epsilon", o.adversarialEpsilon},
                                                           {"steps", o.adversarialSteps}});
        out["test_set"] = testSet ? nlohmann::ordered_json(testSet->identity()) : nlohmann::ordered_json(nullptr);
        out["out"] = report.bestEpoch ? nlohmann::ordered_json(o.out) : nlohmann::ordered_json(nullptr);
        out["best_epoch"] = report.bestEpoch;
        out["best_test_accuracy"] = report.bestTestAccuracy;
        out["cancelled"] = report.cancelled;
        out["seconds"] = report.seconds;
        out["mean"] = report.mean;
        out["std"] = report.std;
        out["epochs"] = nlohmann::ordered_json::array();
        for (const auto& e : report.epochs)
            out["epochs"].push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.trainAccuracy},
                                     {"test_accuracy", e.testAccuracy}, {"lr", e.learningRate}, {"seconds", e.seconds},
                                     {"confusion", e.confusion}});
        std::cout << out.dump(2) << '\n';
    }
    return report.cancelled ? 130 : 0;
}

} // namespace convscope::cli
