#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace convscope {

// SHA-256 (FIPS 180-4), fed in pieces. Our own because core/ links nothing
// but LibTorch and nlohmann_json, and neither exports one.
class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    // Lowercase hex of the digest; the object is spent afterwards.
    std::string hexDigest();

private:
    void block(const uint8_t* p);

    std::array<uint32_t, 8> m_state;
    std::array<uint8_t, 64> m_buffer{};
    size_t m_buffered = 0;
    uint64_t m_length = 0; // bytes fed so far
};

std::string sha256Hex(std::string_view bytes);

} // namespace convscope
