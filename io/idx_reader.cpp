// MNIST / Fashion-MNIST idx files, raw or gzip-compressed.

#include "io/datasets.h"

#include "core/error.h"
#include "io/mat_tensor.h"

#include <zlib.h>

#include <filesystem>

namespace convscope::io {

namespace fs = std::filesystem;

namespace {

// Whole file, decompressed if it is gzip (gzread passes plain files through).
std::string readMaybeGzip(const std::string& path)
{
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file)
        throw Error("cannot open " + path);
    std::string data;
    char buffer[1 << 16];
    int n = 0;
    while ((n = gzread(file, buffer, sizeof buffer)) > 0) {
        data.append(buffer, static_cast<size_t>(n));
        if (data.size() > (size_t(2) << 30)) {
            gzclose(file);
            throw Error(path + " is larger than 2 GiB: not an idx file we can hold");
        }
    }
    int code = 0;
    const char* message = gzerror(file, &code);
    const bool failed = n < 0 || (code != Z_OK && code != Z_STREAM_END);
    const std::string reason = failed && message ? message : "";
    gzclose(file);
    if (failed)
        throw Error(path + " is corrupt: " + reason);
    return data;
}

uint32_t bigEndian(const std::string& d, size_t at)
{
    return (uint32_t(uint8_t(d[at])) << 24) | (uint32_t(uint8_t(d[at + 1])) << 16) | (uint32_t(uint8_t(d[at + 2])) << 8)
        | uint32_t(uint8_t(d[at + 3]));
}

struct IdxArray {
    std::string data; // the whole file; elements start at `offset`
    size_t offset = 0;
    std::vector<int64_t> dims;
};

// idx: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count,
// then that many big-endian 32-bit sizes.
IdxArray readIdx(const std::string& path, size_t expectedDims)
{
    IdxArray a;
    a.data = readMaybeGzip(path);
    if (a.data.size() < 4 || a.data[0] != 0 || a.data[1] != 0)
        throw Error(path + " is not an idx file (bad magic number)");
    if (static_cast<uint8_t>(a.data[2]) != 0x08)
        throw Error(path + ": only unsigned-byte idx files are supported");
    const size_t dims = static_cast<uint8_t>(a.data[3]);
    if (dims != expectedDims)
        throw Error(path + " has " + std::to_string(dims) + " dimensions, expected " + std::to_string(expectedDims));
    a.offset = 4 + 4 * dims;
    if (a.data.size() < a.offset)
        throw Error(path + " is truncated (header incomplete)");
    // Four sizes of up to 2^32 - 1 can overflow the product and wrap it round
    // to a small number that the file seems to hold.
    const size_t available = a.data.size() - a.offset;
    size_t count = 1;
    bool overflow = false;
    for (size_t i = 0; i < dims; ++i) {
        a.dims.push_back(bigEndian(a.data, 4 + 4 * i));
        overflow = __builtin_mul_overflow(count, static_cast<size_t>(a.dims.back()), &count) || overflow;
    }
    if (overflow)
        throw Error(path + " is truncated: its header promises more bytes of data than any file holds");
    if (available < count)
        throw Error(path + " is truncated: its header promises " + std::to_string(count) + " bytes of data, it holds "
                    + std::to_string(available));
    return a;
}

// train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz (or without .gz)
std::string labelsFileFor(const std::string& imagesFile)
{
    std::string name = fs::path(imagesFile).filename().string();
    const size_t at = name.find("images-idx3-ubyte");
    if (at == std::string::npos)
        return {};
    name.replace(at, std::string("images-idx3-ubyte").size(), "labels-idx1-ubyte");
    const fs::path folder = fs::path(imagesFile).parent_path();
    for (const std::string& candidate : {name, name + ".gz", name.substr(0, name.size() - 3)}) {
        std::error_code ec;
        if (!candidate.empty() && fs::exists(folder / candidate, ec))
            return (folder / candidate).string();
    }
    return {};
}

class IdxDataset final : public Dataset {
public:
    IdxDataset(IdxArray images, std::vector<int64_t> labels, const ImageFormat& format, const std::string& path,
               const IdxNames& names)
        : m_images(std::move(images))
        , m_labels(std::move(labels))
        , m_format(format)
    {
        int64_t classes = 0;
        for (int64_t l : m_labels)
            classes = std::max(classes, l + 1);
        for (int64_t c = 0; c < classes; ++c)
            m_classes.push_back(std::to_string(c));
        if (!names.classes.empty() && !m_labels.empty()) {
            if (static_cast<int64_t>(names.classes.size()) < classes)
                throw Error(path + " has " + std::to_string(classes) + " classes, more than the "
                            + std::to_string(names.classes.size()) + " names it should have");
            m_classes = names.classes;
        }
        m_name = names.name.empty() ? fs::path(path).filename().string() : names.name;
        m_testSet = names.testSet;
        m_details = std::to_string(size()) + " images"
            + (m_labels.empty() ? ", unlabeled" : ", " + std::to_string(classes) + " classes");
        m_identity = "idx:" + fs::absolute(path).lexically_normal().string() + ":" + std::to_string(size());
    }

    int64_t size() const override { return m_images.dims[0]; }
    int64_t label(int64_t index) const override
    {
        return m_labels.empty() ? -1 : m_labels.at(static_cast<size_t>(index));
    }
    std::string itemName(int64_t index) const override { return "image #" + std::to_string(index); }

    torch::Tensor image(int64_t index) override
    {
        if (index < 0 || index >= size())
            throw Error("no image #" + std::to_string(index));
        const int rows = static_cast<int>(m_images.dims[1]), cols = static_cast<int>(m_images.dims[2]);
        const size_t at = m_images.offset + static_cast<size_t>(index) * static_cast<size_t>(rows) * static_cast<size_t>(cols);
        cv::Mat view(rows, cols, CV_8UC1, const_cast<char*>(m_images.data.data() + at));
        return detail::formatImage(view, m_format);
    }

private:
    IdxArray m_images;
    std::vector<int64_t> m_labels;
    ImageFormat m_format;
};

} // namespace

std::unique_ptr<Dataset> openIdx(const std::string& imagesFile, const ImageFormat& format, const IdxNames& names)
{
    std::error_code ec;
    if (!fs::exists(imagesFile, ec))
        throw Error("dataset not found: " + imagesFile);
    IdxArray images = readIdx(imagesFile, 3);
    if (images.dims[0] == 0)
        throw Error(imagesFile + " holds no images");
    if (images.dims[1] == 0 || images.dims[2] == 0 || images.dims[1] > 65535 || images.dims[2] > 65535)
        throw Error(imagesFile + " holds images of " + std::to_string(images.dims[1]) + "x"
                    + std::to_string(images.dims[2]) + " pixels: not images ConvScope can read");
    std::vector<int64_t> labels;
    const std::string labelsFile = labelsFileFor(imagesFile);
    if (!labelsFile.empty()) {
        IdxArray l = readIdx(labelsFile, 1);
        if (l.dims[0] != images.dims[0])
            throw Error(labelsFile + " has " + std::to_string(l.dims[0]) + " labels for " + std::to_string(images.dims[0])
                        + " images");
        for (int64_t i = 0; i < l.dims[0]; ++i)
            labels.push_back(static_cast<uint8_t>(l.data[l.offset + static_cast<size_t>(i)]));
    }
    return std::make_unique<IdxDataset>(std::move(images), std::move(labels), format, imagesFile, names);
}

} // namespace convscope::io
