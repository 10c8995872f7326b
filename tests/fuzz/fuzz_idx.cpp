// MNIST-style idx files: an images file and, when the first byte says so, its
// labels file beside it; both may be gzip-compressed.

#include "core/error.h"
#include "io/datasets.h"
#include "tests/fuzz/fuzz_support.h"

using namespace convscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Pieces in(data, size);
    const bool withLabels = in.byte() & 1;
    const std::string labels = withLabels ? in.take(4) : std::string();
    const auto dir = fuzz::scratch("idx");
    if (withLabels)
        fuzz::writeFile(dir / "f-labels-idx1-ubyte", labels);
    fuzz::writeFile(dir / "f-images-idx3-ubyte", in.rest());
    try {
        auto dataset = io::openIdx((dir / "f-images-idx3-ubyte").string(), {1, 28, 28});
        for (int64_t i : {int64_t(0), dataset->size() - 1}) {
            const torch::Tensor image = dataset->image(i);
            if (image.size(0) != 1 || image.size(1) != 28 || image.size(2) != 28)
                std::abort();
            dataset->label(i);
        }
    } catch (const Error&) {
    }
    return 0;
}
