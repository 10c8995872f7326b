#pragma once

// How alike two saliency maps are, the four ways Adebayo et al. ("Sanity
// Checks for Saliency Maps", NeurIPS 2018) measure it. Each number is the
// one SciPy 1.10 / scikit-image 0.19 give for the same float64 maps
// (tests/sanity_reference.py is that reference; HOG bins by glibc's atan2,
// as numpy does without its AVX-512 arctan2), except where they give NaN:
//   - maps that are equal element for element: 1 for every measure;
//   - otherwise a constant input (a map for Spearman, a HOG vector for HOG)
//     has no correlation: 0.

#include <torch/script.h>

namespace convscope {

// The two pictures of one saliency map that the paper compares, [H, W]
// float64 (not float32: rank ties and HOG orientation bins are
// discontinuous, so rounding would move the numbers past 1e-6).
struct SanityMaps {
    torch::Tensor absolute; // in [0, 1]
    torch::Tensor signedMap; // in [-1, 1]
};

// From a signed pixel-space attribution [C, H, W], or a CAM map [H, W] (its
// own channel sum), computed in float64:
//   absolute = sum over channels of |a| / its 99th percentile, clipped to [0, 1];
//   signed   = sum over channels of a / the 99th percentile of its |.|,
//              clipped to [-1, 1];
// percentiles as numpy.percentile's default (linear interpolation). Where
// that percentile is 0 (99% of the map is 0) a pixel becomes its sign, the
// limit of the clipped quotient, so an all-zero map stays zero. Throws Error
// on another rank or a non-finite value.
SanityMaps sanityMaps(const torch::Tensor& attributionOrMap);

struct MapSimilarity {
    double spearmanAbs = 1; // Spearman of the absolute maps
    double spearman = 1; // Spearman of the signed maps
    double ssim = 1; // SSIM of the absolute maps, data range 1
    double hog = 1; // hogSimilarity of the absolute maps
};
// Maps of one shape, at least 7x7 (SSIM's window); throws Error otherwise.
MapSimilarity compareMaps(const SanityMaps& original, const SanityMaps& randomized);

// The building blocks. Inputs are finite tensors of one shape, taken as
// float64.

// scipy.stats.spearmanr of the flattened values (ties get average ranks).
double spearman(const torch::Tensor& a, const torch::Tensor& b);
// skimage.metrics.structural_similarity(a, b, data_range=dataRange) for
// [H, W] maps: 7x7 uniform window (scipy.ndimage.uniform_filter, mode
// reflect), sample covariance, K1 0.01, K2 0.03, the mean over the map less 3
// pixels at each border.
double ssim(const torch::Tensor& a, const torch::Tensor& b, double dataRange);
// The HOG cell side for a map: 8 pixels from 48 on the shorter side up
// (224x224: 28x28 cells), else max(2, shorter side / 6), so that small maps
// still hold several 3x3-cell blocks (28x28 MNIST: 4 px, 7x7 cells).
int64_t hogCellSize(int64_t height, int64_t width);
// skimage.feature.hog(map, orientations=9, pixels_per_cell=(c, c),
// cells_per_block=(3, 3), block_norm='L2-Hys', feature_vector=True) with c
// from hogCellSize: float64 [blocks x 81]. The map must be at least 6x6.
torch::Tensor hogFeatures(const torch::Tensor& map);
// scipy.stats.pearsonr of the two maps' HOG vectors.
double hogSimilarity(const torch::Tensor& a, const torch::Tensor& b);

} // namespace convscope
