// Filter weights, colormaps, activation tiles and tile grids, against what
// PyTorch, torchvision.utils.make_grid and matplotlib draw of the same weights
// and values (exported by models/export_torchvision.py).

#include "core/activation_maps.h"
#include "core/colormap.h"
#include "core/error.h"
#include "core/filters.h"
#include "core/model.h"
#include "core/tensor_grid.h"
#include "tests/tiny_models.h"

#include <torch/serialize.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>

using namespace convscope;
using convscope::test::errorOf;

namespace {

const std::string kFixtures = CONVSCOPE_FIXTURE_DIR;

c10::Dict<c10::IValue, c10::IValue> loadDict(const std::string& file)
{
    std::ifstream in(kFixtures + "/" + file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    return torch::pickle_load(bytes).toGenericDict();
}

torch::Tensor tensorAt(const c10::Dict<c10::IValue, c10::IValue>& dict, const std::string& key)
{
    return dict.at(key).toTensor();
}

// A pickled Python list of ints comes back as a generic list.
std::vector<int64_t> intsAt(const c10::Dict<c10::IValue, c10::IValue>& dict, const std::string& key)
{
    std::vector<int64_t> out;
    for (const auto& v : dict.at(key).toListRef())
        out.push_back(v.toInt());
    return out;
}

double maxDiff(const torch::Tensor& ours, const torch::Tensor& theirs)
{
    EXPECT_EQ(ours.sizes(), theirs.sizes());
    if (ours.sizes() != theirs.sizes())
        return 1e9;
    return (ours.to(torch::kFloat64) - theirs.to(torch::kFloat64)).abs().max().item<double>();
}

// Loading AlexNet takes seconds: each file once for the whole program.
Model& cachedModel(const std::string& file)
{
    static std::map<std::string, std::unique_ptr<Model>> models;
    auto& slot = models[file];
    if (!slot)
        slot = Model::load(file.front() == '/' ? file : kFixtures + "/" + file + ".pt", {test::device(), {}});
    return *slot;
}

// -- torchvision architectures -------------------------------------------

class TorchvisionFilters : public testing::TestWithParam<std::string> { };

TEST_P(TorchvisionFilters, WeightsAndPicturesMatchMakeGrid)
{
    const std::string file = GetParam();
    const std::string arch = file.substr(0, file.rfind('_'));
    Model& model = cachedModel(file);
    const auto refs = loadDict(arch + ".filters.pt");
    ASSERT_GT(refs.size(), 0u);
    for (const auto& entry : refs) {
        const std::string layer = entry.key().toStringRef();
        SCOPED_TRACE(file + " " + layer);
        const auto ref = entry.value().toGenericDict();
        const FilterSet set = filterWeights(model, model.layerIndex(layer));
        EXPECT_EQ(set.layer, layer);
        EXPECT_EQ(set.weights.sizes().vec(), intsAt(ref, "weight_shape"));
        EXPECT_EQ(set.weights.scalar_type(), torch::kFloat32);
        torch::Tensor weights = set.weights;
        if (ref.contains("rows")) {
            EXPECT_TRUE(set.fromLinear);
            EXPECT_EQ(set.op, "linear");
            weights = weights.index_select(0, tensorAt(ref, "rows"));
        } else {
            EXPECT_FALSE(set.fromLinear);
            EXPECT_EQ(set.op.rfind("conv2d", 0), 0u) << set.op;
        }
        EXPECT_TRUE(weights.equal(tensorAt(ref, "weight")));
        EXPECT_EQ(set.colour, set.weights.size(1) == 3);
        const int64_t in = set.weights.size(1);

        if (ref.contains("one_filter")) {
            EXPECT_LT(maxDiff(tileGrid(oneFilterTiles(set, 1, FilterRange::PerFilter), 16, 1, 0)[0],
                              tensorAt(ref, "one_filter")),
                      1e-5);
        }
        if (set.colour) {
            EXPECT_LT(
                maxDiff(tileGrid(colourTiles(set, FilterRange::PerFilter), 8, 1, 0), tensorAt(ref, "colour_filter")),
                1e-5);
            EXPECT_LT(maxDiff(tileGrid(colourTiles(set, FilterRange::Shared), 8, 1, 0), tensorAt(ref, "colour_shared")),
                      1e-5);
            EXPECT_LT(maxDiff(tileGrid(colourTiles(set, FilterRange::PerFilter), 8, 1, 32),
                              tensorAt(ref, "colour_filter_enlarged")),
                      1e-5);
        }
        if (ref.contains("slices_filter")) {
            EXPECT_LT(
                maxDiff(tileGrid(sliceTiles(set, FilterRange::PerFilter), in, 1, 0)[0], tensorAt(ref, "slices_filter")),
                1e-5);
        }
    }
}

std::vector<std::string> files()
{
    std::vector<std::string> out;
    for (const char* arch : {"alexnet", "resnet18", "mobilenet_v2"})
        for (const char* kind : {"traced", "scripted"})
            out.push_back(std::string(arch) + "_" + kind);
    return out;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionFilters, testing::ValuesIn(files()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(Filters, DepthwiseFiltersKeepTheirOneChannel)
{
    Model& model = cachedModel("mobilenet_v2_scripted");
    const FilterSet set = filterWeights(model, model.layerIndex("features.1.conv.0.0"));
    EXPECT_EQ(set.op, "conv2d_depthwise");
    EXPECT_EQ(set.weights.sizes(), (torch::IntArrayRef{32, 1, 3, 3}));
    EXPECT_FALSE(set.colour);
    EXPECT_EQ(sliceTiles(set, FilterRange::Shared).sizes(), (torch::IntArrayRef{32, 1, 3, 3}));
}

TEST(Filters, ClearErrors)
{
    Model& model = cachedModel("alexnet_traced");
    EXPECT_EQ(errorOf([&] { filterWeights(model, model.layerIndex("classifier.4")); }),
              "layer 'classifier.4' (linear): its input has no image shape");
    EXPECT_EQ(errorOf([&] { filterWeights(model, model.layerIndex("features.1")); }),
              "layer 'features.1' (relu) has no weights to show");
    const FilterSet set = filterWeights(model, model.layerIndex("classifier.1"));
    EXPECT_EQ(errorOf([&] { colourTiles(set, FilterRange::PerFilter); }),
              "layer 'classifier.1' has 256 input channels per filter: only 3 can be shown in colour");
    EXPECT_EQ(errorOf([&] { oneFilterTiles(set, 4096, FilterRange::PerFilter); }),
              "layer 'classifier.1' has 4096 filters: no filter 4096");
}

TEST(LayerGraphShapes, InputShapesLookThroughFlattenAndDropout)
{
    for (const char* file : {"alexnet_traced", "alexnet_scripted"}) {
        SCOPED_TRACE(file);
        Model& model = cachedModel(file);
        const LayerGraph& graph = model.graph();
        const int fc1 = model.layerIndex("classifier.1"), fc2 = model.layerIndex("classifier.4");
        EXPECT_EQ(graph.inputShape(fc1), (std::vector<int64_t>{9216}));
        EXPECT_EQ(graph.imageInputShape(fc1), (std::vector<int64_t>{256, 6, 6}));
        EXPECT_EQ(graph.inputShape(fc2), (std::vector<int64_t>{4096}));
        EXPECT_TRUE(graph.imageInputShape(fc2).empty());
        EXPECT_EQ(graph.inputShape(model.layerIndex("features.3")), (std::vector<int64_t>{64, 13, 13}));
        EXPECT_EQ(graph.weight(fc1).sizes(), (torch::IntArrayRef{4096, 9216}));
        EXPECT_FALSE(graph.weight(model.layerIndex("features.2")).defined()); // max pool
    }
    Model& resnet = cachedModel("resnet18_traced");
    EXPECT_EQ(resnet.graph().imageInputShape(resnet.layerIndex("fc")), (std::vector<int64_t>{512, 1, 1}));
}

// -- small models ----------------------------------------------------------

TEST(Filters, LeNetFullyConnectedRowsAreImagesOfThePooledMaps)
{
    const std::string path = std::string(CONVSCOPE_SOURCE_DIR) + "/models/lenet5_digits.pt";
    Model& model = cachedModel(path);
    auto module = torch::jit::load(path);
    const auto pooled = model.layers()[static_cast<size_t>(model.layerIndex("pool2"))].shape;
    ASSERT_EQ(pooled.size(), 3u);
    const FilterSet fc1 = filterWeights(model, model.layerIndex("fc1"));
    auto weight = module.attr("fc1").toModule().attr("weight").toTensor();
    EXPECT_TRUE(fc1.fromLinear);
    EXPECT_FALSE(fc1.colour);
    EXPECT_TRUE(fc1.weights.equal(weight.view({weight.size(0), pooled[0], pooled[1], pooled[2]})));
    const FilterSet conv1 = filterWeights(model, model.layerIndex("conv1"));
    EXPECT_EQ(conv1.weights.size(1), 1);
    EXPECT_EQ(errorOf([&] { filterWeights(model, model.layerIndex("fc2")); }),
              "layer 'fc2' (linear): its input has no image shape");
}

TEST(Filters, LinearOnRawPixelsUsesTheModelInput)
{
    Model& model = cachedModel("pixel_templates");
    const FilterSet set = filterWeights(model, model.layerIndex("fc"));
    auto weight = torch::jit::load(kFixtures + "/pixel_templates.pt").attr("fc").toModule().attr("weight").toTensor();
    EXPECT_TRUE(set.weights.equal(weight.view({4, 3, 8, 6})));
    EXPECT_TRUE(set.colour);
    EXPECT_EQ(colourTiles(set, FilterRange::Shared).sizes(), (torch::IntArrayRef{4, 3, 8, 6}));
}

TEST(Filters, AddmmWithTransposedWeight)
{
    // addmm(b, x, W.t()) is how older traces wrote nn.Linear.
    test::TempDir dir;
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    torch::jit::Module net(c10::QualifiedName("__torch__.tiny.Addmm"), cu, false);
    net.register_attribute("training", c10::BoolType::get(), false);
    auto w = torch::randn({3, 16});
    net.register_parameter("w", w, false);
    net.register_parameter("b", torch::zeros({3}), false);
    net.define("def forward(self, x):\n    return torch.addmm(self.b, torch.flatten(x, 1), self.w.t())\n");
    torch::jit::ExtraFilesMap extra{{"convscope.json", R"({"input": [1, 4, 4], "mean": 0, "std": 1})"}};
    net.save(dir.file("addmm.pt"), extra);
    auto model = Model::load(dir.file("addmm.pt"), {test::device(), {}});
    const int layer = model->layerIndex("linear"); // addmm is listed as the linear op it is
    EXPECT_EQ(model->graph().inputShape(layer), (std::vector<int64_t>{16}));
    const FilterSet set = filterWeights(*model, layer);
    EXPECT_TRUE(set.weights.equal(w.view({3, 1, 4, 4})));
}

TEST(Filters, ConstantFiltersAreMidGray)
{
    FilterSet set;
    set.layer = "c";
    set.weights = torch::stack({torch::full({3, 2, 2}, 0.7), torch::arange(12.0).view({3, 2, 2})});
    set.colour = true;
    auto tiles = colourTiles(set, FilterRange::PerFilter);
    EXPECT_TRUE(tiles[0].equal(torch::full({3, 2, 2}, 0.5)));
    EXPECT_FLOAT_EQ(tiles[1].min().item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(tiles[1].max().item<float>(), 1.0f);
    set.weights = torch::ones({2, 3, 2, 2});
    EXPECT_TRUE(sliceTiles(set, FilterRange::Shared).equal(torch::full({6, 1, 2, 2}, 0.5)));
}

// -- colormaps and activation maps -------------------------------------------

TEST(Colormaps, MatchMatplotlib)
{
    const auto ref = loadDict("display.ref.pt");
    const auto x = tensorAt(ref, "x").to(torch::kFloat32).view({1, -1});
    for (const auto& name : colormapNames()) {
        SCOPED_TRACE(name);
        const Colormap map = colormapFromName(name);
        EXPECT_EQ(colormapName(map), name);
        auto ours = applyColormap(x, map); // [3, 1, 1001]
        ASSERT_EQ(ours.sizes(), (torch::IntArrayRef{3, 1, 1001}));
        // The same table entry as matplotlib's cmap(x), not only within 1/255.
        EXPECT_LT(maxDiff(ours.select(1, 0).t(), tensorAt(ref, name)), 1e-6);
    }
    EXPECT_EQ(errorOf([] { colormapFromName("hot"); }), "unknown colormap 'hot': use gray, viridis, inferno or jet");
    // Out of range values are clamped.
    auto ends = applyColormap(torch::tensor({-3.0f, 7.0f}).view({1, 2}), Colormap::Gray);
    EXPECT_TRUE(ends.view({3, 2}).equal(torch::tensor({0.0f, 1.0f}).expand({3, 2})));
}

TEST(ActivationMaps, TilesMatchMatplotlib)
{
    const auto ref = loadDict("display.ref.pt");
    const auto act = tensorAt(ref, "activation");
    EXPECT_LT(maxDiff(activationTiles(act, MapRange::Shared, Colormap::Viridis), tensorAt(ref, "tiles_shared_viridis")),
              1e-6);
    EXPECT_LT(
        maxDiff(activationTiles(act, MapRange::PerChannel, Colormap::Inferno), tensorAt(ref, "tiles_channel_inferno")),
        1e-6);
    auto gray = activationTiles(act, MapRange::PerChannel, Colormap::Gray);
    EXPECT_EQ(gray.sizes(), (torch::IntArrayRef{4, 1, 5, 6}));
    EXPECT_TRUE(gray.squeeze(1).allclose(normalizeMaps(act)));
    // A constant map becomes 0; a feature vector is scaled over all its units.
    auto flat = activationTiles(torch::zeros({2, 3, 3}), MapRange::PerChannel, Colormap::Gray);
    EXPECT_EQ(flat.abs().max().item<float>(), 0.0f);
    auto units = activationTiles(torch::tensor({1.0f, 3.0f, 2.0f}), MapRange::PerChannel, Colormap::Gray);
    EXPECT_TRUE(units.equal(torch::tensor({0.0f, 1.0f, 0.5f}).view({3, 1, 1, 1})));
}

TEST(ActivationMaps, OverlayMatchesBilinearInterpolate)
{
    const auto ref = loadDict("display.ref.pt");
    const auto map = tensorAt(ref, "map");
    EXPECT_LT(maxDiff(overlayMap(map, tensorAt(ref, "input"), Colormap::Viridis), tensorAt(ref, "overlay_viridis")),
              1e-5);
    EXPECT_LT(
        maxDiff(overlayMap(map, tensorAt(ref, "input_gray"), Colormap::Jet, 0.3), tensorAt(ref, "overlay_gray_jet_03")),
        1e-5);
    EXPECT_EQ(errorOf([&] { overlayMap(map.unsqueeze(0), tensorAt(ref, "input"), Colormap::Jet); }),
              "an overlay needs one [h, w] map, not a 3-D tensor");
}

// -- grids ---------------------------------------------------------------------

TEST(TileGrid, LayoutPaddingAndEnlargement)
{
    auto tiles = torch::arange(1.0f, 9.0f).view({2, 1, 2, 2}) / 10;
    // Near-square: 2 tiles in 2 columns; 1 pixel of white around and between.
    auto grid = tileGrid(tiles, 0, 1, 0);
    ASSERT_EQ(grid.sizes(), (torch::IntArrayRef{1, 4, 7}));
    auto expected = torch::tensor({1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, //
                                   1.0f, 0.1f, 0.2f, 1.0f, 0.5f, 0.6f, 1.0f, //
                                   1.0f, 0.3f, 0.4f, 1.0f, 0.7f, 0.8f, 1.0f, //
                                   1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f})
                        .view({1, 4, 7});
    EXPECT_TRUE(grid.allclose(expected));
    // One column, no padding: stacked.
    EXPECT_TRUE(tileGrid(tiles, 1, 0, 0).equal(tiles.view({1, 4, 2})));
    // More columns than tiles: no empty columns.
    EXPECT_EQ(tileGrid(tiles, 8, 1, 0).sizes(), (torch::IntArrayRef{1, 4, 7}));
    // 2x2 tiles, minTile 5: the smallest integer factor that reaches it is 3.
    auto big = tileGrid(tiles, 2, 0, 5);
    ASSERT_EQ(big.sizes(), (torch::IntArrayRef{1, 6, 12}));
    EXPECT_FLOAT_EQ(big[0][2][2].item<float>(), 0.1f);
    EXPECT_FLOAT_EQ(big[0][3][3].item<float>(), 0.4f);
    // Five tiles: 3 columns, 2 rows, the sixth cell white.
    auto five = tileGrid(torch::zeros({5, 3, 1, 1}), 0, 1, 0);
    ASSERT_EQ(five.sizes(), (torch::IntArrayRef{3, 5, 7}));
    EXPECT_EQ(five.sum().item<float>(), 3 * (35 - 5));
    EXPECT_FALSE(errorOf([] { tileGrid(torch::zeros({1 << 20, 1, 6, 6}), 0, 1, 32); }).empty());
}

TEST(TileGrid, ChannelGridUnchanged)
{
    auto maps = torch::rand({5, 7, 7});
    auto grid = channelGrid(maps);
    // 7x7 maps are enlarged 5x to 35x35; 3 columns, 2 rows, 1 pixel apart.
    ASSERT_EQ(grid.sizes(), (torch::IntArrayRef{2 * 36 + 1, 3 * 36 + 1}));
    auto first = grid.narrow(0, 1, 35).narrow(1, 1, 35);
    auto expected = torch::upsample_nearest2d(normalizeMaps(maps)[0].view({1, 1, 7, 7}), {35, 35}).view({35, 35});
    EXPECT_TRUE(first.allclose(expected));
    EXPECT_EQ(channelGrid(torch::rand({10})).dim(), 2);
}

} // namespace
