#include "core/tsne.h"

#include "core/error.h"
#include "core/tsne_internal.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <limits>

namespace convscope::tsne_detail {

using namespace tsne_internal;

namespace {

// HNSW (Malkov & Yashunin 2018) settings: 16 links per node, beams of 100
// while building and searching. On 70,000 augmented digits in 50-D these
// found 99.6 % of the exact 90 nearest neighbours.
constexpr size_t kHnswLinks = 16, kHnswBuildBeam = 100, kHnswSeed = 100;
constexpr int64_t kHnswSearchBeam = 100;

} // namespace

Neighbours nearestNeighbours(const torch::Tensor& x, int64_t k, const CancelFlag* cancel)
{
    const int64_t n = x.size(0), d = x.size(1);
    auto xf = x.to(torch::kFloat).contiguous();
    auto xd = x.to(torch::kDouble).contiguous();
    auto norms = xf.pow(2).sum(1).unsqueeze(0);
    auto xm = at::hasMKLDNN() ? xf.to_mkldnn() : torch::Tensor();
    Neighbours r{torch::empty({n, k}, torch::kLong), torch::empty({n, k}, torch::kDouble)};
    const double* xdp = xd.data_ptr<double>();
    // |x_i - x_j|² - |x_i|² ranks row i's neighbours as well as the distance
    // does. Blocks of rows keep the [rows, N] matrix near 8 MB: reused from the
    // heap, where 128 MB blocks were fresh pages each time (page faults took
    // more time than the products).
    const int64_t block = std::max<int64_t>(16, (int64_t(1) << 21) / n);
    for (int64_t start = 0; start < n; start += block) {
        throwIfCancelled(cancel);
        const int64_t b = std::min(block, n - start);
        auto rows = xf.narrow(0, start, b);
        auto scores = innerProducts(rows, xf, xm).mul_(-2).add_(norms);
        auto diagonal = torch::arange(b, torch::kLong) * (n + 1) + start;
        scores.view(-1).index_fill_(0, diagonal, std::numeric_limits<float>::infinity());
        auto idx = std::get<1>(scores.topk(k, 1, /*largest=*/false, /*sorted=*/false)).contiguous();
        exactSorted(xdp, xdp, d, start, b, k, idx.data_ptr<int64_t>(), r);
    }
    return r;
}

Neighbours approximateNeighbours(const torch::Tensor& x, int64_t k, const CancelFlag* cancel)
{
    const int64_t n = x.size(0), d = x.size(1);
    auto xf = x.to(torch::kFloat).contiguous();
    auto xd = x.to(torch::kDouble).contiguous();
    const float* data = xf.data_ptr<float>();
    hnswlib::L2Space space(static_cast<size_t>(d));
    hnswlib::HierarchicalNSW<float> index(&space, static_cast<size_t>(n), kHnswLinks, kHnswBuildBeam, kHnswSeed);
    // Inserted one by one on one thread: the graph, hence the neighbours and
    // the map, are then the same on every run.
    for (int64_t i = 0; i < n; ++i) {
        if (i % 1024 == 0)
            throwIfCancelled(cancel);
        index.addPoint(data + i * d, static_cast<hnswlib::labeltype>(i));
    }
    index.setEf(static_cast<size_t>(std::max<int64_t>(kHnswSearchBeam, k + 1)));
    Neighbours r{torch::empty({n, k}, torch::kLong), torch::empty({n, k}, torch::kDouble)};
    auto chosen = torch::empty({n, k}, torch::kLong);
    int64_t* c = chosen.data_ptr<int64_t>();
    // Each query asks for k + 1 to drop the point itself; should the search
    // miss it, the farthest candidate goes instead.
    forPoints(n, 0, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) {
            if (cancel && cancel->load(std::memory_order_relaxed))
                return;
            auto found = index.searchKnn(data + i * d, static_cast<size_t>(k + 1));
            std::vector<int64_t> ids;
            while (!found.empty()) {
                if (static_cast<int64_t>(found.top().second) != i)
                    ids.push_back(static_cast<int64_t>(found.top().second));
                found.pop();
            }
            // farthest first; keep the k nearest
            std::reverse(ids.begin(), ids.end());
            if (static_cast<int64_t>(ids.size()) < k)
                throw Error("the approximate neighbour search found only " + std::to_string(ids.size()) +
                            " neighbours of point " + std::to_string(i) + ", " + std::to_string(k) + " needed");
            std::copy(ids.begin(), ids.begin() + k, c + i * k);
        }
    });
    throwIfCancelled(cancel);
    exactSorted(xd.data_ptr<double>(), xd.data_ptr<double>(), d, 0, n, k, c, r);
    return r;
}

} // namespace convscope::tsne_detail
