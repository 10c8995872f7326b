#include "core/saliency.h"

#include "core/batches.h"
#include "core/device.h"
#include "core/error.h"
#include "core/model.h"
#include "core/segmentation.h"
#include "core/model_summary.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <functional>
#include <numeric>

namespace convscope {

namespace {

const std::vector<std::string>& methodNames()
{
    static const std::vector<std::string> names = {"gradient", "smoothgrad",     "ig",        "gradcam",  "guided",
                                                   "guided-gradcam", "gradcam++", "scorecam", "deconvnet"};
    return names;
}

// Which score the gradients explain: the target's logit or probability, or
// for a segmentation model with a region its score over the region.
struct Aim {
    int64_t target;
    Score score;
    torch::Tensor region;
    torch::Tensor of(const torch::Tensor& logits, const torch::Tensor& output) const
    {
        return targetScore(logits, output, target, score, region);
    }
    torch::Tensor of(const torch::Tensor& output) const
    {
        return of(Model::logitsOfOutput(output), output);
    }
};

// d sum_n score_n / d batch: each copy's own gradient, since the copies do
// not interact in an eval-mode network.
torch::Tensor inputGradient(Model& model, const torch::Tensor& batch, const Aim& aim,
                            ReluGradient relu = ReluGradient::Standard)
{
    torch::Tensor in = batch.detach().clone().requires_grad_(true);
    const Model::Capture capture = model.capture(in, {}, true, relu);
    return torch::autograd::grad({aim.of(capture.logits, capture.output).sum()}, {in})[0];
}

// Sum over `points` [n, C, H, W] (on the CPU) of the input gradients, a
// batch of `batch` at a time, reporting progress after each chunk. Each
// batch's gradients are summed together whatever chunks computed them, so
// that the sum is the same however the batch was cut.
torch::Tensor summedGradient(Model& model, const torch::Tensor& points, const Aim& aim, int64_t batch,
                             const ProgressFn& progress, const char* stage, const CancelFlag* cancel)
{
    torch::Tensor sum;
    const int64_t count = points.size(0);
    Batches chunks(batch, cancel, progress);
    for (int64_t first = 0; first < count; first += batch) {
        const int64_t n = std::min(batch, count - first);
        std::vector<torch::Tensor> parts;
        const auto compute = [&](int64_t start, int64_t size) {
            return inputGradient(model, model.prepare(points.narrow(0, first + start, size)), aim);
        };
        chunks.run(n, compute, [&](int64_t start, int64_t size, const torch::Tensor& g) {
            parts.push_back(g);
            if (progress)
                progress(static_cast<double>(first + start + size) / static_cast<double>(count), stage);
        });
        const torch::Tensor g = torch::cat(parts).sum(0);
        sum = sum.defined() ? sum + g : g;
    }
    return sum.to(torch::kCPU);
}

const char* camTitle(SaliencyMethod method)
{
    switch (method) {
    case SaliencyMethod::GradCamPlusPlus:
        return "Grad-CAM++";
    case SaliencyMethod::ScoreCam:
        return "Score-CAM";
    default:
        return "Grad-CAM";
    }
}

// `layer`, or the default one when it is -1, checked to hold channel maps.
int camLayer(const Model& model, int layer, SaliencyMethod method)
{
    const std::string title = camTitle(method);
    if (layer < 0)
        layer = defaultCamLayer(model);
    if (layer < 0)
        throw Error(title + " needs a convolutional layer, and this model has none");
    const LayerInfo& info = model.layers().at(static_cast<size_t>(layer));
    if (info.shape.size() != 3)
        throw Error(title + " needs a layer of channel maps (C x H x W); '" + info.name + "' has shape "
                    + dimsText(info.shape));
    return layer;
}

struct Cam {
    torch::Tensor map;       // [h, w]
    torch::Tensor upsampled; // [H, W]
    std::string layer;
    int64_t copies = 0, batch = 0; // Score-CAM's
};

// ReLU(sum_k weights_k maps_k) for maps [1, K, h, w] and weights [1, K, 1, 1],
// and that upsampled to height x width as pytorch-grad-cam and Grad-CAM's
// authors do (bilinear, align_corners false).
Cam weightedCam(const torch::Tensor& maps, const torch::Tensor& weights, int64_t height, int64_t width)
{
    const torch::Tensor cam = torch::relu((weights * maps).sum(1, true)).detach(); // [1, 1, h, w]
    Cam out;
    out.map = cam[0][0].to(torch::kCPU);
    out.upsampled = torch::upsample_bilinear2d(cam, {height, width}, false)[0][0].to(torch::kCPU);
    return out;
}

struct LayerGradient {
    torch::Tensor maps;  // [1, K, h, w]
    torch::Tensor grads; // d score / d maps
};

LayerGradient layerGradient(Model& model, const torch::Tensor& x, int layer, const Aim& aim)
{
    // The input requires grad so that the whole graph is recorded even when
    // the model's parameters do not.
    torch::Tensor in = x.detach().clone().requires_grad_(true);
    Model::Capture capture = model.capture(in, {layer}, true);
    const torch::Tensor maps = capture.layers[0];
    const torch::Tensor grads = torch::autograd::grad({aim.of(capture.logits, capture.output).sum()}, {maps})[0];
    return {maps.detach(), grads};
}

// Grad-CAM++'s channel weights as pytorch-grad-cam writes equation 19 of the
// paper (the score's exponential cancels out of alpha): alpha = g^2 /
// (2 g^2 + sum_ij A * g^3 + 1e-6), 0 where g is, summed against relu(g).
torch::Tensor gradCamPlusPlusWeights(const LayerGradient& at)
{
    const torch::Tensor& g = at.grads;
    const torch::Tensor g2 = g * g;
    const torch::Tensor alpha = g2 / (2 * g2 + at.maps.sum({2, 3}, true) * (g2 * g) + 1e-6);
    return (torch::relu(g) * alpha.masked_fill(g == 0, 0)).sum({2, 3}, true);
}

// Channels [first, first + n) of `maps` [1, K, h, w] as masks in [0, 1],
// written into `out` [n, 1, H, W]: upsampled as torch.nn.UpsamplingBilinear2d
// does (align_corners true), then min-max scaled. A constant channel (a dead
// ReLU's) hides the whole input; the test is on the channel itself, since
// interpolation can round a constant into a range of a few ulps.
void channelMasks(const torch::Tensor& maps, int64_t first, torch::Tensor& out)
{
    const torch::Tensor channels = maps[0].narrow(0, first, out.size(0)).unsqueeze(1);
    torch::upsample_bilinear2d_out(out, channels, {out.size(2), out.size(3)}, true);
    const torch::Tensor low = out.amin({2, 3}, true);
    const torch::Tensor range = out.amax({2, 3}, true) - low;
    const torch::Tensor flat = channels.amax({2, 3}, true) == channels.amin({2, 3}, true);
    out.sub_(low).div_(range).masked_fill_(flat, 0);
}

// The target's scores for masked copies [n, C, H, W] of the input. On the
// CPU they go in channels-last: oneDNN's NHWC convolutions take about 3/4 of
// the time of NCHW ones on ResNet-18 (bench_scorecam; PyTorch gets NHWC from
// an image's HWC layout). A model that .view()s its maps cannot take NHWC:
// `channelsLast` turns off for the rest of the run.
torch::Tensor maskedScores(Model& model, const torch::Tensor& copies, const Aim& aim, bool& channelsLast)
{
    // The model's own forward: nothing is tapped, and its in-place ReLUs
    // spare an allocation per activation (as occlusion()).
    if (channelsLast) {
        try {
            return aim.of(model.output(copies.contiguous(torch::MemoryFormat::ChannelsLast)));
        } catch (const std::exception& e) {
            if (isOutOfMemory(e))
                throw;
            channelsLast = false;
        }
    }
    return aim.of(model.output(copies.contiguous()));
}

// Score-CAM's channel weights: the softmax over channels of the target's
// score for the input masked by each channel. Masking happens in normalized
// space (input x mask, as pytorch-grad-cam does): in pixels that is
// mean + (x - mean) x mask. The masks are built a batch at a time (all of
// ResNet-50's 2048 at 224 px would take 1.2 GB), in buffers that every batch
// reuses.
torch::Tensor scoreCamWeights(Model& model, const torch::Tensor& x, const torch::Tensor& maps, const Aim& aim,
                              Batches& batches, const ProgressFn& progress)
{
    const std::vector<double>& means = model.info().mean;
    const torch::Tensor mean
        = torch::tensor(std::vector<float>(means.begin(), means.end())).view({1, -1, 1, 1}).to(x.device());
    bool channelsLast = x.is_cpu();
    const auto format = channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    const torch::Tensor centred = (x - mean).contiguous(format);
    const int64_t count = maps.size(1), batch = std::min(batches.batch(), count);
    const int64_t height = x.size(2), width = x.size(3);
    const torch::Tensor masks = torch::empty({batch, 1, height, width}, x.options());
    const torch::Tensor copies = torch::empty({batch, x.size(1), height, width}, x.options().memory_format(format));
    std::vector<torch::Tensor> scores;
    const auto compute = [&](int64_t first, int64_t n) {
        torch::Tensor mask = masks.narrow(0, 0, n), copy = copies.narrow(0, 0, n);
        channelMasks(maps, first, mask);
        return maskedScores(model, torch::addcmul_out(copy, mean, centred, mask), aim, channelsLast);
    };
    batches.run(count, compute, [&](int64_t first, int64_t n, const torch::Tensor& s) {
        scores.push_back(s);
        if (progress)
            progress(static_cast<double>(first + n) / static_cast<double>(count), "scorecam");
    });
    return torch::softmax(torch::cat(scores), 0).view({1, count, 1, 1});
}

Cam scoreCam(Model& model, const torch::Tensor& x, int layer, const SaliencyOptions& options, int64_t target,
             const ProgressFn& progress, const CancelFlag* cancel)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor maps = model.capture(x, {layer}, false).layers[0];
    Batches batches(scoreCamBatch(model, options), cancel, progress);
    const torch::Tensor weights = scoreCamWeights(model, x, maps, Aim{target, options.score, options.region}, batches, progress);
    Cam cam = weightedCam(maps, weights, x.size(2), x.size(3));
    cam.copies = maps.size(1);
    cam.batch = std::min(batches.batch(), cam.copies);
    return cam;
}

// The map of a CAM method (not guided) at its layer.
Cam classActivationMap(Model& model, const torch::Tensor& x, const SaliencyOptions& options, int64_t target,
                       const ProgressFn& progress, const CancelFlag* cancel)
{
    const int layer = camLayer(model, options.layer, options.method);
    Cam cam;
    if (options.method == SaliencyMethod::ScoreCam) {
        cam = scoreCam(model, x, layer, options, target, progress, cancel);
    } else {
        const LayerGradient at = layerGradient(model, x, layer, Aim{target, options.score, options.region});
        const torch::Tensor weights = options.method == SaliencyMethod::GradCamPlusPlus ? gradCamPlusPlusWeights(at)
                                                                                        : at.grads.mean({2, 3}, true);
        cam = weightedCam(at.maps, weights, x.size(2), x.size(3));
    }
    cam.layer = model.layers()[static_cast<size_t>(layer)].name;
    return cam;
}

} // namespace

SaliencyMethod saliencyMethodFromName(const std::string& name)
{
    const auto& names = methodNames();
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
        throw Error("unknown method '" + name
                    + "': use gradient, smoothgrad, ig, gradcam, guided, guided-gradcam, gradcam++, scorecam or deconvnet");
    return static_cast<SaliencyMethod>(it - names.begin());
}

std::string saliencyMethodName(SaliencyMethod method)
{
    return methodNames().at(static_cast<size_t>(method));
}

std::vector<std::string> saliencyMethodNames()
{
    return methodNames();
}

bool usesCamLayer(SaliencyMethod method)
{
    return method == SaliencyMethod::GradCam || method == SaliencyMethod::GuidedGradCam
        || method == SaliencyMethod::GradCamPlusPlus || method == SaliencyMethod::ScoreCam;
}

int defaultCamLayer(const Model& model)
{
    const auto& layers = model.layers();
    int lastConv = -1;
    // A segmentation model's last convolution gives the class scores
    // themselves: explain the features before it (U-Net's last decoder
    // block, FCN's head before its 1x1 classifier), those with other than
    // one channel per class.
    const bool segmentation = isSegmentation(model.info());
    for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].category == "conv"
            && !(segmentation && !layers[i].shape.empty() && layers[i].shape[0] == model.info().outputs))
            lastConv = static_cast<int>(i);
    if (lastConv < 0)
        return -1;
    int best = -1;
    for (size_t i = static_cast<size_t>(lastConv); i < layers.size(); ++i) {
        const LayerInfo& l = layers[i];
        // Adaptive pooling to a fixed grid (AlexNet's 6 x 6) only resamples
        // the feature map before it.
        if (segmentation && !l.shape.empty() && l.shape[0] == model.info().outputs)
            break;
        if (l.shape.size() == 3 && l.shape[1] * l.shape[2] > 1 && l.op.rfind("adaptive", 0) != 0)
            best = static_cast<int>(i);
    }
    return best;
}

int64_t scoreCamBatch(const Model& model, const SaliencyOptions& options)
{
    if (options.batch > 0)
        return options.batch;
    // A block past kMallocMappedBytes is mapped and faulted in page by page
    // again on every batch: on ResNet-18 at 224 px, batches of 31 took
    // 9-12 s, of 10 6.1 s (bench_scorecam).
    int64_t cap = 256;
    if (model.device().is_cpu()) {
        const auto& in = model.info().input;
        int64_t largest = in[0] * in[1] * in[2];
        for (const LayerInfo& layer : model.layers())
            largest = std::max(largest, std::accumulate(layer.shape.begin(), layer.shape.end(), int64_t(1),
                                                        std::multiplies<int64_t>()));
        cap = std::clamp<int64_t>(kMallocMappedBytes / (largest * int64_t(sizeof(float))), 1, cap);
    }
    return imagesPerBatch(model, options.memoryBudget, false, cap);
}

SaliencyResult saliency(Model& model, const torch::Tensor& pixels, const SaliencyOptions& options,
                        const ProgressFn& progress, const CancelFlag* cancel)
{
    const torch::Tensor image = oneImage(pixels, "saliency");
    const torch::Tensor x = model.prepare(image.unsqueeze(0));
    SaliencyResult result;
    result.method = options.method;
    {
        torch::NoGradGuard noGrad;
        const Model::Capture capture = model.capture(x, {}, true);
        result.predicted = capture.logits.argmax(1).item<int64_t>();
        result.target = options.target >= 0 ? options.target : result.predicted;
        checkTarget(model, result.target);
        result.score = Aim{result.target, options.score, options.region}.of(capture.logits, capture.output).item<double>();
    }
    const int64_t batch = options.batch > 0 ? options.batch : imagesPerBatch(model, options.memoryBudget, true, 64);
    const int64_t target = result.target;
    const Aim aim{target, options.score, options.region};

    switch (options.method) {
    case SaliencyMethod::Gradient:
        result.attribution = inputGradient(model, x, aim)[0].to(torch::kCPU);
        break;
    case SaliencyMethod::SmoothGrad: {
        if (options.samples < 1)
            throw Error("SmoothGrad needs at least 1 sample");
        if (options.noise < 0)
            throw Error("the SmoothGrad noise level cannot be negative");
        // float32 arithmetic in the order a PyTorch script would write it
        // (x + noise * (x.max() - x.min()) * randn): gradients through ReLUs
        // and max-pools change at gates that rounding can flip.
        torch::Tensor range = image.max() - image.min();
        if (range.item<double>() <= 0)
            range = torch::ones_like(range);
        auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
        const torch::Tensor noise = at::randn({options.samples, image.size(0), image.size(1), image.size(2)}, generator);
        const torch::Tensor points = image.unsqueeze(0) + range * options.noise * noise;
        result.attribution = summedGradient(model, points, aim, batch, progress, "smoothgrad", cancel)
            / static_cast<double>(options.samples);
        break;
    }
    case SaliencyMethod::IntegratedGradients: {
        if (options.steps < 1)
            throw Error("Integrated Gradients needs at least 1 step");
        const auto& in = model.info().input;
        const double sigma = options.blurSigma > 0 ? options.blurSigma
                                                   : std::max(1.0, static_cast<double>(std::min(in[1], in[2])) / 32);
        const torch::Tensor start = baselineImage(image, options.baseline, model.info().mean, sigma);
        const torch::Tensor alphas
            = (torch::arange(options.steps, torch::kFloat64) + 0.5).div(static_cast<double>(options.steps)).to(torch::kFloat32);
        const torch::Tensor points = start.unsqueeze(0) + alphas.view({-1, 1, 1, 1}) * (image - start).unsqueeze(0);
        const torch::Tensor mean = summedGradient(model, points, aim, batch, progress, "ig", cancel)
            / static_cast<double>(options.steps);
        result.attribution = (image - start) * mean;
        result.attributionSum = result.attribution.sum().item<double>();
        torch::NoGradGuard noGrad;
        const Model::Capture startPass = model.capture(model.prepare(start.unsqueeze(0)), {}, true);
        result.scoreDelta = result.score - aim.of(startPass.logits, startPass.output).item<double>();
        break;
    }
    case SaliencyMethod::GradCam:
    case SaliencyMethod::GuidedGradCam:
    case SaliencyMethod::GradCamPlusPlus:
    case SaliencyMethod::ScoreCam: {
        const Cam cam = classActivationMap(model, x, options, target, progress, cancel);
        result.layer = cam.layer;
        result.cam = cam.map;
        result.copies = cam.copies;
        result.batch = cam.batch;
        if (options.method != SaliencyMethod::GuidedGradCam) {
            result.heatmap = cam.upsampled;
        } else {
            throwIfCancelled(cancel);
            const torch::Tensor guided = inputGradient(model, x, aim, ReluGradient::Guided)[0];
            result.attribution = guided.to(torch::kCPU) * cam.upsampled.unsqueeze(0);
        }
        break;
    }
    case SaliencyMethod::GuidedBackprop:
        result.attribution = inputGradient(model, x, aim, ReluGradient::Guided)[0].to(torch::kCPU);
        break;
    case SaliencyMethod::Deconvnet:
        result.attribution = inputGradient(model, x, aim, ReluGradient::Deconvnet)[0].to(torch::kCPU);
        break;
    }
    if (!result.heatmap.defined()) {
        result.heatmap = options.method == SaliencyMethod::IntegratedGradients ? result.attribution.sum(0).abs()
                                                                               : result.attribution.abs().amax(0);
    }
    result.heatmap = result.heatmap.detach().contiguous();
    if (result.attribution.defined())
        result.attribution = result.attribution.detach().contiguous();
    if (progress)
        progress(1.0, saliencyMethodName(options.method));
    return result;
}

} // namespace convscope
