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
    Module conv(int64_t in, int64_t out, int64_t kernel, int64_t padding, int64_t dilation = 1)
    {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * kernel * kernel));
        Module m(c10::QualifiedName("__torch__.convscope.Conv2d_" + std::to_string(m_count++)), m_unit, false);
        m.register_attribute("training", c10::BoolType::get(), true);
        m.register_parameter("weight", torch::empty({out, in, kernel, kernel}).uniform_(-bound, bound).requires_grad_(), false);
        m.register_parameter("bias", torch::empty({out}).uniform_(-bound, bound).requires_grad_(), false);
        const std::string p = std::to_string(padding);
        const std::string d = std::to_string(dilation);
        m.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, self.bias, [1, 1], [" + p + ", " + p
                 + "], [" + d + ", " + d + "], 1)\n");
        return m;
    }

    // nn.ConvTranspose2d: weight [in, out, k, k], init bound 1/sqrt(out k k)
    // (PyTorch's fan-in of a transposed convolution is its weight's dim 1).
    Module convTranspose(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding)
    {
        const double bound = 1.0 / std::sqrt(static_cast<double>(out * kernel * kernel));
        Module m(c10::QualifiedName("__torch__.convscope.ConvTranspose2d_" + std::to_string(m_count++)), m_unit, false);
        m.register_attribute("training", c10::BoolType::get(), true);
        m.register_parameter("weight", torch::empty({in, out, kernel, kernel}).uniform_(-bound, bound).requires_grad_(), false);
        m.register_parameter("bias", torch::empty({out}).uniform_(-bound, bound).requires_grad_(), false);
        const std::string s = std::to_string(stride), p = std::to_string(padding);
        m.define("def forward(self, x):\n    return torch.conv_transpose2d(x, self.weight, self.bias, [" + s + ", " + s
                 + "], [" + p + ", " + p + "], [0, 0], 1, [1, 1])\n");
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

    // A network of `layers` whose forward() is `body` (TorchScript).
    Module graph(const std::string& kind, const std::vector<std::pair<std::string, Module>>& layers, const std::string& body)
    {
        Module net(c10::QualifiedName("__torch__.convscope." + kind), m_unit, false);
        net.register_attribute("training", c10::BoolType::get(), true);
        for (const auto& [name, module] : layers)
            net.register_module(name, module);
        net.define(body);
        return net;
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

// A small U-Net (Ronneberger et al. 2015) for the digit canvases: two
// encoder levels (conv-relu twice, max-pool), a middle block whose second and
// third convolutions are dilated by 2 and 4 (DeepLab's way to see far without
// pooling further), and a decoder that upsamples with 2x2 stride-2 transposed
// convolutions and concatenates the encoder's maps of the same size (the skip
// connections), then a 1x1 convolution to the classes. Every 3x3
// convolution is followed by batch norm: without it the net sat predicting
// background (95 % of the pixels) for epochs.
Module unetSmall(const std::array<int64_t, 3>& input, int64_t classes)
{
    if (input[1] % 4 || input[2] % 4 || input[1] < 16 || input[2] < 16)
        throw Error("unet-small needs a height and width that are multiples of 4, at least 16");
    const int64_t w1 = 8, w2 = 16, w3 = 32;
    Builder b;
    std::vector<std::pair<std::string, Module>> layers;
    auto block = [&](const std::string& name, int64_t in, int64_t out, int64_t dilation2) {
        layers.push_back({name + "_conv1", b.conv(in, out, 3, 1)});
        layers.push_back({name + "_bn1", b.batchNorm(out)});
        layers.push_back({name + "_relu1", b.relu()});
        layers.push_back({name + "_conv2", b.conv(out, out, 3, dilation2, dilation2)});
        layers.push_back({name + "_bn2", b.batchNorm(out)});
        layers.push_back({name + "_relu2", b.relu()});
    };
    block("enc1", input[0], w1, 1);
    layers.push_back({"pool1", b.maxPool()});
    block("enc2", w1, w2, 1);
    layers.push_back({"pool2", b.maxPool()});
    block("mid", w2, w3, 2);
    layers.push_back({"mid_conv3", b.conv(w3, w3, 3, 4, 4)});
    layers.push_back({"mid_bn3", b.batchNorm(w3)});
    layers.push_back({"mid_relu3", b.relu()});
    layers.push_back({"up2", b.convTranspose(w3, w2, 2, 2, 0)});
    block("dec2", 2 * w2, w2, 1);
    layers.push_back({"up1", b.convTranspose(w2, w1, 2, 2, 0)});
    block("dec1", 2 * w1, w1, 1);
    layers.push_back({"head", b.conv(w1, classes, 1, 0)});
    const std::string body = R"(def forward(self, x):
    x = self.enc1_relu1.forward(self.enc1_bn1.forward(self.enc1_conv1.forward(x)))
    e1 = self.enc1_relu2.forward(self.enc1_bn2.forward(self.enc1_conv2.forward(x)))
    x = self.enc2_relu1.forward(self.enc2_bn1.forward(self.enc2_conv1.forward(self.pool1.forward(e1))))
    e2 = self.enc2_relu2.forward(self.enc2_bn2.forward(self.enc2_conv2.forward(x)))
    x = self.mid_relu1.forward(self.mid_bn1.forward(self.mid_conv1.forward(self.pool2.forward(e2))))
    x = self.mid_relu2.forward(self.mid_bn2.forward(self.mid_conv2.forward(x)))
    x = self.mid_relu3.forward(self.mid_bn3.forward(self.mid_conv3.forward(x)))
    x = torch.cat([self.up2.forward(x), e2], 1)
    x = self.dec2_relu1.forward(self.dec2_bn1.forward(self.dec2_conv1.forward(x)))
    x = self.dec2_relu2.forward(self.dec2_bn2.forward(self.dec2_conv2.forward(x)))
    x = torch.cat([self.up1.forward(x), e1], 1)
    x = self.dec1_relu1.forward(self.dec1_bn1.forward(self.dec1_conv1.forward(x)))
    x = self.dec1_relu2.forward(self.dec1_bn2.forward(self.dec1_conv2.forward(x)))
    return self.head.forward(x)
)";
    return b.graph("UNetSmall", layers, body);
}

// A small FCN (Long et al. 2015, FCN-32s's shape): three conv-relu-pool
// blocks down to 1/8, a dilated convolution, a 1x1 convolution to class
// scores, and one 16x16 stride-8 transposed convolution back to the input size.
Module fcnSmall(const std::array<int64_t, 3>& input, int64_t classes)
{
    if (input[1] % 8 || input[2] % 8 || input[1] < 16 || input[2] < 16)
        throw Error("fcn-small needs a height and width that are multiples of 8, at least 16");
    Builder b;
    std::vector<std::pair<std::string, Module>> layers;
    int64_t in = input[0];
    const int64_t widths[] = {16, 32, 64};
    for (int k = 1; k <= 3; ++k) {
        layers.push_back({"conv" + std::to_string(k), b.conv(in, widths[k - 1], 3, 1)});
        layers.push_back({"relu" + std::to_string(k), b.relu()});
        layers.push_back({"pool" + std::to_string(k), b.maxPool()});
        in = widths[k - 1];
    }
    layers.push_back({"conv4", b.conv(in, in, 3, 2, 2)});
    layers.push_back({"relu4", b.relu()});
    layers.push_back({"score", b.conv(in, classes, 1, 0)});
    layers.push_back({"upsample", b.convTranspose(classes, classes, 16, 8, 4)});
    return b.sequence("FCNSmall", layers, "");
}

} // namespace

bool isSegmentationArchitecture(const std::string& arch)
{
    return arch == "unet-small" || arch == "fcn-small";
}

std::string scoreLayerOf(const std::string& arch)
{
    if (arch == "unet-small")
        return "head";
    if (arch == "fcn-small")
        return "score";
    throw Error(arch + " is not a segmentation architecture");
}

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
    return {"lenet5", "minivgg", "unet-small", "fcn-small"};
}

std::array<int64_t, 3> defaultInput(const std::string& arch)
{
    if (arch == "minivgg")
        return {3, 32, 32};
    if (isSegmentationArchitecture(arch))
        return {1, 64, 64};
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
    if (arch == "unet-small")
        return unetSmall(input, classes);
    if (arch == "fcn-small")
        return fcnSmall(input, classes);
    throw Error("unknown architecture '" + arch + "': use lenet5, minivgg, unet-small or fcn-small");
}

} // namespace convscope
