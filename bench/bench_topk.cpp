// Throughput of the top-k scan against a plain batched forward pass of the
// same model over the same images at the same batch size, both reading the
// images from the dataset. Variants run in turn, round after round, so that
// drift in machine load hits them alike; medians are compared.
//
//   bench_topk [--threads N] [--runs R] [--fixtures DIR]
//
// Without --fixtures only LeNet-5 on the digits runs; with it, ResNet-18
// (fixtures/resnet18_traced.pt, input 112) on 320 digits as 3x112x112.

#include "core/dataset.h"
#include "core/device.h"
#include "core/model.h"
#include "core/topk.h"
#include "io/datasets.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace convscope;
namespace fs = std::filesystem;

namespace {

// The first `count` images of another dataset.
class Prefix final : public Dataset {
public:
    Prefix(Dataset& inner, int64_t count) : m_inner(inner), m_count(std::min(count, inner.size()))
    {
        m_identity = inner.identity() + " first " + std::to_string(m_count);
    }
    int64_t size() const override { return m_count; }
    torch::Tensor image(int64_t index) override { return m_inner.image(index); }
    int64_t label(int64_t index) const override { return m_inner.label(index); }
    std::string itemName(int64_t index) const override { return m_inner.itemName(index); }

private:
    Dataset& m_inner;
    int64_t m_count;
};

// Every image once, in batches, through `pass`: what a scan does minus the scan.
void forEachBatch(Dataset& dataset, int64_t batch, const std::function<void(const torch::Tensor&)>& pass)
{
    std::vector<int64_t> indices;
    for (int64_t start = 0; start < dataset.size(); start += batch) {
        indices.clear();
        for (int64_t i = start; i < std::min(dataset.size(), start + batch); ++i)
            indices.push_back(i);
        pass(loadBatch(dataset, indices));
    }
}

struct Variant {
    const char* name;
    std::function<void()> run;
    double forwardSeconds = 0; // of the last run: time inside the model's forward
};

void bench(const std::string& modelPath, Dataset& dataset, const std::vector<std::string>& layerNames, int64_t batch,
           int runs)
{
    auto model = Model::load(modelPath, {"cpu", {}});
    const auto cache = fs::temp_directory_path() / "convscope_bench_topk";
    for (const auto& layerName : layerNames) {
        const std::vector<int> layers = {model->layerIndex(layerName)};
        TopkOptions plain;
        plain.batchSize = batch;
        TopkOptions cached = plain;
        cached.cacheDir = cache.string();
        std::vector<Variant> variants;
        // The scan reports progress after every batch's forward: the model's
        // own timing then tells forward from everything else.
        auto countForward = [&](size_t v) {
            return [&, v](double, const std::string&) { variants[v].forwardSeconds += model->lastForwardMs() / 1000; };
        };
        variants = {
            {"forward (logits)", [&] {
                 torch::NoGradGuard noGrad;
                 forEachBatch(dataset, batch, [&](const torch::Tensor& pixels) {
                     model->logits(pixels);
                     variants[0].forwardSeconds += model->lastForwardMs() / 1000;
                 });
             }},
            {"forward to the layer", [&] {
                 torch::NoGradGuard noGrad;
                 forEachBatch(dataset, batch, [&](const torch::Tensor& pixels) {
                     model->capture(pixels, layers, false);
                     variants[1].forwardSeconds += model->lastForwardMs() / 1000;
                 });
             }},
            {"topk scan", [&] { topkScan(*model, dataset, layers, plain, countForward(2)); }},
            {"topk scan + cache", [&] {
                 fs::remove_all(cache); // else the second run is a cache hit
                 topkScan(*model, dataset, layers, cached, countForward(3));
             }},
        };
        std::vector<std::vector<double>> seconds(variants.size()), outside(variants.size());
        for (int round = -1; round < runs; ++round) // round -1 warms the profiling executor up
            for (size_t v = 0; v < variants.size(); ++v) {
                variants[v].forwardSeconds = 0;
                const auto start = std::chrono::steady_clock::now();
                variants[v].run();
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                if (round >= 0) {
                    seconds[v].push_back(s);
                    outside[v].push_back(s - variants[v].forwardSeconds);
                }
            }
        auto median = [](std::vector<double> values) {
            std::sort(values.begin(), values.end());
            return values[values.size() / 2];
        };
        std::printf("%s, %lld images, batch %lld, layer %s, median of %d:\n", fs::path(modelPath).filename().c_str(),
                    static_cast<long long>(dataset.size()), static_cast<long long>(batch), layerName.c_str(), runs);
        std::vector<double> medians;
        for (size_t v = 0; v < variants.size(); ++v) {
            medians.push_back(median(seconds[v]));
            std::printf("  %-22s %8.3f s  %9.1f images/s  outside the forward %7.1f ms\n", variants[v].name,
                        medians[v], static_cast<double>(dataset.size()) / medians[v], median(outside[v]) * 1000);
        }
        // Outside the forward the loops differ only by the scan's bookkeeping
        // (reading the images is common to all): far less noisy than totals.
        const double bookkeeping = median(outside[2]) - median(outside[1]);
        std::printf("  ratio scan / forward (logits) throughput: %.3f;  scan / forward to the layer: %.3f;  "
                    "scan + cache / forward (logits): %.3f\n",
                    medians[0] / medians[2], medians[1] / medians[2], medians[0] / medians[3]);
        std::printf("  bookkeeping: %.1f ms per pass = %.1f %% of the scan\n", bookkeeping * 1000,
                    100 * bookkeeping / medians[2]);
    }
    fs::remove_all(cache);
}

} // namespace

int main(int argc, char** argv)
{
    int threads = 0, runs = 5;
    std::string fixtures;
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads"))
            threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--fixtures"))
            fixtures = argv[++i];
    }
    tuneAllocator();
    setThreads(threads);
    auto digits = io::openDataset("digits", {1, 28, 28});
    bench(CONVSCOPE_SOURCE_DIR "/models/lenet5_digits.pt", *digits, {"relu2", "fc3"}, 256, runs);
    if (!fixtures.empty()) {
        auto rgb = io::openDataset("digits", {3, 112, 112});
        Prefix few(*rgb, 320);
        bench(fixtures + "/resnet18_traced.pt", few, {"layer3.1.conv2", "fc"}, 32, runs);
    }
    return 0;
}
