#pragma once

// Segmentation models (FCN, U-Net, DeepLab: a score per class and pixel):
// the class map of one image, how well a map matches its labels, and the
// regions the per-pixel views explain.

#include "core/attribution.h"

#include <torch/script.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope {

class Model;

struct SegmentationMap {
    torch::Tensor scores;        // [C, h, w] the model's output as it gives it (logits), CPU float
    torch::Tensor probabilities; // [C, h, w] softmax over the classes, CPU float, at the output's resolution
    torch::Tensor classes;       // [h, w] int64: the most probable class of each pixel
};

// `pixels` [C, H, W] or [1, C, H, W] in [0, 1]; Error unless the model is a
// segmentation model.
SegmentationMap segmentImage(Model& model, const torch::Tensor& pixels);

// The class other than 0 (background in VOC and the digit canvases) with
// the most pixels in a class map; 0 when no other class is predicted.
int64_t largestForegroundClass(const torch::Tensor& classMap, int64_t classes);

// Pixels per class in a class map [h, w] (or [N, h, w]) of `classes` classes.
std::vector<int64_t> classPixelCounts(const torch::Tensor& classMap, int64_t classes);

// Agreement of predicted and true class maps, accumulated over images.
// IoU of a class: true positives / (true positives + false positives + false
// negatives); a class in neither map has none (NaN) and is left out of the
// mean, as in the PASCAL VOC and torchvision references.
class SegmentationScore {
public:
    explicit SegmentationScore(int64_t classes);
    // Maps of the same shape, [h, w] or [N, h, w], int64; `ignore` (e.g. 255,
    // VOC's border) in the truth is skipped.
    void add(const torch::Tensor& predicted, const torch::Tensor& truth, int64_t ignore = -1);
    double pixelAccuracy() const;
    std::vector<double> iou() const;
    double meanIoU() const;
    int64_t classes() const { return m_classes; }
    const std::vector<int64_t>& confusion() const { return m_confusion; } // [truth * C + predicted]

private:
    int64_t m_classes;
    std::vector<int64_t> m_confusion;
};

// What a per-pixel view explains of a segmentation model: a box in input
// pixels (x0, y0 inclusive, x1, y1 exclusive), or the pixels predicted as a
// class (-1: the target class).
struct Region {
    std::optional<std::array<int64_t, 4>> box;
    int64_t maskClass = -1;
};
// "x0,y0,x1,y1" into a box; Error naming the form otherwise.
std::array<int64_t, 4> parseRegionBox(const std::string& text);
// The region as [h, w] float weights (0 or 1) at the output's resolution,
// from the clean class map; Error for a box outside the image or an empty mask.
torch::Tensor regionMask(const Model& model, const Region& region, const torch::Tensor& classMap, int64_t target);
// [N] scores of class `target` over the region of score maps `output`
// [N, C, h, w]: Logit sums the class's scores over the region (pytorch-grad-cam's
// SemanticSegmentationTarget); Probability is the region's mean softmax
// probability of the class.
torch::Tensor regionScore(const torch::Tensor& output, int64_t target, Score score, const torch::Tensor& mask);
// [N, C]: every class's score over the region, as regionScore gives one.
torch::Tensor regionScores(const torch::Tensor& output, Score score, const torch::Tensor& mask);
// The target's score from a model pass: the region's when `mask` is
// defined, else the logits' (scoreOf).
torch::Tensor targetScore(const torch::Tensor& logits, const torch::Tensor& output, int64_t target, Score score,
                          const torch::Tensor& mask);

// A class map [h, w] in the palette, as [h, w, 3] uint8 RGB.
torch::Tensor paintClassMap(const torch::Tensor& classMap, const std::vector<std::array<uint8_t, 3>>& palette);

// The class map at the input's size [H, W] (nearest neighbour), for drawing
// over the input and reading a pixel under the mouse.
torch::Tensor classMapAtSize(const torch::Tensor& classMap, int64_t height, int64_t width);
// The input `pixels` [C, H, W] in [0, 1] with the class colours laid over it
// at `opacity`: [3, H, W] in [0, 1].
torch::Tensor classMapOverlay(const torch::Tensor& classMap, const torch::Tensor& pixels,
                              const std::vector<std::array<uint8_t, 3>>& palette, double opacity);
// A label image [H, W] as class indices: gray values are the classes
// themselves; colours are looked up in the palette, and VOC's border colour
// (224, 224, 192) becomes 255 (ignored when scoring). `rgb` is [3, H, W] or
// [1, H, W] holding 0..255. Error naming the first colour not in the palette.
torch::Tensor labelsFromImage(const torch::Tensor& rgb, const std::vector<std::array<uint8_t, 3>>& palette);

} // namespace convscope
