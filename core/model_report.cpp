#include "core/model_report.h"

#include "core/model.h"
#include "core/model_summary.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace convscope {

namespace {

using Json = nlohmann::ordered_json;

std::vector<int64_t> shapeVector(const std::array<int64_t, 3>& a)
{
    return {a[0], a[1], a[2]};
}

std::string human(double v)
{
    const char* units[] = {"", "K", "M", "G", "T"};
    int u = 0;
    while (std::abs(v) >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    std::ostringstream s;
    s << std::setprecision(u == 0 ? 6 : 3) << v << units[u];
    return s.str();
}

std::string fieldText(const SummaryRow& r, bool jump)
{
    if (!r.hasField)
        return "";
    auto n = [](double v) {
        std::ostringstream s;
        s << v;
        return s.str();
    };
    const auto& f = jump ? r.jump : r.rf;
    return f[0] == f[1] ? n(f[0]) : n(f[0]) + "x" + n(f[1]);
}

} // namespace

std::string padRight(const std::string& s, size_t width)
{
    return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string layersJson(const Model& model)
{
    Json out;
    out["model"] = model.info().name;
    out["input"] = shapeVector(model.info().input);
    out["layers"] = Json::array();
    for (const auto& layer : model.layers()) {
        Json row;
        row["name"] = layer.name;
        row["op"] = layer.op;
        row["shape"] = layer.shape;
        if (!layer.aliases.empty())
            row["aliases"] = layer.aliases;
        out["layers"].push_back(row);
    }
    return out.dump(2);
}

std::string layersText(const Model& model)
{
    size_t width = 4;
    for (const auto& layer : model.layers())
        width = std::max(width, layer.name.size() + 2);
    std::ostringstream out;
    out << model.info().name << ": input " << dimsText(shapeVector(model.info().input)) << ", "
        << model.layers().size() << " layers\n";
    out << padRight("name", width) << padRight("op", 22) << "shape\n";
    for (const auto& layer : model.layers())
        out << padRight(layer.name, width) << padRight(layer.op, 22) << dimsText(layer.shape) << '\n';
    return out.str();
}

std::string summaryJson(const Model& model, const ModelSummary& summary)
{
    Json out;
    out["model"] = model.info().name;
    out["input"] = shapeVector(summary.input);
    out["layers"] = Json::array();
    for (const auto& r : summary.rows) {
        Json row;
        row["name"] = r.name;
        row["op"] = r.op;
        row["shape"] = r.shape;
        row["memory_bytes"] = r.memoryBytes;
        row["params"] = r.geometry.params;
        row["flops"] = r.geometry.flops;
        row["kernel"] = r.geometry.kernel.empty() ? Json(nullptr) : Json(r.geometry.kernel);
        row["stride"] = r.geometry.stride.empty() ? Json(nullptr) : Json(r.geometry.stride);
        row["padding"] = r.geometry.padding.empty() ? Json(nullptr) : Json(r.geometry.padding);
        row["groups"] = r.geometry.groups;
        row["rf"] = r.hasField ? Json(std::vector<double>{r.rf[0], r.rf[1]}) : Json(nullptr);
        row["jump"] = r.hasField ? Json(std::vector<double>{r.jump[0], r.jump[1]}) : Json(nullptr);
        out["layers"].push_back(row);
    }
    out["total"] = {{"memory_bytes", summary.totalMemoryBytes},
                    {"params", summary.totalParams},
                    {"flops", summary.totalFlops},
                    {"model_params", summary.modelParams}};
    return out.dump(2);
}

std::string summaryText(const Model& model, const ModelSummary& summary)
{
    size_t width = 5;
    for (const auto& r : summary.rows)
        width = std::max(width, r.name.size() + 2);
    std::ostringstream out;
    out << model.info().name << ": input " << dimsText(shapeVector(summary.input))
        << " (FLOPs are multiply-adds; memory is output elements x 4 bytes)\n";
    out << padRight("name", width) << padRight("op", 20) << padRight("shape", 14) << padRight("memory", 10)
        << padRight("params", 10) << padRight("flops", 10) << padRight("k/s/p", 12) << padRight("rf", 8) << "jump\n";
    for (const auto& r : summary.rows) {
        const auto& g = r.geometry;
        const std::string ksp
            = g.kernel.empty() ? "" : dimsText(g.kernel) + "/" + dimsText(g.stride) + "/" + dimsText(g.padding);
        out << padRight(r.name, width) << padRight(r.op, 20) << padRight(dimsText(r.shape), 14)
            << padRight(human(r.memoryBytes) + "B", 10) << padRight(human(g.params), 10)
            << padRight(human(g.flops), 10) << padRight(ksp, 12) << padRight(fieldText(r, false), 8)
            << fieldText(r, true) << '\n';
    }
    out << padRight("total", width) << padRight("", 20) << padRight("", 14)
        << padRight(human(summary.totalMemoryBytes) + "B", 10) << padRight(human(summary.totalParams), 10)
        << padRight(human(summary.totalFlops), 10) << '\n';
    if (summary.totalParams != summary.modelParams)
        out << "(" << summary.modelParams - summary.totalParams
            << " parameters of the model are read by no listed layer)\n";
    return out.str();
}

} // namespace convscope
