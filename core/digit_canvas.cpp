#include "core/digit_canvas.h"

#include "core/error.h"

#include <torch/torch.h>

#include <algorithm>

namespace convscope {

namespace {

// SplitMix64: a portable stream from (seed, index) alone, the same with
// every standard library.
class Stream {
public:
    Stream(uint64_t seed, int64_t index)
        : m_state(seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(index) + 0x632BE59BD9B4E019ull))
    {
        next();
    }
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    int64_t below(int64_t n) { return static_cast<int64_t>(next() % static_cast<uint64_t>(n)); }

private:
    uint64_t m_state;
};

} // namespace

std::vector<std::string> canvasClasses()
{
    std::vector<std::string> names{"background"};
    for (int d = 0; d < 10; ++d)
        names.push_back(std::to_string(d));
    return names;
}

Canvas makeCanvas(const torch::Tensor& digits, const torch::Tensor& digitLabels, uint64_t seed, int64_t index,
                  const CanvasOptions& o)
{
    if (digits.dim() != 4 || digits.size(0) == 0)
        throw Error("digit canvases need digit images");
    if (o.minTile < 4 || o.maxTile < o.minTile || o.maxTile > o.size)
        throw Error("digit canvas tiles must fit the canvas");
    Stream rng(seed, index);
    Canvas canvas;
    canvas.image = torch::zeros({1, o.size, o.size});
    canvas.labels = torch::zeros({o.size, o.size}, torch::kLong);
    const int count = 1 + static_cast<int>(rng.below(o.maxDigits));
    for (int k = 0; k < count; ++k) {
        const int64_t pick = rng.below(digits.size(0));
        const int64_t side = o.minTile + rng.below(o.maxTile - o.minTile + 1);
        const torch::Tensor tile = torch::nn::functional::interpolate(
                                       digits[pick].unsqueeze(0).to(torch::kFloat32),
                                       torch::nn::functional::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{side, side})
                                           .mode(torch::kBilinear)
                                           .align_corners(false))[0][0]
                                       .clamp(0, 1);
        const torch::Tensor ink = tile > o.inkThreshold;
        for (int attempt = 0; attempt < 20; ++attempt) {
            const int64_t y = rng.below(o.size - side + 1), x = rng.below(o.size - side + 1);
            torch::Tensor under = canvas.labels.slice(0, y, y + side).slice(1, x, x + side);
            torch::Tensor pixels = canvas.image[0].slice(0, y, y + side).slice(1, x, x + side);
            // Ink on ink, or this digit's faint edge over another's stroke, would blur who owns a pixel.
            if ((under > 0).logical_and(tile > 0.05).any().item<bool>() || (pixels > 0.05).logical_and(ink).any().item<bool>())
                continue;
            pixels.copy_(torch::max(pixels, tile));
            under.masked_fill_(ink, 1 + digitLabels[pick].item<int64_t>());
            break;
        }
    }
    return canvas;
}

DigitCanvasDataset::DigitCanvasDataset(Dataset& source, const std::vector<int64_t>& items, int64_t count,
                                       uint64_t seed, const std::string& name, const CanvasOptions& options)
    : m_count(count)
    , m_seed(seed)
    , m_options(options)
{
    std::vector<int64_t> loaded;
    m_digits = loadBatch(source, items, &loaded);
    if (!m_digits.defined() || m_digits.size(0) == 0)
        throw Error("no digits to make canvases from");
    if (m_digits.size(1) != 1)
        m_digits = m_digits.mean(1, true);
    std::vector<int64_t> labels;
    for (int64_t i : loaded)
        labels.push_back(source.label(i));
    m_digitLabels = torch::tensor(labels, torch::kLong);
    if (m_digitLabels.min().item<int64_t>() < 0 || m_digitLabels.max().item<int64_t>() > 9)
        throw Error("digit canvases need digits labeled 0..9");
    m_classes = canvasClasses();
    m_name = name;
    m_details = std::to_string(count) + " canvases of " + std::to_string(options.size) + "x" + std::to_string(options.size)
                + ", 11 classes per pixel";
    m_identity = "digit-canvas:" + source.identity() + ":" + std::to_string(items.size()) + ":" + std::to_string(count)
                 + ":" + std::to_string(seed) + ":" + std::to_string(options.size);
}

Canvas DigitCanvasDataset::canvas(int64_t index) const
{
    if (index < 0 || index >= m_count)
        throw Error("canvas " + std::to_string(index) + " is out of range");
    return makeCanvas(m_digits, m_digitLabels, m_seed, index, m_options);
}

torch::Tensor DigitCanvasDataset::image(int64_t index)
{
    return canvas(index).image;
}

torch::Tensor DigitCanvasDataset::labelMap(int64_t index)
{
    return canvas(index).labels;
}

int64_t DigitCanvasDataset::label(int64_t index) const
{
    const torch::Tensor counts = torch::bincount(canvas(index).labels.reshape({-1}), {}, 11);
    return counts.slice(0, 1).argmax().item<int64_t>() + 1;
}

std::string DigitCanvasDataset::itemName(int64_t index) const
{
    return "canvas #" + std::to_string(index);
}

} // namespace convscope
