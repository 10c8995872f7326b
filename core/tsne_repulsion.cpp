#include "core/tsne.h"
#include "core/tsne_internal.h"
#include "core/tsne_quadtree.h"

#include <torch/fft.h>

#include <algorithm>
#include <cmath>

namespace convscope::tsne_detail {

using namespace tsne_internal;

namespace {

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

} // namespace

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

// Barnes-Hut's leaves (core/tsne_quadtree.h) hold at most this many points.
constexpr int64_t kLeafSize = 32;

std::vector<int64_t> spatialOrder(const std::vector<double>& y)
{
    return QuadTree(y, 1, kLeafSize).order;
}

// The walk is made once per leaf, for all its points together: a node is one
// charge when it is far enough from the leaf's bounding box (so from each of
// its points), and a near leaf gives its points one by one. Each point then
// sums the shared list in one vectorizable loop; its own entry (w = 1, no
// force) is taken off Z afterwards.
Repulsion repulsionBarnesHut(const std::vector<double>& y, double theta, int threads)
{
    const auto n = static_cast<int64_t>(y.size() / 2);
    const QuadTree tree(y, theta, kLeafSize);
    std::vector<int64_t> leaves;
    for (int64_t at = 0; at < static_cast<int64_t>(tree.nodes.size()); ++at)
        if (tree.nodes[static_cast<size_t>(at)].leaf)
            leaves.push_back(at);
    std::vector<double> force(y.size()), z(static_cast<size_t>(n));
    forPoints(static_cast<int64_t>(leaves.size()), threads, [&](int64_t first, int64_t last) {
        Charges charges;
        for (int64_t l = first; l < last; ++l) {
            const QuadTree::Node& leaf = tree.nodes[static_cast<size_t>(leaves[static_cast<size_t>(l)])];
            const Box box = boundingBox(tree.points.data(), leaf.begin, leaf.end);
            tree.collect(
                [&](const QuadTree::Node& node) {
                    const double dx = std::max({box.lo[0] - node.cx, node.cx - box.hi[0], 0.0});
                    const double dy = std::max({box.lo[1] - node.cy, node.cy - box.hi[1], 0.0});
                    return dx * dx + dy * dy;
                },
                charges);
            for (int64_t k = leaf.begin; k < leaf.end; ++k) {
                const auto at = static_cast<size_t>(k);
                const ChargeSums s = chargeSums(charges, tree.xs[at], tree.ys[at]);
                const auto i = static_cast<size_t>(tree.order[at]);
                force[2 * i] = s.fx;
                force[2 * i + 1] = s.fy;
                z[i] = s.z - 1;
            }
        }
    });
    return {std::move(force), sumInOrder(z)};
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
        auto part = torch::fft::ifft(products.narrow(0, 2 * t, 2), {}, -2).narrow(-2, 0, nodes);
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

} // namespace convscope::tsne_detail
