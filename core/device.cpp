#include "core/device.h"

#include "core/error.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/cuda.h>

#include <mutex>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace convscope {

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

c10::Device parseDevice(const std::string& spec)
{
    if (spec.empty() || spec == "auto")
        return cudaAvailable() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    if (spec == "cpu")
        return c10::Device(c10::kCPU);
    if (spec.rfind("cuda", 0) == 0) {
        if (!cudaAvailable())
            throw Error("device '" + spec + "' requested, but no CUDA device is available to this LibTorch build");
        try {
            c10::Device device(spec);
            if (device.index() >= static_cast<int>(torch::cuda::device_count()))
                throw Error("device '" + spec + "' does not exist: " + std::to_string(torch::cuda::device_count()) + " CUDA device(s) found");
            return device;
        } catch (const c10::Error&) {
            throw Error("bad device '" + spec + "': use cpu, cuda, cuda:N or auto");
        }
    }
    throw Error("bad device '" + spec + "': use cpu, cuda, cuda:N or auto");
}

void keepFullFloat32()
{
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
}

void keepTorchScriptUnfused()
{
    static std::once_flag once;
    std::call_once(once, [] { torch::jit::setTensorExprFuserEnabled(false); });
}

void setThreads(int threads)
{
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
}

void tuneAllocator()
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMallocMappedBytes)); // smaller blocks come from the reusable heap
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // return freed memory to the kernel only past 1 GiB
    mallopt(M_TOP_PAD, 64 << 20);
    // One arena for every thread: malloc_trim() (releaseFreeMemory) leaves the
    // top of a per-thread arena resident, and the model worker's kept up to
    // 64 MiB more after each big job (docs/RELIABILITY.md, the monkey test).
    // No cost measured: bench_taps at batch 8 ran within noise either way.
    mallopt(M_ARENA_MAX, 1);
#endif
}

void releaseFreeMemory()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace convscope
