// Layers and taps on real torchvision architectures, traced and scripted,
// against PyTorch's own forward hooks (exported by models/export_torchvision.py).

#include "core/graph_passes.h"
#include "core/model.h"
#include "tests/tiny_models.h"

#include <ATen/Context.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/serialize.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>

using namespace convscope;

namespace {

const std::string kFixtures = CONVSCOPE_FIXTURE_DIR;

struct Reference {
    torch::Tensor input, logits, grad;
    std::string gradLayer;
    std::vector<std::string> names;
    std::vector<torch::Tensor> outputs;
};

Reference loadReference(const std::string& arch)
{
    std::ifstream in(kFixtures + "/" + arch + ".ref.pt", std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    auto dict = torch::pickle_load(bytes).toGenericDict();
    Reference ref;
    ref.input = dict.at("input").toTensor();
    ref.logits = dict.at("logits").toTensor();
    ref.grad = dict.at("grad").toTensor();
    ref.gradLayer = dict.at("grad_layer").toStringRef();
    for (const auto& n : dict.at("names").toList())
        ref.names.push_back(static_cast<c10::IValue>(n).toStringRef());
    for (const auto& t : dict.at("outputs").toList())
        ref.outputs.push_back(static_cast<c10::IValue>(t).toTensor());
    return ref;
}

double maxError(const torch::Tensor& ours, const torch::Tensor& theirs)
{
    // Absolute within 1e-4, relative for the large values deep random nets make.
    auto scale = theirs.abs().clamp_min(1.0);
    return ((ours.cpu() - theirs).abs() / scale).max().item<double>();
}

class TorchvisionCapture : public testing::TestWithParam<std::string> {};

TEST_P(TorchvisionCapture, EveryModuleOutputMatchesForwardHooksInOnePass)
{
    const std::string file = GetParam();
    const std::string arch = file.substr(0, file.rfind('_'));
    const Reference ref = loadReference(arch);
    auto model = Model::load(kFixtures + "/" + file + ".pt", {test::device(), {}});

    // Resolve every hooked module call to one of our layers.
    std::vector<int> layers;
    for (const auto& name : ref.names) {
        int index = model->graph().find(name);
        ASSERT_GE(index, 0) << file << ": no layer for module output " << name;
        layers.push_back(index);
    }
    torch::NoGradGuard noGrad;
    Model::Capture capture = model->capture(ref.input, layers, true);
    ASSERT_EQ(capture.layers.size(), ref.outputs.size());
    EXPECT_LT(maxError(capture.logits, ref.logits), 1e-4) << file << ": logits";
    for (size_t i = 0; i < ref.names.size(); ++i) {
        ASSERT_EQ(capture.layers[i].sizes(), ref.outputs[i].sizes()) << file << ": " << ref.names[i];
        EXPECT_LT(maxError(capture.layers[i], ref.outputs[i]), 1e-4) << file << ": " << ref.names[i];
        // The listed shape (batch dropped) is the captured one.
        const auto& listed = model->layers()[static_cast<size_t>(layers[i])].shape;
        EXPECT_EQ(std::vector<int64_t>(ref.outputs[i].sizes().begin() + 1, ref.outputs[i].sizes().end()), listed)
            << file << ": " << ref.names[i];
    }
}

TEST_P(TorchvisionCapture, GradientFlowsFromACapturedLayerToThePixels)
{
    const std::string file = GetParam();
    const std::string arch = file.substr(0, file.rfind('_'));
    const Reference ref = loadReference(arch);
    auto model = Model::load(kFixtures + "/" + file + ".pt", {test::device(), {}});
    torch::Tensor pixels = ref.input.clone().requires_grad_(true);
    auto capture = model->capture(pixels, {model->layerIndex(ref.gradLayer)}, false);
    EXPECT_FALSE(capture.logits.defined());
    capture.layers[0].sum().backward();
    ASSERT_TRUE(pixels.grad().defined());
    const double scale = ref.grad.abs().max().item<double>();
    EXPECT_GT(scale, 0);
    EXPECT_LT((pixels.grad() - ref.grad).abs().max().item<double>() / scale, 1e-4) << file << ": " << ref.gradLayer;
}

TEST_P(TorchvisionCapture, LayersAreNamedAndOrderedLikePyTorch)
{
    const std::string file = GetParam();
    auto model = Model::load(kFixtures + "/" + file + ".pt", {test::device(), {}});
    const auto& layers = model->layers();
    ASSERT_GT(layers.size(), 10u);
    // Execution order: the first listed layer is the stem convolution.
    EXPECT_EQ(layers.front().category, "conv") << layers.front().name;
    // ...and the last is the one that produces the class scores.
    int64_t last = 1;
    for (int64_t d : layers.back().shape)
        last *= d;
    EXPECT_EQ(last, model->info().outputs) << layers.back().name;
    std::set<std::string> names;
    for (const auto& l : layers)
        EXPECT_TRUE(names.insert(l.name).second) << "duplicate name " << l.name;
}

std::vector<std::string> files()
{
    std::vector<std::string> out;
    for (const char* arch : {"alexnet", "resnet18", "mobilenet_v2", "googlenet", "densenet121", "squeezenet1_0"})
        for (const char* kind : {"traced", "scripted"})
            out.push_back(std::string(arch) + "_" + kind);
    return out;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionCapture, testing::ValuesIn(files()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(LayerNames, ResNetResidualsAndInPlaceOps)
{
    auto model = Model::load(kFixtures + "/resnet18_scripted.pt", {test::device(), {}});
    const auto& layers = model->layers();
    auto at = [&](const std::string& name) { return layers[static_cast<size_t>(model->layerIndex(name))]; };
    EXPECT_EQ(at("layer1.0.add").op, "add");
    EXPECT_EQ(at("layer1.0.relu#2").op, "relu");
    // A block's output is its last ReLU's: one layer, reachable by both names.
    EXPECT_EQ(model->layerIndex("layer1.0"), model->layerIndex("layer1.0.relu#2"));
    EXPECT_EQ(at("flatten").op, "flatten");
    EXPECT_EQ(at("layer2.0.downsample.0").op, "conv2d");
    // bn1 is followed by ReLU(inplace=True); its captured value must keep negatives.
    auto pixels = torch::rand({1, 3, 112, 112});
    torch::NoGradGuard noGrad;
    auto capture = model->capture(pixels, {model->layerIndex("bn1"), model->layerIndex("relu")}, false);
    EXPECT_LT(capture.layers[0].min().item<float>(), 0);
    EXPECT_GE(capture.layers[1].min().item<float>(), 0);
}

TEST(LayerNames, DepthwiseConcatAndBranches)
{
    auto mobilenet = Model::load(kFixtures + "/mobilenet_v2_scripted.pt", {test::device(), {}});
    EXPECT_EQ(mobilenet->layers()[static_cast<size_t>(mobilenet->layerIndex("features.2.conv.1.0"))].op, "conv2d_depthwise");
    // An inverted residual block with a skip connection ends in its add.
    EXPECT_EQ(mobilenet->layers()[static_cast<size_t>(mobilenet->layerIndex("features.3"))].op, "add");
    auto googlenet = Model::load(kFixtures + "/googlenet_scripted.pt", {test::device(), {}});
    EXPECT_EQ(googlenet->layers()[static_cast<size_t>(googlenet->layerIndex("inception3a"))].op, "cat");
    EXPECT_EQ(googlenet->layers()[static_cast<size_t>(googlenet->layerIndex("inception3a.branch2.1"))].op, "relu");
}

// How many of the graph's aten::_convolution nodes have allow_tf32 = `flag`.
int convolutionsWithTf32(const torch::jit::Graph& graph, bool flag)
{
    int count = 0;
    for (const torch::jit::Node* node : graph.nodes())
        if (node->kind().toQualString() == std::string("aten::_convolution"))
            count += torch::jit::toIValue(node->input(12))->toBool() == flag;
    return count;
}

TEST(Device, TracedConvolutionsLoseTheirTf32Flag)
{
    // A trace bakes torch.backends.cudnn.allow_tf32 (True by default) into
    // each convolution; on an H100 the traced ResNet-18 then ran in TF32.
    const auto module = torch::jit::load(kFixtures + "/resnet18_traced.pt");
    auto traced = torch::jit::toGraphFunction(module.get_method("forward").function()).graph()->copy();
    torch::jit::Inline(*traced);
    ASSERT_EQ(convolutionsWithTf32(*traced, true), 20);
    const auto inlined = convscope::detail::inlineForward(module);
    EXPECT_EQ(convolutionsWithTf32(*inlined.graph, true), 0);
    EXPECT_EQ(convolutionsWithTf32(*inlined.graph, false), 20);
}

TEST(Device, Float32StaysFloat32OnCuda)
{
    auto model = Model::load(kFixtures + "/resnet18_traced.pt", {test::device(), {}});
    if (!model->device().is_cuda())
        GTEST_SKIP() << "the models are on the CPU (CONVSCOPE_TEST_DEVICE)";
    EXPECT_FALSE(at::globalContext().allowTF32CuDNN());
    EXPECT_FALSE(at::globalContext().allowTF32CuBLAS());
    // A 3x3 convolution over 512 channels and a 4608-long product: TF32 (a
    // 10-bit mantissa) is off by about 1e-3 of the largest value, float32 by 1e-6.
    torch::manual_seed(0);
    const torch::Tensor x = torch::randn({1, 512, 16, 16}), w = torch::randn({64, 512, 3, 3});
    const torch::Tensor cpu = torch::conv2d(x, w, {}, 1, 1);
    const torch::Tensor gpu = torch::conv2d(x.to(model->device()), w.to(model->device()), {}, 1, 1).cpu();
    const double conv = ((gpu - cpu).abs().max() / cpu.abs().max()).item<double>();
    const torch::Tensor a = torch::randn({64, 4608}), b = torch::randn({4608, 64});
    const double mm = ((a.to(model->device()).mm(b.to(model->device())).cpu() - a.mm(b)).abs().max() /
                       a.mm(b).abs().max()).item<double>();
    std::printf("CUDA against the CPU, relative to the largest value: conv %.2g, matmul %.2g\n", conv, mm);
    EXPECT_LT(conv, 1e-5);
    EXPECT_LT(mm, 1e-5);
}

} // namespace
