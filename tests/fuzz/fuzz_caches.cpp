// The files ConvScope reads back from its caches: top-k results (JSON, also
// what `topk-merge` reads) and feature caches (a JSON line and raw arrays).

#include "core/error.h"
#include "core/feature_cache.h"
#include "core/topk.h"
#include "tests/fuzz/fuzz_support.h"

using namespace convscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Pieces in(data, size);
    if (in.byte() & 1) {
        const auto file = fuzz::scratch("caches") / "layer.features";
        fuzz::writeFile(file, in.rest());
        FeatureSet set;
        if (readFeatureCache(file.string(), set)) {
            const auto rows = static_cast<size_t>(set.values.size(0));
            if (set.images.size() != rows || set.labels.size() != rows || set.predictions.size() != rows)
                std::abort();
        }
        return 0;
    }
    try {
        const TopkResult result = topkFromJson(in.rest());
        // A result read back is merged as `topk-merge` would, and written again.
        const TopkResult merged = mergeTopk({result, result});
        topkFromJson(topkJson(merged));
    } catch (const Error&) {
    }
    return 0;
}
