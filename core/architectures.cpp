#include "core/architectures.h"

#include "core/error.h"

#include <cmath>

namespace convscope {

using torch::jit::Module;

namespace {

// Each module gets its own class (its hyperparameters are in its code).
class Builder {
public:
    Module make(const std::string& kind, const std::string& source)
    {
        Module m(c10::QualifiedName("__torch__.convscope." + kind + "_" + std::to_string(m_count++)), m_unit, false);
        m.register_attribute("training", c10::BoolType::get(), true);
        m.define(source);
        return m;
    }

    // nn.Conv2d's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
    Module conv(int64_t in, int64_t out, int64_t kernel, int64_t padding)
    {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * kernel * kernel));
        Module m(c10::QualifiedName("__torch__.convscope.Conv2d_" + std::to_string(m_count++)), m_unit, false);
        m.register_attribute("training", c10::BoolType::get(), true);
        m.register_parameter("weight", torch::empty({out, in, kernel, kernel}).uniform_(-bound, bound).requires_grad_(), false);
        m.register_parameter("bias", torch::empty({out}).uniform_(-bound, bound).requires_grad_(), false);
        const std::string p = std::to_string(padding);
        m.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, self.bias, [1, 1], [" + p + ", " + p
                 + "], [1, 1], 1)\n");
        return m;
    }

    Module linear(int64_t in, int64_t out)
    {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        Module m(c10::QualifiedName("__torch__.convscope.Linear_" + std::to_string(m_count++)), m_unit, false);
        m.register_attribute("training", c10::BoolType::get(), true);
        m.register_parameter("weight", torch::empty({out, in}).uniform_(-bound, bound).requires_grad_(), false);
        m.register_parameter("bias", torch::empty({out}).uniform_(-bound, bound).requires_grad_(), false);
        m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
        return m;
    }

    Module batchNorm(int64_t channels)
    {
        Module m(c10::QualifiedName("__torch__.convscope.BatchNorm2d_" + std::to_string(m_count++)), m_unit, false);
        m.register_attribute("training", c10::BoolType::get(), true);
        m.register_parameter("weight", torch::ones({channels}).requires_grad_(), false);
        m.register_parameter("bias", torch::zeros({channels}).requires_grad_(), false);
        m.register_buffer("running_mean", torch::zeros({channels}));
        m.register_buffer("running_var", torch::ones({channels}));
        m.define("def forward(self, x):\n    return torch.batch_norm(x, self.weight, self.bias, self.running_mean, "
                 "self.running_var, self.training, 0.1, 1e-05, False)\n");
        return m;
    }

    Module relu() { return make("ReLU", "def forward(self, x):\n    return torch.relu(x)\n"); }
    Module maxPool() { return make("MaxPool2d", "def forward(self, x):\n    return torch.max_pool2d(x, [2, 2], [2, 2])\n"); }
    Module globalPool()
    {
        return make("AdaptiveAvgPool2d", "def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [1, 1])\n");
    }
    Module dropout(double p)
    {
        return make("Dropout", "def forward(self, x):\n    return torch.dropout(x, " + std::to_string(p) + ", self.training)\n");
    }

    // A network calling `layers` in order, with a flatten before `flattenBefore`.
    Module sequence(const std::string& kind, const std::vector<std::pair<std::string, Module>>& layers,
                    const std::string& flattenBefore)
    {
        Module net(c10::QualifiedName("__torch__.convscope." + kind), m_unit, false);
        net.register_attribute("training", c10::BoolType::get(), true);
        std::string body = "def forward(self, x):\n";
        for (const auto& [name, module] : layers) {
            net.register_module(name, module);
            if (name == flattenBefore)
                body += "    x = torch.flatten(x, 1)\n";
            body += "    x = self." + name + ".forward(x)\n";
        }
        body += "    return x\n";
        net.define(body);
        return net;
    }

private:
    std::shared_ptr<torch::jit::CompilationUnit> m_unit = std::make_shared<torch::jit::CompilationUnit>();
    int m_count = 0;
};

// `options` as withDefaults() fills them.
Module lenet5(const std::array<int64_t, 3>& input, int64_t classes, const ArchitectureOptions& options)
{
    const int64_t h = (input[1] / 2 - 4) / 2, w = (input[2] / 2 - 4) / 2;
    if (h < 1 || w < 1)
        throw Error("lenet5 needs an input of at least 12x12");
    const bool bn = *options.batchNorm;
    const double p = *options.dropout;
    Builder b;
    std::vector<std::pair<std::string, Module>> layers;
    layers.push_back({"conv1", b.conv(input[0], 6, 5, 2)});
    if (bn)
        layers.push_back({"bn1", b.batchNorm(6)});
    layers.push_back({"relu1", b.relu()});
    layers.push_back({"pool1", b.maxPool()});
    layers.push_back({"conv2", b.conv(6, 16, 5, 0)});
    if (bn)
        layers.push_back({"bn2", b.batchNorm(16)});
    layers.push_back({"relu2", b.relu()});
    layers.push_back({"pool2", b.maxPool()});
    layers.push_back({"fc1", b.linear(16 * h * w, 120)});
    layers.push_back({"relu3", b.relu()});
    if (p > 0)
        layers.push_back({"dropout1", b.dropout(p)});
    layers.push_back({"fc2", b.linear(120, 84)});
    layers.push_back({"relu4", b.relu()});
    if (p > 0)
        layers.push_back({"dropout2", b.dropout(p)});
    layers.push_back({"fc3", b.linear(84, classes)});
    return b.sequence("LeNet5", layers, "fc1");
}

Module minivgg(const std::array<int64_t, 3>& input, int64_t classes, const ArchitectureOptions& options)
{
    if (input[1] < 28 || input[2] < 28)
        throw Error("minivgg needs an input of at least 28x28");
    const bool bn = *options.batchNorm;
    const double p = *options.dropout;
    Builder b;
    std::vector<std::pair<std::string, Module>> layers;
    int64_t in = input[0];
    const int64_t widths[] = {32, 64, 128};
    for (int block = 1; block <= 3; ++block) {
        const int64_t out = widths[block - 1];
        for (int i = 1; i <= 2; ++i) {
            const std::string suffix = std::to_string(block) + "_" + std::to_string(i);
            layers.push_back({"conv" + suffix, b.conv(in, out, 3, 1)});
            if (bn)
                layers.push_back({"bn" + suffix, b.batchNorm(out)});
            layers.push_back({"relu" + suffix, b.relu()});
            in = out;
        }
        layers.push_back({"pool" + std::to_string(block), b.maxPool()});
    }
    layers.push_back({"gap", b.globalPool()});
    if (p > 0)
        layers.push_back({"dropout", b.dropout(p)});
    layers.push_back({"fc", b.linear(in, classes)});
    return b.sequence("MiniVGG", layers, p > 0 ? "dropout" : "fc");
}

} // namespace

ArchitectureOptions withDefaults(const std::string& arch, ArchitectureOptions options)
{
    const bool vgg = arch == "minivgg";
    if (!options.batchNorm)
        options.batchNorm = vgg;
    if (!options.dropout)
        options.dropout = vgg ? 0.3 : 0.0;
    return options;
}

std::vector<std::string> architectureNames()
{
    return {"lenet5", "minivgg"};
}

std::array<int64_t, 3> defaultInput(const std::string& arch)
{
    if (arch == "minivgg")
        return {3, 32, 32};
    return {1, 28, 28};
}

Module buildArchitecture(const std::string& arch, const std::array<int64_t, 3>& input, int64_t classes,
                         const ArchitectureOptions& options)
{
    if (options.dropout && !(*options.dropout >= 0 && *options.dropout < 1))
        throw Error("dropout is a probability in [0, 1): 0 for none");
    if (classes < 2)
        throw Error("training needs at least 2 classes, the data has " + std::to_string(classes));
    if (arch == "lenet5")
        return lenet5(input, classes, withDefaults(arch, options));
    if (arch == "minivgg")
        return minivgg(input, classes, withDefaults(arch, options));
    throw Error("unknown architecture '" + arch + "': use lenet5 or minivgg");
}

} // namespace convscope
