// Placing new points into a fixed t-SNE map (core/tsne_transform.h): the
// issue's "placement of 100 new points takes <= 1 s on 2 cores". Every
// (n / place)-th point is held out, t-SNE maps the others (default options),
// and the held-out points are placed into that map `rounds` times. Prints one
// JSON line: the map's seconds, each round's placement seconds and their
// median, and, with labels, how often the 10 map points nearest a placed
// point vote for its label, beside the same leave-one-out vote of the map's
// own points.
//
// The points are LeNet-5's relu4 features (84) of the opencv digits sheet, or
// [N, D] float32 from --input (e.g. bench/tsne_data.py's digits70k50.f32).
//
//   bench_tsne_transform [--n 5000] [--place 100] [--rounds 5] [--threads 2]
//                        [--repulsion auto|exact|barnes-hut[,...]] [--iters 1000]
//
// Several repulsion methods, comma-separated, place into the same map: one
// line each.
//                        [--input FILE --n N --d D]

#include "core/dataset.h"
#include "core/features.h"
#include "core/model.h"
#include "core/tsne.h"
#include "core/tsne_transform.h"
#include "io/datasets.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace convscope;

namespace {

// How often the majority of the 10 nearest rows of `map` (skipping the first
// `skip`, the point itself) has the label `labels` gives each query.
double vote(const torch::Tensor& queries, const torch::Tensor& queryLabels, const torch::Tensor& map,
            const torch::Tensor& mapLabels, int64_t skip)
{
    auto nb = tsne_detail::queryNeighbours(queries, map, 10 + skip).indices.narrow(1, skip, 10).contiguous();
    auto votes = mapLabels.index_select(0, nb.reshape(-1)).view(nb.sizes());
    return (std::get<0>(votes.mode(1)) == queryLabels).to(torch::kDouble).mean().item<double>();
}

} // namespace

int main(int argc, char** argv)
{
    int64_t n = 5000, d = 0, place = 100, rounds = 5;
    int threads = 2;
    std::string input, repulsion = "auto";
    TsneOptions options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--n") n = std::stoll(value);
        else if (key == "--d") d = std::stoll(value);
        else if (key == "--place") place = std::stoll(value);
        else if (key == "--rounds") rounds = std::stoll(value);
        else if (key == "--threads") threads = std::stoi(value);
        else if (key == "--repulsion") repulsion = value;
        else if (key == "--iters") options.iterations = std::stoll(value);
        else if (key == "--input") input = value;
        else { std::fprintf(stderr, "unknown option %s\n", key.c_str()); return 2; }
    }
    at::set_num_threads(threads);
    std::vector<PlacementOptions::Repulsion> methods;
    for (size_t start = 0; start <= repulsion.size();) {
        const size_t end = std::min(repulsion.find(',', start), repulsion.size());
        const std::string name = repulsion.substr(start, end - start);
        if (name == "exact") methods.push_back(PlacementOptions::Repulsion::Exact);
        else if (name == "barnes-hut") methods.push_back(PlacementOptions::Repulsion::BarnesHut);
        else if (name == "auto") methods.push_back(PlacementOptions::Repulsion::Auto);
        else { std::fprintf(stderr, "unknown repulsion %s\n", name.c_str()); return 2; }
        start = end + 1;
    }
    options.reportEvery = 0;

    torch::Tensor x, labels;
    if (!input.empty()) {
        x = torch::empty({n, d}, torch::kFloat);
        std::ifstream in(input, std::ios::binary);
        if (!in.read(reinterpret_cast<char*>(x.data_ptr<float>()), static_cast<std::streamsize>(x.numel() * 4))) {
            std::fprintf(stderr, "%s holds fewer than %lld x %lld float32 values\n", input.c_str(),
                         static_cast<long long>(n), static_cast<long long>(d));
            return 2;
        }
    } else {
        auto model = Model::load(CONVSCOPE_SOURCE_DIR "/models/lenet5_digits.pt", {"cpu", {}});
        auto digits = io::openDataset("digits", {1, 28, 28});
        FeatureOptions fo;
        fo.samples = n;
        const FeatureSet set = extractFeatures(*model, *digits, model->layerIndex("relu4"), fo);
        x = set.values;
        labels = torch::tensor(set.labels, torch::kLong);
        n = x.size(0);
        d = x.size(1);
    }
    const int64_t stride = std::max<int64_t>(1, n / place);
    auto heldOut = torch::arange(0, stride * place, stride, torch::kLong);
    auto isMap = torch::ones({n}, torch::kBool);
    isMap.index_fill_(0, heldOut, false);
    auto kept = isMap.nonzero().squeeze(1);

    auto t0 = std::chrono::steady_clock::now();
    const auto result = tsne(x.index_select(0, kept), options);
    const TsneMap map = tsneMap(x.index_select(0, kept), result);
    const double mapSeconds = secondsSince(t0);

    const auto points = x.index_select(0, heldOut);
    for (const auto method : methods) {
        PlacementOptions placement;
        placement.repulsion = method;
        std::vector<double> seconds;
        Placement placed;
        for (int64_t r = 0; r < rounds; ++r) {
            placed = placeInMap(map, points, placement);
            seconds.push_back(placed.seconds);
        }
        std::string roundsText;
        for (double s : seconds)
            roundsText += (roundsText.empty() ? "" : ", ") + std::to_string(s);
        std::sort(seconds.begin(), seconds.end());
        const double median = seconds.size() % 2 ? seconds[seconds.size() / 2]
                                                 : (seconds[seconds.size() / 2 - 1] + seconds[seconds.size() / 2]) / 2;
        std::string quality;
        if (labels.defined()) {
            auto mapLabels = labels.index_select(0, kept);
            quality = ", \"placed_vote\": " + std::to_string(vote(placed.embedding, labels.index_select(0, heldOut),
                                                                  map.embedding, mapLabels, 0)) +
                      ", \"map_vote\": " + std::to_string(vote(map.embedding, mapLabels, map.embedding, mapLabels, 1));
        }
        std::printf("{\"map_points\": %lld, \"placed\": %lld, \"d\": %lld, \"threads\": %d, \"repulsion\": \"%s\", "
                    "\"seconds_map\": %.2f, \"seconds_place\": [%s], \"seconds_place_median\": %.4f, \"kl\": %.4f%s}\n",
                    static_cast<long long>(kept.size(0)), static_cast<long long>(place), static_cast<long long>(d),
                    threads,
                    placed.repulsion == PlacementOptions::Repulsion::Exact ? "exact" : "barnes-hut", mapSeconds,
                    roundsText.c_str(), median, placed.kl, quality.c_str());
    }
    return 0;
}
