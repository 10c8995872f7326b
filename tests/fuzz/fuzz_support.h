#pragma once

// Shared by the harnesses: a private scratch folder for inputs that must be
// files, and a reader of length-prefixed pieces of the fuzzer's bytes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace convscope::fuzz {

// $TMPDIR/convscope-fuzz-PID-NAME, made once and emptied by each use.
inline std::filesystem::path scratch(const char* name)
{
    static const std::filesystem::path root = std::filesystem::temp_directory_path()
        / ("convscope-fuzz-" + std::to_string(getpid()));
    const std::filesystem::path dir = root / name;
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    std::filesystem::create_directories(dir, ignored);
    return dir;
}

inline void writeFile(const std::filesystem::path& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Takes pieces off the front of the input: one byte of length (times `unit`)
// then that many bytes; what is left when the input runs short.
class Pieces {
public:
    Pieces(const uint8_t* data, size_t size)
        : m_data(reinterpret_cast<const char*>(data))
        , m_left(size)
    {
    }
    bool empty() const { return m_left == 0; }
    uint8_t byte()
    {
        if (m_left == 0)
            return 0;
        --m_left;
        return static_cast<uint8_t>(*m_data++);
    }
    std::string take(size_t unit = 1)
    {
        const size_t n = std::min<size_t>(m_left, size_t(byte()) * unit);
        std::string piece(m_data, n);
        m_data += n;
        m_left -= n;
        return piece;
    }
    std::string rest()
    {
        std::string piece(m_data, m_left);
        m_data += m_left;
        m_left = 0;
        return piece;
    }

private:
    const char* m_data;
    size_t m_left;
};

} // namespace convscope::fuzz
