#pragma once

#include "core/model.h"

#include <torch/script.h>

#include <functional>
#include <string>
#include <vector>

namespace convscope::test {

// The device the core tests load their models on: $CONVSCOPE_TEST_DEVICE
// (scripts/device_check.sh sets "cuda"), else "cpu". Results are compared on
// the CPU against references computed there.
std::string device();

// The one-line message of the convscope::Error that `call` throws, or
// "(no error)".
std::string errorOf(const std::function<void()>& call);

// A temporary folder removed when the object goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

// TinyNet, built and saved from C++ (no Python needed), for a 1x12x12 input:
//   conv1  Conv2d(1, 4, k3, s1, p1)   -> 4x12x12
//   relu   ReLU                       -> 4x12x12
//   pool   MaxPool2d(k2, s2)          -> 4x6x6
//   conv2  Conv2d(4, 8, k3, s2, p0)   -> 8x2x2
//   flatten (functional, in forward)  -> 32
//   fc     Linear(32, 10)             -> 10
// `metadataJson` is embedded as convscope.json when not empty.
void writeTinyNet(const std::string& path, const std::string& metadataJson = {});

void writeText(const std::string& path, const std::string& text);

// Models whose scores are known functions of the pixels, for attribution
// tests that work every number out by hand. Each constructor draws seeded
// weights and saves the model, with its convscope.json, to `path`.
//
// LinearPixelNet: logits = W normalize(x) + b on a 2 x 6 x 5 input, per-channel
// mean {0.25, 0.5} and std {0.5, 0.25}, 4 classes; one module, "fc".
struct LinearPixelNet {
    static constexpr int64_t kChannels = 2, kHeight = 6, kWidth = 5, kClasses = 4;
    static constexpr double kMean[2] = {0.25, 0.5}, kStd[2] = {0.5, 0.25};
    torch::Tensor weight, bias; // [kClasses, C * H * W], [kClasses]

    explicit LinearPixelNet(const std::string& path);
    double weightAt(int64_t k, int64_t c, int64_t y, int64_t x) const;
    // The logits of pixels [C, H, W] by the formula, in double precision.
    std::vector<double> logits(const torch::Tensor& pixels) const;
    // d logit_k / d pixels = W_k / std: [C, H, W] in double precision.
    torch::Tensor gradient(int64_t k) const;
};

// ConvReluNet on a 1 x 4 x 4 input (mean 0.5, std 0.5):
//   conv  Conv2d(1, 2, k3, p1) -> relu -> pool MaxPool2d(2) -> flatten -> fc Linear(8, 3)
struct ConvReluNet {
    torch::Tensor convWeight, convBias, fcWeight, fcBias;

    explicit ConvReluNet(const std::string& path);
    // d logit[target] / d pixels [C, H, W] by LibTorch's autograd on the same
    // weights; with `guided`, the gradient flowing into the ReLU is clamped at 0.
    torch::Tensor gradient(const torch::Tensor& pixels, int64_t target, bool guided) const;
};

// A tiny model of this file saved in a temporary folder and loaded on device():
// Loaded<LinearPixelNet> gives `net` (its weights) and `model`.
template <typename Net> struct Loaded {
    TempDir dir;
    Net net{dir.file("net.pt")};
    std::unique_ptr<Model> model = Model::load(dir.file("net.pt"), {test::device(), {}});
};

// RowsNet on a 1 x 4 x 5 input: `rows` gives each image as [4, 5] (a layer
// neither of channel maps nor of units), then fc Linear(20, 3).
void writeRowsNet(const std::string& path);

} // namespace convscope::test
