#pragma once

// Training a segmentation network (unet-small, fcn-small) on data with a
// label per pixel: the digit canvases. Per-pixel cross-entropy; after each
// epoch the fixed test canvases are scored (pixel accuracy, IoU per class)
// and the best model by mean IoU is saved, as train() saves the best classifier.

#include "core/dataset.h"
#include "core/progress.h"
#include "core/trainer.h"

#include <functional>
#include <string>
#include <vector>

namespace convscope {

struct SegmentationEpoch {
    int epoch = 0; // 1-based
    double loss = 0;
    double trainPixelAccuracy = 0;
    double pixelAccuracy = 0, meanIoU = 0; // on the test canvases
    std::vector<double> iou;               // per class; NaN for a class in neither map
    double learningRate = 0, seconds = 0;
    bool best = false;
};

struct SegmentationTrainReport {
    std::vector<SegmentationEpoch> epochs;
    int bestEpoch = 0;
    double bestMeanIoU = 0;
    bool cancelled = false;
    int64_t trainSize = 0, testSize = 0;
    std::vector<double> mean, std;
    double seconds = 0;
};

// `train` and `test` give labelMap() for every item, with the same classes.
// Uses options' arch (unet-small, fcn-small), input, epochs, batch size,
// optimizer, learning rate and schedule, weight decay, seed, device, out and
// name; no augmentation (every canvas is already a new arrangement).
SegmentationTrainReport trainSegmentation(Dataset& train, Dataset& test, const TrainOptions& options,
                                          const std::function<void(const SegmentationEpoch&)>& onEpoch = {},
                                          const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace convscope
