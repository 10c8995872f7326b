// Layer features over a dataset (core/features) against the tiny models'
// formulas, the cache, and the scatter picture (core/scatter).

#include "core/dataset.h"
#include "core/error.h"
#include "core/features.h"
#include "core/heatmap.h"
#include "core/scatter.h"
#include "tiny_models.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace convscope;
using namespace convscope::test;

namespace {

// Seeded images in memory, with labels i % 3.
class TensorDataset final : public Dataset {
public:
    TensorDataset(int64_t n, int64_t c, int64_t h, int64_t w, uint64_t seed = 1)
    {
        torch::manual_seed(seed);
        m_images = torch::rand({n, c, h, w});
        m_classes = {"a", "b", "c"};
        m_name = "tensors";
        m_identity = "tensors " + std::to_string(n) + " seed " + std::to_string(seed);
    }
    int64_t size() const override { return m_images.size(0); }
    torch::Tensor image(int64_t index) override
    {
        ++reads;
        return m_images[index];
    }
    int64_t label(int64_t index) const override { return index % 3; }
    std::string itemName(int64_t index) const override { return "#" + std::to_string(index); }

    torch::Tensor m_images;
    int64_t reads = 0;
};

int layerOf(const Model& model, const std::string& name)
{
    return model.layerIndex(name);
}

} // namespace

TEST(FeatureSample, AllOrASeededSortedSample)
{
    EXPECT_EQ(featureSample(4, 0, 0), (std::vector<int64_t>{0, 1, 2, 3}));
    EXPECT_EQ(featureSample(4, 9, 0), (std::vector<int64_t>{0, 1, 2, 3}));
    const std::vector<int64_t> a = featureSample(1000, 50, 7);
    EXPECT_EQ(a.size(), 50u);
    EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
    EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 50u);
    EXPECT_EQ(a, featureSample(1000, 50, 7));
    EXPECT_NE(a, featureSample(1000, 50, 8));
}

TEST(Features, UnitsOfALinearModelAreItsFormula)
{
    Loaded<LinearPixelNet> linear;
    TensorDataset data(7, LinearPixelNet::kChannels, LinearPixelNet::kHeight, LinearPixelNet::kWidth);
    FeatureOptions options;
    options.batchSize = 3; // batches of 3, 3 and 1
    const FeatureSet set = extractFeatures(*linear.model, data, layerOf(*linear.model, "fc"), options);
    ASSERT_EQ(set.values.sizes(), (std::vector<int64_t>{7, LinearPixelNet::kClasses}));
    EXPECT_EQ(set.images, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(set.labels, (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0}));
    for (int64_t i = 0; i < 7; ++i) {
        const std::vector<double> logits = linear.net.logits(data.m_images[i]);
        int64_t best = 0;
        for (int64_t k = 0; k < LinearPixelNet::kClasses; ++k) {
            EXPECT_NEAR(set.values[i][k].item<double>(), logits[static_cast<size_t>(k)], 1e-4);
            if (logits[static_cast<size_t>(k)] > logits[static_cast<size_t>(best)])
                best = k;
        }
        EXPECT_EQ(set.predictions[static_cast<size_t>(i)], best);
    }
    EXPECT_FALSE(set.fromCache);
}

TEST(Features, ChannelMapsPoolToSpatialMeansOrFlatten)
{
    Loaded<ConvReluNet> net;
    TensorDataset data(5, 1, 4, 4);
    const int conv = layerOf(*net.model, "conv");
    // The layer by hand: a 3x3 convolution, padding 1, on (x - 0.5) / 0.5.
    const torch::Tensor maps =
        torch::conv2d((data.m_images - 0.5) / 0.5, net.net.convWeight, net.net.convBias, 1, 1); // [5, 2, 4, 4]
    FeatureOptions options;
    const FeatureSet mean = extractFeatures(*net.model, data, conv, options);
    EXPECT_TRUE(torch::allclose(mean.values, maps.mean({2, 3}), 1e-5, 1e-6));
    options.pooling = FeaturePooling::Flatten;
    const FeatureSet flat = extractFeatures(*net.model, data, conv, options);
    ASSERT_EQ(flat.values.sizes(), (std::vector<int64_t>{5, 32}));
    EXPECT_TRUE(torch::allclose(flat.values, maps.reshape({5, 32}), 1e-5, 1e-6));
    EXPECT_EQ(featurePoolingFromName("flatten"), FeaturePooling::Flatten);
    EXPECT_EQ(errorOf([] { featurePoolingFromName("max"); }),
              "unknown pooling 'max': use mean (a channel's spatial mean) or flatten (every value)");
}

TEST(Features, SampledRowsAreThoseImages)
{
    Loaded<LinearPixelNet> linear;
    TensorDataset data(40, LinearPixelNet::kChannels, LinearPixelNet::kHeight, LinearPixelNet::kWidth);
    FeatureOptions options;
    options.samples = 6;
    options.seed = 3;
    const FeatureSet set = extractFeatures(*linear.model, data, layerOf(*linear.model, "fc"), options);
    EXPECT_EQ(set.images, featureSample(40, 6, 3));
    for (size_t r = 0; r < set.images.size(); ++r)
        EXPECT_NEAR(set.values[static_cast<int64_t>(r)][0].item<double>(),
                    linear.net.logits(data.m_images[set.images[r]])[0], 1e-4);
}

TEST(Features, TheCacheAnswersTheSecondCallAndSurvivesDamage)
{
    Loaded<LinearPixelNet> linear;
    TempDir cache;
    TensorDataset data(9, LinearPixelNet::kChannels, LinearPixelNet::kHeight, LinearPixelNet::kWidth);
    FeatureOptions options;
    options.cacheDir = cache.path();
    const int fc = layerOf(*linear.model, "fc");
    const FeatureSet first = extractFeatures(*linear.model, data, fc, options);
    const int64_t reads = data.reads;
    const FeatureSet second = extractFeatures(*linear.model, data, fc, options);
    EXPECT_TRUE(second.fromCache);
    EXPECT_EQ(data.reads, reads); // no image read again
    EXPECT_TRUE(torch::equal(first.values, second.values));
    EXPECT_EQ(first.images, second.images);
    EXPECT_EQ(first.labels, second.labels);
    EXPECT_EQ(first.predictions, second.predictions);

    // Another sample is another entry.
    options.samples = 4;
    EXPECT_FALSE(extractFeatures(*linear.model, data, fc, options).fromCache);
    options.samples = 0;

    // A truncated file is read as no file: computed again, same numbers.
    for (const auto& entry : std::filesystem::directory_iterator(cache.path()))
        std::filesystem::resize_file(entry.path(), std::filesystem::file_size(entry.path()) / 2);
    const FeatureSet third = extractFeatures(*linear.model, data, fc, options);
    EXPECT_FALSE(third.fromCache);
    EXPECT_TRUE(torch::equal(first.values, third.values));
    EXPECT_TRUE(extractFeatures(*linear.model, data, fc, options).fromCache);
}

TEST(Features, LimitsCancelAndProgress)
{
    Loaded<ConvReluNet> net;
    TensorDataset data(20, 1, 4, 4);
    FeatureOptions options;
    options.pooling = FeaturePooling::Flatten;
    options.memoryLimit = 20 * 32 * 4 - 1;
    EXPECT_EQ(errorOf([&] { extractFeatures(*net.model, data, layerOf(*net.model, "conv"), options); }),
              "features of 20 images x 32 values of conv need 2.38e-06 GiB (at most 2.38e-06): take fewer images or "
              "the spatial mean of each channel");
    options.memoryLimit = int64_t(1) << 30;
    options.batchSize = 4;
    std::vector<double> fractions;
    extractFeatures(*net.model, data, layerOf(*net.model, "conv"), options,
                    [&](double f, const std::string&) { fractions.push_back(f); });
    EXPECT_EQ(fractions, (std::vector<double>{0.2, 0.4, 0.6, 0.8, 1.0}));
    CancelFlag cancel{true};
    EXPECT_THROW(extractFeatures(*net.model, data, layerOf(*net.model, "conv"), options, {}, &cancel), Cancelled);
}

TEST(Scatter, DotsInTheirClassColoursWhereThePointsAre)
{
    // Two points at opposite corners of the fitted square, one scale for both axes.
    const torch::Tensor points = torch::tensor({0.0f, 0.0f, 10.0f, 10.0f}).view({2, 2});
    ScatterStyle style;
    style.width = style.height = 100;
    style.margin = 0.1;
    style.radius = 2;
    const torch::Tensor image = scatterPicture(points, {0, 3}, style);
    ASSERT_EQ(image.sizes(), (std::vector<int64_t>{3, 100, 100}));
    const auto pixel = [&](int64_t y, int64_t x) {
        return std::array<float, 3>{image[0][y][x].item<float>(), image[1][y][x].item<float>(),
                                    image[2][y][x].item<float>()};
    };
    // (0, 0) lands at x = 10, y = 90 (y up); (10, 10) at x = 90, y = 10.
    EXPECT_EQ(pixel(89, 9), classColour(0));
    EXPECT_EQ(pixel(90, 10), classColour(0));
    EXPECT_EQ(pixel(9, 89), classColour(3));
    EXPECT_EQ(pixel(50, 50), (std::array<float, 3>{1, 1, 1}));
    EXPECT_EQ(pixel(0, 0), (std::array<float, 3>{1, 1, 1}));
    EXPECT_EQ(classColour(-1), (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
    EXPECT_EQ(errorOf([] { scatterPicture(torch::zeros({3, 3}), {0, 0, 0}); }), "a scatter plot takes [N, 2] points");
    EXPECT_EQ(errorOf([] { scatterPicture(torch::zeros({3, 2}), {0}); }), "a scatter plot needs one class per point");
}
