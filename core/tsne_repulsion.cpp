#include "core/tsne.h"
#include "core/tsne_internal.h"

#include <torch/fft.h>

#include <algorithm>
#include <cmath>
#include <cstring>

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

// Barnes-Hut repulsion (van der Maaten 2014) on a quadtree. The points are
// partitioned into quadrants recursively (leaves of at most kLeafSize
// points); the nodes are stored depth first, each with the index just past
// its subtree, so a point's walk is one forward loop: a node far enough away
// (side / distance < θ) or a leaf is used and skipped past, any other node is
// opened by stepping to its first child. Points and leaves are in tree order,
// so neighbouring points walk nearly the same nodes out of the cache.
namespace {

constexpr int64_t kLeafSize = 32;

struct QuadNode {
    double cx, cy;        // centre of mass
    double farSquared;    // (side / θ)²: nearer than this, open the node
    double count;
    int64_t begin, end;   // its points, in tree order
    int64_t next;         // the node after this subtree
    bool leaf;
};

class QuadTree {
public:
    QuadTree(const std::vector<double>& y, double theta)
        : m_y(y), m_theta2(theta * theta)
    {
        const auto n = static_cast<int64_t>(y.size() / 2);
        order.resize(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            order[static_cast<size_t>(i)] = i;
        double x0 = y[0], x1 = y[0], y0 = y[1], y1 = y[1];
        for (int64_t i = 1; i < n; ++i) {
            x0 = std::min(x0, y[2 * i]);
            x1 = std::max(x1, y[2 * i]);
            y0 = std::min(y0, y[2 * i + 1]);
            y1 = std::max(y1, y[2 * i + 1]);
        }
        nodes.reserve(static_cast<size_t>(2 * n / kLeafSize + 16));
        build(0, n, x0, y0, std::max({x1 - x0, y1 - y0, 1e-12}) * (1 + 1e-9), 0);
        points.resize(y.size());
        for (int64_t k = 0; k < n; ++k) {
            points[static_cast<size_t>(2 * k)] = y[static_cast<size_t>(2 * order[static_cast<size_t>(k)])];
            points[static_cast<size_t>(2 * k + 1)] = y[static_cast<size_t>(2 * order[static_cast<size_t>(k)] + 1)];
        }
    }

    std::vector<QuadNode> nodes; // depth first
    std::vector<int64_t> order;  // tree order -> point
    std::vector<double> points;  // coordinates in tree order

private:
    double x(int64_t i) const { return m_y[static_cast<size_t>(2 * i)]; }
    double y(int64_t i) const { return m_y[static_cast<size_t>(2 * i + 1)]; }

    void build(int64_t begin, int64_t end, double x0, double y0, double side, int depth)
    {
        const size_t at = nodes.size();
        double sx = 0, sy = 0;
        for (int64_t k = begin; k < end; ++k) {
            sx += x(order[static_cast<size_t>(k)]);
            sy += y(order[static_cast<size_t>(k)]);
        }
        const auto count = static_cast<double>(end - begin);
        // A depth cap, or coincident points would split forever.
        const bool leaf = end - begin <= kLeafSize || depth > 48;
        nodes.push_back({sx / count, sy / count, side * side / m_theta2, count, begin, end, 0, leaf});
        if (!leaf) {
            const double half = side / 2, mx = x0 + half, my = y0 + half;
            auto first = order.begin() + begin, last = order.begin() + end;
            auto top = std::partition(first, last, [&](int64_t i) { return y(i) < my; });
            auto bottomRight = std::partition(first, top, [&](int64_t i) { return x(i) < mx; });
            auto topRight = std::partition(top, last, [&](int64_t i) { return x(i) < mx; });
            const int64_t bounds[5] = {begin, bottomRight - order.begin(), top - order.begin(),
                                       topRight - order.begin(), end};
            const double corners[4][2] = {{x0, y0}, {mx, y0}, {x0, my}, {mx, my}};
            for (int q = 0; q < 4; ++q)
                if (bounds[q + 1] > bounds[q])
                    build(bounds[q], bounds[q + 1], corners[q][0], corners[q][1], half, depth + 1);
        }
        nodes[at].next = static_cast<int64_t>(nodes.size());
    }

    const std::vector<double>& m_y;
    double m_theta2;
};


// Σ over `count` charges at (x, y) of (w, w² dx, w² dy) seen from (px, py):
// the inner loop of the walk, on lists in single precision, four lanes at a
// time (SSE, the x86-64 baseline), with the lanes summed at the end.
struct Sums {
    double z = 0, fx = 0, fy = 0;
};

Sums chargeSums(const std::vector<float>& xs, const std::vector<float>& ys, const std::vector<float>& counts,
                float px, float py)
{
    const size_t n = xs.size(), whole = n / 4 * 4;
    Lanes z = {0, 0, 0, 0}, fx = z, fy = z;
    const Lanes one = {1, 1, 1, 1}, vx = {px, px, px, px}, vy = {py, py, py, py};
    for (size_t j = 0; j < whole; j += 4) {
        Lanes cx, cy, c;
        std::memcpy(&cx, &xs[j], sizeof cx);
        std::memcpy(&cy, &ys[j], sizeof cy);
        std::memcpy(&c, &counts[j], sizeof c);
        const Lanes dx = vx - cx, dy = vy - cy;
        const Lanes w = one / (one + dx * dx + dy * dy), cw = c * w, cww = cw * w;
        z += cw;
        fx += cww * dx;
        fy += cww * dy;
    }
    Sums s;
    for (int l = 0; l < 4; ++l) {
        s.z += z[l];
        s.fx += fx[l];
        s.fy += fy[l];
    }
    for (size_t j = whole; j < n; ++j) {
        const float dx = px - xs[j], dy = py - ys[j];
        const float w = 1 / (1 + dx * dx + dy * dy), cw = counts[j] * w;
        s.z += cw;
        s.fx += cw * w * dx;
        s.fy += cw * w * dy;
    }
    return s;
}

} // namespace

std::vector<int64_t> spatialOrder(const std::vector<double>& y)
{
    return QuadTree(y, 1).order;
}

// The walk is made once per leaf, for all its points together: a node is one
// charge when it is far enough from the leaf's bounding box (so from each of
// its points), and a near leaf gives its points one by one. Each point then
// sums the shared list in one vectorizable loop; its own entry (w = 1, no
// force) is taken off Z afterwards.
Repulsion repulsionBarnesHut(const std::vector<double>& y, double theta, int threads)
{
    const auto n = static_cast<int64_t>(y.size() / 2);
    const QuadTree tree(y, theta);
    const QuadNode* nodes = tree.nodes.data();
    const auto nodeCount = static_cast<int64_t>(tree.nodes.size());
    const double* points = tree.points.data();
    std::vector<int64_t> leaves;
    for (int64_t at = 0; at < nodeCount; ++at)
        if (nodes[at].leaf)
            leaves.push_back(at);
    std::vector<double> force(y.size()), z(static_cast<size_t>(n));
    forPoints(static_cast<int64_t>(leaves.size()), threads, [&](int64_t first, int64_t last) {
        std::vector<float> xs, ys, counts;
        for (int64_t l = first; l < last; ++l) {
            const QuadNode& leaf = nodes[leaves[static_cast<size_t>(l)]];
            double x0 = points[2 * leaf.begin], x1 = x0, y0 = points[2 * leaf.begin + 1], y1 = y0;
            for (int64_t k = leaf.begin + 1; k < leaf.end; ++k) {
                x0 = std::min(x0, points[2 * k]);
                x1 = std::max(x1, points[2 * k]);
                y0 = std::min(y0, points[2 * k + 1]);
                y1 = std::max(y1, points[2 * k + 1]);
            }
            xs.clear();
            ys.clear();
            counts.clear();
            for (int64_t at = 0; at < nodeCount;) {
                const QuadNode& node = nodes[at];
                const double dx = std::max({x0 - node.cx, node.cx - x1, 0.0});
                const double dy = std::max({y0 - node.cy, node.cy - y1, 0.0});
                if (node.farSquared < dx * dx + dy * dy) {
                    xs.push_back(static_cast<float>(node.cx));
                    ys.push_back(static_cast<float>(node.cy));
                    counts.push_back(static_cast<float>(node.count));
                    at = node.next;
                } else if (node.leaf) {
                    for (int64_t j = node.begin; j < node.end; ++j) {
                        xs.push_back(static_cast<float>(points[2 * j]));
                        ys.push_back(static_cast<float>(points[2 * j + 1]));
                        counts.push_back(1);
                    }
                    at = node.next;
                } else {
                    ++at;
                }
            }
            for (int64_t k = leaf.begin; k < leaf.end; ++k) {
                const Sums s = chargeSums(xs, ys, counts, static_cast<float>(points[2 * k]),
                                          static_cast<float>(points[2 * k + 1]));
                const auto i = static_cast<size_t>(tree.order[static_cast<size_t>(k)]);
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
