// One training epoch of LeNet-5 on the digits' 4000 training images (batch 64,
// SGD with momentum, no augmentation), then evaluation on the 1000 test images
// and the checkpoint save: EpochReport.seconds. bench_train.py does the same
// work in PyTorch; run_train.sh prints both and the ratio.
//
//   bench_train [--threads N] [--runs R]

#include "core/device.h"
#include "core/trainer.h"
#include "io/datasets.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

using namespace convscope;

int main(int argc, char** argv)
{
    int threads = 0, runs = 5;
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads"))
            threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atoi(argv[++i]);
    }
    tuneAllocator();
    setThreads(threads);
    auto digits = io::openDataset("digits", {1, 28, 28});
    TrainOptions o;
    o.epochs = 1;
    o.augment = false;
    o.device = "cpu";
    o.out = (std::filesystem::temp_directory_path() / "convscope_bench_lenet.pt").string();
    std::vector<double> seconds;
    for (int r = 0; r < runs; ++r)
        seconds.push_back(train(*digits, o).epochs.at(0).seconds);
    std::sort(seconds.begin(), seconds.end());
    std::printf("convscope  lenet5 epoch (4000 train + 1000 test, batch 64): median %.3f s of %d runs\n",
                seconds[seconds.size() / 2], runs);
    std::filesystem::remove(o.out);
    return 0;
}
