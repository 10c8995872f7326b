#pragma once

#include <string>

#include <c10/core/Device.h>

namespace convscope {

// "cpu", "cuda", "cuda:1" or "auto" (CUDA when this LibTorch build sees a GPU).
c10::Device parseDevice(const std::string& spec);
bool cudaAvailable();

// Intra-op threads: Debian's torch starts with one; we default to every core.
void setThreads(int threads);

} // namespace convscope
