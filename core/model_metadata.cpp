#include "core/model_metadata.h"

#include "core/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace convscope {

using nlohmann::json;

constexpr uintmax_t kMaxLabelsFileBytes = 16 << 20;

void ModelMetadata::overrideWith(const ModelMetadata& over)
{
    if (over.input)
        input = over.input;
    if (over.snapshots)
        snapshots = over.snapshots;
    if (over.mean)
        mean = over.mean;
    if (over.std)
        std = over.std;
    if (over.labels) {
        labels = over.labels;
        labelsFile.reset();
    }
    if (over.labelsFile) {
        labelsFile = over.labelsFile;
        labels.reset();
    }
    if (over.name)
        name = over.name;
    if (over.task)
        task = over.task;
    if (over.palette)
        palette = over.palette;
}

bool ModelMetadata::empty() const
{
    return !input && !mean && !std && !labels && !labelsFile && !name && !snapshots && !task && !palette;
}

namespace {

std::vector<double> numberList(const json& value, const std::string& field, const std::string& origin)
{
    if (value.is_number())
        return {value.get<double>()};
    if (!value.is_array() || value.empty())
        throw Error(origin + ": '" + field + "' must be a number or a non-empty list of numbers");
    std::vector<double> out;
    for (const auto& v : value) {
        if (!v.is_number())
            throw Error(origin + ": '" + field + "' must be a list of numbers");
        out.push_back(v.get<double>());
    }
    return out;
}

// Channels reach 4096: a model's input need not be an image (the lecture's 1x1
// bottleneck example is a block that takes 192x28x28 feature maps).
void checkShape(const std::array<int64_t, 3>& s, const std::string& origin)
{
    if (s[0] < 1 || s[0] > 4096 || s[1] < 1 || s[2] < 1 || s[1] > 8192 || s[2] > 8192)
        throw Error(origin + ": input " + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2])
                    + " is out of range (channels 1..4096, height and width 1..8192)");
}

} // namespace

ModelMetadata parseMetadata(const std::string& text, const std::string& origin)
{
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        // A syntax error, or (found by fuzz_metadata) a number too large for
        // any type: "[json.exception.out_of_range.406] number overflow ...".
        // nlohmann's message starts with "[json.exception.parse_error.101] "; drop it.
        std::string what = e.what();
        size_t at = what.find("] ");
        throw Error(origin + ": invalid JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
    }
    if (!doc.is_object())
        throw Error(origin + ": must be a JSON object");
    ModelMetadata m;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string& key = it.key();
        const json& v = it.value();
        if (key == "input") {
            if (!v.is_array() || v.size() != 3 || !v[0].is_number_integer() || !v[1].is_number_integer()
                || !v[2].is_number_integer())
                throw Error(origin + ": 'input' must be [C, H, W] (three integers)");
            m.input = std::array<int64_t, 3>{v[0].get<int64_t>(), v[1].get<int64_t>(), v[2].get<int64_t>()};
            checkShape(*m.input, origin);
        } else if (key == "mean") {
            m.mean = numberList(v, key, origin);
        } else if (key == "std") {
            m.std = numberList(v, key, origin);
            for (double s : *m.std)
                if (!(s > 0))
                    throw Error(origin + ": 'std' values must be positive");
        } else if (key == "labels") {
            if (!v.is_array())
                throw Error(origin + ": 'labels' must be a list of strings");
            std::vector<std::string> labels;
            for (const auto& l : v) {
                if (l.is_string())
                    labels.push_back(l.get<std::string>());
                else if (l.is_number())
                    labels.push_back(l.dump());
                else
                    throw Error(origin + ": 'labels' must be a list of strings");
            }
            m.labels = labels;
        } else if (key == "labels_file") {
            if (!v.is_string() || v.get<std::string>().empty())
                throw Error(origin + ": 'labels_file' must be a file name");
            m.labelsFile = v.get<std::string>();
        } else if (key == "name") {
            if (!v.is_string())
                throw Error(origin + ": 'name' must be a string");
            m.name = v.get<std::string>();
        } else if (key == "snapshots") {
            if (!v.is_string())
                throw Error(origin + ": 'snapshots' must be a folder name");
            m.snapshots = v.get<std::string>();
        } else if (key == "task") {
            if (!v.is_string() || (v.get<std::string>() != "classification" && v.get<std::string>() != "segmentation"))
                throw Error(origin + ": 'task' must be \"classification\" or \"segmentation\"");
            m.task = v.get<std::string>();
        } else if (key == "palette") {
            if (!v.is_array())
                throw Error(origin + ": 'palette' must be a list of [r, g, b] colours");
            std::vector<std::array<uint8_t, 3>> colours;
            for (const auto& c : v) {
                if (!c.is_array() || c.size() != 3)
                    throw Error(origin + ": 'palette' must be a list of [r, g, b] colours");
                std::array<uint8_t, 3> rgb{};
                for (size_t k = 0; k < 3; ++k) {
                    if (!c[k].is_number_integer() || c[k].get<int64_t>() < 0 || c[k].get<int64_t>() > 255)
                        throw Error(origin + ": 'palette' colours are [r, g, b] integers in 0..255");
                    rgb[k] = static_cast<uint8_t>(c[k].get<int64_t>());
                }
                colours.push_back(rgb);
            }
            m.palette = colours;
        }
        // Unknown keys are allowed: later versions and other tools may add fields.
    }
    if (m.labels && m.labelsFile)
        throw Error(origin + ": give either 'labels' or 'labels_file', not both");
    return m;
}

std::string metadataToJson(const ModelMetadata& m)
{
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    if (m.name)
        doc["name"] = *m.name;
    if (m.input)
        doc["input"] = *m.input;
    if (m.mean)
        doc["mean"] = *m.mean;
    if (m.std)
        doc["std"] = *m.std;
    if (m.labels)
        doc["labels"] = *m.labels;
    if (m.labelsFile)
        doc["labels_file"] = *m.labelsFile;
    if (m.snapshots)
        doc["snapshots"] = *m.snapshots;
    if (m.task)
        doc["task"] = *m.task;
    if (m.palette)
        doc["palette"] = *m.palette;
    return doc.dump(2);
}

std::vector<double> parseNumberList(const std::string& text, const std::string& what)
{
    std::vector<double> out;
    std::string item;
    std::stringstream in(text);
    while (std::getline(in, item, ',')) {
        try {
            size_t used = 0;
            out.push_back(std::stod(item, &used));
            if (item.find_first_not_of(" ", used) != std::string::npos)
                throw std::invalid_argument(item);
        } catch (const std::exception&) {
            throw Error("bad " + what + " '" + text + "': expected numbers separated by commas");
        }
    }
    if (out.empty())
        throw Error("bad " + what + " '" + text + "': expected numbers separated by commas");
    return out;
}

std::array<int64_t, 3> parseInputShape(const std::string& text)
{
    std::string normalized = text;
    for (char& c : normalized)
        if (c == 'x' || c == 'X')
            c = ',';
    std::vector<int64_t> dims;
    std::string item;
    std::stringstream in(normalized);
    while (std::getline(in, item, ',')) {
        try {
            size_t used = 0;
            long long v = std::stoll(item, &used);
            if (used != item.size())
                throw std::invalid_argument(item);
            dims.push_back(v);
        } catch (const std::exception&) {
            dims.clear();
            break;
        }
    }
    if (dims.size() != 3)
        throw Error("bad input shape '" + text + "': expected C,H,W such as 3,224,224");
    std::array<int64_t, 3> shape{dims[0], dims[1], dims[2]};
    checkShape(shape, "input shape '" + text + "'");
    return shape;
}

std::vector<std::string> readLabelsFile(const std::string& path)
{
    // A device or pipe (--labels /dev/zero) would be read forever; a real
    // labels file of even 100,000 classes is a few MB.
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        throw Error(std::filesystem::exists(path, error) ? "labels file " + path + " is not a regular file"
                                                          : "cannot read labels file " + path);
    if (std::filesystem::file_size(path, error) > kMaxLabelsFileBytes)
        throw Error("labels file " + path + " is larger than 16 MB: not a list of class names");
    std::ifstream in(path);
    if (!in)
        throw Error("cannot read labels file " + path);
    std::vector<std::string> labels;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        labels.push_back(line);
    }
    while (!labels.empty() && labels.back().empty())
        labels.pop_back();
    if (labels.empty())
        throw Error("labels file " + path + " is empty");
    return labels;
}

} // namespace convscope
