#include "core/zip_directory.h"

#include <cstdint>
#include <cstring>
#include <fstream>

namespace convscope {

namespace {

uint64_t readLE(const std::string& s, size_t at, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

constexpr uint32_t kEndOfCentralDir = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kCentralHeader = 0x02014b50;

} // namespace

// `tail` holds the last tail.size() bytes of a file of fileSize bytes; the
// central directory must lie inside it (callers read enough).
std::optional<std::vector<std::string>> parseZipEntryNames(const std::string& tail, unsigned long long fileSize)
{
    if (tail.size() < 22 || tail.size() > fileSize)
        return std::nullopt;
    const uint64_t tailStart = fileSize - tail.size();
    // The end record is 22 bytes plus a comment of at most 65535 bytes.
    size_t eocd = std::string::npos;
    for (size_t i = tail.size() - 22 + 1; i-- > 0;) {
        if (readLE(tail, i, 4) == kEndOfCentralDir) {
            eocd = i;
            break;
        }
        if (tail.size() - i > 22 + 65535)
            break;
    }
    if (eocd == std::string::npos)
        return std::nullopt;
    uint64_t count = readLE(tail, eocd + 10, 2);
    uint64_t dirSize = readLE(tail, eocd + 12, 4);
    uint64_t dirOffset = readLE(tail, eocd + 16, 4);
    if ((count == 0xffff || dirOffset == 0xffffffff || dirSize == 0xffffffff) && eocd >= 20
        && readLE(tail, eocd - 20, 4) == kZip64Locator) {
        uint64_t end64 = readLE(tail, eocd - 20 + 8, 8);
        if (end64 < tailStart || end64 - tailStart + 56 > tail.size())
            return std::nullopt;
        size_t at = static_cast<size_t>(end64 - tailStart);
        if (readLE(tail, at, 4) != kZip64End)
            return std::nullopt;
        count = readLE(tail, at + 32, 8);
        dirSize = readLE(tail, at + 40, 8);
        dirOffset = readLE(tail, at + 48, 8);
    }
    if (dirOffset < tailStart || dirOffset + dirSize > fileSize)
        return std::nullopt;
    size_t at = static_cast<size_t>(dirOffset - tailStart);
    std::vector<std::string> names;
    for (uint64_t i = 0; i < count; ++i) {
        if (at + 46 > tail.size() || readLE(tail, at, 4) != kCentralHeader)
            return std::nullopt;
        size_t nameLen = readLE(tail, at + 28, 2);
        size_t extraLen = readLE(tail, at + 30, 2);
        size_t commentLen = readLE(tail, at + 32, 2);
        if (at + 46 + nameLen > tail.size())
            return std::nullopt;
        names.push_back(tail.substr(at + 46, nameLen));
        at += 46 + nameLen + extraLen + commentLen;
    }
    return names;
}

std::optional<std::vector<std::string>> readZipEntryNames(const std::string& path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        return std::nullopt;
    const auto size = static_cast<unsigned long long>(in.tellg());
    if (size < 22)
        return std::nullopt;
    // Directories of TorchScript files are a few KiB; read generously so that
    // large models with many tensors still fit.
    const unsigned long long want = std::min<unsigned long long>(size, 8ull << 20);
    std::string tail(static_cast<size_t>(want), '\0');
    in.seekg(static_cast<std::streamoff>(size - want));
    in.read(tail.data(), static_cast<std::streamsize>(want));
    if (!in)
        return std::nullopt;
    return parseZipEntryNames(tail, size);
}

} // namespace convscope
