#include "io/image_header.h"

#include <fstream>

namespace convscope::io {

namespace {

uint32_t bigEndian(const std::string& b, size_t at, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
    return v;
}

uint32_t littleEndian(const std::string& b, size_t at, int bytes)
{
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
    return v;
}

std::optional<ImageSize> jpegSize(const std::string& b)
{
    // Markers after SOI; a start-of-frame (C0–CF but C4, C8, CC) holds the size.
    size_t at = 2;
    while (at + 9 <= b.size()) {
        if (static_cast<unsigned char>(b[at]) != 0xFF)
            return std::nullopt;
        const unsigned marker = static_cast<unsigned char>(b[at + 1]);
        if (marker == 0xFF) { // fill byte
            ++at;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            at += 2;
            continue;
        }
        const uint32_t length = bigEndian(b, at + 2, 2);
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
            return ImageSize{bigEndian(b, at + 7, 2), bigEndian(b, at + 5, 2)};
        if (length < 2)
            return std::nullopt;
        at += 2 + length;
    }
    return std::nullopt;
}

} // namespace

std::optional<ImageSize> imageHeaderSize(const std::string& b)
{
    if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0)
        return ImageSize{bigEndian(b, 16, 4), bigEndian(b, 20, 4)};
    if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8)
        return jpegSize(b);
    if (b.size() >= 26 && b.compare(0, 2, "BM") == 0) {
        const auto height = static_cast<int32_t>(littleEndian(b, 22, 4));
        return ImageSize{static_cast<int32_t>(littleEndian(b, 18, 4)), height < 0 ? -int64_t(height) : height};
    }
    if (b.size() >= 30 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WEBP") == 0) {
        if (b.compare(12, 4, "VP8X") == 0)
            return ImageSize{littleEndian(b, 24, 3) + int64_t(1), littleEndian(b, 27, 3) + int64_t(1)};
        if (b.compare(12, 4, "VP8 ") == 0)
            return ImageSize{littleEndian(b, 26, 2) & 0x3FFF, littleEndian(b, 28, 2) & 0x3FFF};
        if (b.compare(12, 4, "VP8L") == 0) {
            const uint32_t bits = littleEndian(b, 21, 4);
            return ImageSize{(bits & 0x3FFF) + int64_t(1), ((bits >> 14) & 0x3FFF) + int64_t(1)};
        }
    }
    return std::nullopt;
}

std::optional<ImageSize> imageFileSize(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::string bytes(64 * 1024, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<size_t>(in.gcount()));
    return imageHeaderSize(bytes);
}

} // namespace convscope::io
