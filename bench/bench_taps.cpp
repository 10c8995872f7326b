// Cost of capturing every layer in one pass, against the model's own plain
// forward(), in the same process on the same input.
//
//   bench_taps [--threads N] [--batch B] [--runs R] MODEL.pt...

#include "core/device.h"
#include "core/model.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <vector>

using namespace convscope;

namespace {

// Runs the variants in turn, `runs` rounds, so that drift in machine load
// hits them alike; returns each one's median in ms.
std::vector<double> interleavedMedians(int runs, const std::vector<std::function<void()>>& variants)
{
    for (int i = 0; i < 3; ++i) // warm-up: the profiling executor specializes on early runs
        for (const auto& fn : variants)
            fn();
    std::vector<std::vector<double>> times(variants.size());
    for (int r = 0; r < runs; ++r)
        for (size_t v = 0; v < variants.size(); ++v) {
            auto start = std::chrono::steady_clock::now();
            variants[v]();
            times[v].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
    std::vector<double> medians;
    for (auto& t : times) {
        std::sort(t.begin(), t.end());
        medians.push_back(t[t.size() / 2]);
    }
    return medians;
}

} // namespace

int main(int argc, char** argv)
{
    int threads = 0, batch = 1, runs = 21;
    bool plainMalloc = false;
    std::vector<std::string> models;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--plain-malloc"))
            plainMalloc = true;
        else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = std::atoi(argv[++i]);
        else
            models.push_back(argv[i]);
    }
    // Same allocator settings as the app (see tuneAllocator); --plain-malloc to compare.
    if (!plainMalloc)
        tuneAllocator();
    setThreads(threads);
    std::printf("%-28s %6s %6s %10s %12s %12s %8s\n", "model", "layers", "batch", "plain ms", "our graph ms",
                "all taps ms", "ratio");
    for (const auto& path : models) {
        auto model = Model::load(path, {"cpu", {}});
        const auto& in = model->info().input;
        torch::manual_seed(0);
        auto pixels = torch::rand({batch, in[0], in[1], in[2]});
        auto normalized = model->normalize(pixels);
        std::vector<int> all(model->layers().size());
        std::iota(all.begin(), all.end(), 0);
        torch::NoGradGuard noGrad;
        const auto ms = interleavedMedians(runs, {[&] { model->module().forward({normalized}); },
                                                  [&] { model->graph().run(normalized, {}, true); },
                                                  [&] { model->graph().run(normalized, all, true); }});
        const double plain = ms[0], none = ms[1], taps = ms[2];
        std::printf("%-28s %6zu %6d %10.2f %12.2f %12.2f %8.3f\n", model->info().name.c_str(), all.size(), batch, plain,
                    none, taps, taps / plain);
        std::fflush(stdout);
    }
    return 0;
}
