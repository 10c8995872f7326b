// One training epoch (batch 64, SGD with momentum, no augmentation), then
// evaluation on the test images and the checkpoint save: EpochReport.seconds.
//   lenet5   LeNet-5 on the digits' 4000 training images, 1000 test images
//   minivgg  MiniVGG (1x28x28) on Fashion-MNIST's 60,000, tested on its 10,000
// bench_train.py does the same work in PyTorch; run_train.sh alternates them
// round by round and prints both and the ratio.
//
//   bench_train [--arch lenet5|minivgg] [--threads N] [--runs R]

#include "core/device.h"
#include "core/trainer.h"
#include "io/datasets.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace convscope;

int main(int argc, char** argv)
{
    int threads = 0, runs = 5;
    std::string arch = "lenet5";
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--arch"))
            arch = argv[++i];
        else if (!std::strcmp(argv[i], "--threads"))
            threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atoi(argv[++i]);
    }
    tuneAllocator();
    setThreads(threads);
    const bool vgg = arch == "minivgg";
    auto data = io::openDataset(vgg ? "fashion-mnist" : "digits", {1, 28, 28});
    auto test = vgg ? io::openDataset("fashion-mnist-test", {1, 28, 28}) : nullptr;
    TrainOptions o;
    o.arch = arch;
    o.input = {1, 28, 28};
    o.epochs = 1;
    o.augment = false;
    o.device = "cpu";
    o.out = (std::filesystem::temp_directory_path() / ("convscope_bench_" + arch + ".pt")).string();
    std::vector<double> seconds;
    for (int r = 0; r < runs; ++r)
        seconds.push_back(train(*data, o, TrainHooks{}, {}, nullptr, test.get()).epochs.at(0).seconds);
    std::sort(seconds.begin(), seconds.end());
    std::printf("convscope  %s epoch (%s, batch 64): median %.3f s of %d runs\n", arch.c_str(),
                vgg ? "60000 train + 10000 test" : "4000 train + 1000 test", seconds[seconds.size() / 2], runs);
    std::filesystem::remove(o.out);
    return 0;
}
