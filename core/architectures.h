#pragma once

#include <torch/script.h>

#include <optional>
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
//   unet-small  segmentation (digit canvases): a two-level U-Net with skip
//            connections, dilated middle convolutions and 2x2 transposed
//            convolutions; scores per class and pixel at the input's size.
//   fcn-small   segmentation: three conv-pool blocks, a 1x1 score layer and
//            one stride-8 transposed convolution back to the input's size.
std::vector<std::string> architectureNames();
// unet-small and fcn-small: trained on per-pixel labels (--data digit-canvas).
bool isSegmentationArchitecture(const std::string& arch);
// The submodule of a segmentation architecture whose output is the class
// scores before any upsampling: unet-small's "head", fcn-small's "score".
std::string scoreLayerOf(const std::string& arch);

// The lecture's switches, each on its own; unset keeps the architecture's own
// choice (LeNet-5: no batch norm, no dropout; MiniVGG: batch norm, dropout 0.3).
//   batchNorm  LeNet-5: bn1, bn2 after its convolutions; MiniVGG: its bn layers.
//   dropout    the drop probability (0: no dropout layers). LeNet-5: dropout1,
//              dropout2 after fc1 and fc2; MiniVGG: dropout before fc.
struct ArchitectureOptions {
    std::optional<bool> batchNorm;
    std::optional<double> dropout;
};
// The input a fresh model of this architecture expects by default.
std::array<int64_t, 3> defaultInput(const std::string& arch);
// Weights initialised as PyTorch's nn.Conv2d/nn.Linear do, from the current
// torch seed. Throws Error for an unknown name or an input it cannot take.
// `options` with what it leaves unset filled in as `arch` does it.
ArchitectureOptions withDefaults(const std::string& arch, ArchitectureOptions options);
torch::jit::Module buildArchitecture(const std::string& arch, const std::array<int64_t, 3>& input, int64_t classes,
                                     const ArchitectureOptions& options = {});

} // namespace convscope
