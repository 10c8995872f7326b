// Dataset-mode attack throughput (issue 8): robustness() with one eps over a
// seeded sample of a dataset, timed end to end (reading, clean pass, attack),
// after a warm-up. The same images and labels are written to --dump so that
// bench_attack.py runs the same PGD loop in PyTorch on exactly them.
//
//   bench_attack --model M [--dataset digits] [--method pgd] [--eps E] [--steps N]
//                [--samples N] [--batch B] [--early-stop 0|1] [--threads T] [--dump PREFIX]

#include "core/attack.h"
#include "core/dataset.h"
#include "core/device.h"
#include "core/model.h"
#include "io/datasets.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>

using namespace convscope;

namespace {

// Raw float32 images [N, C, H, W] and int64 labels, for the Python side.
void dump(Model& model, Dataset& dataset, int64_t samples, const std::string& prefix)
{
    std::vector<int64_t> order(static_cast<size_t>(dataset.size()));
    std::iota(order.begin(), order.end(), 0);
    seededShuffle(order, 0); // robustness()'s sample
    order.resize(static_cast<size_t>(std::min<int64_t>(samples, dataset.size())));
    std::vector<int64_t> loaded;
    const torch::Tensor images = loadBatch(dataset, order, &loaded).contiguous();
    const std::vector<int64_t> map = datasetClassMap(model, dataset);
    std::vector<int64_t> labels;
    for (int64_t i : loaded)
        labels.push_back(map[static_cast<size_t>(dataset.label(i))]);
    std::ofstream(prefix + ".images", std::ios::binary)
        .write(static_cast<const char*>(images.data_ptr()), static_cast<std::streamsize>(images.nbytes()));
    std::ofstream(prefix + ".labels", std::ios::binary)
        .write(reinterpret_cast<const char*>(labels.data()), static_cast<std::streamsize>(labels.size() * sizeof(int64_t)));
}

} // namespace

int main(int argc, char** argv)
{
    std::string modelPath, spec = "digits", method = "pgd", prefix;
    double eps = 8.0 / 255;
    int64_t steps = 10, samples = 256, batch = 64;
    bool earlyStop = true;
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--model")
            modelPath = value;
        else if (flag == "--dataset")
            spec = value;
        else if (flag == "--method")
            method = value;
        else if (flag == "--eps")
            eps = std::atof(value.c_str());
        else if (flag == "--steps")
            steps = std::atoll(value.c_str());
        else if (flag == "--samples")
            samples = std::atoll(value.c_str());
        else if (flag == "--batch")
            batch = std::atoll(value.c_str());
        else if (flag == "--early-stop")
            earlyStop = value != "0";
        else if (flag == "--threads")
            threads = std::atoi(value.c_str());
        else if (flag == "--dump")
            prefix = value;
    }
    if (modelPath.empty()) {
        std::fprintf(stderr, "usage: bench_attack --model M [--dataset D] [--eps E] [--steps N] [--samples N] ...\n");
        return 2;
    }
    setThreads(threads);
    tuneAllocator();
    auto model = Model::load(modelPath);
    const auto& in = model->info().input;
    auto dataset = io::openDataset(spec, {in[0], in[1], in[2]});
    if (!prefix.empty())
        dump(*model, *dataset, samples, prefix);

    AttackOptions options = attackDefaults(attackMethodFromName(method));
    options.steps = steps;
    options.earlyStop = earlyStop;
    RobustnessOptions sample;
    sample.epsilons = {eps};
    sample.batch = batch;
    sample.samples = std::min<int64_t>(batch, 8);
    robustness(*model, *dataset, options, sample); // warm-up
    sample.samples = samples;
    const auto start = std::chrono::steady_clock::now();
    const RobustnessResult r = robustness(*model, *dataset, options, sample);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s %lld steps, %lld images, batch %lld: %.3f s, %.1f images/s; clean %.4f, attacked %.4f\n",
                method.c_str(), static_cast<long long>(steps), static_cast<long long>(r.samples),
                static_cast<long long>(batch), s, static_cast<double>(r.samples) / s, r.cleanAccuracy,
                r.points[0].accuracy);
    return 0;
}
