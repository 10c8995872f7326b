#include "io/image_io.h"

#include "core/error.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace convscope::io {

namespace fs = std::filesystem;

namespace {

cv::Mat decode(const std::string& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error("image not found: " + path);
    if (fs::is_directory(path, ec))
        throw Error(path + " is a folder, not an image");
    cv::Mat image;
    try {
        image = cv::imread(path, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
    } catch (const cv::Exception& e) {
        throw Error("cannot decode image " + path + ": " + e.err);
    }
    if (image.empty())
        throw Error("cannot decode image " + path + " (not an image, or a format OpenCV cannot read)");
    return image;
}

// To float [0, 1] with the requested channel count, in RGB order.
cv::Mat toChannels(const cv::Mat& raw, int64_t channels)
{
    cv::Mat image;
    double scale = 1.0;
    switch (raw.depth()) {
    case CV_8U: scale = 1.0 / 255; break;
    case CV_16U: scale = 1.0 / 65535; break;
    case CV_8S: scale = 1.0 / 127; break;
    case CV_16S: scale = 1.0 / 32767; break;
    default: scale = 1.0; break;
    }
    raw.convertTo(image, CV_32F, scale);
    cv::Mat converted;
    const int have = image.channels();
    if (channels == 1) {
        if (have == 1)
            converted = image;
        else if (have == 3)
            cv::cvtColor(image, converted, cv::COLOR_BGR2GRAY);
        else if (have == 4)
            cv::cvtColor(image, converted, cv::COLOR_BGRA2GRAY);
        else
            cv::extractChannel(image, converted, 0);
    } else if (channels == 3) {
        if (have == 1)
            cv::cvtColor(image, converted, cv::COLOR_GRAY2RGB);
        else if (have == 3)
            cv::cvtColor(image, converted, cv::COLOR_BGR2RGB);
        else if (have == 4)
            cv::cvtColor(image, converted, cv::COLOR_BGRA2RGB);
        else
            throw Error("cannot convert a " + std::to_string(have) + "-channel image to RGB");
    } else {
        // Models with other channel counts get the gray image replicated.
        cv::Mat gray = have == 1 ? image : cv::Mat();
        if (have == 3)
            cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
        else if (have == 4)
            cv::cvtColor(image, gray, cv::COLOR_BGRA2GRAY);
        else if (have != 1)
            cv::extractChannel(image, gray, 0);
        std::vector<cv::Mat> planes(static_cast<size_t>(channels), gray);
        cv::merge(planes, converted);
    }
    cv::Mat clipped;
    cv::min(cv::max(converted, 0.0), 1.0, clipped);
    return clipped;
}

torch::Tensor toTensor(const cv::Mat& image)
{
    cv::Mat contiguous = image.isContinuous() ? image : image.clone();
    auto t = torch::from_blob(contiguous.data, {contiguous.rows, contiguous.cols, contiguous.channels()}, torch::kFloat32);
    return t.permute({2, 0, 1}).unsqueeze(0).clone();
}

} // namespace

torch::Tensor readImageNative(const std::string& path, int64_t channels)
{
    return toTensor(toChannels(decode(path), channels));
}

torch::Tensor readImage(const std::string& path, int64_t channels, int64_t height, int64_t width)
{
    cv::Mat image = toChannels(decode(path), channels);
    if (image.rows != height || image.cols != width) {
        cv::Mat resized;
        cv::resize(image, resized, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0, cv::INTER_LINEAR);
        image = resized;
    }
    return toTensor(image);
}

void writeImage(const std::string& path, const torch::Tensor& image)
{
    torch::Tensor t = image.detach().to(torch::kCPU, torch::kFloat32);
    if (t.dim() == 4 && t.size(0) == 1)
        t = t[0];
    if (t.dim() == 2)
        t = t.unsqueeze(0);
    if (t.dim() != 3 || (t.size(0) != 1 && t.size(0) != 3))
        throw Error("cannot write a tensor of shape " + std::to_string(t.dim()) + "-D as an image");
    t = (t.clamp(0, 1) * 255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    const int channels = static_cast<int>(t.size(2));
    cv::Mat mat(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC(channels), t.data_ptr());
    cv::Mat bgr;
    if (channels == 3)
        cv::cvtColor(mat, bgr, cv::COLOR_RGB2BGR);
    else
        bgr = mat;
    std::string ext = fs::path(path).extension().string();
    if (ext.empty())
        throw Error("cannot tell the image format of " + path + ": give it an extension such as .png");
    std::vector<uchar> bytes;
    try {
        if (!cv::imencode(ext, bgr, bytes))
            throw Error("cannot encode " + path);
    } catch (const cv::Exception& e) {
        throw Error("cannot write " + path + ": unknown image format '" + ext + "'");
    }
    const std::string temporary = path + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error("cannot write " + path + ": cannot create the file");
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::remove(temporary.c_str());
            throw Error("cannot write " + path + ": disk full or write error");
        }
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) {
        std::remove(temporary.c_str());
        throw Error("cannot write " + path + ": " + ec.message());
    }
}

} // namespace convscope::io
