#include "core/model_summary.h"

#include "core/model.h"

#include <cmath>
#include <sstream>

namespace convscope {

std::string dimsText(const std::vector<int64_t>& dims)
{
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i)
        s += (i ? "x" : "") + std::to_string(dims[i]);
    return s;
}

ModelSummary summarize(const Model& model)
{
    ModelSummary summary;
    summary.input = model.info().input;
    summary.modelParams = model.info().parameters;
    for (const LayerInfo& layer : model.layers()) {
        SummaryRow row;
        row.name = layer.name;
        row.op = layer.op;
        row.shape = layer.shape;
        int64_t elements = 1;
        for (int64_t d : layer.shape)
            elements *= d;
        row.memoryBytes = elements * 4;
        row.geometry = layer.geometry;
        row.hasField = layer.hasField;
        for (size_t a = 0; a < 2; ++a) {
            row.rf[a] = layer.field[a].size;
            row.jump[a] = layer.field[a].jump;
        }
        summary.totalMemoryBytes += row.memoryBytes;
        summary.totalParams += row.geometry.params;
        summary.totalFlops += row.geometry.flops;
        summary.rows.push_back(std::move(row));
    }
    return summary;
}

namespace {
std::string number(double v)
{
    std::ostringstream s;
    if (std::floor(v) == v)
        s << static_cast<long long>(v);
    else
        s << v;
    return s.str();
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}
} // namespace

std::string summaryCsv(const ModelSummary& summary)
{
    std::ostringstream out;
    out << "name,op,shape,memory_bytes,params,flops,kernel,stride,padding,groups,rf,jump\n";
    for (const auto& r : summary.rows) {
        const OpGeometry& g = r.geometry;
        out << csvField(r.name) << ',' << r.op << ',' << dimsText(r.shape) << ',' << r.memoryBytes << ',' << g.params
            << ',' << g.flops << ',' << dimsText(g.kernel) << ',' << dimsText(g.stride) << ',' << dimsText(g.padding) << ','
            << g.groups << ',';
        if (r.hasField)
            out << number(r.rf[0]) << 'x' << number(r.rf[1]) << ',' << number(r.jump[0]) << 'x' << number(r.jump[1]);
        else
            out << ',';
        out << '\n';
    }
    out << "total,,," << summary.totalMemoryBytes << ',' << summary.totalParams << ',' << summary.totalFlops << ",,,,,,\n";
    return out.str();
}

} // namespace convscope
