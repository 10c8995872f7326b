#pragma once

// Work over many items (images, windows, noisy copies) in chunks of a batch:
// smaller than the batch when someone may cancel, so that the flag is looked
// at every few tens of milliseconds whatever the model, and smaller still
// after running out of memory. Whole batches are the reference: LibTorch
// gives ResNet-18 or AlexNet an image's same numbers in any batch of two or
// more, but not alone (another, slower path: ~1e-9 apart, and 2-3 times the
// time of two images), so a chunk holds one item only where whole batches
// would, and the results do not depend on the cut unless memory forces
// batches of one. (Some models, such as MobileNetV2 or a 1x1 convolution
// under 16 images, differ in the last bits at other sizes too.)

#include "core/progress.h"

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>

namespace convscope {

// Whether `e` says an allocation failed: std::bad_alloc, LibTorch's CPU
// allocator ("can't allocate memory"), CUDA ("CUDA out of memory"), or an
// Error that wraps one of them.
bool isOutOfMemory(const std::exception& e);

class Batches {
public:
    // With a cancel flag a chunk takes about this long, so that a cancel is
    // seen within it.
    static constexpr double kChunkSeconds = 0.04;

    // At most `batch` items a chunk; `progress` gets a note (kNote) when an
    // allocation failure halves that.
    Batches(int64_t batch, const CancelFlag* cancel, ProgressFn progress = {});

    // Items [0, count) in order: compute(start, n) gives a chunk's value,
    // commit(start, n, value) takes it. Throws Cancelled when the flag is set
    // before a chunk. A compute that runs out of memory is called again with
    // half as many items (it must leave nothing behind when it throws);
    // Error once a single item does not fit.
    template <typename Compute, typename Commit>
    void run(int64_t count, Compute&& compute, Commit&& commit);

    // The batch as it is now: smaller than asked after running out of memory.
    int64_t batch() const { return m_batch; }
    // The flag run() looks at before each chunk, for a compute that looks
    // again between its forward and backward passes (a step of one image on
    // ResNet-18 is one chunk of a tenth of a second or more).
    const CancelFlag* cancel() const { return m_cancel; }

private:
    int64_t next(int64_t start, int64_t count) const;
    int64_t wanted() const;
    void took(int64_t n, double seconds);
    void shrink(int64_t failed, const std::exception& e);

    int64_t m_requested; // the batch asked for: whole batches of it are the reference
    int64_t m_batch;     // at most this many a chunk: m_requested, halved for each allocation failure
    const CancelFlag* m_cancel;
    ProgressFn m_progress;
    int64_t m_last = 0;       // items in the last chunk, 0 before the first
    double m_perItem = 0;     // seconds per item in the last chunk
};

// Runs `passes` (a step of an optimization, in chunks); false when a cancel
// stopped them midway, for loops that keep what the last whole step left.
template <typename Passes>
bool uncancelled(Passes&& passes)
{
    try {
        passes();
        return true;
    } catch (const Cancelled&) {
        return false;
    }
}

template <typename Compute, typename Commit>
void Batches::run(int64_t count, Compute&& compute, Commit&& commit)
{
    for (int64_t start = 0; start < count;) {
        throwIfCancelled(m_cancel);
        const int64_t n = next(start, count);
        const auto began = std::chrono::steady_clock::now();
        std::optional<decltype(compute(start, n))> value;
        try {
            value.emplace(compute(start, n));
        } catch (const std::exception& e) {
            if (!isOutOfMemory(e))
                throw;
            shrink(n, e);
            continue;
        }
        took(n, secondsSince(began));
        commit(start, n, std::move(*value));
        start += n;
    }
}

} // namespace convscope
