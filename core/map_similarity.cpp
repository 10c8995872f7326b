#include "core/map_similarity.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace convscope {
namespace {

constexpr int64_t kSsimWindow = 7;
constexpr int kOrientations = 9;
constexpr int64_t kCellsPerBlock = 3;
constexpr double kPi = 3.141592653589793238462643383279502884;

std::string shapeText(const torch::Tensor& t)
{
    std::ostringstream out;
    out << t.sizes();
    return out.str();
}

// Row-major float64 copy.
std::vector<double> values(const torch::Tensor& t)
{
    const auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
    const double* p = c.data_ptr<double>();
    return std::vector<double>(p, p + c.numel());
}

torch::Tensor toTensor(std::vector<double> v, torch::IntArrayRef shape)
{
    return torch::from_blob(v.data(), shape, torch::kDouble).clone();
}

void requireSameShape(const torch::Tensor& a, const torch::Tensor& b, const char* what)
{
    if (!a.sizes().equals(b.sizes()))
        throw Error(std::string(what) + ": the maps differ in shape, " + shapeText(a) + " and " + shapeText(b));
}

void requireMap(const torch::Tensor& t, int64_t minSide, const char* what)
{
    if (t.dim() != 2 || t.size(0) < minSide || t.size(1) < minSide)
        throw Error(std::string(what) + ": expected a map [H, W] of at least " + std::to_string(minSide) + "x"
            + std::to_string(minSide) + ", got " + shapeText(t));
}

bool isConstant(const std::vector<double>& v)
{
    return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
}

// numpy.percentile's linear method with its own rounding (index (n-1)*q,
// interpolation from the nearer end), so clipping ties fall where numpy's do.
double percentile(std::vector<double> v, double q)
{
    const size_t n = v.size();
    const double index = double(n - 1) * (q / 100);
    size_t lo = n - 1, hi = n - 1;
    if (index < double(n - 1)) {
        lo = size_t(std::floor(index));
        hi = lo + 1;
    }
    std::nth_element(v.begin(), v.begin() + lo, v.end());
    const double a = v[lo];
    const double b = hi == lo ? a : *std::min_element(v.begin() + lo + 1, v.end());
    const double gamma = index - std::floor(index);
    const double diff = b - a;
    return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

// m / p99(|m|) clipped to [lower, 1]. With p99 = 0 the quotient's limit is
// the sign, which keeps zeros at 0 instead of 0/0.
std::vector<double> normalized(std::vector<double> m, double lower)
{
    std::vector<double> magnitude(m.size());
    std::transform(m.begin(), m.end(), magnitude.begin(), [](double x) { return std::abs(x); });
    const double p = percentile(std::move(magnitude), 99);
    for (double& x : m)
        x = p == 0 ? double((x > 0) - (x < 0)) : std::clamp(x / p, lower, 1.0);
    return m;
}

// Average ranks from 1, as scipy.stats.rankdata's default.
std::vector<double> averageRanks(const std::vector<double>& v)
{
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> ranks(v.size());
    for (size_t start = 0; start < order.size();) {
        size_t end = start + 1;
        while (end < order.size() && v[order[end]] == v[order[start]])
            ++end;
        const double rank = 0.5 * double(start + end + 1);
        for (size_t k = start; k < end; ++k)
            ranks[order[k]] = rank;
        start = end;
    }
    return ranks;
}

// Pearson's r, clipped to [-1, 1] as numpy.corrcoef and scipy clip it;
// 0 where either side is constant (SciPy: NaN).
double correlation(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() < 2 || isConstant(x) || isConstant(y))
        return 0;
    const double n = double(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    return std::clamp(sxy / std::sqrt(sxx) / std::sqrt(syy), -1.0, 1.0);
}

// scipy.ndimage.uniform_filter1d along one axis, mode 'reflect' (d c b a |
// a b c d | d c b a), with scipy's running sum. `stride` steps along the
// axis, `lines`/`lineStride` across it.
void uniformFilter1d(const std::vector<double>& in, std::vector<double>& out, int64_t length, int64_t stride,
    int64_t lines, int64_t lineStride, int64_t size)
{
    const int64_t before = size / 2;
    std::vector<double> line(static_cast<size_t>(length + size - 1));
    for (int64_t l = 0; l < lines; ++l) {
        const double* src = in.data() + l * lineStride;
        for (int64_t k = 0; k < int64_t(line.size()); ++k) {
            int64_t i = k - before;
            i = i < 0 ? -i - 1 : i >= length ? 2 * length - i - 1 : i;
            line[size_t(k)] = src[i * stride];
        }
        double* dst = out.data() + l * lineStride;
        double sum = 0;
        for (int64_t k = 0; k < size; ++k)
            sum += line[size_t(k)];
        sum /= double(size);
        dst[0] = sum;
        for (int64_t i = 1; i < length; ++i) {
            sum += (line[size_t(i + size - 1)] - line[size_t(i - 1)]) / double(size);
            dst[i * stride] = sum;
        }
    }
}

std::vector<double> uniformFilter(const std::vector<double>& in, int64_t h, int64_t w)
{
    std::vector<double> rows(in.size()), out(in.size());
    uniformFilter1d(in, rows, h, w, w, 1, kSsimWindow);
    uniformFilter1d(rows, out, w, 1, h, w, kSsimWindow);
    return out;
}

// numpy.remainder(x, 180): the sign of the divisor, and -0 becomes +0.
double remainder180(double x)
{
    double mod = std::fmod(x, 180.0);
    if (mod != 0) {
        if (mod < 0)
            mod += 180;
    } else {
        mod = 0;
    }
    return mod;
}

} // namespace

SanityMaps sanityMaps(const torch::Tensor& attributionOrMap)
{
    const auto& x = attributionOrMap;
    if (x.dim() != 2 && x.dim() != 3)
        throw Error("sanity maps: expected an attribution [C, H, W] or a map [H, W], got " + shapeText(x));
    const int64_t h = x.size(-2), w = x.size(-1), n = h * w;
    const int64_t channels = x.dim() == 3 ? x.size(0) : 1;
    if (n == 0 || channels == 0)
        throw Error("sanity maps: the map is empty, " + shapeText(x));
    const auto a = values(x);
    if (!std::all_of(a.begin(), a.end(), [](double v) { return std::isfinite(v); }))
        throw Error("sanity maps: the attribution has non-finite values");

    // Channel by channel, in numpy's order for sum(axis=0).
    std::vector<double> absSum(static_cast<size_t>(n)), sum(a.begin(), a.begin() + n);
    for (int64_t i = 0; i < n; ++i)
        absSum[size_t(i)] = std::abs(a[size_t(i)]);
    for (int64_t c = 1; c < channels; ++c)
        for (int64_t i = 0; i < n; ++i) {
            absSum[size_t(i)] += std::abs(a[size_t(c * n + i)]);
            sum[size_t(i)] += a[size_t(c * n + i)];
        }
    return { toTensor(normalized(std::move(absSum), 0), { h, w }), toTensor(normalized(std::move(sum), -1), { h, w }) };
}

MapSimilarity compareMaps(const SanityMaps& original, const SanityMaps& randomized)
{
    requireSameShape(original.absolute, randomized.absolute, "compare maps");
    requireSameShape(original.signedMap, randomized.signedMap, "compare maps");
    MapSimilarity s;
    s.spearmanAbs = spearman(original.absolute, randomized.absolute);
    s.spearman = spearman(original.signedMap, randomized.signedMap);
    s.ssim = ssim(original.absolute, randomized.absolute, 1.0);
    s.hog = hogSimilarity(original.absolute, randomized.absolute);
    return s;
}

double spearman(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.numel() != b.numel())
        throw Error("spearman: the maps differ in size, " + shapeText(a) + " and " + shapeText(b));
    const auto x = values(a), y = values(b);
    if (x == y)
        return 1;
    return correlation(averageRanks(x), averageRanks(y));
}

double ssim(const torch::Tensor& a, const torch::Tensor& b, double dataRange)
{
    requireMap(a, kSsimWindow, "ssim");
    requireSameShape(a, b, "ssim");
    if (!(dataRange > 0) || !std::isfinite(dataRange))
        throw Error("ssim: the data range must be positive");
    const int64_t h = a.size(0), w = a.size(1);
    const auto x = values(a), y = values(b);
    std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        xx[i] = x[i] * x[i];
        yy[i] = y[i] * y[i];
        xy[i] = x[i] * y[i];
    }
    const auto ux = uniformFilter(x, h, w), uy = uniformFilter(y, h, w);
    const auto uxx = uniformFilter(xx, h, w), uyy = uniformFilter(yy, h, w), uxy = uniformFilter(xy, h, w);

    const double windowPixels = double(kSsimWindow * kSsimWindow);
    const double covNorm = windowPixels / (windowPixels - 1); // sample covariance
    const double c1 = (0.01 * dataRange) * (0.01 * dataRange);
    const double c2 = (0.03 * dataRange) * (0.03 * dataRange);
    const int64_t pad = (kSsimWindow - 1) / 2;
    double total = 0;
    for (int64_t r = pad; r < h - pad; ++r)
        for (int64_t c = pad; c < w - pad; ++c) {
            const size_t i = size_t(r * w + c);
            const double vx = covNorm * (uxx[i] - ux[i] * ux[i]);
            const double vy = covNorm * (uyy[i] - uy[i] * uy[i]);
            const double vxy = covNorm * (uxy[i] - ux[i] * uy[i]);
            const double a1 = 2 * ux[i] * uy[i] + c1, a2 = 2 * vxy + c2;
            const double b1 = ux[i] * ux[i] + uy[i] * uy[i] + c1, b2 = vx + vy + c2;
            total += (a1 * a2) / (b1 * b2);
        }
    return total / double((h - 2 * pad) * (w - 2 * pad));
}

int64_t hogCellSize(int64_t height, int64_t width)
{
    const int64_t side = std::min(height, width);
    return side >= 48 ? 8 : std::max<int64_t>(2, side / 6);
}

torch::Tensor hogFeatures(const torch::Tensor& map)
{
    // 6 px: 3 cells of 2 px, one block.
    requireMap(map, 6, "hog");
    const int64_t h = map.size(0), w = map.size(1), cell = hogCellSize(h, w);
    const auto m = values(map);

    // Central differences with zero borders (skimage's _hog_channel_gradient).
    std::vector<double> magnitude(m.size()), orientation(m.size());
    for (int64_t r = 0; r < h; ++r)
        for (int64_t c = 0; c < w; ++c) {
            const size_t i = size_t(r * w + c);
            const double gRow = r == 0 || r == h - 1 ? 0.0 : m[i + size_t(w)] - m[i - size_t(w)];
            const double gCol = c == 0 || c == w - 1 ? 0.0 : m[i + 1] - m[i - 1];
            // glibc's hypot and atan2: numpy's own unless it dispatches
            // arctan2 to AVX-512 (see tests/sanity_reference.py).
            magnitude[i] = std::hypot(gCol, gRow);
            orientation[i] = remainder180(std::atan2(gRow, gCol) * (180.0 / kPi));
        }

    // skimage's _hoghistogram.pyx: cells centred at cell/2 + k*cell spanning
    // [-(cell/2), (cell+1)/2) (integer division), a pixel in bin i when
    // 20i <= orientation < 20(i+1), summed into a C float as there (a double
    // moves the features by ~1e-8).
    const int64_t cellsRow = h / cell, cellsCol = w / cell;
    std::vector<double> histogram(static_cast<size_t>(cellsRow * cellsCol * kOrientations));
    const int64_t from = -(cell / 2), to = (cell + 1) / 2;
    for (int o = 0; o < kOrientations; ++o) {
        const double start = 180.0 / kOrientations * (o + 1), end = 180.0 / kOrientations * o;
        for (int64_t cr = 0; cr < cellsRow; ++cr)
            for (int64_t cc = 0; cc < cellsCol; ++cc) {
                const int64_t centreRow = cell / 2 + cr * cell, centreCol = cell / 2 + cc * cell;
                float total = 0;
                for (int64_t dr = from; dr < to; ++dr) {
                    const int64_t r = centreRow + dr;
                    if (r < 0 || r >= h)
                        continue;
                    for (int64_t dc = from; dc < to; ++dc) {
                        const int64_t c = centreCol + dc;
                        if (c < 0 || c >= w)
                            continue;
                        const size_t i = size_t(r * w + c);
                        if (orientation[i] >= start || orientation[i] < end)
                            continue;
                        total += magnitude[i];
                    }
                }
                histogram[size_t((cr * cellsCol + cc) * kOrientations + o)] = total / float(cell * cell);
            }
    }

    // L2-Hys per overlapping block of 3x3 cells, blocks row-major.
    const int64_t blocksRow = cellsRow - kCellsPerBlock + 1, blocksCol = cellsCol - kCellsPerBlock + 1;
    const int64_t blockSize = kCellsPerBlock * kCellsPerBlock * kOrientations;
    const double eps2 = 1e-5 * 1e-5;
    std::vector<double> features;
    features.reserve(size_t(blocksRow * blocksCol * blockSize));
    std::vector<double> block(static_cast<size_t>(blockSize));
    for (int64_t br = 0; br < blocksRow; ++br)
        for (int64_t bc = 0; bc < blocksCol; ++bc) {
            size_t k = 0;
            for (int64_t r = br; r < br + kCellsPerBlock; ++r)
                for (int64_t c = bc; c < bc + kCellsPerBlock; ++c)
                    for (int o = 0; o < kOrientations; ++o)
                        block[k++] = histogram[size_t((r * cellsCol + c) * kOrientations + o)];
            double squares = 0;
            for (double v : block)
                squares += v * v;
            const double norm = std::sqrt(squares + eps2);
            squares = 0;
            for (double& v : block) {
                v = std::min(v / norm, 0.2);
                squares += v * v;
            }
            const double clippedNorm = std::sqrt(squares + eps2);
            for (double v : block)
                features.push_back(v / clippedNorm);
        }
    const auto length = int64_t(features.size());
    return toTensor(std::move(features), { length });
}

double hogSimilarity(const torch::Tensor& a, const torch::Tensor& b)
{
    requireMap(a, 6, "hog similarity");
    requireSameShape(a, b, "hog similarity");
    if (values(a) == values(b))
        return 1;
    return correlation(values(hogFeatures(a)), values(hogFeatures(b)));
}

} // namespace convscope
