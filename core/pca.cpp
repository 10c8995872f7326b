#include "core/pca.h"

#include "core/batches.h"
#include "core/error.h"
#include "core/model_summary.h"

#include <algorithm>
#include <vector>

namespace convscope {

namespace {

// a · b a block of b's columns at a time, so that a cancel is seen between
// blocks; each block is the same product of the same dot products, so the
// result is that of a.mm(b).
torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b, const CancelFlag* cancel)
{
    std::vector<torch::Tensor> blocks;
    const auto compute = [&](int64_t start, int64_t n) { return a.mm(b.narrow(1, start, n)); };
    Batches(b.size(1), cancel).run(b.size(1), compute, [&](int64_t, int64_t, const torch::Tensor& block) {
        blocks.push_back(block);
    });
    return torch::cat(blocks, 1);
}

} // namespace

void requireFiniteMatrix(const torch::Tensor& x, const std::string& what)
{
    if (!x.defined() || x.dim() != 2)
        throw Error(what + " needs a matrix N x D, got " + (x.defined() ? dimsText(x.sizes().vec()) : "nothing"));
    if (!torch::isfinite(x).all().item<bool>())
        throw Error(what + ": the data contains NaN or infinite values");
}

PcaResult pca(const torch::Tensor& x, int64_t k, const CancelFlag* cancel)
{
    requireFiniteMatrix(x, "PCA");
    const int64_t n = x.size(0), d = x.size(1);
    if (k < 1 || k > std::min(n - 1, d))
        throw Error("PCA of " + std::to_string(n) + " points in " + std::to_string(d) + " dimensions gives 1 to " +
                    std::to_string(std::min(n - 1, d)) + " components, not " + std::to_string(k));
    auto xd = x.to(torch::kDouble);
    auto mean = xd.mean(0);
    auto xc = xd - mean;
    torch::Tensor values, vectors, components;
    if (n >= d) {
        std::tie(values, vectors) = at::linalg_eigh(product(xc.t(), xc, cancel), "L"); // ascending
        throwIfCancelled(cancel);
        components = vectors.flip(1).narrow(1, 0, k).t();
    } else {
        // The covariance's eigenvectors are xcᵀu for the Gram matrix's eigenvectors u.
        std::tie(values, vectors) = at::linalg_eigh(product(xc, xc.t(), cancel), "L");
        throwIfCancelled(cancel);
        components = xc.t().mm(vectors.flip(1).narrow(1, 0, k)).t();
        components = components / components.norm(2, 1, true).clamp_min(1e-300);
    }
    values = values.flip(0).narrow(0, 0, k).clamp_min(0);
    // Sign: the largest-magnitude loading of each component is positive.
    auto largest = components.abs().argmax(1, true);
    auto sign = components.gather(1, largest).sign();
    components = components * torch::where(sign == 0, torch::ones_like(sign), sign);

    PcaResult r;
    r.projected = xc.mm(components.t()).to(torch::kFloat);
    r.components = components.to(torch::kFloat);
    r.mean = mean.to(torch::kFloat);
    const double total = xc.pow(2).sum().item<double>();
    for (int64_t i = 0; i < k; ++i)
        r.explainedVariance.push_back(total > 0 ? values[i].item<double>() / total : 0.0);
    return r;
}

} // namespace convscope
