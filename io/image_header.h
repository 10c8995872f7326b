#pragma once

// Image dimensions read from a file's header without decoding it, so that an
// image too large to decode safely is refused before OpenCV allocates it
// (a 20000×20000 PNG of a few hundred kilobytes decodes to 1.2 GB, and to
// 5 GB on its way to a tensor).

#include <cstdint>
#include <optional>
#include <string>

namespace convscope::io {

struct ImageSize {
    int64_t width = 0, height = 0;
};

// PNG, JPEG, BMP and WebP headers; nullopt for other formats or a header too
// short or malformed to say (the decoder then decides).
std::optional<ImageSize> imageHeaderSize(const std::string& bytes);
std::optional<ImageSize> imageFileSize(const std::string& path); // reads the first 64 KiB

// The largest image ConvScope decodes: 8192 × 8192 pixels (64 Mpx; a 50 Mpx
// camera photo fits).
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;

// More pixels than kMaxImagePixels. Each side is checked first: two 32-bit
// sizes from a header can multiply past 2^63 (found by fuzz_folder).
inline bool tooLargeToDecode(const ImageSize& size)
{
    return size.width > kMaxImagePixels || size.height > kMaxImagePixels
        || size.width * size.height > kMaxImagePixels;
}

} // namespace convscope::io
