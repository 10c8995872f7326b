#pragma once

#include "core/layer_graph.h"
#include "core/model_metadata.h"

#include <torch/script.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace convscope {

struct LoadOptions {
    std::string device = "auto"; // cpu, cuda, cuda:N, auto
    ModelMetadata overrides;     // from the command line or the GUI; win over the files
};

// What the model's output means: one score per class ([N, C]), or one per
// class and pixel ([N, C, H, W]: FCN, U-Net, DeepLab).
enum class Task { Classification, Segmentation };

// Everything known about a loaded model, with gaps filled and reported.
struct ModelInfo {
    std::string path;
    std::string name;
    std::array<int64_t, 3> input{}; // C, H, W
    std::vector<double> mean, std;  // one per channel
    std::vector<std::string> labels; // one per output
    int64_t outputs = 0;
    int64_t parameters = 0;
    std::string metadataSource;      // where the metadata came from, for display
    std::vector<std::string> notes;  // what was inferred or defaulted, in words
    std::string snapshots;           // the training's per-epoch snapshots folder, if it kept one
    Task task = Task::Classification;
    std::array<int64_t, 2> outputSize{}; // segmentation: the score map's H, W
    std::vector<std::array<uint8_t, 3>> palette; // segmentation: a colour per class
};

bool isSegmentation(const ModelInfo& info);
// PASCAL VOC's class colours (0 black, 1 dark red, 2 dark green, ...): the
// palette of a segmentation model whose metadata gives none.
std::vector<std::array<uint8_t, 3>> vocPalette(int64_t classes);

// Whether the model's input is an image (1 or 3 channels): only then can an
// image, a dataset or a video be read into its format, and its inputs and
// gradients be drawn. Summary, layers and filters work on any model.
bool takesImages(const ModelInfo& info);
// Why the commands and views that need an image refuse this model, in one line:
// "this model's input is 192x28x28, not an image (1 or 3 channels): summary,
// layers and filters work on it".
std::string notAnImageMessage(const ModelInfo& info);

// A TorchScript CNN, its metadata and its layer graph. Inputs are always
// pixels in [0, 1], shaped [N, C, H, W]; normalization by mean/std happens in
// here so that callers (and gradients) live in pixel space.
//
// Threads: load() builds everything; afterwards info(), layers(), id(),
// device() and the graph's lookups (find, weight, inputShape) never change
// and may be read from any thread. Forward passes (logits, capture) may run
// on several threads at once: the graph's tap cache is locked, gradient mode
// is per thread, and nothing changes the module after load() set its eval
// mode, device and requires_grad (callers of module() must not either).
// Another device or metadata means another Model, never this one changed.
class Model {
public:
    // Throws Error with a one-line message for every way a file can be wrong.
    static std::unique_ptr<Model> load(const std::string& path, const LoadOptions& options = {});

    // A Model of its own with a deep copy of every parameter and buffer, the
    // same metadata and layers, and a new id: the one Model whose weights may
    // be changed (sanity checks re-initialize them), by the one thread that
    // owns it, between passes.
    std::unique_ptr<Model> copy() const;

    const ModelInfo& info() const { return m_info; }
    // Unique in the process and never reused, unlike the address: a view that
    // remembers which model it drew must not take a new model allocated where
    // a freed one was for the old one.
    uint64_t id() const { return m_id; }
    c10::Device device() const { return m_device; }
    torch::jit::Module& module() { return m_module; }

    const std::vector<LayerInfo>& layers() const { return m_graph->layers(); }
    LayerGraph& graph() { return *m_graph; }
    const LayerGraph& graph() const { return *m_graph; }
    // Index of a layer by name; Error naming a few close names if unknown.
    int layerIndex(const std::string& name) const;

    // Checks the shape of `pixels` and moves it to the model's device.
    torch::Tensor prepare(const torch::Tensor& pixels) const;
    torch::Tensor normalize(const torch::Tensor& pixels) const;
    torch::Tensor logits(const torch::Tensor& pixels);

    // forward()'s scores as the model gives them: [N, C], or [N, C, H, W]
    // for a segmentation model.
    torch::Tensor output(const torch::Tensor& pixels);

    struct Capture {
        // Undefined unless asked for. A segmentation model's logits are its
        // score maps averaged over the pixels (what the classifier views
        // rank); `output` keeps the maps.
        torch::Tensor logits;
        torch::Tensor output;
        std::vector<torch::Tensor> layers;
    };
    // One forward pass; autograd stays intact if `pixels` requires grad.
    // `relu` picks how gradients will flow back through ReLUs.
    Capture capture(const torch::Tensor& pixels, const std::vector<int>& layers, bool withLogits = true,
                    ReluGradient relu = ReluGradient::Standard);

    // The scores in forward()'s result: a tensor, a dict's "out" entry
    // (torchvision's segmentation models), or the first tensor of a tuple or
    // list; Error unless [N, C] or [N, C, H, W].
    static torch::Tensor outputOf(const c10::IValue& result);
    // [N, C]: the output, averaged over the pixels when it is a score map.
    static torch::Tensor logitsOf(const c10::IValue& result);
    static torch::Tensor logitsOfOutput(const torch::Tensor& output);
    // Of the latest pass on any thread.
    double lastForwardMs() const { return m_lastForwardMs.load(std::memory_order_relaxed); }

private:
    Model() = default;
    void resolveMetadata(const ModelMetadata& metadata);
    void checkForward(const ModelMetadata& metadata);
    // Segmentation or classification, from the metadata and the output's shape.
    void resolveTask(const ModelMetadata& metadata, const torch::Tensor& output);
    // Runs `forward`, timing it, quieting the model's warnings and turning
    // LibTorch exceptions into Error.
    template <typename Fn>
    auto timed(Fn&& forward) -> decltype(forward());

    ModelInfo m_info;
    c10::Device m_device{c10::kCPU};
    torch::jit::Module m_module;
    std::unique_ptr<LayerGraph> m_graph;
    torch::Tensor m_mean, m_std; // [1, C, 1, 1] on the device
    uint64_t m_id = 0;
    std::atomic<double> m_lastForwardMs{0};
};

} // namespace convscope
