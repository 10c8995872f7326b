#include "core/batches.h"

#include "core/error.h"

#include <algorithm>
#include <new>

namespace convscope {

namespace {

// LibTorch's message without the check that failed inside it: "[enforce fail
// at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate ..."
// says "DefaultCPUAllocator: can't allocate ...".
std::string allocationMessage(const std::exception& e)
{
    std::string text = torchMessage(e);
    const size_t check = text.find("[enforce fail at ");
    const size_t end = check == std::string::npos ? check : text.find(". ", text.find(']', check));
    if (end != std::string::npos)
        text.erase(check, end + 2 - check);
    return text;
}

} // namespace

bool isOutOfMemory(const std::exception& e)
{
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return true;
    // Model::capture() wraps LibTorch's exceptions in Error, keeping their text.
    const std::string text = e.what();
    for (const char* sign : {"can't allocate memory", "out of memory", "bad_alloc"})
        if (text.find(sign) != std::string::npos)
            return true;
    return false;
}

Batches::Batches(int64_t batch, const CancelFlag* cancel, ProgressFn progress)
    : m_requested(std::max<int64_t>(1, batch))
    , m_batch(m_requested)
    , m_cancel(cancel)
    , m_progress(std::move(progress))
{
}

int64_t Batches::wanted() const
{
    // Without a cancel flag nobody waits on a chunk: whole batches are fastest.
    if (!m_cancel)
        return m_batch;
    // The first chunk is small: how long an item takes is not known yet. Then
    // as many as fit in kChunkSeconds, growing at most twofold at a time (the
    // first calls of a model are slow, later ones may not be).
    int64_t n = m_last == 0 ? 2 : std::min<int64_t>(2 * m_last, m_batch);
    if (m_perItem > 0)
        n = std::min<int64_t>(n, static_cast<int64_t>(kChunkSeconds / m_perItem));
    return std::clamp<int64_t>(n, 1, m_batch);
}

int64_t Batches::next(int64_t start, int64_t count) const
{
    // Whole batches compute an item alone only when the last batch holds one.
    if (m_requested == 1 || m_batch == 1)
        return 1;
    const int64_t end = count % m_requested == 1 ? count - 1 : count;
    if (start >= end)
        return 1;
    int64_t n = std::min(std::max<int64_t>(wanted(), 2), end - start);
    if (end - start - n == 1) // never leave one behind
        n = n + 1 <= m_batch ? n + 1 : n - 1;
    return n;
}

void Batches::took(int64_t n, double seconds)
{
    m_last = n;
    m_perItem = seconds / static_cast<double>(n);
}

void Batches::shrink(int64_t failed, const std::exception& e)
{
    const std::string why = allocationMessage(e);
    if (failed <= 1)
        throw Error("out of memory even with a batch of 1: " + why);
    m_batch = failed / 2;
    m_last = std::min(m_last, m_batch);
    note(m_progress, "out of memory with a batch of " + std::to_string(failed) + "; going on with "
                         + std::to_string(m_batch));
}

} // namespace convscope
