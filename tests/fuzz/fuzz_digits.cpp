// The opencv-doc digits sheet reader: any bytes where the sheet should be.

#include "core/error.h"
#include "io/datasets.h"
#include "tests/fuzz/fuzz_support.h"

using namespace convscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto sheet = fuzz::scratch("digits") / "digits.png";
    fuzz::writeFile(sheet, std::string(reinterpret_cast<const char*>(data), size));
    try {
        auto dataset = io::openDigitsSheet({1, 28, 28}, sheet.string());
        for (int64_t i : {int64_t(0), int64_t(2345), dataset->size() - 1})
            if (dataset->image(i).numel() != 28 * 28)
                std::abort();
    } catch (const Error&) {
    }
    return 0;
}
