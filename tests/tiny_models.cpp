#include "tests/tiny_models.h"

#include "tests/crash_report.h"

#include "core/error.h"

#include <torch/script.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>


namespace convscope::test {

namespace fs = std::filesystem;

namespace {

// A crash on a machine without a debugger (scripts/device_check.sh) still
// says where.
const bool kReportCrashes = installCrashReport();

} // namespace

std::string device()
{
    const char* spec = std::getenv("CONVSCOPE_TEST_DEVICE");
    return spec && *spec ? spec : "cpu";
}

TempDir::TempDir()
{
    std::random_device rd;
    m_path = (fs::temp_directory_path() / ("convscope-test-" + std::to_string(rd()))).string();
    fs::create_directories(m_path);
}

TempDir::~TempDir()
{
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary) << text;
}

namespace {

using torch::jit::Module;

Module leaf(const std::shared_ptr<torch::jit::CompilationUnit>& cu, const std::string& type, const std::string& source)
{
    Module m(c10::QualifiedName("__torch__.tiny." + type), cu, false);
    m.register_attribute("training", c10::BoolType::get(), false);
    m.define(source);
    return m;
}

Module conv(const std::shared_ptr<torch::jit::CompilationUnit>& cu, const std::string& type, int64_t in, int64_t out,
            int stride, int padding)
{
    Module m(c10::QualifiedName("__torch__.tiny." + type), cu, false);
    m.register_attribute("training", c10::BoolType::get(), false);
    m.register_parameter("weight", torch::randn({out, in, 3, 3}) * 0.3, false);
    m.register_parameter("bias", torch::randn({out}) * 0.1, false);
    m.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, self.bias, [" + std::to_string(stride) + ", "
             + std::to_string(stride) + "], [" + std::to_string(padding) + ", " + std::to_string(padding) + "])\n");
    return m;
}

} // namespace

void writeTinyNet(const std::string& path, const std::string& metadataJson)
{
    torch::manual_seed(7);
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    Module net(c10::QualifiedName("__torch__.tiny.TinyNet"), cu, false);
    net.register_attribute("training", c10::BoolType::get(), false);
    net.register_module("conv1", conv(cu, "Conv1", 1, 4, 1, 1));
    net.register_module("relu", leaf(cu, "ReLU", "def forward(self, x):\n    return torch.relu(x)\n"));
    net.register_module("pool", leaf(cu, "MaxPool", "def forward(self, x):\n    return torch.max_pool2d(x, [2, 2], [2, 2])\n"));
    net.register_module("conv2", conv(cu, "Conv2", 4, 8, 2, 0));
    Module fc(c10::QualifiedName("__torch__.tiny.Linear"), cu, false);
    fc.register_attribute("training", c10::BoolType::get(), false);
    fc.register_parameter("weight", torch::randn({10, 32}) * 0.2, false);
    fc.register_parameter("bias", torch::randn({10}) * 0.1, false);
    fc.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
    net.register_module("fc", fc);
    net.define(R"(def forward(self, x):
    x = self.pool.forward(self.relu.forward(self.conv1.forward(x)))
    x = self.conv2.forward(x)
    x = torch.flatten(x, 1)
    return self.fc.forward(x)
)");
    torch::jit::ExtraFilesMap extra;
    if (!metadataJson.empty())
        extra["convscope.json"] = metadataJson;
    net.save(path, extra);
}

namespace {

Module withParameters(const std::shared_ptr<torch::jit::CompilationUnit>& cu, const std::string& type,
                      const std::vector<std::pair<std::string, torch::Tensor>>& parameters, const std::string& source)
{
    Module m(c10::QualifiedName("__torch__.tiny." + type), cu, false);
    m.register_attribute("training", c10::BoolType::get(), false);
    for (const auto& [name, value] : parameters)
        m.register_parameter(name, value, false);
    m.define(source);
    return m;
}

const char* const kLinearForward = "def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n";

} // namespace

LinearPixelNet::LinearPixelNet(const std::string& path)
{
    torch::manual_seed(21);
    weight = torch::randn({kClasses, kChannels * kHeight * kWidth}) * 0.1;
    bias = torch::randn({kClasses}) * 0.1;
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    Module net(c10::QualifiedName("__torch__.tiny.LinearPixelNet"), cu, false);
    net.register_attribute("training", c10::BoolType::get(), false);
    net.register_module("fc", withParameters(cu, "PixelLinear", {{"weight", weight}, {"bias", bias}}, kLinearForward));
    net.define("def forward(self, x):\n    return self.fc.forward(torch.flatten(x, 1))\n");
    net.save(path, {{"convscope.json", R"({"input": [2, 6, 5], "mean": [0.25, 0.5], "std": [0.5, 0.25]})"}});
}

double LinearPixelNet::weightAt(int64_t k, int64_t c, int64_t y, int64_t x) const
{
    return weight[k][(c * kHeight + y) * kWidth + x].item<double>();
}

std::vector<double> LinearPixelNet::logits(const torch::Tensor& pixels) const
{
    std::vector<double> out;
    for (int64_t k = 0; k < kClasses; ++k) {
        double sum = bias[k].item<double>();
        for (int64_t c = 0; c < kChannels; ++c)
            for (int64_t y = 0; y < kHeight; ++y)
                for (int64_t x = 0; x < kWidth; ++x)
                    sum += weightAt(k, c, y, x) * (pixels[c][y][x].item<double>() - kMean[c]) / kStd[c];
        out.push_back(sum);
    }
    return out;
}

torch::Tensor LinearPixelNet::gradient(int64_t k) const
{
    const torch::Tensor std = torch::tensor({kStd[0], kStd[1]}, torch::kFloat64).view({kChannels, 1, 1});
    return weight[k].view({kChannels, kHeight, kWidth}).to(torch::kFloat64) / std;
}

ConvReluNet::ConvReluNet(const std::string& path)
{
    torch::manual_seed(5);
    convWeight = torch::randn({2, 1, 3, 3});
    convBias = torch::randn({2}) * 0.1;
    fcWeight = torch::randn({3, 8});
    fcBias = torch::randn({3}) * 0.1;
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    Module net(c10::QualifiedName("__torch__.tiny.ConvReluNet"), cu, false);
    net.register_attribute("training", c10::BoolType::get(), false);
    net.register_module("conv",
                        withParameters(cu, "ConvPad1", {{"weight", convWeight}, {"bias", convBias}},
                                       "def forward(self, x):\n    return torch.conv2d(x, self.weight, "
                                       "self.bias, [1, 1], [1, 1])\n"));
    net.register_module("relu", leaf(cu, "ReLU", "def forward(self, x):\n    return torch.relu(x)\n"));
    net.register_module("pool",
                        leaf(cu, "MaxPool", "def forward(self, x):\n    return torch.max_pool2d(x, [2, 2], [2, 2])\n"));
    net.register_module("fc", withParameters(cu, "Linear", {{"weight", fcWeight}, {"bias", fcBias}}, kLinearForward));
    net.define(R"(def forward(self, x):
    x = self.pool.forward(self.relu.forward(self.conv.forward(x)))
    return self.fc.forward(torch.flatten(x, 1))
)");
    net.save(path, {{"convscope.json", R"({"input": [1, 4, 4], "mean": 0.5, "std": 0.5})"}});
}

torch::Tensor ConvReluNet::gradient(const torch::Tensor& pixels, int64_t target, bool guided) const
{
    torch::Tensor x = pixels.unsqueeze(0).clone().requires_grad_(true);
    torch::Tensor r = torch::relu(torch::conv2d((x - 0.5) / 0.5, convWeight, convBias, 1, 1));
    if (guided)
        r.register_hook([](torch::Tensor g) { return g.clamp_min(0); });
    torch::Tensor logits = torch::linear(torch::max_pool2d(r, 2, 2).flatten(1), fcWeight, fcBias);
    logits[0][target].backward();
    return x.grad()[0];
}

void writeRowsNet(const std::string& path)
{
    torch::manual_seed(9);
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    Module net(c10::QualifiedName("__torch__.tiny.RowsNet"), cu, false);
    net.register_attribute("training", c10::BoolType::get(), false);
    net.register_module("rows", leaf(cu, "Rows", "def forward(self, x):\n    return x.reshape([-1, 4, 5])\n"));
    net.register_module(
        "fc", withParameters(cu, "Linear", {{"weight", torch::randn({3, 20})}, {"bias", torch::zeros({3})}}, kLinearForward));
    net.define("def forward(self, x):\n    return self.fc.forward(torch.flatten(self.rows.forward(x), 1))\n");
    net.save(path, {{"convscope.json", R"({"input": [1, 4, 5]})"}});
}

std::string errorOf(const std::function<void()>& call)
{
    try {
        call();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace convscope::test
