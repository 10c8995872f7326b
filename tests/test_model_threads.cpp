// One Model shared by several threads, as the GUI's workers may: concurrent
// forward passes (filling the tap cache at the same time, guided and
// standard, with and without gradients) give the results of serial ones.

#include "core/model.h"
#include "tests/tiny_models.h"

#include <torch/csrc/autograd/autograd.h>

#include <gtest/gtest.h>

#include <thread>

using namespace convscope;

namespace {

const std::string kModel = std::string(CONVSCOPE_FIXTURE_DIR) + "/resnet18_traced.pt";

struct Job {
    std::vector<int> layers;
    ReluGradient relu;
    bool gradient;
};

// Logits, the first layer, and the gradient of the second layer's sum with
// respect to the pixels (or the second layer itself without gradients).
std::vector<torch::Tensor> run(Model& model, const torch::Tensor& pixels, const Job& job)
{
    if (!job.gradient) {
        torch::NoGradGuard noGrad;
        auto capture = model.capture(pixels, job.layers, true, job.relu);
        return {capture.logits, capture.layers[0], capture.layers[1]};
    }
    const torch::Tensor x = pixels.clone().requires_grad_(true);
    auto capture = model.capture(x, job.layers, true, job.relu);
    const torch::Tensor gradient = torch::autograd::grad({capture.layers[1].sum()}, {x})[0];
    return {capture.logits.detach(), capture.layers[0].detach(), gradient};
}

TEST(ModelThreads, ConcurrentPassesGiveTheSerialResults)
{
    auto reference = Model::load(kModel, {test::device(), {}});
    const int layers = static_cast<int>(reference->layers().size());
    const auto& in = reference->info().input;
    torch::manual_seed(7);
    const torch::Tensor pixels = torch::rand({1, in[0], in[1], in[2]});
    std::vector<Job> jobs;
    for (int i = 0; i < 9; ++i)
        jobs.push_back({{(i * 5) % layers, (i * 7 + 3) % layers},
                        i % 3 == 0 ? ReluGradient::Guided : ReluGradient::Standard, i % 2 == 0});
    std::vector<std::vector<torch::Tensor>> expected;
    for (const Job& job : jobs)
        expected.push_back(run(*reference, pixels, job));

    // A fresh model: its tap cache fills while the threads run.
    auto shared = Model::load(kModel, {test::device(), {}});
    EXPECT_GT(shared->id(), reference->id()); // never a reused number
    constexpr int kThreads = 3;
    std::vector<std::vector<std::vector<torch::Tensor>>> got(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            try {
                got[t].resize(jobs.size());
                for (size_t k = 0; k < jobs.size(); ++k) {
                    const size_t j = (k + 3 * t) % jobs.size(); // each thread in another order
                    got[t][j] = run(*shared, pixels, jobs[j]);
                }
            } catch (const std::exception& e) {
                errors[t] = e.what();
            }
        });
    for (auto& thread : threads)
        thread.join();
    const bool onCuda = shared->device().is_cuda();
    for (int t = 0; t < kThreads; ++t) {
        ASSERT_EQ(errors[t], "") << "thread " << t;
        for (size_t j = 0; j < jobs.size(); ++j)
            for (size_t o = 0; o < expected[j].size(); ++o) {
                const torch::Tensor a = got[t][j][o].cpu(), b = expected[j][o].cpu();
                // On CUDA a gradient is not the same twice even serially (atomic
                // adds in max-pool's and convolutions' backward): compared to its scale.
                if (onCuda)
                    EXPECT_LT(((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item<double>(), 1e-5)
                        << "thread " << t << ", job " << j << ", output " << o;
                else
                    EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << "thread " << t << ", job " << j << ", output " << o;
            }
    }
    EXPECT_GT(shared->lastForwardMs(), 0);
}

} // namespace
