// The complexity table against values computed by hand.

#include "core/model.h"
#include "core/model_summary.h"
#include "tests/tiny_models.h"

#include <gtest/gtest.h>

#include <string_view>

using namespace convscope;

namespace {

const std::string kFixtures = CONVSCOPE_FIXTURE_DIR;

// string_view, not const std::string&: a reference bound to a temporary
// name made GCC 16 warn that the returned row might dangle.
const SummaryRow& row(const ModelSummary& s, std::string_view name)
{
    for (const auto& r : s.rows)
        if (r.name == name)
            return r;
    throw std::runtime_error("no row " + std::string(name));
}

void expectField(const SummaryRow& r, double rf, double jump)
{
    ASSERT_TRUE(r.hasField) << r.name;
    EXPECT_EQ(r.rf[0], rf) << r.name;
    EXPECT_EQ(r.rf[1], rf) << r.name;
    EXPECT_EQ(r.jump[0], jump) << r.name;
    EXPECT_EQ(r.jump[1], jump) << r.name;
}

} // namespace

TEST(Summary, TinyNetByHand)
{
    test::TempDir dir;
    test::writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12]})");
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    const ModelSummary s = summarize(*model);
    ASSERT_EQ(s.rows.size(), 6u);
    const char* order[] = {"conv1", "relu", "pool", "conv2", "flatten", "fc"};
    for (size_t i = 0; i < 6; ++i)
        EXPECT_EQ(s.rows[i].name, order[i]);

    // conv1: 4x12x12 out; 4*1*9 + 4 params; 576 outputs x (1 x 3 x 3) MACs.
    const auto& conv1 = row(s, "conv1");
    EXPECT_EQ(conv1.shape, (std::vector<int64_t>{4, 12, 12}));
    EXPECT_EQ(conv1.memoryBytes, 576 * 4);
    EXPECT_EQ(conv1.geometry.params, 40);
    EXPECT_EQ(conv1.geometry.flops, 576 * 9);
    EXPECT_EQ(conv1.geometry.kernel, (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(conv1.geometry.stride, (std::vector<int64_t>{1, 1}));
    EXPECT_EQ(conv1.geometry.padding, (std::vector<int64_t>{1, 1}));
    expectField(conv1, 3, 1);
    // relu: elementwise, free.
    EXPECT_EQ(row(s, "relu").geometry.flops, 0);
    expectField(row(s, "relu"), 3, 1);
    // pool 2/2: 144 outputs x 4 taps; rf 3 + (2-1)*1 = 4, jump 2.
    const auto& pool = row(s, "pool");
    EXPECT_EQ(pool.shape, (std::vector<int64_t>{4, 6, 6}));
    EXPECT_EQ(pool.geometry.flops, 144 * 4);
    expectField(pool, 4, 2);
    // conv2 k3 s2 on 6x6: 2x2 out; 8*4*9 + 8 params; 32 outputs x 36 MACs;
    // rf 4 + (3-1)*2 = 8, jump 4.
    const auto& conv2 = row(s, "conv2");
    EXPECT_EQ(conv2.shape, (std::vector<int64_t>{8, 2, 2}));
    EXPECT_EQ(conv2.geometry.params, 296);
    EXPECT_EQ(conv2.geometry.flops, 32 * 36);
    expectField(conv2, 8, 4);
    // flatten sees the whole 2x2 map: rf 8 + (2-1)*4 = 12.
    EXPECT_EQ(row(s, "flatten").shape, (std::vector<int64_t>{32}));
    expectField(row(s, "flatten"), 12, 8);
    // fc: 32*10 + 10 params, 320 MACs.
    const auto& fc = row(s, "fc");
    EXPECT_EQ(fc.geometry.params, 330);
    EXPECT_EQ(fc.geometry.flops, 320);
    EXPECT_EQ(fc.memoryBytes, 40);

    EXPECT_EQ(s.totalParams, 666);
    EXPECT_EQ(s.modelParams, 666);
    EXPECT_EQ(s.totalFlops, 5184 + 576 + 1152 + 320);
    EXPECT_EQ(s.totalMemoryBytes, (576 + 576 + 144 + 32 + 32 + 10) * 4);
    const std::string csv = summaryCsv(s);
    EXPECT_NE(csv.find("conv2,conv2d,8x2x2,128,296,1152,3x3,2x2,0x0,1,8x8,4x4\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("total,,,5480,666,7232"), std::string::npos) << csv;
}

// ResNet-18 at 3x224x224: the numbers every course quotes.
class ResNet18Summary : public testing::TestWithParam<std::string> {};

TEST_P(ResNet18Summary, ByHand)
{
    LoadOptions options{test::device(), {}};
    options.overrides.input = std::array<int64_t, 3>{3, 224, 224};
    auto model = Model::load(kFixtures + "/" + GetParam() + ".pt", options);
    const ModelSummary s = summarize(*model);

    const auto& conv1 = row(s, "conv1");
    EXPECT_EQ(conv1.shape, (std::vector<int64_t>{64, 112, 112}));
    EXPECT_EQ(conv1.geometry.params, 64 * 3 * 7 * 7);
    EXPECT_EQ(conv1.geometry.flops, 112LL * 112 * 64 * 3 * 49);
    expectField(conv1, 7, 2);
    EXPECT_EQ(row(s, "bn1").geometry.params, 128);
    EXPECT_EQ(row(s, "maxpool").geometry.flops, 64LL * 56 * 56 * 9);
    expectField(row(s, "maxpool"), 11, 4);
    EXPECT_EQ(row(s, "layer1.0.conv1").geometry.flops, 56LL * 56 * 64 * 64 * 9);
    expectField(row(s, "layer1.0.conv1"), 19, 4);
    const auto& down = row(s, "layer2.0.downsample.0");
    EXPECT_EQ(down.geometry.flops, 28LL * 28 * 128 * 64);
    EXPECT_EQ(down.geometry.kernel, (std::vector<int64_t>{1, 1}));
    EXPECT_EQ(down.geometry.stride, (std::vector<int64_t>{2, 2}));
    expectField(row(s, "layer4.1.relu#2"), 435, 32);
    EXPECT_EQ(row(s, "avgpool").geometry.flops, 512 * 49);
    EXPECT_EQ(row(s, "fc").geometry.params, 513000);
    EXPECT_EQ(row(s, "fc").geometry.flops, 512000);

    // Total MACs: every convolution by (output side, C_in, C_out, kernel).
    struct Conv {
        int64_t side, in, out, k, count;
    };
    const Conv convs[] = {{112, 3, 64, 7, 1},    {56, 64, 64, 3, 4},     {28, 64, 128, 3, 1},  {28, 128, 128, 3, 3},
                          {28, 64, 128, 1, 1},   {14, 128, 256, 3, 1},   {14, 256, 256, 3, 3}, {14, 128, 256, 1, 1},
                          {7, 256, 512, 3, 1},   {7, 512, 512, 3, 3},    {7, 256, 512, 1, 1}};
    int64_t macs = 64LL * 56 * 56 * 9 + 512 * 49 + 512000; // maxpool, avgpool, fc
    for (const auto& c : convs)
        macs += c.count * c.side * c.side * c.in * c.out * c.k * c.k;
    EXPECT_EQ(s.totalFlops, macs);
    EXPECT_EQ(s.totalParams, 11689512);
    EXPECT_EQ(s.modelParams, 11689512);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, ResNet18Summary, testing::Values("resnet18_traced", "resnet18_scripted"));

TEST(Summary, AlexNetAt227)
{
    LoadOptions options{test::device(), {}};
    options.overrides.input = std::array<int64_t, 3>{3, 227, 227};
    auto model = Model::load(kFixtures + "/alexnet_traced.pt", options);
    const ModelSummary s = summarize(*model);
    // torchvision's AlexNet: conv 11/4 pad 2 -> (227 + 4 - 11) / 4 + 1 = 56.
    EXPECT_EQ(row(s, "features.0").shape, (std::vector<int64_t>{64, 56, 56}));
    EXPECT_EQ(row(s, "features.0").geometry.flops, 56LL * 56 * 64 * 3 * 121);
    EXPECT_EQ(s.totalParams, 61100840);
}
