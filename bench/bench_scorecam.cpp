// Score-CAM timing: ConvScope's saliency() with the scorecam method on a model
// and image, the same work bench_scorecam.py does in PyTorch. run_scorecam.sh
// alternates the two processes round by round and compares medians.
//
//   bench_scorecam --model M --image PNG [--layer NAME] [--batch N]
//                  [--threads T] [--runs R]
//
// Prints one line per timed run ("run 2.345 s") and a last line with the
// batch size and a checksum of the heatmap that the Python side must match;
// with --runs 0 only the channels and the batch it would use.

#include "core/device.h"
#include "core/model.h"
#include "core/saliency.h"
#include "io/image_io.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

using namespace convscope;

namespace {

double secondsOf(const std::function<void()>& work)
{
    const auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    std::string modelPath, imagePath, layer = "layer4";
    SaliencyOptions options;
    options.method = SaliencyMethod::ScoreCam;
    int threads = 0, runs = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--model")
            modelPath = value;
        else if (flag == "--image")
            imagePath = value;
        else if (flag == "--layer")
            layer = value;
        else if (flag == "--batch")
            options.batch = std::atoll(value);
        else if (flag == "--threads")
            threads = std::atoi(value);
        else if (flag == "--runs")
            runs = std::atoi(value);
    }
    if (modelPath.empty() || imagePath.empty()) {
        std::fprintf(stderr, "usage: bench_scorecam --model M --image PNG [--layer NAME] [--batch N] [--threads T] "
                             "[--runs R]\n");
        return 2;
    }
    setThreads(threads);
    tuneAllocator();
    auto model = Model::load(modelPath);
    options.layer = model->layerIndex(layer);
    const auto& in = model->info().input;
    const torch::Tensor pixels = io::readImage(imagePath, in[0], in[1], in[2]);
    const int64_t batch = scoreCamBatch(*model, options);
    if (runs < 1) { // what run_scorecam.sh asks for the batch
        const auto& shape = model->layers()[static_cast<size_t>(options.layer)].shape;
        std::printf("channels %lld batch %lld\n", static_cast<long long>(shape[0]), static_cast<long long>(batch));
        return 0;
    }

    // Warm-up, as the Python side: the captured graph once (Grad-CAM), two
    // forward passes of a whole batch, so that first-touch allocation is not timed.
    SaliencyOptions warm = options;
    warm.method = SaliencyMethod::GradCam;
    saliency(*model, pixels, warm);
    {
        torch::NoGradGuard noGrad;
        for (int pass = 0; pass < 2; ++pass)
            model->logits(pixels.reshape({1, in[0], in[1], in[2]}).expand({batch, -1, -1, -1}).contiguous());
    }

    SaliencyResult result;
    for (int r = 0; r < runs; ++r) {
        std::printf("run %.3f s\n", secondsOf([&] { result = saliency(*model, pixels, options); }));
        std::fflush(stdout);
    }
    std::printf("channels %lld batch %lld target %lld heatmap sum %.6f max %.6f\n", static_cast<long long>(result.copies),
                static_cast<long long>(result.batch), static_cast<long long>(result.target),
                result.heatmap.sum().item<double>(), result.heatmap.max().item<double>());
    return 0;
}
