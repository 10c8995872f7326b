#pragma once

#include "core/layer_info.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace convscope {

class Model;

// The per-layer complexity table taught in CNN courses, for one image.
struct SummaryRow {
    std::string name;
    std::string op;
    std::vector<int64_t> shape;  // without the batch dimension
    int64_t memoryBytes = 0;     // output elements x 4
    OpGeometry geometry;         // kernel, stride, padding, params, multiply-adds
    bool hasField = false;
    std::array<double, 2> rf{}, jump{}; // receptive field size and effective stride, [H, W]
};

struct ModelSummary {
    std::array<int64_t, 3> input{};
    std::vector<SummaryRow> rows;
    int64_t totalMemoryBytes = 0;
    int64_t totalParams = 0;   // sum over rows
    int64_t totalFlops = 0;
    int64_t modelParams = 0;   // every parameter of the module, used or not
};

ModelSummary summarize(const Model& model);
std::string summaryCsv(const ModelSummary& summary);
// "3x3", "" for an empty list.
std::string dimsText(const std::vector<int64_t>& dims);

} // namespace convscope
