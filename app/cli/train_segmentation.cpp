// `convscope train --arch unet-small|fcn-small --data digit-canvas`: a
// segmentation network on digit canvases, scored by mean IoU.

#include "app/cli/common.h"
#include "app/cli/json_matrix.h"
#include "core/digit_canvas.h"
#include "core/error.h"
#include "core/segmentation_training.h"
#include "io/datasets.h"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace convscope::cli {

int trainSegmentationCommand(const TrainOptions& o, int64_t canvases, bool json, CancelFlag& interrupted)
{
    if (canvases < 1 || canvases > 1000000)
        throw Error("--canvases must be between 1 and 1000000");
    if (o.input[0] != 1 || o.input[1] != o.input[2])
        throw Error("digit canvases are square and gray: give --input 1,S,S");
    // Canvases of the training split's digits, a new sequence per seed; the
    // test canvases are fixed, from digits the training never sees.
    auto train = io::openDigitCanvases(true, canvases, 1000 + o.seed, o.input[1]);
    auto test = io::openDigitCanvases(false, kCanvasTestCount, kCanvasTestSeed, o.input[1]);
    std::ostream& log = json ? std::cerr : std::cout;
    log << "training " << o.arch << " (input " << o.input[0] << "x" << o.input[1] << "x" << o.input[2] << ") on "
        << train->description() << ", " << o.epochs << " epochs -> " << o.out << '\n'
        << "testing on " << test->description() << " made from the digits sheet's test split\n";

    SegmentationTrainReport report = trainSegmentation(*train, *test, o, [&](const SegmentationEpoch& e) {
        log << "epoch " << std::setw(3) << e.epoch << "/" << o.epochs << std::fixed << std::setprecision(4) << "  loss "
            << e.loss << std::setprecision(2) << "  train pixels " << e.trainPixelAccuracy * 100 << "%  test pixels "
            << e.pixelAccuracy * 100 << "%  mean IoU " << std::setprecision(4) << e.meanIoU << "  lr "
            << std::setprecision(5) << e.learningRate << std::setprecision(1) << "  " << e.seconds << " s"
            << (e.best ? "  saved" : "") << std::endl;
    }, {}, &interrupted);
    if (report.cancelled)
        log << (report.bestEpoch ? "interrupted: the best model so far (epoch " + std::to_string(report.bestEpoch) + ") is in " + o.out
                                 : std::string("interrupted before the first epoch ended: nothing written"))
            << '\n';
    else
        log << "best test mean IoU " << std::setprecision(4) << report.bestMeanIoU << " (epoch " << report.bestEpoch
            << "), written to " << o.out << ", " << std::setprecision(1) << report.seconds << " s\n";
    if (json) {
        const auto& classes = train->classes();
        nlohmann::ordered_json out;
        out["arch"] = o.arch;
        out["task"] = "segmentation";
        out["dataset"] = train->identity();
        out["test_set"] = test->identity();
        out["train_images"] = report.trainSize;
        out["test_images"] = report.testSize;
        out["input"] = o.input;
        out["out"] = report.bestEpoch ? nlohmann::ordered_json(o.out) : nlohmann::ordered_json(nullptr);
        out["best_epoch"] = report.bestEpoch;
        out["best_mean_iou"] = report.bestMeanIoU;
        out["cancelled"] = report.cancelled;
        out["seconds"] = report.seconds;
        out["mean"] = report.mean;
        out["std"] = report.std;
        out["epochs"] = nlohmann::ordered_json::array();
        for (const auto& e : report.epochs)
            out["epochs"].push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_pixel_accuracy", e.trainPixelAccuracy},
                                     {"pixel_accuracy", e.pixelAccuracy}, {"mean_iou", e.meanIoU},
                                     {"iou", namedValues(e.iou, classes)}, {"lr", e.learningRate}, {"seconds", e.seconds}});
        std::cout << out.dump(2) << '\n';
    }
    return report.cancelled ? 130 : 0;
}

} // namespace convscope::cli
