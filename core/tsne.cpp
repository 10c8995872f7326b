#include "core/tsne.h"

#include "core/error.h"
#include "core/model_summary.h"

#include <ATen/Parallel.h>
#include <torch/fft.h>
#include <torch/linalg.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

namespace convscope {

namespace {

// Per-point loops: LibTorch's pool, split into at most `threads` chunks when
// threads > 0. Every sum over points is reduced afterwards in index order, so
// results do not depend on the split.
template <class F>
void forPoints(int64_t n, int threads, const F& f)
{
    const int64_t grain = threads > 0 ? std::max<int64_t>(1, (n + threads - 1) / threads) : 64;
    at::parallel_for(0, n, grain, f);
}

// Runs f inside a parallel region, where LibTorch runs ops on the calling
// thread: its FFTs over 2 threads were 10× slower than on one here (63 vs
// 6.3 ms for the [4, 300, 300] convolution, 2 cores; OpenMP and the FFT
// threads fight over the cores).
template <class F>
void onOneThread(const F& f)
{
    at::parallel_for(0, 2, 1, [&](int64_t begin, int64_t) {
        if (begin == 0)
            f();
    });
}

// task(0) ... task(count - 1), each on one thread (as onOneThread), several at
// once unless threads == 1.
template <class F>
void runTasks(int64_t count, int threads, const F& task)
{
    if (threads == 1 || at::get_num_threads() == 1 || count < 2) {
        onOneThread([&] {
            for (int64_t t = 0; t < count; ++t)
                task(t);
        });
        return;
    }
    at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
            task(t);
    });
}

double sumInOrder(const std::vector<double>& v)
{
    double s = 0;
    for (double x : v)
        s += x;
    return s;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void requireFiniteMatrix(const torch::Tensor& x, const std::string& what)
{
    if (!x.defined() || x.dim() != 2)
        throw Error(what + " needs a matrix N x D, got " + (x.defined() ? dimsText(x.sizes().vec()) : "nothing"));
    if (!torch::isfinite(x).all().item<bool>())
        throw Error(what + ": the data contains NaN or infinite values");
}

// Bisection on beta until the entropy of p_j ∝ exp(-beta d_j) is log(perplexity).
// Distances are shifted by their minimum so that the largest weight is 1.
void calibrateRow(const double* d, int64_t k, double logPerplexity, double* p)
{
    const double dmin = *std::min_element(d, d + k);
    double beta = 1, lo = 0, hi = std::numeric_limits<double>::infinity(), sum = 1;
    for (int iter = 0; iter < 200; ++iter) {
        sum = 0;
        double dot = 0;
        for (int64_t j = 0; j < k; ++j) {
            p[j] = std::exp(-beta * (d[j] - dmin));
            sum += p[j];
            dot += p[j] * (d[j] - dmin);
        }
        const double entropy = std::log(sum) + beta * dot / sum;
        if (std::abs(entropy - logPerplexity) < 1e-7)
            break;
        if (entropy > logPerplexity) {
            lo = beta;
            beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
            hi = beta;
            beta = (lo + beta) / 2;
        }
    }
    for (int64_t j = 0; j < k; ++j)
        p[j] /= sum;
}

// Lagrange basis of `nodes` equispaced nodes at (a + 0.5) / nodes in [0, 1], at t.
void lagrangeWeights(double t, int64_t nodes, const std::vector<double>& denominators, double* out)
{
    for (int64_t a = 0; a < nodes; ++a) {
        double num = 1;
        for (int64_t b = 0; b < nodes; ++b)
            if (b != a)
                num *= t - (b + 0.5) / static_cast<double>(nodes);
        out[a] = num / denominators[static_cast<size_t>(a)];
    }
}

// The smallest n' >= n with no prime factor above 5: FFT sizes that stay fast.
int64_t fftFriendly(int64_t n)
{
    for (;; ++n) {
        int64_t r = n;
        for (int64_t f : {2, 3, 5})
            while (r % f == 0)
                r /= f;
        if (r == 1)
            return n;
    }
}

torch::Tensor embeddingTensor(const std::vector<double>& y)
{
    auto n = static_cast<int64_t>(y.size() / 2);
    return torch::from_blob(const_cast<double*>(y.data()), {n, 2}, torch::kDouble).to(torch::kFloat);
}

} // namespace

PcaResult pca(const torch::Tensor& x, int64_t k)
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
        std::tie(values, vectors) = torch::linalg::eigh(xc.t().mm(xc), "L"); // ascending
        components = vectors.flip(1).narrow(1, 0, k).t();
    } else {
        // The covariance's eigenvectors are xcᵀu for the Gram matrix's eigenvectors u.
        std::tie(values, vectors) = torch::linalg::eigh(xc.mm(xc.t()), "L");
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

namespace tsne_detail {

Neighbours nearestNeighbours(const torch::Tensor& x, int64_t k, const CancelFlag* cancel)
{
    const int64_t n = x.size(0), d = x.size(1);
    auto xf = x.to(torch::kFloat).contiguous();
    auto xd = x.to(torch::kDouble).contiguous();
    auto norms = xf.pow(2).sum(1).unsqueeze(0);
    Neighbours r{torch::empty({n, k}, torch::kLong), torch::empty({n, k}, torch::kDouble)};
    // |x_i - x_j|² - |x_i|² ranks row i's neighbours as well as the distance
    // does; blocks of rows keep the [rows, N] matrix near 128 MB.
    const int64_t block = std::max<int64_t>(1, (int64_t(1) << 25) / n);
    for (int64_t start = 0; start < n; start += block) {
        throwIfCancelled(cancel);
        const int64_t b = std::min(block, n - start);
        auto rows = xf.narrow(0, start, b);
        auto scores = torch::addmm(norms, rows, xf.t(), 1, -2);
        auto diagonal = torch::arange(b, torch::kLong) * (n + 1) + start;
        scores.view(-1).index_fill_(0, diagonal, std::numeric_limits<float>::infinity());
        auto idx = std::get<1>(scores.topk(k, 1, /*largest=*/false, /*sorted=*/true));
        // Exact distances in double for the chosen ones (float expansion loses
        // the small ones), re-sorted by them.
        auto diff = xd.index_select(0, idx.reshape(-1)).view({b, k, d}) - xd.narrow(0, start, b).unsqueeze(1);
        auto [sorted, order] = diff.pow(2).sum(-1).sort(1);
        r.indices.narrow(0, start, b).copy_(idx.gather(1, order));
        r.sqDistances.narrow(0, start, b).copy_(sorted);
    }
    return r;
}

torch::Tensor conditionalAffinities(const torch::Tensor& sqDistances, double perplexity, int threads)
{
    auto d = sqDistances.to(torch::kDouble).contiguous();
    const int64_t n = d.size(0), k = d.size(1);
    auto out = torch::empty_like(d);
    const double* dp = d.data_ptr<double>();
    double* pp = out.data_ptr<double>();
    const double logPerplexity = std::log(perplexity);
    forPoints(n, threads, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            calibrateRow(dp + i * k, k, logPerplexity, pp + i * k);
    });
    return out;
}

SparseAffinities symmetrize(const torch::Tensor& indices, const torch::Tensor& conditional)
{
    auto idx = indices.to(torch::kLong).contiguous();
    auto cond = conditional.to(torch::kDouble).contiguous();
    const int64_t n = idx.size(0), k = idx.size(1);
    const int64_t* ip = idx.data_ptr<int64_t>();
    const double* cp = cond.data_ptr<double>();

    // Every P_j|i goes to (i, j) and (j, i); rows are then sorted and merged.
    std::vector<int64_t> start(static_cast<size_t>(n + 1), 0);
    for (int64_t e = 0; e < n * k; ++e) {
        ++start[static_cast<size_t>(e / k + 1)];
        ++start[static_cast<size_t>(ip[e] + 1)];
    }
    for (int64_t i = 0; i < n; ++i)
        start[static_cast<size_t>(i + 1)] += start[static_cast<size_t>(i)];
    std::vector<std::pair<int64_t, double>> entries(static_cast<size_t>(start.back()));
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t e = 0; e < n * k; ++e) {
        const int64_t i = e / k, j = ip[e];
        entries[static_cast<size_t>(fill[static_cast<size_t>(i)]++)] = {j, cp[e]};
        entries[static_cast<size_t>(fill[static_cast<size_t>(j)]++)] = {i, cp[e]};
    }
    std::vector<int64_t> kept(static_cast<size_t>(n));
    forPoints(n, 0, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            auto first = entries.begin() + start[static_cast<size_t>(i)];
            auto last = entries.begin() + start[static_cast<size_t>(i + 1)];
            std::sort(first, last);
            auto out = first;
            for (auto it = first; it != last; ++it) {
                if (out != first && std::prev(out)->first == it->first)
                    std::prev(out)->second += it->second;
                else
                    *out++ = *it;
            }
            kept[static_cast<size_t>(i)] = out - first;
        }
    });

    SparseAffinities P;
    P.n = n;
    P.rowStart.assign(1, 0);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t e = 0; e < kept[static_cast<size_t>(i)]; ++e) {
            const auto& [j, p] = entries[static_cast<size_t>(start[static_cast<size_t>(i)] + e)];
            P.col.push_back(j);
            P.p.push_back(p);
        }
        P.rowStart.push_back(static_cast<int64_t>(P.col.size()));
    }
    const double total = sumInOrder(P.p);
    for (double& p : P.p)
        p /= total;
    return P;
}

torch::Tensor toDense(const SparseAffinities& P)
{
    auto dense = torch::zeros({P.n, P.n}, torch::kDouble);
    auto a = dense.accessor<double, 2>();
    for (int64_t i = 0; i < P.n; ++i)
        for (int64_t e = P.rowStart[static_cast<size_t>(i)]; e < P.rowStart[static_cast<size_t>(i + 1)]; ++e)
            a[i][P.col[static_cast<size_t>(e)]] = P.p[static_cast<size_t>(e)];
    return dense;
}

Repulsion repulsionExact(const std::vector<double>& y, int threads)
{
    const auto n = static_cast<int64_t>(y.size() / 2);
    Repulsion r;
    r.force.assign(y.size(), 0.0);
    std::vector<double> z(static_cast<size_t>(n));
    forPoints(n, threads, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            double fx = 0, fy = 0, zi = 0;
            for (int64_t j = 0; j < n; ++j) {
                if (j == i)
                    continue;
                const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                const double w = 1 / (1 + dx * dx + dy * dy);
                zi += w;
                fx += w * w * dx;
                fy += w * w * dy;
            }
            r.force[2 * i] = fx;
            r.force[2 * i + 1] = fy;
            z[static_cast<size_t>(i)] = zi;
        }
    });
    r.z = sumInOrder(z);
    return r;
}

// FIt-SNE (Linderman et al. 2019, Algorithm 1 in 2-D). Each point's charges
// are spread to the p×p nodes of its box with Lagrange weights; the potentials
// at the nodes are the kernel's Toeplitz matrix times the node charges, a
// linear convolution done as a circular one of twice the size by FFT; each
// point then interpolates the potentials back with the same weights. Kernel
// w² carries the charges 1, y_x, y_y (Σ w², Σ w² y) and kernel w the charge 1
// (Z), so force_i = y_i Σ_j w_ij² - Σ_j w_ij² y_j.
Repulsion repulsionFft(const std::vector<double>& y, const FftOptions& options, int threads)
{
    const auto n = static_cast<int64_t>(y.size() / 2);
    const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
    const double origin = *lo, span = std::max(*hi - *lo, 1e-12);
    const int64_t boxes = fftFriendly(std::max<int64_t>(
        options.minIntervals, static_cast<int64_t>(std::ceil(span * options.intervalsPerUnit))));
    const int64_t p = options.nodesPerInterval, nodes = boxes * p, m = 2 * nodes;
    const double boxWidth = span / static_cast<double>(boxes), spacing = boxWidth / static_cast<double>(p);

    std::vector<double> denominators(static_cast<size_t>(p), 1.0);
    for (int64_t a = 0; a < p; ++a)
        for (int64_t b = 0; b < p; ++b)
            if (b != a)
                denominators[static_cast<size_t>(a)] *= static_cast<double>(a - b) / static_cast<double>(p);
    // Per coordinate: the first node of its box and its p weights.
    std::vector<int64_t> first(y.size());
    std::vector<double> weights(y.size() * static_cast<size_t>(p));
    forPoints(n, threads, [&](int64_t begin, int64_t end) {
        for (int64_t c = 2 * begin; c < 2 * end; ++c) {
            const double u = (y[c] - origin) / boxWidth;
            const int64_t box = std::min(static_cast<int64_t>(u), boxes - 1);
            first[c] = box * p;
            lagrangeWeights(u - static_cast<double>(box), p, denominators, &weights[c * p]);
        }
    });

    // Plain loops and buffers rather than tensor ops around the FFTs: on few
    // cores, OpenMP's waking and spinning for each small op cost more than the ops.
    const int64_t plane = nodes * nodes;
    // Single precision on the grid: twice as fast, and its 1e-7 is far below
    // the interpolation's error.
    std::vector<float> q(static_cast<size_t>(3 * plane), 0.0f); // charges 1, y_x, y_y
    forPoints(3, threads > 0 ? std::min(threads, 3) : 3, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) { // one charge plane per task: no races
            float* plane_t = q.data() + t * plane;
            for (int64_t i = 0; i < n; ++i) {
                const double charge = t == 1 ? y[2 * i] : t == 2 ? y[2 * i + 1] : 1.0;
                for (int64_t a = 0; a < p; ++a) {
                    const double wa = weights[2 * i * p + a] * charge;
                    float* row = plane_t + (first[2 * i] + a) * nodes + first[2 * i + 1];
                    for (int64_t b = 0; b < p; ++b)
                        row[b] += static_cast<float>(wa * weights[(2 * i + 1) * p + b]);
                }
            }
        }
    });
    // Kernels w² and w at node offsets 0..nodes-1 and, wrapped around, -(nodes-1)..-1.
    std::vector<float> kernel(static_cast<size_t>(2 * m * m));
    forPoints(m, threads, [&](int64_t begin, int64_t end) {
        for (int64_t u = begin; u < end; ++u) {
            const double dx = static_cast<double>(u < nodes ? u : u - m) * spacing;
            for (int64_t v = 0; v < m; ++v) {
                const double dy = static_cast<double>(v < nodes ? v : v - m) * spacing;
                const double w = 1 / (1 + dx * dx + dy * dy);
                kernel[u * m + v] = static_cast<float>(w * w);
                kernel[m * m + u * m + v] = static_cast<float>(w);
            }
        }
    });
    // The kernels' and the charges' transforms side by side, then the two
    // halves of the inverse.
    torch::Tensor kernels, spectrum;
    runTasks(2, threads, [&](int64_t t) {
        if (t == 0) {
            kernels = torch::fft::rfft2(torch::from_blob(kernel.data(), {2, m, m}, torch::kFloat));
        } else {
            // The charges fill one quarter of the padded grid: transform their
            // rows first, then the columns of the padded result.
            auto charges = torch::from_blob(q.data(), {3, nodes, nodes}, torch::kFloat);
            spectrum = torch::fft::fft(torch::fft::rfft(charges, m, -1), m, -2);
        }
    });
    // Σ w² (1, y_x, y_y) and Σ w · 1.
    auto products = torch::cat({spectrum * kernels[0], (spectrum[0] * kernels[1]).unsqueeze(0)});
    torch::Tensor halves[2];
    runTasks(2, threads, [&](int64_t t) {
        auto part = torch::fft::ifft(products.narrow(0, 2 * t, 2), c10::nullopt, -2).narrow(-2, 0, nodes);
        halves[t] = torch::fft::irfft(part, m, -1).narrow(-1, 0, nodes);
    });
    auto potentials = torch::cat({halves[0], halves[1]}).contiguous();
    const float* phi = potentials.data_ptr<float>();

    Repulsion r;
    r.force.assign(y.size(), 0.0);
    std::vector<double> z(static_cast<size_t>(n));
    forPoints(n, threads, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            double v[4] = {0, 0, 0, 0};
            for (int64_t a = 0; a < p; ++a) {
                for (int64_t b = 0; b < p; ++b) {
                    const double w = weights[2 * i * p + a] * weights[(2 * i + 1) * p + b];
                    const int64_t at = (first[2 * i] + a) * nodes + first[2 * i + 1] + b;
                    for (int t = 0; t < 4; ++t)
                        v[t] += w * phi[t * plane + at];
                }
            }
            r.force[2 * i] = y[2 * i] * v[0] - v[1];
            r.force[2 * i + 1] = y[2 * i + 1] * v[0] - v[2];
            z[static_cast<size_t>(i)] = v[3] - 1; // less the self term w_ii = 1
        }
    });
    r.z = sumInOrder(z);
    return r;
}

Gradient klGradient(const SparseAffinities& P, const std::vector<double>& y, const Repulsion& repulsion,
                    double exaggeration, bool computeKl, int threads)
{
    Gradient g;
    g.grad.assign(y.size(), 0.0);
    std::vector<double> kl(static_cast<size_t>(P.n), 0.0);
    forPoints(P.n, threads, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            double ax = 0, ay = 0, k = 0;
            for (int64_t e = P.rowStart[static_cast<size_t>(i)]; e < P.rowStart[static_cast<size_t>(i + 1)]; ++e) {
                const int64_t j = P.col[static_cast<size_t>(e)];
                const double p = P.p[static_cast<size_t>(e)];
                const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                const double w = 1 / (1 + dx * dx + dy * dy);
                ax += p * w * dx;
                ay += p * w * dy;
                if (computeKl)
                    k += p * std::log(p / w);
            }
            g.grad[2 * i] = 4 * (exaggeration * ax - repulsion.force[2 * i] / repulsion.z);
            g.grad[2 * i + 1] = 4 * (exaggeration * ay - repulsion.force[2 * i + 1] / repulsion.z);
            kl[static_cast<size_t>(i)] = k;
        }
    });
    // KL = Σ p log(p / (w / Z)) = Σ p log(p / w) + log Z, as Σ p = 1.
    g.kl = computeKl ? sumInOrder(kl) + std::log(repulsion.z) : std::nan("");
    return g;
}

std::pair<double, torch::Tensor> denseKlAndGradient(const torch::Tensor& P, const torch::Tensor& Y)
{
    auto diff = Y.unsqueeze(1) - Y.unsqueeze(0); // [N, N, 2]: y_i - y_j
    auto w = 1 / (1 + diff.pow(2).sum(-1));
    w.fill_diagonal_(0);
    auto q = w / w.sum();
    auto kl = torch::where(P > 0, P * (P.log() - q.log()), torch::zeros_like(P)).sum().item<double>();
    auto grad = 4 * (((P - q) * w).unsqueeze(-1) * diff).sum(1);
    return {kl, grad};
}

} // namespace tsne_detail

TsneResult tsne(const torch::Tensor& x, const TsneOptions& options, const TsnePreview& preview,
                const ProgressFn& progress, const CancelFlag* cancel)
{
    using namespace tsne_detail;
    using Clock = std::chrono::steady_clock;
    requireFiniteMatrix(x, "t-SNE");
    const int64_t n = x.size(0), d = x.size(1);
    if (n < 5)
        throw Error("t-SNE needs at least 5 points, got " + std::to_string(n));
    if (!(options.perplexity >= 1))
        throw Error("t-SNE perplexity must be at least 1, got " + std::to_string(options.perplexity));
    if (options.iterations < 0 || options.exaggerationIterations < 0)
        throw Error("t-SNE iteration counts cannot be negative");
    auto report = [&](double fraction, const std::string& stage) {
        if (progress)
            progress(fraction, stage);
    };

    TsneResult result;
    auto t0 = Clock::now();
    report(0, "PCA");
    torch::Tensor reduced, init;
    if (options.pcaDimensions > 0 && d > options.pcaDimensions) {
        reduced = pca(x, std::min(options.pcaDimensions, n - 1)).projected;
        init = reduced.narrow(1, 0, std::min<int64_t>(2, reduced.size(1)));
    } else {
        reduced = x.to(torch::kFloat);
        if (options.init == TsneOptions::Init::Pca)
            init = pca(x, std::min<int64_t>(2, d)).projected;
    }
    std::vector<double> y(static_cast<size_t>(2 * n), 0.0);
    if (options.init == TsneOptions::Init::Pca) {
        // Kobak & Berens 2019: PCA initialization, first coordinate with std 1e-4.
        auto c = init.to(torch::kDouble);
        const double sd = c.select(1, 0).std().item<double>();
        if (!(sd > 0))
            throw Error("t-SNE: all " + std::to_string(n) + " points are identical");
        c = (c * (1e-4 / sd)).contiguous();
        auto a = c.accessor<double, 2>();
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < c.size(1); ++j)
                y[static_cast<size_t>(2 * i + j)] = a[i][j];
    } else {
        std::mt19937_64 rng(options.seed);
        std::normal_distribution<double> normal(0, 1e-4);
        for (double& v : y)
            v = normal(rng);
    }
    result.secondsPca = secondsSince(t0);

    t0 = Clock::now();
    report(0, "neighbours");
    result.perplexity = std::min(options.perplexity, static_cast<double>(n - 1) / 3);
    const int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(std::ceil(3 * result.perplexity)));
    auto neighbours = nearestNeighbours(reduced, k, cancel);
    result.secondsNeighbours = secondsSince(t0);

    t0 = Clock::now();
    report(0, "affinities");
    throwIfCancelled(cancel);
    auto P = symmetrize(neighbours.indices,
                        conditionalAffinities(neighbours.sqDistances, result.perplexity, options.threads));
    result.secondsAffinities = secondsSince(t0);

    t0 = Clock::now();
    const bool exact = options.repulsion == TsneOptions::Repulsion::Exact ||
                       (options.repulsion == TsneOptions::Repulsion::Auto && n <= TsneOptions::kAutoExactMax);
    auto repulsion = [&] { return exact ? repulsionExact(y, options.threads) : repulsionFft(y, {}, options.threads); };
    const double lr = options.learningRate > 0 ? options.learningRate : std::max(200.0, static_cast<double>(n) / 12);
    std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0);
    int64_t it = 0;
    for (; it < options.iterations; ++it) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            result.cancelled = true;
            break;
        }
        const bool early = it < options.exaggerationIterations;
        const bool reportNow = it > 0 && options.reportEvery > 0 && it % options.reportEvery == 0;
        auto g = klGradient(P, y, repulsion(), early ? options.exaggeration : 1.0, reportNow, options.threads);
        if (reportNow) {
            result.klCurve.emplace_back(it, g.kl);
            if (preview)
                preview(it, embeddingTensor(y), g.kl);
            report(static_cast<double>(it) / static_cast<double>(options.iterations), "optimizing");
        }
        const double momentum = early ? options.momentumEarly : options.momentumLate;
        double mean[2] = {0, 0};
        for (size_t e = 0; e < y.size(); ++e) {
            const double grad = g.grad[e] / 4; // see the header: the bhtsne convention
            gains[e] = (grad > 0) != (update[e] > 0) ? gains[e] + 0.2 : std::max(gains[e] * 0.8, 0.01);
            update[e] = momentum * update[e] - lr * gains[e] * grad;
            y[e] += update[e];
            mean[e % 2] += y[e];
        }
        for (size_t e = 0; e < y.size(); ++e)
            y[e] -= mean[e % 2] / static_cast<double>(n);
    }
    result.iterations = it;
    result.kl = klGradient(P, y, repulsion(), 1.0, true, options.threads).kl;
    result.klCurve.emplace_back(it, result.kl);
    result.embedding = embeddingTensor(y);
    if (preview)
        preview(it, result.embedding.clone(), result.kl);
    result.secondsOptimization = secondsSince(t0);
    report(1, "done");
    return result;
}

} // namespace convscope
