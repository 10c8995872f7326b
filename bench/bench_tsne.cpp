// t-SNE speed and quality (issue 9) on synthetic data: `clusters` Gaussian
// clusters in D dimensions (centres 20 apart, unit noise), like a layer's
// features of a 10-class dataset. Prints one JSON line: seconds per phase and
// the final KL. --dump PREFIX writes PREFIX.f32 ([N, D] float32, row-major) so
// that bench_tsne.py runs scikit-learn on exactly the same points.
//
// --input FILE reads [N, D] float32 points instead (e.g. the 5000 digits
// and 70,000 augmented digits in 50-D that bench/tsne_data.py writes).
//
//   bench_tsne [--n 5000] [--d 50] [--clusters 10] [--iters 1000] [--threads 2]
//              [--perplexity 30] [--repulsion auto|exact|barnes-hut|fft]
//              [--neighbours auto|exact|approximate] [--dump PREFIX]
//              [--input FILE --n N --d D]

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
    std::string dump, input, repulsion = "auto", neighbours = "auto";
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
        else if (key == "--input") input = value;
        else if (key == "--neighbours") neighbours = value;
        else { std::fprintf(stderr, "unknown option %s\n", key.c_str()); return 2; }
    }
    at::set_num_threads(threads);
    options.repulsion = repulsionFromName(repulsion);
    options.neighbours = neighboursFromName(neighbours);
    options.reportEvery = 50; // as `convscope tsne`, and as often as scikit-learn checks its KL

    torch::Tensor x;
    if (!input.empty()) {
        x = torch::empty({n, d}, torch::kFloat);
        std::ifstream in(input, std::ios::binary);
        if (!in.read(reinterpret_cast<char*>(x.data_ptr<float>()), static_cast<std::streamsize>(x.numel() * 4))) {
            std::fprintf(stderr, "%s holds fewer than %lld x %lld float32 values\n", input.c_str(),
                         static_cast<long long>(n), static_cast<long long>(d));
            return 2;
        }
    } else {
        torch::manual_seed(0);
        auto labels = torch::randint(clusters, {n});
        auto centres = 20 * torch::randn({clusters, d}) / std::sqrt(2.0 * static_cast<double>(d));
        x = (centres.index_select(0, labels) + torch::randn({n, d})).contiguous();
    }
    if (!dump.empty()) {
        std::ofstream out(dump + ".f32", std::ios::binary);
        out.write(reinterpret_cast<const char*>(x.data_ptr<float>()), static_cast<std::streamsize>(x.numel() * 4));
    }
    auto r = tsne(x, options);
    std::printf("{\"n\": %lld, \"d\": %lld, \"iterations\": %lld, \"threads\": %d, \"repulsion\": \"%s\", \"neighbours\": \"%s\", "
                "\"kl\": %.5f, \"seconds_pca\": %.3f, \"seconds_neighbours\": %.3f, \"seconds_affinities\": %.3f, "
                "\"seconds_optimization\": %.3f, \"seconds_total\": %.3f, \"span\": %.1f}\n",
                static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(r.iterations), threads,
                repulsionName(r.repulsion).c_str(), r.approximateNeighbours ? "approximate" : "exact", r.kl,
                r.secondsPca, r.secondsNeighbours, r.secondsAffinities,
                r.secondsOptimization, r.secondsPca + r.secondsNeighbours + r.secondsAffinities + r.secondsOptimization,
                (r.embedding.max() - r.embedding.min()).item<double>());
    return 0;
}
