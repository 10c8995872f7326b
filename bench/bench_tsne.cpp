// t-SNE speed and quality (issue 9) on synthetic data: `clusters` Gaussian
// clusters in D dimensions (centres 20 apart, unit noise), like a layer's
// features of a 10-class dataset. Prints one JSON line: seconds per phase and
// the final KL. --dump PREFIX writes PREFIX.f32 ([N, D] float32, row-major) so
// that bench_tsne.py runs scikit-learn on exactly the same points.
//
//   bench_tsne [--n 5000] [--d 50] [--clusters 10] [--iters 1000] [--threads 2]
//              [--perplexity 30] [--repulsion auto|exact|fft] [--dump PREFIX]

#include "core/tsne.h"

#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace convscope;

int main(int argc, char** argv)
{
    int64_t n = 5000, d = 50, clusters = 10;
    int threads = 2;
    std::string dump, repulsion = "auto";
    TsneOptions options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--n") n = std::stoll(value);
        else if (key == "--d") d = std::stoll(value);
        else if (key == "--clusters") clusters = std::stoll(value);
        else if (key == "--iters") options.iterations = std::stoll(value);
        else if (key == "--threads") threads = std::stoi(value);
        else if (key == "--perplexity") options.perplexity = std::stod(value);
        else if (key == "--repulsion") repulsion = value;
        else if (key == "--dump") dump = value;
        else { std::fprintf(stderr, "unknown option %s\n", key.c_str()); return 2; }
    }
    at::set_num_threads(threads);
    options.repulsion = repulsion == "exact" ? TsneOptions::Repulsion::Exact
                        : repulsion == "fft" ? TsneOptions::Repulsion::Fft : TsneOptions::Repulsion::Auto;

    torch::manual_seed(0);
    auto labels = torch::randint(clusters, {n});
    auto centres = 20 * torch::randn({clusters, d}) / std::sqrt(2.0 * static_cast<double>(d));
    auto x = (centres.index_select(0, labels) + torch::randn({n, d})).contiguous();
    if (!dump.empty()) {
        std::ofstream out(dump + ".f32", std::ios::binary);
        out.write(reinterpret_cast<const char*>(x.data_ptr<float>()), static_cast<std::streamsize>(x.numel() * 4));
    }
    auto r = tsne(x, options);
    std::printf("{\"n\": %lld, \"d\": %lld, \"iterations\": %lld, \"threads\": %d, \"repulsion\": \"%s\", "
                "\"kl\": %.5f, \"seconds_pca\": %.3f, \"seconds_neighbours\": %.3f, \"seconds_affinities\": %.3f, "
                "\"seconds_optimization\": %.3f, \"seconds_total\": %.3f}\n",
                static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(r.iterations), threads,
                repulsion.c_str(), r.kl, r.secondsPca, r.secondsNeighbours, r.secondsAffinities,
                r.secondsOptimization, r.secondsPca + r.secondsNeighbours + r.secondsAffinities + r.secondsOptimization);
    return 0;
}
