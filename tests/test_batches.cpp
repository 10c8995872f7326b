// Work in chunks (core/batches): short chunks when someone may cancel,
// halved batches when memory runs out, and results that do not depend on
// either. Memory runs out for real: the address space of this process is
// limited (setrlimit) around the call, as `ulimit -v` does; with the models on
// CUDA (CONVSCOPE_TEST_DEVICE), the GPU is filled up to what the limit leaves.

#include "core/attack.h"
#include "core/batches.h"
#include "core/error.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "core/pca.h"
#include "core/saliency.h"
#include "tiny_models.h"
#include "memory_limit.h"

#include <c10/util/Exception.h>
#include <torch/csrc/autograd/autograd.h>
#include <gtest/gtest.h>

#include <chrono>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace convscope;
using namespace convscope::test;

namespace {

// A model that needs much memory for little arithmetic: 256 scaled copies
// of a 1 x side x side input (12 MiB of activations per image at 64 px, with
// the shift's and the ReLU's), `tanhs` tanh after the shift, their spatial
// means and 10 classes. Only elementwise ops and sums, so that an image gets
// the same numbers in any batch (a 1x1 convolution does not: oneDNN takes
// another path under 16 images). A forward pass without gradients holds two
// activations at a time; one with them keeps every tanh's for the backward.
void writeWideNet(const std::string& path, int64_t side, int tanhs = 0)
{
    using torch::jit::Module;
    torch::manual_seed(5);
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    auto leaf = [&](const std::string& type, const torch::Tensor& weight, const torch::Tensor& bias,
                    const std::string& body) {
        Module m(c10::QualifiedName("__torch__.wide." + type), cu, false);
        m.register_attribute("training", c10::BoolType::get(), false);
        m.register_parameter("weight", weight, false);
        m.register_parameter("bias", bias, false);
        m.define("def forward(self, x):\n    return " + body + "\n");
        return m;
    };
    Module net(c10::QualifiedName("__torch__.wide.WideNet"), cu, false);
    net.register_attribute("training", c10::BoolType::get(), false);
    net.register_module("scale", leaf("Scale", torch::randn({1, 256, 1, 1}), torch::randn({1, 256, 1, 1}) * 0.1,
                                      "x * self.weight + self.bias"));
    // A linear layer as a product and a sum: torch.linear's GEMM blocks by the
    // batch size (it does on LibTorch 2.11's CPU), a row's sum does not.
    net.register_module("fc", leaf("Linear", torch::randn({10, 256}) * 0.3, torch::randn({10}) * 0.1,
                                   "(x.unsqueeze(1) * self.weight).sum(2) + self.bias"));
    net.define("def forward(self, x):\n"
               "    y = self.scale.forward(x)\n"
               "    for _ in range(" + std::to_string(tanhs) + "):\n"
               "        y = torch.tanh(y)\n"
               "    return self.fc.forward(torch.relu(y).mean([2, 3]))\n");
    const std::string size = std::to_string(side);
    net.save(path, {{"convscope.json", R"({"input": [1, )" + size + ", " + size + R"(], "mean": [0.5], "std": [0.25]})"}});
}

std::unique_ptr<Model> wideNet(const TempDir& dir, int64_t side, int tanhs = 0)
{
    const std::string path = dir.file("wide" + std::to_string(side) + "_" + std::to_string(tanhs) + ".pt");
    writeWideNet(path, side, tanhs);
    return Model::load(path, {test::device(), {}});
}

bool onCuda()
{
    return test::device().rfind("cuda", 0) == 0;
}

// Fills the GPU until about `headroom` bytes are left, with blocks this
// object holds: what a model too big for the card meets.
class GpuMemoryLimit {
public:
    explicit GpuMemoryLimit(int64_t headroom)
    {
        const auto cuda = torch::TensorOptions().dtype(torch::kUInt8).device(torch::Device(test::device()));
        for (const int64_t block : {int64_t(1) << 30, int64_t(64) << 20})
            for (;;) {
                try {
                    m_blocks.push_back(torch::empty({block}, cuda));
                } catch (const c10::Error&) {
                    break; // CUDA out of memory
                }
            }
        for (int64_t given = 0; given < headroom && !m_blocks.empty(); m_blocks.pop_back())
            given += m_blocks.back().numel();
    }

private:
    std::vector<torch::Tensor> m_blocks;
};

// Memory that runs out after `headroom` more bytes where the models run.
class DeviceMemoryLimit {
public:
    explicit DeviceMemoryLimit(int64_t headroom)
    {
        if (onCuda())
            m_gpu.emplace(headroom);
        else
            m_host.emplace(headroom);
    }

private:
    std::optional<MemoryLimit> m_host;
    std::optional<GpuMemoryLimit> m_gpu;
};

// Notes the progress callback received.
struct Notes {
    std::vector<std::string> texts;
    ProgressFn progress()
    {
        return [this](double fraction, const std::string& text) {
            if (fraction == kNote)
                texts.push_back(text);
        };
    }
};

bool same(const torch::Tensor& a, const torch::Tensor& b)
{
    return a.sizes() == b.sizes() && torch::equal(a, b);
}

// Equal to float rounding. Past a few dozen images LibTorch 2.6's CPU sums a
// batch of 56 and one of 64 in different orders (up to 2.1e-7 apart seen, on
// values up to 0.47); a window mapped to the wrong place is off by the values
// themselves.
bool sameToRounding(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.sizes() != b.sizes())
        return false;
    if (!a.is_floating_point())
        return torch::equal(a, b);
    return torch::allclose(a.to(torch::kDouble), b.to(torch::kDouble), 1e-5, 1e-6);
}

} // namespace

TEST(Batches, WholeBatchesWithoutACancelFlag)
{
    std::vector<std::pair<int64_t, int64_t>> chunks;
    Batches(4, nullptr).run(10, [](int64_t start, int64_t n) { return start + n; },
                            [&](int64_t start, int64_t n, int64_t end) {
                                EXPECT_EQ(end, start + n);
                                chunks.emplace_back(start, n);
                            });
    EXPECT_EQ(chunks, (std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 4}, {8, 2}}));
}

TEST(Batches, ShortChunksInOrderWithACancelFlag)
{
    // Items of 10 ms: chunks start at one item and stay near kChunkSeconds.
    CancelFlag cancel{false};
    std::vector<int64_t> sizes;
    int64_t next = 0;
    Batches(64, &cancel).run(40, [](int64_t, int64_t n) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * n));
        return n;
    },
                             [&](int64_t start, int64_t n, int64_t) {
                                 EXPECT_EQ(start, next);
                                 next = start + n;
                                 sizes.push_back(n);
                             });
    EXPECT_EQ(next, 40);
    for (int64_t n : sizes) {
        EXPECT_GE(n, 2); // see the next test
        EXPECT_LE(n, static_cast<int64_t>(Batches::kChunkSeconds / 0.010) + 1);
    }
}

TEST(Batches, AnItemIsAloneOnlyWhereWholeBatchesLeaveItAlone)
{
    // A network may give an image other numbers alone than in company.
    CancelFlag cancel{false};
    for (int64_t count : {2, 3, 8, 9, 17, 33}) {
        std::vector<int64_t> sizes;
        Batches(4, &cancel).run(count, [](int64_t, int64_t n) { return n; },
                                [&](int64_t, int64_t, int64_t n) { sizes.push_back(n); });
        const bool lastAlone = count % 4 == 1;
        for (size_t i = 0; i < sizes.size(); ++i)
            EXPECT_TRUE(sizes[i] >= 2 || (lastAlone && i + 1 == sizes.size())) << count;
    }
}

TEST(Batches, CancelStopsBeforeTheNextChunk)
{
    CancelFlag cancel{false};
    int calls = 0;
    EXPECT_THROW(Batches(8, &cancel).run(100, [&](int64_t, int64_t n) { return ++calls; },
                                         [&](int64_t, int64_t, int) { cancel = true; }),
                 Cancelled);
    EXPECT_EQ(calls, 1);
}

TEST(Batches, HalvesTheBatchWhenAnAllocationFails)
{
    // What LibTorch's allocators and the C++ runtime throw.
    const std::vector<std::function<void()>> failures = {
        [] { throw std::bad_alloc(); },
        [] { TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 68719476736 bytes."); },
        [] { throw Error("forward() failed: CUDA out of memory. Tried to allocate 20.00 GiB"); },
    };
    for (const auto& fail : failures) {
        Notes notes;
        Batches batches(16, nullptr, notes.progress());
        std::vector<int64_t> seen;
        batches.run(20, [&](int64_t start, int64_t n) {
            if (n > 3)
                fail();
            return start;
        },
                    [&](int64_t start, int64_t n, int64_t) {
                        for (int64_t i = start; i < start + n; ++i)
                            seen.push_back(i);
                    });
        EXPECT_EQ(batches.batch(), 2);
        EXPECT_EQ(seen.size(), 20u);
        EXPECT_EQ(notes.texts, (std::vector<std::string>{"out of memory with a batch of 16; going on with 8",
                                                         "out of memory with a batch of 8; going on with 4",
                                                         "out of memory with a batch of 4; going on with 2"}));
    }
    // Anything else goes through as it is.
    EXPECT_EQ(errorOf([] {
                  Batches(4, nullptr).run(4, [](int64_t, int64_t) -> int { throw Error("no layer 7"); },
                                          [](int64_t, int64_t, int) {});
              }),
              "no layer 7");
}

TEST(Batches, OneItemThatDoesNotFitIsAnError)
{
    EXPECT_EQ(errorOf([] {
                  Batches(4, nullptr).run(4, [](int64_t, int64_t) -> int { throw std::bad_alloc(); },
                                          [](int64_t, int64_t, int) {});
              }),
              "out of memory even with a batch of 1: std::bad_alloc");
}

TEST(Batches, RecognizesOutOfMemory)
{
    EXPECT_TRUE(isOutOfMemory(std::bad_alloc()));
    EXPECT_TRUE(isOutOfMemory(Error("forward() failed: DefaultCPUAllocator: can't allocate memory: you tried to "
                                    "allocate 8 bytes. Error code 12 (Cannot allocate memory)")));
    EXPECT_TRUE(isOutOfMemory(Error("CUDA out of memory. Tried to allocate 2.00 MiB")));
    EXPECT_FALSE(isOutOfMemory(Cancelled()));
    EXPECT_FALSE(isOutOfMemory(Error("forward() failed: shapes cannot be multiplied")));
}

TEST(OutOfMemory, TheTestModelGivesTheSameNumbersInAnyBatch)
{
    // What the tests below take for granted when they compare shrunk runs.
    TempDir dir;
    auto model = wideNet(dir, 64);
    const torch::Tensor x = torch::rand({24, 1, 64, 64});
    const auto gradients = [&](const torch::Tensor& images) {
        const torch::Tensor in = images.detach().clone().requires_grad_(true);
        const torch::Tensor logits = model->capture(in, {}, true).logits;
        return std::make_pair(logits.detach(), torch::autograd::grad({logits.select(1, 3).sum()}, {in})[0]);
    };
    const auto whole = gradients(x);
    for (int64_t chunk : {1, 2, 5, 8}) {
        std::vector<torch::Tensor> logits, grads;
        for (int64_t i = 0; i < 24; i += chunk) {
            const auto part = gradients(x.narrow(0, i, std::min<int64_t>(chunk, 24 - i)));
            logits.push_back(part.first);
            grads.push_back(part.second);
        }
        EXPECT_TRUE(same(torch::cat(logits), whole.first)) << chunk;
        EXPECT_TRUE(same(torch::cat(grads), whole.second)) << chunk;
    }
}

TEST(OutOfMemory, OcclusionShrinksItsBatchAndGivesTheSameMap)
{
    TempDir dir;
    auto model = wideNet(dir, 64);
    const torch::Tensor image = torch::rand({1, 64, 64});
    OcclusionOptions options;
    options.window = 8;
    options.stride = 4; // 15 x 15 windows
    options.batch = 64;
    const OcclusionResult expected = occlusion(*model, image, options);
    EXPECT_EQ(expected.batch, 64);

    // 225 copies need 1.8 GiB; 600 MiB hold about 64.
    options.batch = 256;
    Notes notes;
    OcclusionResult shrunk;
    {
        DeviceMemoryLimit limit(int64_t(600) << 20);
        shrunk = occlusion(*model, image, options, notes.progress());
    }
    ASSERT_FALSE(notes.texts.empty());
    EXPECT_EQ(notes.texts.front(), "out of memory with a batch of 225; going on with 112");
    EXPECT_LT(shrunk.batch, 225);
    for (const auto& text : notes.texts)
        std::printf("occlusion under a 600 MiB limit: %s\n", text.c_str());
    EXPECT_TRUE(sameToRounding(shrunk.heatmap, expected.heatmap));
    EXPECT_TRUE(sameToRounding(shrunk.drops, expected.drops));
    EXPECT_TRUE(same(shrunk.classes, expected.classes));
    EXPECT_TRUE(sameToRounding(shrunk.classScore, expected.classScore));
}

TEST(OutOfMemory, OneImageTooLargeStopsWithAMessage)
{
    // At 128 px an activation of one image is 16 MiB: its prediction holds
    // about three (48 MiB), its gradient keeps the 48 tanh's (800 MiB).
    // Under 400 MiB the prediction is made and no gradient is, with hundreds
    // of MiB to spare either way: the address space moves by tens of MiB
    // from run to run. Blocks under 32 MiB come back from malloc's heap
    // instead of fresh pages the kernel faults in one by one (a 768 px image
    // through the plain net drew the same line at 1.1 and 1.7 GiB in 50 s).
    TempDir dir;
    auto model = wideNet(dir, 128, 48);
    const torch::Tensor image = torch::rand({1, 128, 128});
    SaliencyOptions options;
    options.method = SaliencyMethod::SmoothGrad;
    options.samples = 2;
    options.batch = 2;
    Notes notes;
    std::string message;
    {
        DeviceMemoryLimit limit(int64_t(400) << 20);
        message = errorOf([&] { saliency(*model, image, options, notes.progress()); });
    }
    std::printf("SmoothGrad of one 128 px image through 48 tanh under a 400 MiB limit: %s\n", message.c_str());
    EXPECT_EQ(notes.texts, std::vector<std::string>{"out of memory with a batch of 2; going on with 1"});
    EXPECT_EQ(message.rfind("out of memory even with a batch of 1: ", 0), 0u) << message;
    EXPECT_NE(message.find(onCuda() ? "CUDA out of memory" : "can't allocate memory"), std::string::npos) << message;
    // The process goes on: without the limit one image at a time works.
    options.batch = 1;
    EXPECT_EQ(saliency(*model, image, options).heatmap.numel(), 128 * 128);
}

TEST(OutOfMemory, SmoothGradSumsTheSameWhateverTheChunks)
{
    TempDir dir;
    auto model = wideNet(dir, 64);
    const torch::Tensor image = torch::rand({1, 64, 64});
    SaliencyOptions options;
    options.method = SaliencyMethod::SmoothGrad;
    options.samples = 96;
    options.batch = 96;
    const SaliencyResult expected = saliency(*model, image, options);
    Notes notes;
    SaliencyResult shrunk;
    {
        // A backward pass keeps about three times a forward's activations.
        DeviceMemoryLimit limit(int64_t(600) << 20);
        shrunk = saliency(*model, image, options, notes.progress());
    }
    EXPECT_FALSE(notes.texts.empty());
    EXPECT_TRUE(same(shrunk.attribution, expected.attribution));
}

TEST(Cancel, ShortChunksGiveWhatWholeBatchesGive)
{
    // With a cancel flag the chunks last tens of milliseconds: for ResNet-18
    // two or three images, where whole batches take 12. Its numbers do not
    // depend on the batch size from two images on (they do for one, and
    // for some models, such as MobileNetV2, for any size: see core/batches).
    auto model = Model::load(std::string(CONVSCOPE_FIXTURE_DIR) + "/resnet18_traced.pt", {test::device(), {}});
    torch::manual_seed(3);
    const torch::Tensor image = torch::rand({3, 112, 112});
    SaliencyOptions options;
    options.method = SaliencyMethod::SmoothGrad;
    options.samples = 12;
    options.batch = 12;
    CancelFlag cancel{false};
    EXPECT_TRUE(same(saliency(*model, image, options, {}, &cancel).attribution,
                     saliency(*model, image, options).attribution));
    OcclusionOptions windows;
    windows.window = 28;
    windows.stride = 28;
    EXPECT_TRUE(same(occlusion(*model, image, windows, {}, &cancel).drops, occlusion(*model, image, windows).drops));
}

TEST(OutOfMemory, RobustnessAttacksShrinkTheirSteps)
{
    TempDir dir;
    auto model = wideNet(dir, 64);
    const torch::Tensor images = torch::rand({96, 1, 64, 64}); // 12 MiB each forward and back: 1.1 GiB
    AttackOptions options = attackDefaults(AttackMethod::Pgd);
    options.steps = 3;
    const AttackResult expected = attack(*model, images, {}, options);
    AttackResult shrunk;
    Notes notes;
    {
        DeviceMemoryLimit limit(int64_t(600) << 20);
        shrunk = attack(*model, images, {}, options, notes.progress());
    }
    EXPECT_FALSE(notes.texts.empty());
    EXPECT_TRUE(same(shrunk.adversarial, expected.adversarial));
    EXPECT_EQ(shrunk.after, expected.after);
}

TEST(Cancel, PcaStopsWithinItsProduct)
{
    const torch::Tensor x = torch::rand({400, 300});
    const PcaResult expected = pca(x, 2);
    CancelFlag cancel{false};
    EXPECT_TRUE(same(pca(x, 2, &cancel).projected, expected.projected));
    cancel = true;
    EXPECT_THROW(pca(x, 2, &cancel), Cancelled);
}
