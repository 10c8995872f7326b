#include "core/feature_cache.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace convscope {

namespace fs = std::filesystem;

void writeFeatureCache(const std::string& path, const FeatureSet& set)
{
    const std::string temporary = path + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        const torch::Tensor values = set.values.contiguous();
        nlohmann::json header = {{"version", kFeatureCacheVersion}, {"rows", values.size(0)}, {"cols", values.size(1)},
                                 {"layer", set.layer}};
        out << header.dump() << '\n';
        out.write(static_cast<const char*>(values.data_ptr()), static_cast<std::streamsize>(values.nbytes()));
        for (const auto* column : {&set.images, &set.labels, &set.predictions})
            out.write(reinterpret_cast<const char*>(column->data()),
                      static_cast<std::streamsize>(column->size() * sizeof(int64_t)));
        if (!out) {
            out.close();
            std::error_code ignored;
            fs::remove(temporary, ignored);
            return;
        }
    }
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error)
        fs::remove(temporary, error);
}

namespace {

// The header's rows and cols when they are whole numbers and the file after
// the header line is exactly as long as they promise.
bool headerShape(const nlohmann::json& header, uint64_t bytesAfterHeader, int64_t& rows, int64_t& cols)
{
    if (!header.is_object() || !header.contains("version") || !header.contains("rows") || !header.contains("cols"))
        return false;
    const auto& version = header["version"];
    const auto& r = header["rows"];
    const auto& c = header["cols"];
    if (!version.is_number_integer() || version.get<int64_t>() != kFeatureCacheVersion || !r.is_number_integer()
        || !c.is_number_integer())
        return false;
    rows = r.get<int64_t>();
    cols = c.get<int64_t>();
    if (rows < 0 || cols < 1 || cols > (int64_t(1) << 31) || rows > (int64_t(1) << 31) / cols)
        return false;
    const uint64_t expected = uint64_t(rows) * uint64_t(cols) * sizeof(float) + uint64_t(rows) * 3 * sizeof(int64_t);
    return expected == bytesAfterHeader;
}

} // namespace

bool readFeatureCache(const std::string& path, FeatureSet& set)
{
    std::error_code error;
    if (!fs::is_regular_file(path, error))
        return false;
    const uint64_t size = fs::file_size(path, error);
    if (error)
        return false;
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line) || line.size() > 4096)
        return false;
    const nlohmann::json header = nlohmann::json::parse(line, nullptr, false);
    int64_t n = 0, d = 0;
    if (header.is_discarded() || !headerShape(header, size - (line.size() + 1), n, d))
        return false;
    torch::Tensor values = torch::empty({n, d}, torch::kFloat32);
    in.read(static_cast<char*>(values.data_ptr()), static_cast<std::streamsize>(values.nbytes()));
    std::vector<std::vector<int64_t>> columns(3, std::vector<int64_t>(static_cast<size_t>(n)));
    for (auto& column : columns)
        in.read(reinterpret_cast<char*>(column.data()), static_cast<std::streamsize>(column.size() * sizeof(int64_t)));
    if (!in || in.peek() != std::char_traits<char>::eof())
        return false;
    set.values = values;
    set.images = std::move(columns[0]);
    set.labels = std::move(columns[1]);
    set.predictions = std::move(columns[2]);
    set.fromCache = true;
    return true;
}

} // namespace convscope
