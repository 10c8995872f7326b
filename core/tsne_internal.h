#pragma once

// Pieces shared by core/tsne.cpp and core/tsne_repulsion.cpp (not an API).

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
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

} // namespace convscope::tsne_internal
