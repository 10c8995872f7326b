#pragma once

#include <cstdint>
#include <string>

#include <c10/core/Device.h>

namespace convscope {

// "cpu", "cuda", "cuda:1" or "auto" (CUDA when this LibTorch build sees a GPU).
c10::Device parseDevice(const std::string& spec);
bool cudaAvailable();

// LibTorch runs float32 convolutions on Ampere and newer GPUs in TF32 (a
// 10-bit mantissa) by default: gradients, saliency and attacks then differ
// from the CPU's by about 1e-3. ConvScope shows and exports these numbers,
// so float32 stays float32 on every device. Called when a model loads on CUDA.
void keepFullFloat32();

// Runs TorchScript without the TensorExpr fuser. Debian's LibTorch 2.x (2.6,
// 2.14) is built with LLVM and fuses on the CPU, where 1.13 never did: the
// profiling executor then compiles a kernel with LLVM for every new input
// shape, and ConvScope's shapes change with every batch size (a one-epoch
// `convscope train` had not finished after 900 s on 2.6; 0.95 s unfused).
// Fused kernels are also JIT-written code without unwind tables. Once per
// process; Model::load and the trainer call it.
void keepTorchScriptUnfused();

// Intra-op threads: Debian's torch starts with one; we default to every core.
void setThreads(int threads);

// CPU tensors come from malloc. glibc hands large blocks back to the kernel
// on free, so a pass that keeps many activations alive (capturing every
// layer) page-faults all of them in again on the next pass. This keeps freed
// memory, up to 1 GiB, for reuse. Call first thing in main(), before any
// thread starts (it also keeps every thread on one malloc arena).
void tuneAllocator();
// The block size from which tuneAllocator() leaves malloc mapping each block
// afresh (and the kernel faulting it in page by page): batches that keep their
// activations below it reuse the heap.
constexpr int64_t kMallocMappedBytes = int64_t(32) << 20;

// Hands the CPU memory that malloc keeps for reuse back to the kernel: for
// when the app has been idle a while, so that it does not hold the high-water
// mark of its last big job. (CUDA's caching allocator keeps its cache.)
void releaseFreeMemory();

} // namespace convscope
