// Gradient ascent speed (issue 7), two questions:
//   steps  Plain preset, one image, a class logit: steps per second. The same
//          loop in PyTorch (bench_ascent.py) runs in the same run_ascent.sh.
//   layer  Every channel of a layer: ascend() with all channels as one batch
//          against one ascend() per channel, same steps.
//
//   bench_ascent steps --model M [--class C] [--steps N] [--threads T]
//   bench_ascent layer --model M --layer NAME [--steps N] [--threads T]

#include "core/ascent.h"
#include "core/device.h"
#include "core/model.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace convscope;

namespace {

double seconds(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_ascent steps|layer --model M [--layer NAME] [--class C] [--steps N] [--threads T]\n");
        return 2;
    }
    const std::string mode = argv[1];
    std::string modelPath, layer;
    int64_t target = 0, steps = 50;
    int threads = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--model")
            modelPath = argv[i + 1];
        else if (flag == "--layer")
            layer = argv[i + 1];
        else if (flag == "--class")
            target = std::atoll(argv[i + 1]);
        else if (flag == "--steps")
            steps = std::atoll(argv[i + 1]);
        else if (flag == "--threads")
            threads = std::atoi(argv[i + 1]);
    }
    setThreads(threads);
    tuneAllocator();
    auto model = Model::load(modelPath);
    AscentOptions options = ascentPreset(AscentPreset::Plain);
    options.steps = steps;
    options.previewEvery = 0;
    AscentObjective objective;

    if (mode == "steps") {
        AscentOptions warm = options;
        warm.steps = 2;
        ascend(*model, objective, {target}, warm);
        const auto start = std::chrono::steady_clock::now();
        const AscentResult r = ascend(*model, objective, {target}, options);
        const double s = seconds(start);
        std::printf("steps %lld in %.3f s: %.2f steps/s; objective %.6f -> %.6f\n", static_cast<long long>(r.steps), s,
                    static_cast<double>(r.steps) / s, r.startValues[0], r.endValues[0]);
        return 0;
    }
    objective.layer = model->layerIndex(layer);
    const int64_t channels = model->layers()[static_cast<size_t>(objective.layer)].shape.at(0);
    std::vector<int64_t> all;
    for (int64_t c = 0; c < channels; ++c)
        all.push_back(c);
    AscentOptions warm = options;
    warm.steps = 1;
    ascend(*model, objective, all, warm);
    auto start = std::chrono::steady_clock::now();
    const AscentResult batched = ascend(*model, objective, all, options);
    const double together = seconds(start);
    start = std::chrono::steady_clock::now();
    double worst = 0;
    for (int64_t c = 0; c < channels; ++c) {
        const AscentResult one = ascend(*model, objective, {c}, options);
        worst = std::max(worst, std::abs(one.endValues[0] - batched.endValues[static_cast<size_t>(c)]));
    }
    const double apart = seconds(start);
    std::printf("%s: %lld channels x %lld steps: one batch %.3f s, one run per channel %.3f s, speed-up %.2f "
                "(largest end-value difference %.2g)\n",
                layer.c_str(), static_cast<long long>(channels), static_cast<long long>(steps), together, apart,
                apart / together, worst);
    return 0;
}
