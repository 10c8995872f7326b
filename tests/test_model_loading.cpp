// Loading models: metadata sources and precedence, inference of missing
// fields, and a clear one-line error for every way a file can be wrong.

#include "core/device.h"
#include "core/error.h"
#include "core/model.h"
#include "tests/tiny_models.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include <cmath>
#include <filesystem>
#include <sstream>

using namespace convscope;
using convscope::test::TempDir;
using convscope::test::writeText;
using convscope::test::writeTinyNet;
using testing::HasSubstr;
using testing::StartsWith;

namespace {

const std::string kFixtures = CONVSCOPE_FIXTURE_DIR;
const std::string kTinyMeta = R"({"name": "tiny", "input": [1, 12, 12], "mean": 0.5, "std": 0.25,
  "labels": ["zero","one","two","three","four","five","six","seven","eight","nine"]})";

std::string loadError(const std::string& path, const LoadOptions& options = {})
{
    try {
        Model::load(path, options);
    } catch (const Error& e) {
        return e.what();
    }
    return "(loaded)";
}

} // namespace

TEST(ModelLoading, EmbeddedMetadataIsUsed)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    const ModelInfo& info = model->info();
    EXPECT_EQ(info.name, "tiny");
    EXPECT_EQ(info.input, (std::array<int64_t, 3>{1, 12, 12}));
    EXPECT_EQ(info.mean, std::vector<double>{0.5});
    EXPECT_EQ(info.std, std::vector<double>{0.25});
    EXPECT_EQ(info.outputs, 10);
    EXPECT_EQ(info.labels[7], "seven");
    EXPECT_EQ(info.metadataSource, "embedded convscope.json");
    EXPECT_TRUE(info.notes.empty());
}

// Debian's LibTorch 2.x (2.6, 2.14) fuses elementwise TorchScript on the CPU
// with LLVM and compiles again for every new input shape: seconds each time
// (core/device.h, keepTorchScriptUnfused). A loaded model runs unfused. 1.13
// cannot fuse on the CPU, so there this holds either way.
TEST(ModelLoading, TorchScriptRunsUnfused)
{
    TempDir dir;
    torch::jit::Module chain("ElementwiseChain");
    chain.register_attribute("training", c10::BoolType::get(), false);
    chain.define(R"(
def forward(self, x):
    y = torch.sigmoid(x * 2.0 + 1.0)
    return torch.tanh(y * y - x).flatten(1)
)");
    chain.save(dir.file("chain.pt"), {{"convscope.json", R"({"input": [1, 4, 4]})"}});
    auto model = Model::load(dir.file("chain.pt"), {test::device(), {}});
    EXPECT_FALSE(torch::jit::tensorExprFuserEnabled());
    // Past the profiling runs, with a change of shape: where the fuser works,
    // this graph holds a prim::TensorExprGroup.
    for (int64_t batch : {2, 2, 2, 3, 3, 3})
        model->module().forward({torch::rand({batch, 1, 4, 4}, model->device())});
    const std::shared_ptr<torch::jit::Graph> graph = torch::jit::lastExecutedOptimizedGraph();
    ASSERT_TRUE(graph);
    std::ostringstream text;
    text << *graph;
    EXPECT_EQ(text.str().find("TensorExprGroup"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("aten::sigmoid"), std::string::npos) << text.str();
}

TEST(ModelLoading, SidecarWinsFieldByField)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    writeText(dir.file("tiny.pt.json"), R"({"name": "from sidecar", "std": [0.5]})");
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    EXPECT_EQ(model->info().name, "from sidecar");
    EXPECT_EQ(model->info().std, std::vector<double>{0.5});
    EXPECT_EQ(model->info().mean, std::vector<double>{0.5}); // kept from the embedded file
    EXPECT_EQ(model->info().metadataSource, "embedded convscope.json + tiny.pt.json");
}

TEST(ModelLoading, OverridesWinOverFiles)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    LoadOptions options{test::device(), {}};
    options.overrides.name = "override";
    options.overrides.labels = std::vector<std::string>(10, "x");
    auto model = Model::load(dir.file("tiny.pt"), options);
    EXPECT_EQ(model->info().name, "override");
    EXPECT_EQ(model->info().labels[0], "x");
}

TEST(ModelLoading, NormalizationUsesMeanAndStd)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    auto pixels = torch::full({1, 1, 12, 12}, 1.0);
    // (1 - 0.5) / 0.25 = 2, by hand.
    EXPECT_TRUE(torch::allclose(model->normalize(pixels).cpu(), torch::full({1, 1, 12, 12}, 2.0)));
    auto direct = model->module().forward({torch::full({1, 1, 12, 12}, 2.0, model->device())}).toTensor();
    EXPECT_TRUE(torch::allclose(model->logits(pixels), direct));
}

TEST(ModelLoading, LabelsFileResolvesInsideTheModelFolder)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12], "labels_file": "classes.txt"})");
    writeText(dir.file("classes.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    EXPECT_EQ(model->info().labels.size(), 10u);
    EXPECT_EQ(model->info().labels[9], "j");
}

TEST(ModelLoading, LabelsFileOutsideTheFolderIsRefused)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12], "labels_file": "../../etc/passwd"})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), "labels_file '../../etc/passwd' points outside the model's folder");
    writeTinyNet(dir.file("abs.pt"), R"({"input": [1, 12, 12], "labels_file": "/etc/passwd"})");
    EXPECT_EQ(loadError(dir.file("abs.pt")), "labels_file '/etc/passwd' must be relative to the model's folder");
}

TEST(ModelLoading, MissingFieldsAreDefaultedAndReported)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12]})");
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    EXPECT_EQ(model->info().name, "tiny");
    EXPECT_EQ(model->info().mean, std::vector<double>{0.0});
    EXPECT_EQ(model->info().std, std::vector<double>{1.0});
    EXPECT_EQ(model->info().labels[3], "3");
    EXPECT_EQ(model->info().metadataSource, "embedded convscope.json");
    ASSERT_EQ(model->info().notes.size(), 3u);
    EXPECT_EQ(model->info().notes[2], "no labels: classes are numbered 0..9");
}

TEST(ModelLoading, InputSizeIsInferredForTorchvisionModels)
{
    auto model = Model::load(kFixtures + "/squeezenet_nometa.pt", {test::device(), {}});
    EXPECT_EQ(model->info().input, (std::array<int64_t, 3>{3, 224, 224}));
    EXPECT_EQ(model->info().outputs, 1000);
    EXPECT_THAT(model->info().notes[0], StartsWith("input 3x224x224 inferred"));
    // No labels on a 1000-output head: ImageNet's, as torchvision names them
    // (ConvNeXt said "classes are numbered 0..999").
    ASSERT_EQ(model->info().labels.size(), 1000u);
    EXPECT_EQ(model->info().labels[0], "tench");
    EXPECT_EQ(model->info().labels[281], "tabby");
    EXPECT_EQ(model->info().labels[999], "toilet tissue");
    EXPECT_THAT(model->info().notes.back(), StartsWith("no labels: a 1000-output head, so ImageNet's class names"));
}

TEST(ModelLoading, InputSizeThatCannotBeInferredIsAnError)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"));
    // TinyNet's fc wants exactly 12x12; none of the common sizes fit.
    EXPECT_THAT(loadError(dir.file("tiny.pt")),
                StartsWith("input size not stated in the metadata and forward() fails on every common size"));
}

// --- every bad input, with its message ---------------------------------------

TEST(BadModels, MissingFile)
{
    EXPECT_EQ(loadError("/nonexistent/model.pt"), "model file not found: /nonexistent/model.pt");
}

TEST(BadModels, Folder)
{
    TempDir dir;
    EXPECT_EQ(loadError(dir.path()), dir.path() + " is a folder, not a model file");
}

TEST(BadModels, EmptyFile)
{
    TempDir dir;
    writeText(dir.file("empty.pt"), "");
    EXPECT_EQ(loadError(dir.file("empty.pt")), dir.file("empty.pt") + " is empty");
}

TEST(BadModels, NotAZip)
{
    const std::string path = kFixtures + "/bad/notes.txt";
    EXPECT_EQ(loadError(path), path + " is not a TorchScript model: not a zip archive (TorchScript files are written by torch.jit.save)");
}

TEST(BadModels, ZipWithoutTorchScript)
{
    const std::string path = kFixtures + "/bad/not_torchscript.zip";
    EXPECT_EQ(loadError(path), path + " is a zip archive but not a TorchScript model (it has no constants.pkl and code/)");
}

TEST(BadModels, StateDictAndPickledModule)
{
    for (const char* name : {"/bad/state_dict.pt", "/bad/pickled_module.pt"}) {
        const std::string path = kFixtures + name;
        EXPECT_EQ(loadError(path), path + " was written by torch.save(), not torch.jit.save(): it holds weights or a "
                                          "pickled module but no TorchScript code; export the model with "
                                          "torch.jit.script(model).save(path) or torch.jit.trace");
    }
}

TEST(BadModels, Truncated)
{
    const std::string path = kFixtures + "/bad/truncated.pt";
    EXPECT_EQ(loadError(path), path + " is damaged or truncated: it starts like a zip archive but its directory is missing");
}

TEST(BadModels, NoForward)
{
    const std::string path = kFixtures + "/bad/no_forward.pt";
    EXPECT_EQ(loadError(path), path + " has no forward() method");
}

TEST(BadModels, ForwardRejectsImages)
{
    const std::string path = kFixtures + "/bad/rejects_images.pt";
    EXPECT_THAT(loadError(path), StartsWith("input size not stated in the metadata and forward() fails on every common size"));
    LoadOptions options{test::device(), {}};
    options.overrides.input = std::array<int64_t, 3>{3, 32, 32};
    EXPECT_EQ(loadError(path, options), "forward() fails on a 1x3x32x32 input: mat1 and mat2 shapes cannot be multiplied (96x32 and 10x2)");
}

TEST(BadModels, WrongChannelCount)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), R"({"input": [3, 12, 12]})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")),
              "forward() fails on a 1x3x12x12 input: Given groups=1, weight of size [4, 1, 3, 3], expected "
              "input[1, 3, 12, 12] to have 1 channels, but got 3 channels instead");
}

TEST(BadModels, WrongMetadataJson)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"));
    writeText(dir.file("tiny.pt.json"), "{ \"input\": [1, 12, 12 ");
    EXPECT_THAT(loadError(dir.file("tiny.pt")), StartsWith(dir.file("tiny.pt.json") + ": invalid JSON: parse error"));
    // Found by fuzz_metadata: a number too large for any type escaped as nlohmann's own exception.
    writeText(dir.file("tiny.pt.json"), R"({"input": [1, 12, 34000000000E09551615]})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")),
              dir.file("tiny.pt.json") + ": invalid JSON: number overflow parsing '34000000000E09551615'");
    writeText(dir.file("tiny.pt.json"), R"({"input": [1, 12]})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), dir.file("tiny.pt.json") + ": 'input' must be [C, H, W] (three integers)");
    writeText(dir.file("tiny.pt.json"), R"({"input": [1, 12, 12], "std": [0]})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), dir.file("tiny.pt.json") + ": 'std' values must be positive");
    writeText(dir.file("tiny.pt.json"), R"({"input": [1, 12, 12], "mean": [0.1, 0.2]})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), "mean has 2 values but the model takes 1 channel(s)");
    writeText(dir.file("tiny.pt.json"), R"([1, 2, 3])");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), dir.file("tiny.pt.json") + ": must be a JSON object");
}

TEST(BadModels, EmbeddedMetadataErrorsNameTheirSource)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), R"({"labels": "cat"})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), dir.file("tiny.pt") + " (embedded convscope.json): 'labels' must be a list of strings");
}

TEST(BadModels, LabelCountMismatch)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), R"({"input": [1, 12, 12], "labels": ["a", "b", "c"]})");
    EXPECT_EQ(loadError(dir.file("tiny.pt")), "labels: 3 given but the model outputs 10 classes");
}

// A model trained into NaN still loads (its filters can be looked at), with a
// note naming the first bad tensor and the count.
TEST(BadModels, NonFiniteWeightsAreNoted)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    EXPECT_THAT(Model::load(dir.file("tiny.pt"))->info().notes, testing::Each(testing::Not(HasSubstr("NaN"))));
    auto module = torch::jit::load(dir.file("tiny.pt"));
    module.attr("conv2").toModule().attr("weight").toTensor().view(-1).narrow(0, 0, 5).fill_(NAN);
    module.attr("fc").toModule().attr("bias").toTensor()[3] = INFINITY;
    module.save(dir.file("nan.pt"), {{"convscope.json", kTinyMeta}});
    auto model = Model::load(dir.file("nan.pt"));
    EXPECT_THAT(model->info().notes,
                testing::Contains("the weights hold 6 NaN or infinite values in 2 tensors, first conv2.weight "
                                  "(5 of 288): outputs will be NaN (was training diverging?)"));
}

TEST(BadModels, CudaWithoutCuda)
{
    if (convscope::cudaAvailable())
        GTEST_SKIP() << "this machine has CUDA";
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    EXPECT_EQ(loadError(dir.file("tiny.pt"), {"cuda", {}}),
              "device 'cuda' requested, but no CUDA device is available to this LibTorch build");
}

TEST(BadInput, WrongPixelShape)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    try {
        model->logits(torch::zeros({1, 3, 12, 12}));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "the model takes N x 1x12x12 pixels, got 1x3x12x12");
    }
}

TEST(BadInput, UnknownLayerSuggestsNames)
{
    TempDir dir;
    writeTinyNet(dir.file("tiny.pt"), kTinyMeta);
    auto model = Model::load(dir.file("tiny.pt"), {test::device(), {}});
    try {
        model->layerIndex("conv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "no layer named 'conv'; did you mean conv1, conv2?");
    }
}
