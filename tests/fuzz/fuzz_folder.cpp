// Dataset folders: a tree of files (flat, or torchvision's one folder per
// class, hidden and nested folders) described by the input, then opened as a
// dataset and read.

#include "core/error.h"
#include "io/datasets.h"
#include "tests/fuzz/fuzz_support.h"

#include <cctype>

using namespace convscope;

namespace {

const char* const kExtensions[] = {".png", ".jpg", ".bmp", ".webp", ".tiff", ".txt", "", ".PNG"};
const char* const kFolders[] = {"", "cat", "dog", ".hidden", "cat/deeper", "empty"};

// Letters, digits, '-' and '_' only: the names are the input's, the folder is ours.
std::string fileName(const std::string& raw)
{
    std::string name;
    for (char c : raw.substr(0, 24))
        name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : 'x';
    return name.empty() ? "f" : name;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Pieces in(data, size);
    const auto dir = fuzz::scratch("folder");
    const int files = in.byte() % 9;
    for (int i = 0; i < files && !in.empty(); ++i) {
        const uint8_t kind = in.byte();
        const auto folder = dir / kFolders[kind % 6];
        std::error_code ignored;
        std::filesystem::create_directories(folder, ignored);
        const std::string name = fileName(in.take()) + kExtensions[(kind >> 3) % 8];
        fuzz::writeFile(folder / name, in.take(16));
    }
    try {
        auto dataset = io::openDataset(dir.string(), {3, 32, 32});
        for (int64_t i = 0; i < std::min<int64_t>(dataset->size(), 3); ++i) {
            try {
                dataset->image(i);
            } catch (const Error&) { // one unreadable file is that item's error, not the dataset's
            }
            dataset->label(i);
            dataset->itemName(i);
        }
        dataset->description();
    } catch (const Error&) {
    }
    return 0;
}
