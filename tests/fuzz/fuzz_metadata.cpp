// convscope.json as embedded in or beside a model, and the CLI's shape and
// number-list syntax that the same parser module reads.

#include "core/error.h"
#include "core/model_metadata.h"

#include <cstdlib>

using namespace convscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const ModelMetadata metadata = parseMetadata(text, "fuzz");
        // What ConvScope writes back (Model Settings, trained models) must read back the same.
        const std::string written = metadataToJson(metadata);
        if (metadataToJson(parseMetadata(written, "written")) != written)
            std::abort();
    } catch (const Error&) {
    }
    try {
        parseInputShape(text);
    } catch (const Error&) {
    }
    try {
        parseNumberList(text, "fuzz");
    } catch (const Error&) {
    }
    return 0;
}
