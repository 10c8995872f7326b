#pragma once

// Pieces shared by core/tsne*.cpp (not an API).

#include "core/tsne.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace convscope::tsne_internal {

// Four floats in one SSE register (the x86-64 baseline; GCC vector extension).
using Lanes = float __attribute__((vector_size(16)));

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

inline double sumInOrder(const std::vector<double>& v)
{
    double s = 0;
    for (double x : v)
        s += x;
    return s;
}

// rows · xᵀ, with xMkldnn x.to_mkldnn() or undefined. Through oneDNN when
// given: 8× faster than Debian's reference BLAS here (18 vs 2.3 GFLOP/s for
// 2048 × 70,000 × 50 on 2 cores).
inline torch::Tensor innerProducts(const torch::Tensor& rows, const torch::Tensor& x, const torch::Tensor& xMkldnn)
{
    if (!xMkldnn.defined())
        return rows.mm(x.t());
    return at::mkldnn_linear(rows.contiguous().to_mkldnn(), xMkldnn, {}).to_dense();
}

template <class T>
double squaredDistance(const double* a, const T* b, int64_t d)
{
    double s = 0;
    for (int64_t t = 0; t < d; ++t) {
        const double diff = a[t] - static_cast<double>(b[t]);
        s += diff * diff;
    }
    return s;
}

// Rows start... of r from the rows start... of `queries` ([*, d]) and their k
// candidates among the rows of `reference` ([*, d], each value widened),
// chosen[q * k + c] for the q-th of those `rows` queries: exact squared
// distances in double (a float expansion loses the small ones), sorted by
// them, ties by index (the same order every run). Plain loops: the tensor
// version's [rows, k, D] temporaries cost more than the arithmetic.
template <class T>
void exactSorted(const double* queries, const T* reference, int64_t d, int64_t start, int64_t rows, int64_t k,
                 const int64_t* chosen, tsne_detail::Neighbours& r)
{
    int64_t* indices = r.indices.data_ptr<int64_t>();
    double* distances = r.sqDistances.data_ptr<double>();
    forPoints(rows, 0, [&](int64_t first, int64_t last) {
        std::vector<std::pair<double, int64_t>> row(static_cast<size_t>(k));
        for (int64_t q = first; q < last; ++q) {
            for (int64_t c = 0; c < k; ++c) {
                const int64_t j = chosen[q * k + c];
                row[static_cast<size_t>(c)] = {squaredDistance(queries + (start + q) * d, reference + j * d, d), j};
            }
            std::sort(row.begin(), row.end());
            for (int64_t c = 0; c < k; ++c) {
                indices[(start + q) * k + c] = row[static_cast<size_t>(c)].second;
                distances[(start + q) * k + c] = row[static_cast<size_t>(c)].first;
            }
        }
    });
}

} // namespace convscope::tsne_internal
