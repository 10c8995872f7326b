#include "core/attribution.h"

#include "core/error.h"
#include "core/model.h"

#include <algorithm>
#include <cmath>

namespace convscope {

Score scoreFromName(const std::string& name)
{
    if (name == "prob" || name == "probability")
        return Score::Probability;
    if (name == "logit")
        return Score::Logit;
    throw Error("unknown score '" + name + "': use prob or logit");
}

std::string scoreName(Score score)
{
    return score == Score::Probability ? "prob" : "logit";
}

std::vector<std::string> baselineNames()
{
    return {"gray", "zero", "mean", "blur"};
}

Baseline baselineFromName(const std::string& name)
{
    if (name == "gray" || name == "grey")
        return Baseline::Gray;
    if (name == "zero" || name == "black")
        return Baseline::Zero;
    if (name == "mean")
        return Baseline::Mean;
    if (name == "blur")
        return Baseline::Blur;
    throw Error("unknown baseline '" + name + "': use gray, zero, mean or blur");
}

std::string baselineName(Baseline baseline)
{
    return baselineNames().at(static_cast<size_t>(baseline));
}

torch::Tensor gaussianBlur(const torch::Tensor& pixels, double sigma)
{
    const int64_t channels = pixels.size(0), height = pixels.size(1), width = pixels.size(2);
    const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3 * sigma)));
    torch::Tensor x = torch::arange(-radius, radius + 1, torch::kFloat64);
    torch::Tensor taps = torch::exp(-x * x / (2 * sigma * sigma));
    taps = (taps / taps.sum()).to(torch::kFloat32);
    torch::Tensor image = pixels.to(torch::kFloat32).unsqueeze(0);
    // Reflect padding needs the pad to be smaller than the side.
    const bool reflect = radius < height && radius < width;
    auto pad = [&](const torch::Tensor& t, std::vector<int64_t> sides) {
        return reflect ? torch::reflection_pad2d(t, sides) : torch::replication_pad2d(t, sides);
    };
    torch::Tensor rows = taps.view({1, 1, -1, 1}).repeat({channels, 1, 1, 1});
    torch::Tensor cols = taps.view({1, 1, 1, -1}).repeat({channels, 1, 1, 1});
    const std::vector<int64_t> one{1, 1}, none{0, 0};
    image = torch::conv2d(pad(image, {0, 0, radius, radius}), rows, {}, one, none, one, channels);
    image = torch::conv2d(pad(image, {radius, radius, 0, 0}), cols, {}, one, none, one, channels);
    return image[0];
}

torch::Tensor baselineImage(const torch::Tensor& pixels, Baseline baseline, const std::vector<double>& mean,
                            double blurSigma)
{
    switch (baseline) {
    case Baseline::Gray:
        return torch::full_like(pixels, 0.5);
    case Baseline::Zero:
        return torch::zeros_like(pixels);
    case Baseline::Mean: {
        torch::Tensor m = torch::tensor(std::vector<float>(mean.begin(), mean.end()));
        if (m.numel() != pixels.size(0))
            m = torch::full({pixels.size(0)}, mean.empty() ? 0.0 : mean[0]);
        return m.view({-1, 1, 1}).expand_as(pixels).to(pixels.dtype()).clone();
    }
    case Baseline::Blur:
        return gaussianBlur(pixels, blurSigma);
    }
    return pixels;
}

torch::Tensor oneImage(const torch::Tensor& pixels, const std::string& method)
{
    torch::Tensor x = pixels.dim() == 4 && pixels.size(0) == 1 ? pixels[0] : pixels;
    if (x.dim() != 3)
        throw Error(method + " takes one image [C, H, W], got " + std::to_string(pixels.dim()) + " dimensions");
    return x.detach().to(torch::kCPU, torch::kFloat32).contiguous();
}

torch::Tensor scoreOf(const torch::Tensor& logits, int64_t target, Score score)
{
    if (score == Score::Probability)
        return torch::softmax(logits, 1).select(1, target);
    return logits.select(1, target);
}

void checkTarget(const Model& model, int64_t target)
{
    const int64_t outputs = model.info().outputs;
    if (target < 0 || target >= outputs)
        throw Error("target class " + std::to_string(target) + " is out of range: the model has " + std::to_string(outputs)
                    + " outputs (0.." + std::to_string(outputs - 1) + ")");
}

int64_t imagesPerBatch(const Model& model, int64_t budgetBytes, bool backward, int64_t cap)
{
    // Every layer output counted once is a generous bound for a no-grad pass
    // (the executor frees values after their last use); autograd keeps most
    // of them and adds their gradients.
    int64_t perImage = 0;
    for (const auto& layer : model.layers()) {
        int64_t n = 1;
        for (int64_t d : layer.shape)
            n *= d;
        perImage += n * 4;
    }
    const auto& in = model.info().input;
    perImage += in[0] * in[1] * in[2] * 4 * 2;
    if (backward)
        perImage *= 3;
    return std::clamp<int64_t>(budgetBytes / std::max<int64_t>(1, perImage), 1, cap);
}

} // namespace convscope
