#include "core/ascent.h"

#include "core/attribution.h"
#include "core/batches.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/fft.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace convscope {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Lucid's colour correlation of ImageNet (its "svd_sqrt"), scaled so that
// its largest column norm is 1.
torch::Tensor colourCorrelation()
{
    torch::Tensor m = torch::tensor({0.26f, 0.09f, 0.02f, 0.27f, 0.00f, -0.05f, 0.27f, -0.09f, 0.03f}).view({3, 3});
    return m / m.norm(2, 0).max();
}

struct Checked {
    int64_t channels = 0; // channels or units the objective indexes
    bool maps = false;    // channel maps [C, H, W]
    int64_t y = 0, x = 0;
};

Checked checkObjective(const Model& model, const AscentObjective& objective, const std::vector<int64_t>& units)
{
    Checked c;
    std::string what;
    if (objective.layer < 0) {
        c.channels = model.info().outputs;
        what = "class";
    } else {
        const LayerInfo& info = model.layers().at(static_cast<size_t>(objective.layer));
        if (info.shape.size() == 3) {
            c.maps = true;
            c.channels = info.shape[0];
            c.y = objective.y < 0 ? info.shape[1] / 2 : objective.y;
            c.x = objective.x < 0 ? info.shape[2] / 2 : objective.x;
            if (!objective.channelMean && (c.y >= info.shape[1] || c.x >= info.shape[2]))
                throw Error("unit (" + std::to_string(c.y) + ", " + std::to_string(c.x) + ") lies outside '" + info.name
                            + "', whose maps are " + std::to_string(info.shape[1]) + "x" + std::to_string(info.shape[2]));
            what = "channel";
        } else if (info.shape.size() == 1) {
            c.channels = info.shape[0];
            what = "unit";
        } else {
            throw Error("gradient ascent needs a layer of channel maps or of units; '" + info.name + "' has shape "
                        + dimsText(info.shape));
        }
    }
    if (units.empty())
        throw Error("nothing to optimize: give at least one " + what);
    for (int64_t u : units)
        if (u < 0 || u >= c.channels)
            throw Error(what + " " + std::to_string(u) + " is out of range (0.." + std::to_string(c.channels - 1) + ")");
    return c;
}

// [N] objective values for images [N, C, H, W] at the input size, in the graph.
torch::Tensor objectiveOf(Model& model, const AscentObjective& objective, const Checked& checked,
                          const torch::Tensor& index, const torch::Tensor& images)
{
    torch::Tensor act = objective.layer < 0 ? model.capture(images, {}, true).logits
                                            : model.capture(images, {objective.layer}, false).layers[0];
    if (!checked.maps)
        return act.flatten(1).gather(1, index.view({-1, 1})).squeeze(1);
    const torch::Tensor maps
        = act.gather(1, index.view({-1, 1, 1, 1}).expand({-1, 1, act.size(2), act.size(3)})).squeeze(1); // [N, h, w]
    return objective.channelMean ? maps.mean({1, 2}) : maps.select(1, checked.y).select(1, checked.x);
}

std::vector<double> toVector(const torch::Tensor& t)
{
    const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Pixels whose colour (about the mean) has a norm below the image's
// `percentile` become the mean: Yosinski's clipping of weak pixels. The
// percentile interpolates linearly between ranks, as np.percentile does in
// Yosinski's code (a rank rounded up clipped one pixel too few, and none at
// all for percentiles under one pixel's worth).
torch::Tensor clipWeakPixels(const torch::Tensor& x, const torch::Tensor& mean, double percentile)
{
    const torch::Tensor norms = (x - mean).pow(2).sum(1).sqrt(); // [N, H, W]
    // (Not torch::quantile: some versions refuse inputs over 2^24 values.)
    const torch::Tensor sorted = std::get<0>(norms.flatten(1).sort(1));
    const double rank = percentile / 100.0 * static_cast<double>(sorted.size(1) - 1);
    const int64_t low = static_cast<int64_t>(rank), high = std::min(low + 1, sorted.size(1) - 1);
    const torch::Tensor threshold
        = torch::lerp(sorted.select(1, low), sorted.select(1, high), rank - static_cast<double>(low));
    const torch::Tensor weak = (norms < threshold.view({-1, 1, 1})).unsqueeze(1);
    return torch::where(weak, mean.expand_as(x), x);
}

torch::Tensor blurBatch(const torch::Tensor& x, double sigma)
{
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < x.size(0); ++i)
        out.push_back(gaussianBlur(x[i], sigma));
    return torch::stack(out);
}

// The Lucid image: parameters -> [N, C, h, w] in [0, 1].
struct LucidImage {
    torch::Tensor parameters; // requires grad
    torch::Tensor scale;      // Fourier: [h, w/2+1, 1] 1/frequency weights
    torch::Tensor bias;       // [1, C, 1, 1]: the model's mean pixel before the sigmoid
    int64_t height = 0, width = 0;
    bool fourier = true, decorrelate = false;

    torch::Tensor render() const { return torch::sigmoid(logits() + bias); }

    // Before the sigmoid and the mean.
    torch::Tensor logits() const
    {
        torch::Tensor image;
        if (fourier) {
            const torch::Tensor spectrum = torch::view_as_complex(parameters * scale);
            image = torch::fft::irfft2(spectrum, std::vector<int64_t>{height, width}) / 4.0;
        } else {
            image = parameters;
        }
        if (decorrelate) {
            const torch::Tensor m = colourCorrelation().to(image.device());
            image = torch::einsum("ij,njhw->nihw", {m, image});
        }
        return image;
    }
};

// The model's mean pixel, one value per channel, kept inside (0, 1).
torch::Tensor meanPixel(const Model& model, int64_t channels)
{
    std::vector<double> mean = model.info().mean;
    mean.resize(static_cast<size_t>(channels), mean.empty() ? 0.5 : mean.back());
    return torch::tensor(std::vector<float>(mean.begin(), mean.end())).view({1, -1, 1, 1});
}

LucidImage lucidImage(int64_t n, const torch::Tensor& mean, int64_t height, int64_t width, const AscentOptions& options,
                      at::Generator& generator, c10::Device device)
{
    const int64_t channels = mean.size(1);
    LucidImage lucid;
    lucid.height = height;
    lucid.width = width;
    lucid.decorrelate = options.decorrelate && channels == 3;
    if (options.start.defined()) {
        // Start from an image: pixels through the inverse sigmoid (and the
        // inverse colour transform), no Fourier basis.
        lucid.fourier = false;
        lucid.bias = torch::zeros({1, channels, 1, 1}, device);
        torch::Tensor start = options.start.to(torch::kFloat32).clamp(0.01, 0.99);
        start = torch::upsample_bilinear2d(start.unsqueeze(0), {height, width}, false).expand({n, -1, -1, -1});
        torch::Tensor logits = torch::log(start / (1 - start));
        if (lucid.decorrelate)
            logits = torch::einsum("ij,njhw->nihw", {torch::inverse(colourCorrelation()), logits});
        lucid.parameters = logits.contiguous().to(device).requires_grad_(true);
        return lucid;
    }
    // Noise around the model's mean pixel (a gray start is far outside what
    // a digits model has seen: its ReLUs all stay off and no gradient flows).
    const torch::Tensor m = mean.clamp(0.05, 0.95);
    lucid.bias = torch::log(m / (1 - m)).to(device);
    lucid.fourier = options.fourier;
    if (lucid.fourier) {
        const int64_t bins = width / 2 + 1;
        const torch::Tensor fy = torch::fft::fftfreq(height, 1.0, torch::kFloat64).view({-1, 1});
        const torch::Tensor fx = torch::fft::rfftfreq(width, 1.0, torch::kFloat64).view({1, -1});
        const torch::Tensor frequency = (fy * fy + fx * fx).sqrt();
        lucid.scale = (1.0 / frequency.clamp_min(1.0 / static_cast<double>(std::max(height, width)))
                       * std::sqrt(static_cast<double>(height * width)))
                          .to(torch::kFloat32)
                          .view({height, bins, 1})
                          .to(device);
        lucid.parameters = at::randn({n, channels, height, bins, 2}, generator).to(device);
    } else {
        lucid.parameters = at::randn({n, channels, height, width}, generator).to(device);
    }
    // Scaled so that the start varies by about 0.5 before the sigmoid, like
    // Lucid's own start on ImageNet models, whatever the size and basis.
    const double spread = lucid.logits().std().item<double>();
    lucid.parameters = (lucid.parameters * (0.5 / std::max(spread, 1e-12))).requires_grad_(true);
    return lucid;
}

// A random zoom, rotation and shift per image, resampled to the input size
// (bilinear; what falls outside is gray).
torch::Tensor randomAffine(const torch::Tensor& images, int64_t height, int64_t width, const AscentOptions& options,
                           at::Generator& generator)
{
    const int64_t n = images.size(0);
    const torch::Tensor u = at::rand({n, 4}, generator).to(images.device());
    const torch::Tensor scale = options.scaleMin + (options.scaleMax - options.scaleMin) * u.select(1, 0);
    const torch::Tensor angle = (u.select(1, 1) * 2 - 1) * (options.rotateDegrees * kPi / 180.0);
    // A shift of j input pixels is 2j / side in grid units.
    const double jitter = options.jitter >= 0 ? options.jitter
                                              : std::max(1.0, 12.0 * static_cast<double>(std::min(height, width)) / 224.0);
    const torch::Tensor dx = (u.select(1, 2) * 2 - 1) * (2.0 * jitter / static_cast<double>(width));
    const torch::Tensor dy = (u.select(1, 3) * 2 - 1) * (2.0 * jitter / static_cast<double>(height));
    // The grid maps output to input coordinates: dividing by the scale zooms in when it exceeds 1.
    const torch::Tensor c = torch::cos(angle) / scale, s = torch::sin(angle) / scale;
    const torch::Tensor theta = torch::stack({torch::stack({c, -s, dx}, 1), torch::stack({s, c, dy}, 1)}, 1);
    const torch::Tensor grid = torch::affine_grid_generator(theta, {n, images.size(1), height, width}, false);
    return torch::grid_sampler(images - 0.5, grid, 0, 0, false) + 0.5;
}

// The gradient of each image's gain (which depends on that image alone) and
// its objective, chunk by chunk into `grad` and `values`: the same as in one
// batch, and a cancel is seen between chunks. gain(images, units) gives the
// chunk's total gain and its objective values. False when a cancel cut the
// step short.
template <typename Gain>
bool gradientInChunks(Batches& chunks, const torch::Tensor& images, const torch::Tensor& units, torch::Tensor& grad,
                      const torch::Tensor& values, Gain&& gain)
{
    grad = torch::empty_like(images);
    return uncancelled([&] {
        chunks.run(images.size(0), [&](int64_t first, int64_t count) {
            torch::Tensor part = images.detach().narrow(0, first, count).requires_grad_(true);
            const auto [total, v] = gain(part, units.narrow(0, first, count));
            throwIfCancelled(chunks.cancel()); // before the backward pass, the longer half
            return std::make_pair(torch::autograd::grad({total}, {part})[0], v.detach());
        }, [&](int64_t first, int64_t count, const std::pair<torch::Tensor, torch::Tensor>& part) {
            grad.narrow(0, first, count).copy_(part.first);
            values.narrow(0, first, count).copy_(part.second);
        });
    });
}

// To the input size (area average when shrinking by a whole factor).
torch::Tensor toInputSize(const torch::Tensor& images, int64_t height, int64_t width)
{
    if (images.size(2) == height && images.size(3) == width)
        return images;
    return torch::adaptive_avg_pool2d(images, {height, width});
}

} // namespace

AscentPreset ascentPresetFromName(const std::string& name)
{
    if (name == "plain")
        return AscentPreset::Plain;
    if (name == "yosinski")
        return AscentPreset::Yosinski;
    if (name == "lucid")
        return AscentPreset::Lucid;
    throw Error("unknown preset '" + name + "': use plain, yosinski or lucid");
}

std::string ascentPresetName(AscentPreset preset)
{
    return preset == AscentPreset::Plain ? "plain" : preset == AscentPreset::Yosinski ? "yosinski" : "lucid";
}

AscentOptions ascentPreset(AscentPreset preset)
{
    AscentOptions o;
    o.preset = preset;
    switch (preset) {
    case AscentPreset::Plain:
        o.steps = 200;
        o.learningRate = 0.01;
        o.l2 = 1e-3;
        o.decay = 0;
        o.blurEvery = 0;
        o.clipPercentile = 0;
        break;
    case AscentPreset::Yosinski:
        // A larger step than Plain: the blur and the decay undo part of every step.
        o.steps = 200;
        o.learningRate = 0.1;
        o.l2 = 0;
        o.decay = 1e-4;
        o.blurEvery = 4;
        o.blurSigma = 1.0;
        o.clipPercentile = 20;
        break;
    case AscentPreset::Lucid:
        o.steps = 512;
        o.learningRate = 0.05;
        o.l2 = 0;
        o.decay = 0;
        o.blurEvery = 0;
        o.clipPercentile = 0;
        break;
    }
    return o;
}

std::vector<double> objectiveValues(Model& model, const AscentObjective& objective, const std::vector<int64_t>& units,
                                    const torch::Tensor& images)
{
    const Checked checked = checkObjective(model, objective, units);
    if (images.dim() != 4 || images.size(0) != static_cast<int64_t>(units.size()))
        throw Error("objectiveValues needs one image [C, H, W] per unit: " + std::to_string(units.size()) + " units, images "
                    + dimsText(images.sizes().vec()));
    torch::NoGradGuard noGrad;
    const auto& in = model.info().input;
    const torch::Tensor index = torch::tensor(units, torch::kLong).to(model.device());
    const torch::Tensor x = model.prepare(toInputSize(images.to(torch::kFloat32), in[1], in[2]));
    return toVector(objectiveOf(model, objective, checked, index, x));
}

AscentResult ascend(Model& model, const AscentObjective& objective, const std::vector<int64_t>& units,
                    const AscentOptions& options, const AscentPreview& preview, const CancelFlag* cancel)
{
    const Checked checked = checkObjective(model, objective, units);
    if (options.steps < 0)
        throw Error("the number of steps cannot be negative");
    if (!(options.learningRate > 0))
        throw Error("the learning rate must be positive");
    const auto start = std::chrono::steady_clock::now();
    const auto& in = model.info().input;
    const int64_t n = static_cast<int64_t>(units.size());
    const c10::Device device = model.device();
    const torch::Tensor index = torch::tensor(units, torch::kLong).to(device);
    const double sign = objective.minimize ? -1.0 : 1.0;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    if (options.start.defined()
        && (options.start.dim() != 3 || options.start.size(0) != in[0] || options.start.size(1) != in[1]
            || options.start.size(2) != in[2]))
        throw Error("the start image must be " + dimsText({in[0], in[1], in[2]}) + " like the model's input");

    AscentResult result;
    // Chunks of the batch short enough that a cancel is seen within tens of
    // milliseconds, not after a whole step (seconds for a layer's channels);
    // halved when memory runs out.
    Batches chunks(n, cancel);
    const torch::Tensor values = torch::empty({n}, torch::kFloat32);
    auto report = [&](int64_t step, const torch::Tensor& images, const std::vector<double>& values) {
        if (preview)
            preview(step, images, values);
    };

    if (options.preset != AscentPreset::Lucid) {
        const torch::Tensor mean = meanPixel(model, in[0]).to(device);
        torch::Tensor x = options.start.defined()
            ? options.start.to(torch::kFloat32).unsqueeze(0).expand({n, -1, -1, -1}).contiguous()
            : 0.4 + 0.2 * at::rand({n, in[0], in[1], in[2]}, generator);
        x = x.to(device);
        for (int64_t step = 0; step < options.steps; ++step) {
            torch::Tensor g;
            const bool whole = gradientInChunks(chunks, x, index, g, values,
                [&](const torch::Tensor& xg, const torch::Tensor& units) {
                    const torch::Tensor v = objectiveOf(model, objective, checked, units, xg);
                    torch::Tensor gain = sign * v.sum();
                    if (options.l2 > 0)
                        gain = gain - options.l2 * (xg - mean).pow(2).sum();
                    return std::make_pair(gain, v);
                });
            if (!whole) {
                result.cancelled = true; // the images stay as the last whole step left them
                break;
            }
            result.curve.push_back(toVector(values));
            torch::NoGradGuard noGrad;
            // Normalized step: the learning rate is the RMS change of a pixel.
            const torch::Tensor rms = g.pow(2).mean({1, 2, 3}, true).sqrt().clamp_min(1e-12);
            x = x + options.learningRate * g / rms;
            if (options.decay > 0)
                x = mean + (1.0 - options.decay) * (x - mean);
            if (options.blurEvery > 0 && (step + 1) % options.blurEvery == 0)
                x = blurBatch(x, options.blurSigma);
            if (options.clipPercentile > 0)
                x = clipWeakPixels(x, mean, options.clipPercentile);
            x = x.clamp(0.0, 1.0);
            result.steps = step + 1;
            if (options.previewEvery > 0 && result.steps % options.previewEvery == 0)
                report(result.steps, x, result.curve.back());
        }
        result.images = x.detach().to(torch::kCPU);
    } else {
        const int64_t factor = options.upsample > 0 ? options.upsample
                                                    : std::clamp<int64_t>((112 + in[1] - 1) / in[1], 1, 4);
        LucidImage lucid = lucidImage(n, meanPixel(model, in[0]), in[1] * factor, in[2] * factor, options, generator, device);
        {
            torch::NoGradGuard noGrad;
            result.startValues = objectiveValues(model, objective, units, lucid.render());
        }
        torch::optim::Adam adam({lucid.parameters}, torch::optim::AdamOptions(options.learningRate));
        for (int64_t step = 0; step < options.steps; ++step) {
            const torch::Tensor image = lucid.render();
            const torch::Tensor seen = randomAffine(image, in[1], in[2], options, generator);
            // The model's part (nearly all the work) chunk by chunk: the
            // gradient of the seen images, then through the jitter and the
            // image's parametrization once.
            torch::Tensor seenGrad;
            const bool whole = gradientInChunks(chunks, seen, index, seenGrad, values,
                [&](const torch::Tensor& part, const torch::Tensor& units) {
                    const torch::Tensor v = objectiveOf(model, objective, checked, units, part);
                    return std::make_pair(-sign * v.sum(), v);
                });
            if (!whole) {
                result.cancelled = true; // the image stays as the last whole step left it
                break;
            }
            // Only the image's gradient: backward() would also fill (and
            // accumulate into) the model's own parameters' gradients.
            lucid.parameters.mutable_grad() = torch::autograd::grad({seen}, {lucid.parameters}, {seenGrad})[0];
            adam.step();
            result.curve.push_back(toVector(values));
            result.steps = step + 1;
            if (options.previewEvery > 0 && result.steps % options.previewEvery == 0) {
                torch::NoGradGuard noGrad;
                report(result.steps, lucid.render(), result.curve.back());
            }
        }
        torch::NoGradGuard noGrad;
        result.images = lucid.render().detach().to(torch::kCPU);
    }
    if (result.startValues.empty() && !result.curve.empty())
        result.startValues = result.curve.front();
    if (!result.cancelled || options.measureIfCancelled) {
        if (result.startValues.empty())
            result.startValues = objectiveValues(model, objective, units, result.images);
        result.endValues = objectiveValues(model, objective, units, result.images);
        if (options.previewEvery > 0 && (result.steps % options.previewEvery != 0 || result.steps == 0))
            report(result.steps, result.images, result.endValues);
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace convscope
