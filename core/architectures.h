#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace convscope {

// The built-in architectures, built as ordinary trainable TorchScript modules
// with named submodules (conv1, pool1, ...), so that what `convscope train`
// saves opens in Python's torch.jit.load as well as here.
//
//   lenet5   LeNet-5's layout (LeCun et al. 1998): conv 6@5x5 (padded), pool,
//            conv 16@5x5, pool, fc 120, fc 84, fc classes — with ReLU and
//            max-pooling in place of the paper's scaled tanh and subsampling.
//   minivgg  three VGG blocks (32, 64, 128 channels: conv-bn-relu twice, then
//            max-pool), global average pooling, dropout, fc. Any channel
//            count, any size >= 28.
std::vector<std::string> architectureNames();
// The input a fresh model of this architecture expects by default.
std::array<int64_t, 3> defaultInput(const std::string& arch);
// Weights initialised as PyTorch's nn.Conv2d/nn.Linear do, from the current
// torch seed. Throws Error for an unknown name or an input it cannot take.
torch::jit::Module buildArchitecture(const std::string& arch, const std::array<int64_t, 3>& input, int64_t classes);

} // namespace convscope
