#include "core/segmentation.h"

#include "core/error.h"
#include "core/model.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace convscope {

SegmentationMap segmentImage(Model& model, const torch::Tensor& pixels)
{
    if (!isSegmentation(model.info()))
        throw Error(model.info().name + " is a classifier (its output is one score per class): segmentation needs "
                    "a model whose output is [N, C, H, W] scores per pixel");
    torch::NoGradGuard noGrad;
    const torch::Tensor x = pixels.dim() == 3 ? pixels.unsqueeze(0) : pixels;
    const torch::Tensor output = model.output(x).to(torch::kCPU, torch::kFloat32);
    SegmentationMap map;
    map.scores = output[0].contiguous();
    map.probabilities = torch::softmax(output[0], 0).contiguous();
    map.classes = output[0].argmax(0).contiguous();
    return map;
}

std::vector<int64_t> classPixelCounts(const torch::Tensor& classMap, int64_t classes)
{
    const torch::Tensor counts = torch::bincount(classMap.reshape({-1}).to(torch::kCPU, torch::kLong), {}, classes);
    std::vector<int64_t> out(static_cast<size_t>(classes), 0);
    for (int64_t c = 0; c < std::min(classes, counts.size(0)); ++c)
        out[static_cast<size_t>(c)] = counts[c].item<int64_t>();
    return out;
}

int64_t largestForegroundClass(const torch::Tensor& classMap, int64_t classes)
{
    const std::vector<int64_t> counts = classPixelCounts(classMap, classes);
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
        if (counts[static_cast<size_t>(c)] > 0 && (best == 0 || counts[static_cast<size_t>(c)] > counts[static_cast<size_t>(best)]))
            best = c;
    return best;
}

SegmentationScore::SegmentationScore(int64_t classes)
    : m_classes(classes)
    , m_confusion(static_cast<size_t>(classes * classes), 0)
{
}

void SegmentationScore::add(const torch::Tensor& predicted, const torch::Tensor& truth, int64_t ignore)
{
    if (predicted.sizes() != truth.sizes())
        throw Error("the label map is " + std::to_string(truth.size(-2)) + "x" + std::to_string(truth.size(-1))
                    + " but the prediction is " + std::to_string(predicted.size(-2)) + "x"
                    + std::to_string(predicted.size(-1)));
    torch::Tensor p = predicted.reshape({-1}).to(torch::kCPU, torch::kLong);
    torch::Tensor t = truth.reshape({-1}).to(torch::kCPU, torch::kLong);
    const torch::Tensor keep = (t >= 0).logical_and(t < m_classes).logical_and(t != ignore);
    p = p.masked_select(keep);
    t = t.masked_select(keep);
    const torch::Tensor counts = torch::bincount(t * m_classes + p, {}, m_classes * m_classes);
    const auto c = counts.accessor<int64_t, 1>();
    for (int64_t i = 0; i < m_classes * m_classes; ++i)
        m_confusion[static_cast<size_t>(i)] += c[i];
}

double SegmentationScore::pixelAccuracy() const
{
    int64_t right = 0, all = 0;
    for (int64_t t = 0; t < m_classes; ++t)
        for (int64_t p = 0; p < m_classes; ++p) {
            const int64_t n = m_confusion[static_cast<size_t>(t * m_classes + p)];
            all += n;
            right += t == p ? n : 0;
        }
    return all ? static_cast<double>(right) / static_cast<double>(all) : 0.0;
}

std::vector<double> SegmentationScore::iou() const
{
    std::vector<double> out;
    for (int64_t c = 0; c < m_classes; ++c) {
        int64_t tp = m_confusion[static_cast<size_t>(c * m_classes + c)], truth = 0, predicted = 0;
        for (int64_t k = 0; k < m_classes; ++k) {
            truth += m_confusion[static_cast<size_t>(c * m_classes + k)];
            predicted += m_confusion[static_cast<size_t>(k * m_classes + c)];
        }
        const int64_t uni = truth + predicted - tp;
        out.push_back(uni ? static_cast<double>(tp) / static_cast<double>(uni) : std::numeric_limits<double>::quiet_NaN());
    }
    return out;
}

double SegmentationScore::meanIoU() const
{
    double sum = 0;
    int n = 0;
    for (double v : iou())
        if (!std::isnan(v)) {
            sum += v;
            ++n;
        }
    return n ? sum / n : 0.0;
}

std::array<int64_t, 4> parseRegionBox(const std::string& text)
{
    std::vector<int64_t> v;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            size_t used = 0;
            v.push_back(std::stoll(item, &used));
            if (used != item.size())
                v.clear();
        } catch (const std::exception&) {
            v.clear();
        }
        if (v.empty())
            break;
    }
    if (v.size() != 4 || v[2] <= v[0] || v[3] <= v[1])
        throw Error("bad region '" + text + "': expected x0,y0,x1,y1 in input pixels with x1 > x0 and y1 > y0");
    return {v[0], v[1], v[2], v[3]};
}

torch::Tensor regionMask(const Model& model, const Region& region, const torch::Tensor& classMap, int64_t target)
{
    const ModelInfo& info = model.info();
    if (!isSegmentation(info))
        throw Error("--region and --mask-class are for segmentation models; " + info.name + " is a classifier");
    const int64_t h = info.outputSize[0], w = info.outputSize[1];
    if (region.box) {
        const auto [x0, y0, x1, y1] = *region.box;
        const int64_t H = info.input[1], W = info.input[2];
        if (x0 < 0 || y0 < 0 || x1 > W || y1 > H)
            throw Error("the region " + std::to_string(x0) + "," + std::to_string(y0) + "," + std::to_string(x1) + ","
                        + std::to_string(y1) + " is not inside the " + std::to_string(W) + "x" + std::to_string(H)
                        + " input");
        // Input pixels to output pixels: the output cells whose centres fall in the box.
        torch::Tensor mask = torch::zeros({h, w});
        auto cell = [](int64_t at, int64_t from, int64_t to) { return (at * to + from / 2) / from; };
        const int64_t r0 = cell(y0, H, h), r1 = std::max(r0 + 1, cell(y1, H, h));
        const int64_t c0 = cell(x0, W, w), c1 = std::max(c0 + 1, cell(x1, W, w));
        mask.slice(0, r0, std::min(r1, h)).slice(1, c0, std::min(c1, w)).fill_(1);
        return mask;
    }
    const int64_t cls = region.maskClass >= 0 ? region.maskClass : target;
    if (cls < 0 || cls >= info.outputs)
        throw Error("mask class " + std::to_string(cls) + " is out of range: the model has classes 0.."
                    + std::to_string(info.outputs - 1));
    torch::Tensor mask = classMap.to(torch::kCPU).eq(cls).to(torch::kFloat32);
    if (mask.sum().item<double>() == 0)
        throw Error("no pixel is predicted as " + info.labels[static_cast<size_t>(cls)]
                    + ": give a box with --region x0,y0,x1,y1 or another --mask-class");
    return mask;
}

torch::Tensor regionScores(const torch::Tensor& output, Score score, const torch::Tensor& mask)
{
    const torch::Tensor m = mask.to(output.device(), output.scalar_type());
    if (score == Score::Probability)
        return (torch::softmax(output, 1) * m).sum({2, 3}) / m.sum().clamp_min(1e-12);
    return (output * m).sum({2, 3});
}

torch::Tensor regionScore(const torch::Tensor& output, int64_t target, Score score, const torch::Tensor& mask)
{
    return regionScores(output, score, mask).select(1, target);
}

torch::Tensor targetScore(const torch::Tensor& logits, const torch::Tensor& output, int64_t target, Score score,
                          const torch::Tensor& mask)
{
    return mask.defined() ? regionScore(output, target, score, mask) : scoreOf(logits, target, score);
}

torch::Tensor paintClassMap(const torch::Tensor& classMap, const std::vector<std::array<uint8_t, 3>>& palette)
{
    std::vector<uint8_t> flat;
    for (const auto& c : palette)
        flat.insert(flat.end(), c.begin(), c.end());
    const torch::Tensor table = torch::tensor(flat, torch::kUInt8).view({-1, 3});
    const torch::Tensor index = classMap.to(torch::kCPU, torch::kLong).clamp(0, table.size(0) - 1);
    return table.index_select(0, index.reshape({-1})).view({index.size(0), index.size(1), 3}).contiguous();
}

torch::Tensor classMapAtSize(const torch::Tensor& classMap, int64_t height, int64_t width)
{
    if (classMap.size(0) == height && classMap.size(1) == width)
        return classMap;
    // Pixel centres: row r of the input reads row floor((r + 0.5) h / H) of the map.
    const torch::Tensor rows = ((torch::arange(height, torch::kDouble) + 0.5) * classMap.size(0) / height).floor().to(torch::kLong);
    const torch::Tensor cols = ((torch::arange(width, torch::kDouble) + 0.5) * classMap.size(1) / width).floor().to(torch::kLong);
    return classMap.index_select(0, rows).index_select(1, cols);
}

torch::Tensor classMapOverlay(const torch::Tensor& classMap, const torch::Tensor& pixels,
                              const std::vector<std::array<uint8_t, 3>>& palette, double opacity)
{
    const torch::Tensor image = pixels.to(torch::kCPU, torch::kFloat32);
    const torch::Tensor base = image.size(0) == 1 ? image.expand({3, -1, -1}) : image;
    const torch::Tensor colours = paintClassMap(classMapAtSize(classMap, image.size(1), image.size(2)), palette)
                                      .permute({2, 0, 1})
                                      .to(torch::kFloat32)
                                      / 255.0;
    return (base * (1 - opacity) + colours * opacity).clamp(0, 1).contiguous();
}

torch::Tensor labelsFromImage(const torch::Tensor& rgb, const std::vector<std::array<uint8_t, 3>>& palette)
{
    const torch::Tensor v = rgb.to(torch::kCPU).round().to(torch::kLong);
    if (v.size(0) == 1 || (v[0].eq(v[1]).all().item<bool>() && v[1].eq(v[2]).all().item<bool>()))
        return v[0].contiguous();
    const torch::Tensor key = v[0] * 65536 + v[1] * 256 + v[2];
    torch::Tensor labels = torch::full(key.sizes(), -1, torch::kLong);
    labels.masked_fill_(key.eq(224 * 65536 + 224 * 256 + 192), 255);
    for (size_t c = 0; c < palette.size(); ++c) {
        const int64_t k = palette[c][0] * 65536 + palette[c][1] * 256 + palette[c][2];
        labels.masked_fill_(key.eq(k), static_cast<int64_t>(c));
    }
    const torch::Tensor unknown = labels.lt(0).nonzero();
    if (unknown.size(0) > 0) {
        const int64_t y = unknown[0][0].item<int64_t>(), x = unknown[0][1].item<int64_t>();
        throw Error("the label image has colour (" + std::to_string(v[0][y][x].item<int64_t>()) + ", "
                    + std::to_string(v[1][y][x].item<int64_t>()) + ", " + std::to_string(v[2][y][x].item<int64_t>())
                    + ") at x " + std::to_string(x) + ", y " + std::to_string(y)
                    + ", which is no class of the model's palette: give class indices as gray values or palette colours");
    }
    return labels;
}

} // namespace convscope
