// Occlusion map timing: ConvScope's occlusion() on a model and image, the
// same work bench_occlusion.py does in PyTorch. run_occlusion.sh alternates
// the two processes round by round and compares medians.
//
//   bench_occlusion --model M --image PNG [--window W] [--stride S]
//                   [--batch N] [--threads T] [--runs R]
//
// Prints one line per timed run ("run 2.345 s") and a last line with the
// batch size and a checksum of the heatmap that the Python side must match.

#include "core/device.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "io/image_io.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace convscope;

int main(int argc, char** argv)
{
    std::string modelPath, imagePath;
    OcclusionOptions options;
    options.window = 16;
    options.stride = 8;
    int threads = 0, runs = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--model")
            modelPath = value;
        else if (flag == "--image")
            imagePath = value;
        else if (flag == "--window")
            options.window = std::atoll(value);
        else if (flag == "--stride")
            options.stride = std::atoll(value);
        else if (flag == "--batch")
            options.batch = std::atoll(value);
        else if (flag == "--threads")
            threads = std::atoi(value);
        else if (flag == "--runs")
            runs = std::atoi(value);
    }
    if (modelPath.empty() || imagePath.empty()) {
        std::fprintf(stderr, "usage: bench_occlusion --model M --image PNG [--window W] [--stride S] [--batch N] "
                             "[--threads T] [--runs R]\n");
        return 2;
    }
    setThreads(threads);
    tuneAllocator();
    auto model = Model::load(modelPath);
    const auto& in = model->info().input;
    const torch::Tensor pixels = io::readImage(imagePath, in[0], in[1], in[2]);

    // Warm-up: four windows, so that first-touch allocation is not timed.
    OcclusionOptions warm = options;
    warm.window = in[1] / 2;
    warm.stride = in[1] / 2;
    occlusion(*model, pixels, warm);

    OcclusionResult result;
    for (int r = 0; r < runs; ++r) {
        const auto start = std::chrono::steady_clock::now();
        result = occlusion(*model, pixels, options);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("run %.3f s\n", seconds);
        std::fflush(stdout);
    }
    std::printf("windows %zu batch %lld target %lld heatmap sum %.6f max %.6f\n", result.rows.size() * result.cols.size(),
                static_cast<long long>(result.batch), static_cast<long long>(result.target),
                result.heatmap.sum().item<double>(), result.heatmap.max().item<double>());
    return 0;
}
