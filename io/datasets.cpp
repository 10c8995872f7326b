#include "io/datasets.h"

#include "core/digit_canvas.h"
#include "core/error.h"
#include "io/image_header.h"
#include "io/mat_tensor.h"
#include "io/video_source.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace convscope::io {

namespace fs = std::filesystem;

const char* const kDigitsSheet = "/usr/share/doc/opencv-doc/examples/data/digits.png";

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string extension(const std::string& path)
{
    return lower(fs::path(path).extension().string());
}

// The first bytes of each format we read: a file whose content does not match
// its extension is counted as unreadable at scan time, without decoding it.
bool hasImageSignature(const std::string& path)
{
    unsigned char b[12] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(b), sizeof b);
    if (in.gcount() < 4)
        return false;
    const bool png = b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
    const bool jpeg = b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
    const bool bmp = b[0] == 'B' && b[1] == 'M';
    const bool webp = in.gcount() == 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W'
        && b[9] == 'E' && b[10] == 'B' && b[11] == 'P';
    const bool tiff = (b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42);
    return png || jpeg || bmp || webp || tiff;
}

// Files decoded on demand, in a fixed order.
class FileDataset final : public Dataset {
public:
    FileDataset(std::vector<std::string> files, std::vector<int64_t> labels, std::vector<std::string> classes,
                const ImageFormat& format, const std::string& name, const std::string& details, const std::string& identity)
        : m_files(std::move(files))
        , m_labels(std::move(labels))
        , m_format(format)
    {
        m_classes = std::move(classes);
        m_name = name;
        m_details = details;
        m_identity = identity;
    }

    int64_t size() const override { return static_cast<int64_t>(m_files.size()); }
    torch::Tensor image(int64_t index) override
    {
        return detail::formatImage(detail::decodeFile(m_files.at(static_cast<size_t>(index))), m_format);
    }
    int64_t label(int64_t index) const override
    {
        return m_labels.empty() ? -1 : m_labels.at(static_cast<size_t>(index));
    }
    std::string itemName(int64_t index) const override { return m_files.at(static_cast<size_t>(index)); }
    void noteScanSkips(const std::vector<std::string>& names)
    {
        for (const auto& n : names)
            noteSkipped(n);
    }

private:
    std::vector<std::string> m_files;
    std::vector<int64_t> m_labels;
    ImageFormat m_format;
};

// Image files directly in `folder` (recursively when `recursive`), sorted.
void scanImages(const fs::path& folder, bool recursive, std::vector<std::string>& good, std::vector<std::string>& bad,
                int64_t& others)
{
    std::vector<fs::path> entries;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, fs::directory_options::skip_permission_denied, ec))
        entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& path : entries) {
        if (fs::is_directory(path, ec)) {
            if (recursive)
                scanImages(path, true, good, bad, others);
            continue;
        }
        if (!isImageFileName(path.string())) {
            ++others;
            continue;
        }
        (hasImageSignature(path.string()) ? good : bad).push_back(path.string());
    }
}

class DigitsSheet final : public Dataset {
public:
    DigitsSheet(cv::Mat sheet, const ImageFormat& format, const std::string& path)
        : m_sheet(std::move(sheet))
        , m_format(format)
    {
        for (int i = 0; i < 10; ++i)
            m_classes.push_back(std::to_string(i));
        m_name = "handwritten digits sheet";
        m_details = "5000 images, 10 classes";
        m_identity = "digits:" + path;
    }

    int64_t size() const override { return 5000; }
    int64_t label(int64_t index) const override { return index / 500; }
    std::string itemName(int64_t index) const override { return "digit #" + std::to_string(index); }

    torch::Tensor image(int64_t index) override
    {
        if (index < 0 || index >= 5000)
            throw Error("no digit #" + std::to_string(index));
        // 100 digits per row of the sheet, 50 rows; each 20x20, centred in 28x28 as MNIST is.
        const int row = static_cast<int>(index / 100), col = static_cast<int>(index % 100);
        cv::Mat digit = m_sheet(cv::Rect(col * 20, row * 20, 20, 20));
        cv::Mat padded;
        // BORDER_ISOLATED: without it OpenCV borrows the neighbouring digits as the border.
        cv::copyMakeBorder(digit, padded, 4, 4, 4, 4, cv::BORDER_CONSTANT | cv::BORDER_ISOLATED, cv::Scalar(0));
        return detail::formatImage(padded, m_format);
    }

private:
    cv::Mat m_sheet;
    ImageFormat m_format;
};

} // namespace

bool isImageFileName(const std::string& path)
{
    static const char* exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"};
    const std::string ext = extension(path);
    return std::any_of(std::begin(exts), std::end(exts), [&](const char* e) { return ext == e; });
}

bool isVideoFileName(const std::string& path)
{
    static const char* exts[] = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".m4v", ".ogv"};
    const std::string ext = extension(path);
    return std::any_of(std::begin(exts), std::end(exts), [&](const char* e) { return ext == e; });
}

std::unique_ptr<Dataset> openDigitsSheet(const ImageFormat& format, const std::string& path)
{
    if (!fs::exists(path))
        throw Error("the digits sheet " + path + " is missing: install Debian's opencv-doc package");
    const auto wrongSize = [&path](int64_t cols, int64_t rows) {
        return Error("the digits sheet " + path + " is " + std::to_string(cols) + "x" + std::to_string(rows)
                     + ", expected 2000x1000 (100 x 50 digits of 20x20)");
    };
    // Refused from the header when it can say, before OpenCV decodes a sheet of any size.
    if (const auto size = imageFileSize(path); size && (size->width != 2000 || size->height != 1000))
        throw wrongSize(size->width, size->height);
    cv::Mat sheet = cv::imread(path, cv::IMREAD_GRAYSCALE);
    if (sheet.empty())
        throw Error("cannot decode the digits sheet " + path);
    if (sheet.cols != 2000 || sheet.rows != 1000)
        throw wrongSize(sheet.cols, sheet.rows);
    return std::make_unique<DigitsSheet>(sheet, format, path);
}

std::unique_ptr<Dataset> openImageFolder(const std::string& folderName, const ImageFormat& format)
{
    const fs::path folder(folderName);
    std::error_code ec;
    if (!fs::exists(folder, ec))
        throw Error("dataset not found: " + folderName);
    if (!fs::is_directory(folder, ec))
        throw Error(folderName + " is not a folder");

    std::vector<fs::path> subfolders;
    for (const auto& entry : fs::directory_iterator(folder, fs::directory_options::skip_permission_denied, ec))
        if (entry.is_directory(ec) && entry.path().filename().string().rfind('.', 0) != 0)
            subfolders.push_back(entry.path());
    std::sort(subfolders.begin(), subfolders.end());

    std::vector<std::string> files, bad, classes;
    std::vector<int64_t> labels;
    int64_t others = 0;
    for (const auto& sub : subfolders) {
        std::vector<std::string> good;
        scanImages(sub, true, good, bad, others);
        if (good.empty())
            continue; // torchvision skips empty class folders too
        for (const auto& f : good) {
            files.push_back(f);
            labels.push_back(static_cast<int64_t>(classes.size()));
        }
        classes.push_back(sub.filename().string());
    }
    const bool labeled = !files.empty();
    if (!labeled) // no class folders with images: a flat folder
        scanImages(folder, false, files, bad, others);
    if (files.empty()) {
        std::string what = bad.empty() ? "" : ", " + std::to_string(bad.size()) + " unreadable";
        if (others > 0)
            what += ", " + std::to_string(others) + " file(s) of other kinds";
        throw Error("no images in " + folderName + " (looked for png, jpg, bmp, webp, tiff" + what + ")");
    }
    const std::string details = std::to_string(files.size()) + " images"
        + (labeled ? ", " + std::to_string(classes.size()) + (classes.size() == 1 ? " class" : " classes") : ", unlabeled");
    auto dataset = std::make_unique<FileDataset>(files, labeled ? labels : std::vector<int64_t>{},
                                                 labeled ? classes : std::vector<std::string>{}, format,
                                                 folder.filename().string(), details,
                                                 "folder:" + fs::absolute(folder).lexically_normal().string() + ":"
                                                     + std::to_string(files.size()));
    dataset->noteScanSkips(bad);
    return dataset;
}

std::unique_ptr<Dataset> openImageFiles(const std::vector<std::string>& files, const ImageFormat& format)
{
    if (files.empty())
        throw Error("no image files given");
    for (const auto& f : files)
        if (!fs::exists(f))
            throw Error("image not found: " + f);
    const std::string name = files.size() == 1 ? fs::path(files[0]).filename().string()
                                                : std::to_string(files.size()) + " images";
    return std::make_unique<FileDataset>(files, std::vector<int64_t>{}, std::vector<std::string>{}, format, name, "",
                                         "files:" + files.front() + ":" + std::to_string(files.size()));
}

namespace {

std::unique_ptr<Dataset> openFashionMnist(bool test, const ImageFormat& format)
{
    const std::string file = kFashionMnistFolder + (test ? "/t10k-images-idx3-ubyte.gz" : "/train-images-idx3-ubyte.gz");
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw Error("fashion-mnist: " + file + " not found: install Debian's dataset-fashion-mnist (scripts/setup.sh does)");
    return openIdx(file, format,
                   {test ? "Fashion-MNIST test set" : "Fashion-MNIST",
                    {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
                    test});
}

} // namespace

std::string officialTestSet(const std::string& spec)
{
    return spec == "fashion-mnist" ? "fashion-mnist-test" : std::string();
}

std::unique_ptr<Dataset> openDigitCanvases(bool training, int64_t count, uint64_t seed, int64_t size)
{
    auto sheet = openDigitsSheet();
    const Split split = splitDataset(*sheet, 0.2, 0);
    CanvasOptions options;
    options.size = size;
    options.maxTile = std::min<int64_t>(options.maxTile, size);
    options.minTile = std::min<int64_t>(options.minTile, options.maxTile);
    auto canvases = std::make_unique<DigitCanvasDataset>(*sheet, training ? split.train : split.test, count, seed,
                                                         training ? "digit canvases for training" : "digit canvases",
                                                         options);
    if (!training)
        canvases->markTestSet();
    return canvases;
}

std::unique_ptr<Dataset> openDataset(const std::string& spec, const ImageFormat& format)
{
    if (spec == "digits")
        return openDigitsSheet(format);
    if (spec == "digit-canvas") {
        if (format.channels > 1)
            throw Error("digit canvases are gray (1 channel); this model takes " + std::to_string(format.channels));
        const int64_t size = format.height > 0 && format.height == format.width ? format.height : 64;
        return openDigitCanvases(false, kCanvasTestCount, kCanvasTestSeed, size);
    }
    if (spec == "fashion-mnist" || spec == "fashion-mnist-test")
        return openFashionMnist(spec == "fashion-mnist-test", format);
    if (spec.rfind("camera:", 0) == 0)
        throw Error("a camera is a live source, not a dataset: open it as video instead");
    if (isLiveSpec(spec))
        throw Error(spec + " is a live source (a camera or a stream), not a dataset: open it as video instead");
    std::error_code ec;
    if (!fs::exists(spec, ec))
        throw Error("dataset not found: " + spec);
    if (fs::is_directory(spec, ec))
        return openImageFolder(spec, format);
    const std::string name = lower(fs::path(spec).filename().string());
    if (name.find("idx3-ubyte") != std::string::npos)
        return openIdx(spec, format);
    if (isVideoFileName(spec))
        return openVideoFrames(spec, format);
    if (isImageFileName(spec))
        return openImageFiles({spec}, format);
    throw Error("cannot tell what " + spec + " is: give a folder of images, an idx file, a video, an image, 'digits', 'digit-canvas' or 'fashion-mnist'");
}

} // namespace convscope::io
