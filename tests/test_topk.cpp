// Max-activating images per channel: the scan against brute force, receptive
// fields against hand computation, shards, the cache and resuming.

#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "core/sha256.h"
#include "core/topk.h"
#include "io/datasets.h"
#include "tiny_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>

using namespace convscope;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = CONVSCOPE_FIXTURE_DIR;
const std::string kLenet = std::string(CONVSCOPE_SOURCE_DIR) + "/models/lenet5_digits.pt";

// The first `count` digits, counting the images read so that a test can tell
// whether a scan ran. With `repeat` > 1 each digit comes `repeat` times in a
// row: every score ties with its neighbours'.
class FirstDigits final : public Dataset {
public:
    FirstDigits(const ImageFormat& format, int64_t count, int64_t repeat = 1)
        : m_digits(io::openDigitsSheet(format)), m_count(count), m_repeat(repeat)
    {
        m_classes = m_digits->classes();
        m_name = "first digits";
        m_identity = m_digits->identity() + " first " + std::to_string(count) + " x" + std::to_string(repeat);
    }
    int64_t size() const override { return m_count; }
    torch::Tensor image(int64_t index) override
    {
        ++reads;
        return m_digits->image(index / m_repeat);
    }
    int64_t label(int64_t index) const override { return m_digits->label(index / m_repeat); }
    std::string itemName(int64_t index) const override { return m_digits->itemName(index / m_repeat); }

    std::atomic<int64_t> reads{0};

private:
    std::unique_ptr<Dataset> m_digits;
    int64_t m_count, m_repeat;
};

std::unique_ptr<FirstDigits> digitsFor(const Model& model, int64_t count = 300)
{
    const auto& in = model.info().input;
    return std::make_unique<FirstDigits>(ImageFormat{in[0], in[1], in[2]}, count);
}

// Every image's score for every channel from its own forward pass (batch of
// one), with the position of the first maximum found by a plain loop; then
// each channel's images sorted by score, ties by index.
std::vector<std::vector<TopkHit>> bruteForce(Model& model, Dataset& dataset, int layer, TopkScore score)
{
    torch::NoGradGuard noGrad;
    std::vector<std::vector<TopkHit>> channels;
    for (int64_t i = 0; i < dataset.size(); ++i) {
        torch::Tensor out = model.capture(dataset.image(i).unsqueeze(0), {layer}, false).layers[0][0].contiguous();
        const int64_t c = out.size(0);
        channels.resize(static_cast<size_t>(c));
        const torch::Tensor maps = out.dim() == 1 ? out.view({c, 1, 1}) : out.dim() == 2 ? out.unsqueeze(1) : out;
        auto a = maps.accessor<float, 3>();
        for (int64_t ch = 0; ch < c; ++ch) {
            TopkHit hit;
            hit.image = i;
            if (score == TopkScore::Mean) {
                hit.score = maps[ch].mean().item<float>();
            } else {
                hit.score = a[ch][0][0];
                for (int64_t y = 0; y < maps.size(1); ++y)
                    for (int64_t x = 0; x < maps.size(2); ++x)
                        if (a[ch][y][x] > hit.score) {
                            hit.score = a[ch][y][x];
                            hit.y = y;
                            hit.x = x;
                        }
            }
            channels[static_cast<size_t>(ch)].push_back(hit);
        }
    }
    for (auto& hits : channels)
        std::stable_sort(hits.begin(), hits.end(),
                         [](const TopkHit& a, const TopkHit& b) { return a.score > b.score; });
    return channels;
}

// A batch of one and a batch of 64 may sum in other orders (GEMM blocking):
// the same image scores alike to a few ulps, not always to the bit.
void expectScore(float ours, float truth, const std::string& where)
{
    EXPECT_NEAR(ours, truth, 1e-6 + 1e-5 * std::abs(truth)) << where;
}

// `exact`: scores to the bit; else within expectScore's margin.
void expectSame(const TopkResult& a, const TopkResult& b, bool exact = true)
{
    EXPECT_EQ(a.layer, b.layer);
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.k, b.k);
    EXPECT_EQ(a.modelHash, b.modelHash);
    EXPECT_EQ(a.datasetIdentity, b.datasetIdentity);
    EXPECT_EQ(a.scanned, b.scanned);
    EXPECT_EQ(a.total, b.total);
    ASSERT_EQ(a.channels.size(), b.channels.size());
    for (size_t c = 0; c < a.channels.size(); ++c) {
        ASSERT_EQ(a.channels[c].size(), b.channels[c].size()) << a.layer << " channel " << c;
        for (size_t j = 0; j < a.channels[c].size(); ++j) {
            const TopkHit &x = a.channels[c][j], &y = b.channels[c][j];
            EXPECT_EQ(x.image, y.image) << a.layer << " channel " << c << " hit " << j;
            const std::string where = a.layer + " channel " + std::to_string(c) + " hit " + std::to_string(j);
            if (exact)
                EXPECT_EQ(x.score, y.score) << where;
            else
                expectScore(x.score, y.score, where);
            EXPECT_EQ(x.label, y.label);
            EXPECT_EQ(x.y, y.y);
            EXPECT_EQ(x.x, y.x);
            EXPECT_EQ(x.box, y.box);
            EXPECT_EQ(x.clipped, y.clipped);
        }
    }
}

TopkOptions options(int64_t k = 9, int64_t batch = 0)
{
    TopkOptions o;
    o.k = k;
    o.batchSize = batch;
    return o;
}

using Box = std::array<int64_t, 4>;

} // namespace

TEST(Sha256, KnownVectors)
{
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // A million 'a' fed in odd pieces crosses every block boundary case.
    const std::string million(1000000, 'a');
    Sha256 pieces;
    for (size_t i = 0; i < million.size(); i += 7)
        pieces.update(million.data() + i, std::min<size_t>(7, million.size() - i));
    EXPECT_EQ(pieces.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    test::TempDir dir;
    test::writeText(dir.file("a.txt"), million);
    EXPECT_EQ(fileSha256(dir.file("a.txt")), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    test::writeText(dir.file("a.txt"), "abc!"); // rewritten: not the remembered hash
    EXPECT_EQ(fileSha256(dir.file("a.txt")), sha256Hex("abc!"));
    EXPECT_EQ(test::errorOf([&] { fileSha256(dir.file("none")); }), "cannot read " + dir.file("none"));
}

// Every channel of every kind of layer, max and mean: the k hits are the true
// top k of separate single-image forward passes, image for image and position
// for position; scores agree to expectScore's margin.
TEST(TopkScan, MatchesBruteForceOnLenet)
{
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model);
    for (const char* name : {"conv1", "relu2", "pool2", "fc1", "fc3"}) {
        const int layer = model->layerIndex(name);
        for (TopkScore score : {TopkScore::Max, TopkScore::Mean}) {
            TopkOptions o = options(9, 64); // 300 = 4 full batches and a partial one
            o.score = score;
            const TopkResult result = topkScan(*model, *digits, {layer}, o)[0];
            const auto truth = bruteForce(*model, *digits, layer, score);
            ASSERT_EQ(result.channels.size(), truth.size()) << name;
            EXPECT_TRUE(result.complete());
            EXPECT_EQ(result.total, 300);
            for (size_t c = 0; c < truth.size(); ++c) {
                ASSERT_EQ(result.channels[c].size(), 9u);
                for (size_t j = 0; j < 9; ++j) {
                    const TopkHit &ours = result.channels[c][j], &true_ = truth[c][j];
                    const std::string where = std::string(name) + (score == TopkScore::Max ? " max" : " mean")
                        + " channel " + std::to_string(c) + " hit " + std::to_string(j);
                    EXPECT_EQ(ours.image, true_.image) << where;
                    expectScore(ours.score, true_.score, where);
                    EXPECT_EQ(ours.y, true_.y) << where;
                    EXPECT_EQ(ours.x, true_.x) << where;
                    EXPECT_EQ(ours.label, digits->label(ours.image));
                }
            }
        }
    }
}

TEST(TopkScan, MatchesBruteForceOnTinyNetWithAutomaticBatches)
{
    test::TempDir dir;
    test::writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12]})");
    auto model = Model::load(dir.file("tiny.pt"), {"cpu", {}});
    auto digits = digitsFor(*model, 200);
    const std::vector<int> layers = {model->layerIndex("conv1"), model->layerIndex("conv2"), model->layerIndex("fc")};
    const auto results = topkScan(*model, *digits, layers, options(4));
    ASSERT_EQ(results.size(), 3u);
    for (size_t l = 0; l < layers.size(); ++l) {
        const auto truth = bruteForce(*model, *digits, layers[l], TopkScore::Max);
        for (size_t c = 0; c < truth.size(); ++c)
            for (size_t j = 0; j < 4; ++j) {
                EXPECT_EQ(results[l].channels[c][j].image, truth[c][j].image) << results[l].layer << " " << c;
                expectScore(results[l].channels[c][j].score, truth[c][j].score, results[l].layer);
            }
    }
    // Fully connected units have no position and see the whole image.
    for (const auto& hit : results[2].channels[0]) {
        EXPECT_EQ(hit.y, 0);
        EXPECT_EQ(hit.x, 0);
        EXPECT_EQ(hit.box, (Box{0, 0, 12, 12}));
        EXPECT_FALSE(hit.clipped);
    }
}

TEST(TopkScan, TiesGoToTheLowerImageIndex)
{
    // Each digit three times: the top 9 of a channel are its three best
    // digits, each as three consecutive indices in ascending order, whatever
    // batches split them, and in every shard.
    auto model = Model::load(kLenet, {"cpu", {}});
    FirstDigits tripled({1, 28, 28}, 150, 3);
    const int layer = model->layerIndex("fc1");
    const TopkResult result = topkScan(*model, tripled, {layer}, options(9, 16))[0];
    std::vector<TopkResult> shards;
    for (int shard = 0; shard < 2; ++shard) {
        TopkOptions o = options(9, 7);
        o.shard = shard;
        o.shards = 2;
        shards.push_back(topkScan(*model, tripled, {layer}, o)[0]);
    }
    expectSame(mergeTopk(shards), result);
    for (const auto& hits : result.channels) {
        ASSERT_EQ(hits.size(), 9u);
        for (size_t j = 0; j < 9; j += 3) {
            EXPECT_EQ(hits[j].image % 3, 0);
            EXPECT_EQ(hits[j + 1].image, hits[j].image + 1);
            EXPECT_EQ(hits[j + 2].image, hits[j].image + 2);
            EXPECT_EQ(hits[j + 1].score, hits[j].score);
            EXPECT_EQ(hits[j + 2].score, hits[j].score);
        }
    }
}

TEST(ReceptiveBox, AlexnetConv1AndConv5ByHand)
{
    auto model = Model::load(kFixtures + "/alexnet_traced.pt", {"cpu", {}});
    ASSERT_EQ(model->info().input, (std::array<int64_t, 3>{3, 112, 112}));
    // features.0: kernel 11, stride 4, padding 2. Unit 0 reads rows -2..8:
    // size 11, centre 3.5, one unit every 4 pixels.
    const LayerInfo& conv1 = model->layers()[static_cast<size_t>(model->layerIndex("features.0"))];
    ASSERT_TRUE(conv1.hasField);
    for (const auto& f : conv1.field) {
        EXPECT_DOUBLE_EQ(f.size, 11);
        EXPECT_DOUBLE_EQ(f.jump, 4);
        EXPECT_DOUBLE_EQ(f.start, 3.5);
    }
    bool clipped = false;
    EXPECT_EQ(receptiveBox(conv1, 0, 0, 112, 112, &clipped), (Box{0, 0, 9, 9}));
    EXPECT_TRUE(clipped);
    EXPECT_EQ(receptiveBox(conv1, 1, 2, 112, 112, &clipped), (Box{2, 6, 13, 17}));
    EXPECT_FALSE(clipped);
    EXPECT_EQ(receptiveBox(conv1, 26, 26, 112, 112, &clipped), (Box{102, 102, 112, 112})); // 102..112 of 113
    EXPECT_TRUE(clipped);

    // features.10 (conv5), through pool k3s2, conv k5p2, pool k3s2, then
    // three k3p1 convs: size 11 +2*4 +4*8 +2*8 +3*(2*16) = 163, jump 16,
    // start 3.5 + 4 + 0 + 8 + 0 = 15.5. Unit y spans [16y - 66, 16y + 97).
    const LayerInfo& conv5 = model->layers()[static_cast<size_t>(model->layerIndex("features.10"))];
    ASSERT_EQ(conv5.shape, (std::vector<int64_t>{256, 6, 6}));
    for (const auto& f : conv5.field) {
        EXPECT_DOUBLE_EQ(f.size, 163);
        EXPECT_DOUBLE_EQ(f.jump, 16);
        EXPECT_DOUBLE_EQ(f.start, 15.5);
    }
    EXPECT_EQ(receptiveBox(conv5, 0, 0, 112, 112, &clipped), (Box{0, 0, 97, 97}));
    EXPECT_TRUE(clipped);
    EXPECT_EQ(receptiveBox(conv5, 5, 4, 112, 112, &clipped), (Box{14, 0, 112, 112}));
    EXPECT_TRUE(clipped);

    // At 224 the same field fits inside: unit 6 spans [30, 193).
    LoadOptions large{"cpu", {}};
    large.overrides.input = std::array<int64_t, 3>{3, 224, 224};
    auto model224 = Model::load(kFixtures + "/alexnet_traced.pt", large);
    const LayerInfo& conv5at224 = model224->layers()[static_cast<size_t>(model224->layerIndex("features.10"))];
    ASSERT_EQ(conv5at224.shape, (std::vector<int64_t>{256, 13, 13}));
    EXPECT_EQ(receptiveBox(conv5at224, 6, 6, 224, 224, &clipped), (Box{30, 30, 193, 193}));
    EXPECT_FALSE(clipped);
    EXPECT_EQ(receptiveBox(conv5at224, 6, 7, 224, 224, &clipped), (Box{30, 46, 193, 209}));
    EXPECT_FALSE(clipped);

    // A classifier unit sees the whole image.
    const LayerInfo& fc = model->layers()[static_cast<size_t>(model->layerIndex("classifier.6"))];
    EXPECT_EQ(receptiveBox(fc, 0, 0, 112, 112, &clipped), (Box{0, 0, 112, 112}));
    EXPECT_FALSE(clipped);
}

TEST(ReceptiveBox, ResnetBlockThroughTheResidualBranch)
{
    auto model = Model::load(kFixtures + "/resnet18_traced.pt", {"cpu", {}});
    auto field = [&](const std::string& name) {
        return model->layers()[static_cast<size_t>(model->layerIndex(name))].field[0];
    };
    auto box = [&](const std::string& name, int64_t y, int64_t x, bool* clipped) {
        return receptiveBox(model->layers()[static_cast<size_t>(model->layerIndex(name))], y, x, 112, 112, clipped);
    };
    // conv1 k7s2p3: 7, jump 2, start 0.5; maxpool k3s2p1: 11, jump 4, start
    // 0.5; then each k3p1 conv of layer1 adds 2*4.
    EXPECT_DOUBLE_EQ(field("maxpool").size, 11);
    EXPECT_DOUBLE_EQ(field("layer1.0.conv1").size, 19);
    EXPECT_DOUBLE_EQ(field("layer1.0.conv2").size, 27);
    EXPECT_DOUBLE_EQ(field("layer1.0.conv2").jump, 4);
    EXPECT_DOUBLE_EQ(field("layer1.0.conv2").start, 0.5);
    // The sum of the block takes the wider of its branches (identity: 11).
    EXPECT_DOUBLE_EQ(field("layer1.0.add").size, 27);
    EXPECT_DOUBLE_EQ(field("layer1.1.conv2").size, 43);
    // layer2.0: conv1 k3s2p1 gives 43 + 2*4 = 51, jump 8; conv2 51 + 2*8 =
    // 67; the 1x1 stride-2 downsample keeps 43; the add is 67.
    EXPECT_DOUBLE_EQ(field("layer2.0.conv1").size, 51);
    EXPECT_DOUBLE_EQ(field("layer2.0.downsample.0").size, 43);
    EXPECT_DOUBLE_EQ(field("layer2.0.add").size, 67);
    EXPECT_DOUBLE_EQ(field("layer2.0.add").jump, 8);
    EXPECT_DOUBLE_EQ(field("layer2.0.add").start, 0.5);

    bool clipped = false;
    // layer1.0.conv2 unit y spans [4y - 13, 4y + 14).
    EXPECT_EQ(box("layer1.0.conv2", 10, 5, &clipped), (Box{27, 7, 54, 34}));
    EXPECT_FALSE(clipped);
    EXPECT_EQ(box("layer1.0.conv2", 0, 0, &clipped), (Box{0, 0, 14, 14}));
    EXPECT_TRUE(clipped);
    EXPECT_EQ(box("layer1.0.conv2", 27, 3, &clipped), (Box{95, 0, 112, 26}));
    EXPECT_TRUE(clipped);
    // layer2.0.add unit y spans [8y - 33, 8y + 34).
    EXPECT_EQ(box("layer2.0.add", 7, 6, &clipped), (Box{23, 15, 90, 82}));
    EXPECT_FALSE(clipped);
}

TEST(CropBox, TakesThePixelsInsideTheBox)
{
    auto image = torch::arange(2 * 5 * 6, torch::kFloat32).view({2, 5, 6});
    const auto patch = cropBox(image, {1, 2, 4, 5});
    EXPECT_EQ(patch.sizes(), (std::vector<int64_t>{2, 3, 3}));
    EXPECT_TRUE(patch.equal(image.slice(1, 1, 4).slice(2, 2, 5)));
    EXPECT_EQ(test::errorOf([&] { cropBox(image, {0, 0, 6, 6}); }), "box 0,0,6,6 is not inside a 5x6 image");
}

TEST(TopkShards, MergedShardsEqualOneScan)
{
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model);
    const std::vector<int> layers = {model->layerIndex("conv2"), model->layerIndex("fc3")};
    // Batches of one compute every image alike in every scan, so the merge
    // must give the single scan to the bit; other batch sizes may move a
    // score by an ulp (see expectScore), never an image.
    for (const int64_t batch : {int64_t(1), int64_t(0)}) {
        const auto single = topkScan(*model, *digits, layers, options(9, batch ? batch : 50));
        std::vector<std::vector<TopkResult>> shards(layers.size());
        for (int shard : {2, 0, 1}) { // any order
            TopkOptions o = options(9, batch ? batch : 32);
            o.shard = shard;
            o.shards = 3;
            const auto results = topkScan(*model, *digits, layers, o);
            EXPECT_EQ(results[0].total, 100);
            for (size_t l = 0; l < layers.size(); ++l) {
                // What the CLI writes and reads back merges the same.
                shards[l].push_back(topkFromJson(topkJson(results[l])));
                for (const auto& hits : results[l].channels)
                    for (const auto& hit : hits)
                        EXPECT_EQ(hit.image % 3, shard);
            }
        }
        for (size_t l = 0; l < layers.size(); ++l) {
            const TopkResult merged = mergeTopk(shards[l]);
            EXPECT_EQ(merged.shard, 0);
            EXPECT_EQ(merged.shards, 1);
            expectSame(merged, single[l], batch == 1);
            if (batch == 1) {
                EXPECT_EQ(topkJson(merged), topkJson(single[l]));
            }
        }
    }
}

TEST(TopkShards, MergeNamesWhatIsWrong)
{
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model, 30);
    std::vector<TopkResult> shards;
    for (int shard = 0; shard < 3; ++shard) {
        TopkOptions o = options(3);
        o.shard = shard;
        o.shards = 3;
        shards.push_back(topkScan(*model, *digits, {model->layerIndex("fc3")}, o)[0]);
    }
    EXPECT_EQ(test::errorOf([&] { mergeTopk({}); }), "no shard results to merge");
    EXPECT_EQ(test::errorOf([&] { mergeTopk({shards[0], shards[2]}); }), "shard 1/3 is missing");
    EXPECT_EQ(test::errorOf([&] { mergeTopk({shards[0], shards[1], shards[1], shards[2]}); }),
              "shard 1/3 is given twice");
    auto other = shards;
    other[1].layer = "fc2";
    EXPECT_EQ(test::errorOf([&] { mergeTopk(other); }), "shard 1/3 is of another scan: layer fc2, not fc3");
    other = shards;
    other[2].k = 5;
    EXPECT_EQ(test::errorOf([&] { mergeTopk(other); }), "shard 2/3 is of another scan: k 5, not 3");
    other = shards;
    other[2].modelHash = "abc";
    EXPECT_EQ(test::errorOf([&] { mergeTopk(other); }),
              "shard 2/3 is of another scan: model abc, not " + shards[0].modelHash);
    other = shards;
    other[0].scanned = 4;
    EXPECT_EQ(test::errorOf([&] { mergeTopk(other); }), "shard 0/3 is incomplete (4 of 10 images scanned)");
    EXPECT_EQ(test::errorOf([&] { mergeTopk({shards[0], shards[1]}); }), "shard 2/3 is missing");
}

TEST(TopkCache, ASecondCallReadsNoImage)
{
    test::TempDir dir;
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model);
    TopkOptions o = options(9);
    o.cacheDir = dir.file("cache");
    const std::vector<int> layers = {model->layerIndex("conv1")};
    const auto first = topkScan(*model, *digits, layers, o);
    EXPECT_EQ(digits->reads, 300);
    std::string stage;
    const auto second = topkScan(*model, *digits, layers, o, [&](double, const std::string& s) { stage = s; });
    EXPECT_EQ(digits->reads, 300);
    EXPECT_EQ(stage, "layer conv1: cached");
    expectSame(second[0], first[0]);

    // A cached layer next to a new one: only the new one is scanned.
    const auto both = topkScan(*model, *digits, {layers[0], model->layerIndex("fc3")}, o);
    EXPECT_EQ(digits->reads, 600);
    expectSame(both[0], first[0]);
    expectSame(both[1], topkScan(*model, *digits, {model->layerIndex("fc3")}, options(9))[0]);

    // Another k, score or shard is another entry.
    o.k = 4;
    topkScan(*model, *digits, layers, o);
    EXPECT_EQ(digits->reads, 1200);
}

TEST(TopkCache, ACancelledScanResumesToTheSameResult)
{
    test::TempDir dir;
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model);
    const std::vector<int> layers = {model->layerIndex("conv2"), model->layerIndex("fc2")};
    const auto uninterrupted = topkScan(*model, *digits, layers, options(9, 50));
    digits->reads = 0;

    TopkOptions o = options(9, 50);
    o.cacheDir = dir.file("cache");
    CancelFlag cancel{false};
    std::vector<std::string> stages;
    auto cancelAfterTwo = [&](double, const std::string& stage) {
        stages.push_back(stage);
        if (stages.size() == 2)
            cancel = true;
    };
    EXPECT_THROW(topkScan(*model, *digits, layers, o, cancelAfterTwo, &cancel), Cancelled);
    // A cancel is checked every chunk, whose size follows the machine's speed:
    // the scan stops after the chunk it was in, wherever that was.
    const int64_t read = digits->reads;
    EXPECT_GT(read, 0);
    EXPECT_LT(read, 300);
    ASSERT_EQ(stages.size(), 2u);
    EXPECT_EQ(stages[1], "layers conv2, fc2: " + std::to_string(read) + " / 300 images");
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(o.cacheDir)) {
        ++files;
        const TopkResult partial = readTopkFile(entry.path().string());
        EXPECT_EQ(partial.scanned, read);
        EXPECT_FALSE(partial.complete());
    }
    EXPECT_EQ(files, 2u); // no temporary left behind

    cancel = false;
    const auto resumed = topkScan(*model, *digits, layers, o, {}, &cancel);
    EXPECT_EQ(digits->reads, 300); // the rest
    for (size_t l = 0; l < layers.size(); ++l)
        expectSame(resumed[l], uninterrupted[l]);
}

TEST(TopkCache, AChangedModelOrDatasetIsScannedAgain)
{
    test::TempDir dir;
    test::writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12]})");
    TopkOptions o = options(5);
    o.cacheDir = dir.file("cache");
    auto model = Model::load(dir.file("tiny.pt"), {"cpu", {}});
    auto digits = digitsFor(*model, 100);
    const auto before = topkScan(*model, *digits, {model->layerIndex("conv2")}, o)[0];
    topkScan(*model, *digits, {model->layerIndex("conv2")}, o);
    EXPECT_EQ(digits->reads, 100);

    // Same weights, other bytes (metadata): a different file is a different key.
    test::writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12], "name": "tiny, renamed"})");
    model = Model::load(dir.file("tiny.pt"), {"cpu", {}});
    const auto after = topkScan(*model, *digits, {model->layerIndex("conv2")}, o)[0];
    EXPECT_EQ(digits->reads, 200);
    EXPECT_NE(after.modelHash, before.modelHash);
    EXPECT_EQ(after.modelHash, fileSha256(dir.file("tiny.pt")));

    auto fewer = digitsFor(*model, 99);
    topkScan(*model, *fewer, {model->layerIndex("conv2")}, o);
    EXPECT_EQ(fewer->reads, 99);

    // A damaged cache file is ignored, not trusted.
    for (const auto& entry : fs::directory_iterator(o.cacheDir))
        test::writeText(entry.path().string(), "{not json");
    expectSame(topkScan(*model, *digits, {model->layerIndex("conv2")}, o)[0], after);
    EXPECT_EQ(digits->reads, 300);

    // Nor is one that breaks what resuming relies on: hits best first.
    TopkResult tampered = after;
    std::swap(tampered.channels[0][0], tampered.channels[0][1]);
    for (const auto& entry : fs::directory_iterator(o.cacheDir))
        writeTopkFile(entry.path().string(), tampered);
    expectSame(topkScan(*model, *digits, {model->layerIndex("conv2")}, o)[0], after);
    EXPECT_EQ(digits->reads, 400);
}

TEST(TopkJson, RoundTripsAndRejectsOtherFiles)
{
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model, 40);
    TopkOptions o = options(3);
    o.score = TopkScore::Mean;
    const TopkResult result = topkScan(*model, *digits, {model->layerIndex("conv1")}, o)[0];
    expectSame(topkFromJson(topkJson(result)), result);
    EXPECT_EQ(topkFromJson(topkJson(result)).score, TopkScore::Mean);
    EXPECT_EQ(test::errorOf([] { topkFromJson("[1, 2]"); }).rfind("not a top-k result: ", 0), 0u);
    EXPECT_EQ(test::errorOf([] { topkFromJson("{\"layer\": \"x\"}"); }), "not a top-k result: key 'score' not found");
    EXPECT_EQ(test::errorOf([] { topkFromJson("nonsense"); }).rfind("not a top-k result: ", 0), 0u);

    test::TempDir dir;
    writeTopkFile(dir.file("conv1.json"), result);
    expectSame(readTopkFile(dir.file("conv1.json")), result);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1); // no temporary left
    test::writeText(dir.file("bad.json"), "{}");
    EXPECT_EQ(test::errorOf([&] { readTopkFile(dir.file("bad.json")); }),
              dir.file("bad.json") + ": not a top-k result: key 'layer' not found");
    EXPECT_EQ(test::errorOf([&] { readTopkFile(dir.file("none.json")); }), "cannot read " + dir.file("none.json"));
    EXPECT_EQ(test::errorOf([&] { writeTopkFile(dir.file("no/such/folder.json"), result); }),
              "cannot write " + dir.file("no/such/folder.json"));
}

TEST(TopkScan, RejectsBadOptions)
{
    auto model = Model::load(kLenet, {"cpu", {}});
    auto digits = digitsFor(*model, 10);
    const int conv1 = model->layerIndex("conv1");
    EXPECT_EQ(test::errorOf([&] { topkScan(*model, *digits, {}, options()); }), "no layer to scan");
    EXPECT_EQ(test::errorOf([&] { topkScan(*model, *digits, {conv1}, options(0)); }), "k must be at least 1");
    TopkOptions o = options();
    o.shard = 3;
    o.shards = 3;
    EXPECT_EQ(test::errorOf([&] { topkScan(*model, *digits, {conv1}, o); }),
              "shard 3/3 does not exist: shards are numbered 0 to n-1 of n");
    auto wrong = std::make_unique<FirstDigits>(ImageFormat{1, 20, 20}, 10);
    EXPECT_EQ(test::errorOf([&] { topkScan(*model, *wrong, {conv1}, options()); }),
              "the model takes N x 1x28x28 pixels, got 10x1x20x20");
    // Fewer images than k: every image, best first.
    const auto few = topkScan(*model, *digits, {conv1}, options(20))[0];
    EXPECT_EQ(few.channels[0].size(), 10u);
}
