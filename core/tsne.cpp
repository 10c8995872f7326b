#include "core/tsne.h"

#include "core/error.h"
#include "core/tsne_internal.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cmath>
#include <limits>
#include <random>

namespace convscope {

using namespace tsne_internal;

namespace {

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

// y in the original numbering, where `order` maps positions to points.
torch::Tensor embeddingTensor(const std::vector<double>& y, const std::vector<int64_t>& order)
{
    auto out = torch::empty({static_cast<int64_t>(order.size()), 2}, torch::kFloat);
    auto a = out.accessor<float, 2>();
    for (size_t k = 0; k < order.size(); ++k) {
        a[order[k]][0] = static_cast<float>(y[2 * k]);
        a[order[k]][1] = static_cast<float>(y[2 * k + 1]);
    }
    return out;
}

template <class T>
std::vector<T> reordered(const std::vector<T>& v, const std::vector<int64_t>& order, size_t width)
{
    std::vector<T> out(v.size());
    for (size_t k = 0; k < order.size(); ++k)
        for (size_t c = 0; c < width; ++c)
            out[width * k + c] = v[width * static_cast<size_t>(order[k]) + c];
    return out;
}

} // namespace

namespace tsne_detail {

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

SparseAffinities permuted(const SparseAffinities& P, const std::vector<int64_t>& order)
{
    std::vector<int64_t> position(order.size());
    for (size_t k = 0; k < order.size(); ++k)
        position[static_cast<size_t>(order[k])] = static_cast<int64_t>(k);
    SparseAffinities out;
    out.n = P.n;
    out.rowStart.assign(1, 0);
    out.col.reserve(P.col.size());
    out.p.reserve(P.p.size());
    std::vector<std::pair<int64_t, double>> row;
    for (int64_t k = 0; k < P.n; ++k) {
        const auto i = static_cast<size_t>(order[static_cast<size_t>(k)]);
        row.clear();
        for (int64_t e = P.rowStart[i]; e < P.rowStart[i + 1]; ++e)
            row.emplace_back(position[static_cast<size_t>(P.col[static_cast<size_t>(e)])], P.p[static_cast<size_t>(e)]);
        std::sort(row.begin(), row.end());
        for (const auto& [j, p] : row) {
            out.col.push_back(j);
            out.p.push_back(p);
        }
        out.rowStart.push_back(static_cast<int64_t>(out.col.size()));
    }
    return out;
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

CompactAffinities compact(const SparseAffinities& P)
{
    CompactAffinities c;
    c.n = P.n;
    c.rowStart = P.rowStart;
    c.col.assign(P.col.begin(), P.col.end());
    c.p.assign(P.p.begin(), P.p.end());
    return c;
}

// Four entries of a row at a time in SSE lanes (the x86-64 baseline); the
// neighbours' positions are gathered lane by lane.
std::vector<double> attraction(const CompactAffinities& P, const std::vector<double>& y, int threads)
{
    const std::vector<float> yf(y.begin(), y.end());
    std::vector<double> out(y.size());
    forPoints(P.n, threads, [&](int64_t begin, int64_t end) {
        const Lanes one = {1, 1, 1, 1};
        for (int64_t i = begin; i < end; ++i) {
            const float px = yf[static_cast<size_t>(2 * i)], py = yf[static_cast<size_t>(2 * i + 1)];
            const Lanes vx = {px, px, px, px}, vy = {py, py, py, py};
            Lanes ax = {0, 0, 0, 0}, ay = ax;
            const int64_t first = P.rowStart[static_cast<size_t>(i)], last = P.rowStart[static_cast<size_t>(i + 1)];
            int64_t e = first;
            for (; e + 4 <= last; e += 4) {
                Lanes qx, qy, p;
                for (int l = 0; l < 4; ++l) {
                    const auto j = static_cast<size_t>(P.col[static_cast<size_t>(e + l)]);
                    qx[l] = yf[2 * j];
                    qy[l] = yf[2 * j + 1];
                }
                std::memcpy(&p, &P.p[static_cast<size_t>(e)], sizeof p);
                const Lanes dx = vx - qx, dy = vy - qy;
                const Lanes pw = p / (one + dx * dx + dy * dy);
                ax += pw * dx;
                ay += pw * dy;
            }
            double sx = 0, sy = 0;
            for (int l = 0; l < 4; ++l) {
                sx += ax[l];
                sy += ay[l];
            }
            for (; e < last; ++e) {
                const auto j = static_cast<size_t>(P.col[static_cast<size_t>(e)]);
                const float dx = px - yf[2 * j], dy = py - yf[2 * j + 1];
                const float pw = P.p[static_cast<size_t>(e)] / (1 + dx * dx + dy * dy);
                sx += pw * dx;
                sy += pw * dy;
            }
            out[static_cast<size_t>(2 * i)] = sx;
            out[static_cast<size_t>(2 * i + 1)] = sy;
        }
    });
    return out;
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

TsneOptions::Repulsion repulsionMethod(TsneOptions::Repulsion requested, int64_t n)
{
    if (requested != TsneOptions::Repulsion::Auto)
        return requested;
    if (n <= TsneOptions::kAutoExactMax)
        return TsneOptions::Repulsion::Exact;
    return TsneOptions::Repulsion::BarnesHut;
}

std::string repulsionName(TsneOptions::Repulsion method)
{
    switch (method) {
    case TsneOptions::Repulsion::Exact: return "exact";
    case TsneOptions::Repulsion::BarnesHut: return "barnes-hut";
    case TsneOptions::Repulsion::Fft: return "fft";
    default: return "auto";
    }
}

TsneOptions::Repulsion repulsionFromName(const std::string& name)
{
    for (auto method : {TsneOptions::Repulsion::Auto, TsneOptions::Repulsion::Exact, TsneOptions::Repulsion::BarnesHut,
                        TsneOptions::Repulsion::Fft})
        if (name == repulsionName(method))
            return method;
    throw Error("unknown repulsion '" + name + "': use auto, exact, barnes-hut or fft");
}

TsneOptions::Neighbours neighboursFromName(const std::string& name)
{
    if (name == "auto")
        return TsneOptions::Neighbours::Auto;
    if (name == "exact")
        return TsneOptions::Neighbours::Exact;
    if (name == "approximate")
        return TsneOptions::Neighbours::Approximate;
    throw Error("unknown neighbour search '" + name + "': use auto, exact or approximate");
}

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
        auto reduction = pca(x, std::min(options.pcaDimensions, n - 1), cancel);
        reduced = reduction.projected;
        result.pcaMean = reduction.mean;
        result.pcaComponents = reduction.components;
        init = reduced.narrow(1, 0, std::min<int64_t>(2, reduced.size(1)));
    } else {
        reduced = x.to(torch::kFloat);
        if (options.init == TsneOptions::Init::Pca)
            init = pca(x, std::min<int64_t>(2, d), cancel).projected;
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
    result.approximateNeighbours =
        options.neighbours == TsneOptions::Neighbours::Approximate ||
        (options.neighbours == TsneOptions::Neighbours::Auto && n > TsneOptions::kAutoExactNeighboursMax);
    auto neighbours = result.approximateNeighbours ? approximateNeighbours(reduced, k, cancel)
                                                   : nearestNeighbours(reduced, k, cancel);
    result.secondsNeighbours = secondsSince(t0);

    t0 = Clock::now();
    report(0, "affinities");
    throwIfCancelled(cancel);
    auto P = symmetrize(neighbours.indices,
                        conditionalAffinities(neighbours.sqDistances, result.perplexity, options.threads));
    result.secondsAffinities = secondsSince(t0);

    t0 = Clock::now();
    const auto method = repulsionMethod(options.repulsion, n);
    result.repulsion = method;
    auto repulsion = [&] {
        switch (method) {
        case TsneOptions::Repulsion::Exact: return repulsionExact(y, options.threads);
        case TsneOptions::Repulsion::BarnesHut: return repulsionBarnesHut(y, options.theta, options.threads);
        default: return repulsionFft(y, {}, options.threads);
        }
    };
    const double lr = options.learningRate > 0 ? options.learningRate : std::max(200.0, static_cast<double>(n) / 12);
    std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0);
    // order[k]: the point at position k. Renumbering in the map's spatial
    // order every kReorderEvery iterations keeps the attraction's reads of
    // neighbours' positions local (the clusters only form as it runs).
    constexpr int64_t kReorderEvery = 250;
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        order[static_cast<size_t>(i)] = i;
    auto fastP = compact(P);
    int64_t it = 0;
    for (; it < options.iterations; ++it) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            result.cancelled = true;
            break;
        }
        if (it % kReorderEvery == 0 && n > TsneOptions::kAutoExactMax) {
            auto local = spatialOrder(y); // positions now -> positions then
            P = permuted(P, local);
            fastP = compact(P);
            y = reordered(y, local, 2);
            update = reordered(update, local, 2);
            gains = reordered(gains, local, 2);
            for (auto& k : local)
                k = order[static_cast<size_t>(k)];
            order = std::move(local);
        }
        const bool early = it < options.exaggerationIterations;
        const bool reportNow = it > 0 && options.reportEvery > 0 && it % options.reportEvery == 0;
        const double alpha = early ? options.exaggeration : 1.0;
        const auto r = repulsion();
        // The KL needs P's exact log terms; the other iterations take the
        // single-precision attraction (2× the throughput; relative error ~1e-6).
        Gradient g;
        if (reportNow) {
            g = klGradient(P, y, r, alpha, true, options.threads);
        } else {
            g.grad = attraction(fastP, y, options.threads);
            for (size_t e = 0; e < y.size(); ++e)
                g.grad[e] = 4 * (alpha * g.grad[e] - r.force[e] / r.z);
        }
        if (reportNow) {
            result.klCurve.emplace_back(it, g.kl);
            if (preview)
                preview(it, embeddingTensor(y, order), g.kl);
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
    result.embedding = embeddingTensor(y, order);
    if (preview)
        preview(it, result.embedding.clone(), result.kl);
    result.secondsOptimization = secondsSince(t0);
    report(1, "done");
    return result;
}

} // namespace convscope
