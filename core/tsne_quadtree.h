#pragma once

// The Barnes-Hut quadtree and charge sums shared by core/tsne_repulsion.cpp
// (points repelling each other) and core/tsne_transform.cpp (a fixed map
// repelling new points). Not an API.

#include "core/tsne_internal.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace convscope::tsne_internal {

// Point charges as plain lists, in single precision for chargeSums: the
// first `size` entries of each. One per thread, reused from walk to walk.
struct Charges {
    std::vector<float> xs, ys, counts;
    size_t size = 0;
};

struct ChargeSums {
    double z = 0, fx = 0, fy = 0;
};

template <bool kCounted>
ChargeSums chargeSumsOf(const float* xs, const float* ys, const float* counts, size_t n, float px, float py)
{
    const size_t whole = n / 4 * 4;
    const Lanes one = {1, 1, 1, 1}, vx = {px, px, px, px}, vy = {py, py, py, py};
    Lanes z = {0, 0, 0, 0}, fx = z, fy = z;
    for (size_t j = 0; j < whole; j += 4) {
        Lanes cx, cy, c = one;
        std::memcpy(&cx, xs + j, sizeof cx);
        std::memcpy(&cy, ys + j, sizeof cy);
        if constexpr (kCounted)
            std::memcpy(&c, counts + j, sizeof c);
        const Lanes dx = vx - cx, dy = vy - cy;
        const Lanes w = one / (one + dx * dx + dy * dy), cw = c * w, cww = cw * w;
        z += cw;
        fx += cww * dx;
        fy += cww * dy;
    }
    ChargeSums s;
    for (int l = 0; l < 4; ++l) {
        s.z += z[l];
        s.fx += fx[l];
        s.fy += fy[l];
    }
    for (size_t j = whole; j < n; ++j) {
        const float dx = px - xs[j], dy = py - ys[j];
        const float w = 1 / (1 + dx * dx + dy * dy), cw = (kCounted ? counts[j] : 1.0f) * w;
        s.z += cw;
        s.fx += cw * w * dx;
        s.fy += cw * w * dy;
    }
    return s;
}

// Σ over n charges at (xs, ys) of count·(w, w² dx, w² dy) seen from (px, py),
// counts all 1 when null: the inner loop of a Barnes-Hut walk, in single
// precision, four lanes at a time (SSE, the x86-64 baseline), the lanes summed
// at the end.
inline ChargeSums chargeSums(const float* xs, const float* ys, const float* counts, size_t n, float px, float py)
{
    // Two loops rather than a test per step on counts.
    return counts ? chargeSumsOf<true>(xs, ys, counts, n, px, py) : chargeSumsOf<false>(xs, ys, nullptr, n, px, py);
}

inline ChargeSums chargeSums(const Charges& charges, float px, float py)
{
    return chargeSums(charges.xs.data(), charges.ys.data(), charges.counts.data(), charges.size, px, py);
}

struct Box {
    double lo[2], hi[2]; // per coordinate
};

// Of points begin...end - 1 (at least one) of xy, interleaved x, y.
inline Box boundingBox(const double* xy, int64_t begin, int64_t end)
{
    Box box;
    for (int c = 0; c < 2; ++c) {
        box.lo[c] = box.hi[c] = xy[2 * begin + c];
        for (int64_t i = begin + 1; i < end; ++i) {
            box.lo[c] = std::min(box.lo[c], xy[2 * i + c]);
            box.hi[c] = std::max(box.hi[c], xy[2 * i + c]);
        }
    }
    return box;
}

// Barnes-Hut (van der Maaten 2014) on a quadtree. The points are partitioned
// into quadrants recursively (leaves of at most `leafSize` points); the nodes
// are stored depth first, each with the index just past its subtree, so a
// walk is one forward loop: a node far enough away (side / distance < θ) or a
// leaf is used and skipped past, any other node is opened by stepping to its
// first child. Points and leaves are in tree order, so neighbouring points
// walk nearly the same nodes out of the cache.
class QuadTree {
public:
    struct Node {
        double cx, cy;      // centre of mass
        double farSquared;  // (side / θ)²: nearer than this, open the node
        double count;
        int64_t begin, end; // its points, in tree order
        int64_t next;       // the node after this subtree
        bool leaf;
    };

    // y: N points, interleaved x, y.
    QuadTree(const std::vector<double>& y, double theta, int64_t leafSize)
        : m_theta2(theta * theta), m_leafSize(leafSize)
    {
        const auto n = static_cast<int64_t>(y.size() / 2);
        order.resize(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            order[static_cast<size_t>(i)] = i;
        if (n > 0) {
            const Box box = boundingBox(y.data(), 0, n);
            const double side = std::max({box.hi[0] - box.lo[0], box.hi[1] - box.lo[1], 1e-12}) * (1 + 1e-9);
            nodes.reserve(static_cast<size_t>(2 * n / leafSize + 16));
            build(y, 0, n, box.lo[0], box.lo[1], side, 0);
        }
        points.resize(y.size());
        xs.resize(static_cast<size_t>(n));
        ys.resize(static_cast<size_t>(n));
        for (int64_t k = 0; k < n; ++k) {
            const auto i = static_cast<size_t>(order[static_cast<size_t>(k)]);
            points[static_cast<size_t>(2 * k)] = y[2 * i];
            points[static_cast<size_t>(2 * k + 1)] = y[2 * i + 1];
            xs[static_cast<size_t>(k)] = static_cast<float>(y[2 * i]);
            ys[static_cast<size_t>(k)] = static_cast<float>(y[2 * i + 1]);
        }
    }

    // The charges seen from a place, into `charges`: distanceSquared(node) is
    // the place's squared distance to the node's centre of mass; a node
    // farther than its farSquared is one charge, a nearer leaf gives its
    // points one by one. Out of line: inlined into tsne_transform.cpp's
    // pointGradient, it made that function's own loop over P's neighbours
    // about 4× slower (GCC 12, -O3; cause not found), and placing 100 points
    // took 0.029 s against 0.020 s on 1 thread.
    template <class DistanceSquared>
    [[gnu::noinline]] void collect(const DistanceSquared& distanceSquared, Charges& charges) const
    {
        // The charges cover each point once at most, so lists of N fill with
        // no capacity checks: 3 % off t-SNE's optimization against push_back
        // (5000 digits, 1 thread).
        if (charges.xs.size() < xs.size()) {
            charges.xs.resize(xs.size());
            charges.ys.resize(xs.size());
            charges.counts.resize(xs.size());
        }
        float* cx = charges.xs.data();
        float* cy = charges.ys.data();
        float* cc = charges.counts.data();
        size_t c = 0;
        const auto count = static_cast<int64_t>(nodes.size());
        for (int64_t at = 0; at < count;) {
            const Node& node = nodes[static_cast<size_t>(at)];
            if (node.farSquared < distanceSquared(node)) {
                cx[c] = static_cast<float>(node.cx);
                cy[c] = static_cast<float>(node.cy);
                cc[c] = static_cast<float>(node.count);
                ++c;
                at = node.next;
            } else if (node.leaf) {
                for (int64_t j = node.begin; j < node.end; ++j, ++c) {
                    cx[c] = xs[static_cast<size_t>(j)];
                    cy[c] = ys[static_cast<size_t>(j)];
                    cc[c] = 1;
                }
                at = node.next;
            } else {
                ++at;
            }
        }
        charges.size = c;
    }

    std::vector<Node> nodes;    // depth first; none for no points
    std::vector<int64_t> order; // tree order -> point
    std::vector<double> points; // coordinates in tree order, interleaved
    std::vector<float> xs, ys;  // the same in single precision

private:
    void build(const std::vector<double>& y, int64_t begin, int64_t end, double x0, double y0, double side,
               int depth)
    {
        auto px = [&](int64_t i) { return y[static_cast<size_t>(2 * i)]; };
        auto py = [&](int64_t i) { return y[static_cast<size_t>(2 * i + 1)]; };
        const size_t at = nodes.size();
        double sx = 0, sy = 0;
        for (int64_t k = begin; k < end; ++k) {
            sx += px(order[static_cast<size_t>(k)]);
            sy += py(order[static_cast<size_t>(k)]);
        }
        const auto count = static_cast<double>(end - begin);
        // A depth cap, or coincident points would split forever.
        const bool leaf = end - begin <= m_leafSize || depth > 48;
        nodes.push_back({sx / count, sy / count, side * side / m_theta2, count, begin, end, 0, leaf});
        if (!leaf) {
            const double half = side / 2, mx = x0 + half, my = y0 + half;
            auto first = order.begin() + begin, last = order.begin() + end;
            auto top = std::partition(first, last, [&](int64_t i) { return py(i) < my; });
            auto bottomRight = std::partition(first, top, [&](int64_t i) { return px(i) < mx; });
            auto topRight = std::partition(top, last, [&](int64_t i) { return px(i) < mx; });
            const int64_t bounds[5] = {begin, bottomRight - order.begin(), top - order.begin(),
                                       topRight - order.begin(), end};
            const double corners[4][2] = {{x0, y0}, {mx, y0}, {x0, my}, {mx, my}};
            for (int q = 0; q < 4; ++q)
                if (bounds[q + 1] > bounds[q])
                    build(y, bounds[q], bounds[q + 1], corners[q][0], corners[q][1], half, depth + 1);
        }
        nodes[at].next = static_cast<int64_t>(nodes.size());
    }

    double m_theta2;
    int64_t m_leafSize;
};

} // namespace convscope::tsne_internal
