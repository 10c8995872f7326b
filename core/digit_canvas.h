#pragma once

// Digit canvases: the M2NIST idea, made on the fly. Each canvas is a black
// square with one to four handwritten digits at random places and sizes, and
// a label per pixel (0 background, 1 + d for digit d), so that a segmentation
// network can be trained and checked without any downloaded data.

#include "core/dataset.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

struct CanvasOptions {
    int64_t size = 64;       // side of the square canvas, pixels
    int maxDigits = 4;       // 1..maxDigits digits per canvas
    int64_t minTile = 32;    // a digit's 28x28 tile is scaled to a side in [minTile, maxTile]
    int64_t maxTile = 48;
    double inkThreshold = 0.5; // a digit pixel brighter than this is labeled with its digit
};

struct Canvas {
    torch::Tensor image;  // [1, S, S] float in [0, 1]
    torch::Tensor labels; // [S, S] int64: 0 background, 1 + digit
};

// "background", "0", ..., "9".
std::vector<std::string> canvasClasses();

// Canvas `index` of the sequence `seed`, from digit tiles `digits` [M, 1, h, w]
// with classes `digitLabels` [M]: the same (seed, index) always gives the same
// canvas. Digits never overlap ink: a placement that would is redrawn (up to
// 20 times, then the digit is left out).
Canvas makeCanvas(const torch::Tensor& digits, const torch::Tensor& digitLabels, uint64_t seed, int64_t index,
                  const CanvasOptions& options = {});

// `count` canvases of sequence `seed` from the digits of `source` at
// `items`, read once into memory. label() is the digit with the most pixels;
// labelMap() the per-pixel labels.
class DigitCanvasDataset final : public Dataset {
public:
    DigitCanvasDataset(Dataset& source, const std::vector<int64_t>& items, int64_t count, uint64_t seed,
                       const std::string& name, const CanvasOptions& options = {});
    int64_t size() const override { return m_count; }
    torch::Tensor image(int64_t index) override;
    torch::Tensor labelMap(int64_t index) override;
    int64_t label(int64_t index) const override;
    std::string itemName(int64_t index) const override;
    Canvas canvas(int64_t index) const;
    const CanvasOptions& options() const { return m_options; }
    // A fixed test set: walked whole (see splitDataset), never split.
    void markTestSet() { m_testSet = true; }

private:
    torch::Tensor m_digits, m_digitLabels;
    int64_t m_count;
    uint64_t m_seed;
    CanvasOptions m_options;
};

// The fixed test set of `convscope train --data digit-canvas` and of the
// dataset "digit-canvas": 500 canvases of sequence 1 made from the digits
// sheet's test split (splitDataset, 20 %, seed 0), never seen in training.
constexpr int64_t kCanvasTestCount = 500;
constexpr uint64_t kCanvasTestSeed = 1;

} // namespace convscope
