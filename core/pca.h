#pragma once

// Principal component analysis: the 2-D layout of the Embedding tab and
// `convscope tsne --method pca`, and t-SNE's first reduction.

#include "core/progress.h"

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

struct PcaResult {
    torch::Tensor projected;               // [N, k] float: (x - mean) · componentsᵀ
    torch::Tensor components;              // [k, D] float, orthonormal rows, by decreasing variance
    torch::Tensor mean;                    // [D] float
    std::vector<double> explainedVariance; // fraction of the total variance per component
};

// Exact PCA of x [N, D] (any floating type; computed in double): eigendecomposition
// of the D×D covariance, or of the N×N Gram matrix when N < D. Each component's
// sign is fixed so that its largest-magnitude loading is positive. 1 <= k <= min(N-1, D)
// (centring leaves rank N-1 at most). Cost: O(N·D·min(N, D)) + O(min(N, D)³).
// A set cancel flag throws Cancelled between the steps and within the
// product (column blocks of tens of milliseconds, which give the same
// numbers as one product); the eigendecomposition itself (LAPACK) runs to
// its end, O(min(N, D)³).
PcaResult pca(const torch::Tensor& x, int64_t k, const CancelFlag* cancel = nullptr);

// Error unless x is a finite N x D matrix, naming `what`.
void requireFiniteMatrix(const torch::Tensor& x, const std::string& what);

} // namespace convscope
