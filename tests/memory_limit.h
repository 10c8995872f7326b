#pragma once

// Memory that runs out for real, for the out-of-memory tests of core
// (test_batches) and of the window (test_cancel); and what the process holds.

#include <sys/resource.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace convscope::test {

// A size in /proc/self/status ("VmSize:", "VmRSS:"), in bytes.
inline int64_t statusBytes(const std::string& field)
{
    std::ifstream status("/proc/self/status");
    std::string key;
    int64_t kilobytes = 0;
    while (status >> key) {
        if (key == field) {
            status >> kilobytes;
            return kilobytes * 1024;
        }
        status.ignore(1 << 12, '\n');
    }
    return 0;
}

// The address space this process has mapped now.
inline int64_t mappedBytes()
{
    return statusBytes("VmSize:");
}

// The memory this process holds now (its resident set).
inline int64_t residentBytes()
{
    return statusBytes("VmRSS:");
}

// Allocations beyond `headroom` more bytes of address space fail while it
// lives, as under `ulimit -v`.
class MemoryLimit {
public:
    explicit MemoryLimit(int64_t headroom)
    {
        getrlimit(RLIMIT_AS, &m_saved);
        rlimit limited = m_saved;
        limited.rlim_cur = static_cast<rlim_t>(mappedBytes() + headroom);
        setrlimit(RLIMIT_AS, &limited);
    }
    ~MemoryLimit() { setrlimit(RLIMIT_AS, &m_saved); }
    MemoryLimit(const MemoryLimit&) = delete;
    MemoryLimit& operator=(const MemoryLimit&) = delete;

private:
    rlimit m_saved{};
};

} // namespace convscope::test
