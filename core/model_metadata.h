#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope {

// What a model file may say about itself (convscope.json, embedded or beside the
// model). Every field is optional; Model fills the gaps and reports how.
struct ModelMetadata {
    std::optional<std::array<int64_t, 3>> input; // C, H, W
    std::optional<std::vector<double>> mean;     // per channel, applied after scaling to [0,1]
    std::optional<std::vector<double>> std;
    std::optional<std::vector<std::string>> labels;
    std::optional<std::string> labelsFile; // relative to the model's folder
    std::optional<std::string> name;
    // The folder of the per-epoch snapshots of the training that made the
    // model (epoch_001.pt, ...), written by train(): views scrub through it.
    std::optional<std::string> snapshots;
    // "classification" or "segmentation" (class scores per pixel, [N, C, H, W]);
    // unset: inferred from the output's shape.
    std::optional<std::string> task;
    // A segmentation model's colour per class, [r, g, b] in 0..255.
    std::optional<std::vector<std::array<uint8_t, 3>>> palette;

    // Fields set in `over` replace ours.
    void overrideWith(const ModelMetadata& over);
    bool empty() const;
};

// Parses convscope.json text. `origin` names the source in error messages.
// Throws Error on malformed JSON, unknown types or impossible values.
ModelMetadata parseMetadata(const std::string& json, const std::string& origin);
std::string metadataToJson(const ModelMetadata& metadata);

// "3,224,224" or "3x224x224".
std::array<int64_t, 3> parseInputShape(const std::string& text);
// "0.485,0.456,0.406" (also accepts a single value).
std::vector<double> parseNumberList(const std::string& text, const std::string& what);

// One label per line; blank trailing lines ignored. Throws Error if unreadable.
std::vector<std::string> readLabelsFile(const std::string& path);

} // namespace convscope
