#include "core/attack_trace.h"

#include "core/error.h"
#include "core/model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace convscope {

namespace {

double ratio(double change, double size)
{
    if (size > 0)
        return change / size;
    return change > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

// Gaussian noise scaled so that the clipped perturbation has L2 `target`:
// clipping only shortens it, so the scale grows until the clipped length
// matches (a few rounds: the clipped length is nearly linear in the scale).
torch::Tensor gaussianOfLength(const torch::Tensor& x, const torch::Tensor& noise, double target)
{
    if (target <= 0)
        return x.clone();
    double scale = target / std::max(noise.norm().item<double>(), 1e-30);
    torch::Tensor noisy;
    for (int round = 0; round < 20; ++round) {
        noisy = (x + scale * noise).clamp(0, 1);
        const double length = (noisy - x).norm().item<double>();
        if (length <= 0 || std::abs(length - target) <= 1e-7 * target)
            break;
        scale *= target / length;
    }
    return noisy;
}

} // namespace

torch::Tensor matchedNoise(const torch::Tensor& clean, const torch::Tensor& adversarial, bool l2, uint64_t seed)
{
    if (clean.sizes() != adversarial.sizes() || clean.dim() != 4)
        throw Error("the clean and adversarial images must be [N, C, H, W] of one shape");
    const torch::Tensor x = clean.to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor delta = adversarial.to(torch::kCPU, torch::kFloat) - x;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::Tensor noisy = torch::empty_like(x);
    for (int64_t i = 0; i < x.size(0); ++i) {
        if (l2) {
            const torch::Tensor noise = at::normal(0.0, 1.0, x[i].sizes(), generator);
            noisy[i] = gaussianOfLength(x[i], noise, delta[i].norm().item<double>());
        } else {
            const double linf = delta[i].abs().max().item<double>();
            // A fair coin per value: ±linf.
            const torch::Tensor sign = at::empty(x[i].sizes(), x.options()).bernoulli_(0.5, generator) * 2 - 1;
            noisy[i] = (x[i] + linf * sign).clamp(0, 1);
        }
    }
    return noisy;
}

double relativeChange(const torch::Tensor& clean, const torch::Tensor& other)
{
    const torch::Tensor a = clean.to(torch::kDouble);
    return ratio((other.to(torch::kDouble) - a).norm().item<double>(), a.norm().item<double>());
}

AttackTrace traceAttack(Model& model, const torch::Tensor& clean, const torch::Tensor& adversarial, bool l2,
                        uint64_t seed, const CancelFlag* cancel)
{
    AttackTrace trace;
    trace.l2 = l2;
    trace.seed = seed;
    trace.noisy = matchedNoise(clean, adversarial, l2, seed);
    const auto& layers = model.layers();
    std::vector<int> all(layers.size());
    std::iota(all.begin(), all.end(), 0);
    trace.layers.resize(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
        trace.layers[l].layer = static_cast<int>(l);
        trace.layers[l].name = layers[l].name;
    }
    const int64_t n = clean.size(0);
    torch::NoGradGuard noGrad;
    for (int64_t i = 0; i < n; ++i) {
        if (cancel && cancel->load()) {
            trace.layers.clear();
            trace.cancelled = true;
            return trace;
        }
        const torch::Tensor three = torch::stack(
            {clean[i].to(torch::kCPU, torch::kFloat), adversarial[i].to(torch::kCPU, torch::kFloat), trace.noisy[i]});
        const Model::Capture capture = model.capture(three, all, false);
        for (size_t l = 0; l < layers.size(); ++l) {
            const torch::Tensor& a = capture.layers[l];
            trace.layers[l].relativeChange += relativeChange(a[0], a[1]) / static_cast<double>(n);
            trace.layers[l].noiseRelativeChange += relativeChange(a[0], a[2]) / static_cast<double>(n);
        }
    }
    return trace;
}

std::vector<ChannelChange> channelChanges(const torch::Tensor& clean, const torch::Tensor& adversarial)
{
    if (clean.sizes() != adversarial.sizes() || clean.dim() < 1)
        throw Error("the clean and adversarial activations must have one shape");
    const int64_t channels = clean.size(0);
    const torch::Tensor a = clean.to(torch::kCPU, torch::kDouble).reshape({channels, -1});
    const torch::Tensor d = adversarial.to(torch::kCPU, torch::kDouble).reshape({channels, -1}) - a;
    const torch::Tensor change = d.norm(2, {1}).contiguous();
    const torch::Tensor size = a.norm(2, {1}).contiguous();
    std::vector<ChannelChange> out(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
        const double ch = change[c].item<double>();
        out[static_cast<size_t>(c)] = {c, ch, ratio(ch, size[c].item<double>())};
    }
    std::stable_sort(out.begin(), out.end(),
        [](const ChannelChange& x, const ChannelChange& y) { return x.change > y.change; });
    return out;
}

} // namespace convscope
