#include "tests/tiny_models.h"

#include "core/error.h"

#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace convscope::test {

namespace fs = std::filesystem;

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
