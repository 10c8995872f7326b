#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace convscope {

// Long analyses report progress in [0, 1] and poll a cancel flag; both are
// plain C++ so that core/ stays free of Qt.
using ProgressFn = std::function<void(double fraction, const std::string& stage)>;
using CancelFlag = std::atomic<bool>;

// The fraction of a report that is a note for the user rather than progress
// (the batch shrank after running out of memory): it travels every path
// progress does, and a callback that draws a bar shows the text instead.
constexpr double kNote = -1;

inline void note(const ProgressFn& progress, const std::string& text)
{
    if (progress)
        progress(kNote, text);
}

class Cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "cancelled"; }
};

inline void throwIfCancelled(const CancelFlag* cancel)
{
    if (cancel && cancel->load(std::memory_order_relaxed))
        throw Cancelled();
}

// Seconds of wall-clock time since `start`, for the phase timings analyses report.
inline double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace convscope
