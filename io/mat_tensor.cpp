#include "io/mat_tensor.h"

#include "core/error.h"
#include "io/image_header.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <utility>

namespace convscope::io::detail {

namespace {

bool isJpeg(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    char magic[3] = {};
    return file.read(magic, 3) && magic[0] == '\xFF' && magic[1] == '\xD8' && magic[2] == '\xFF';
}

// The IMREAD_REDUCED_* flag that decodes a JPEG of `size` within the limit
// (libjpeg scales while decoding, so the full size is never allocated); 0 if
// even 1/8 would not do. JPEG sides stop at 65535, so 1/8 always does.
int reducedJpegFlag(const ImageSize& size)
{
    for (const auto [factor, flag] : { std::pair { 2, cv::IMREAD_REDUCED_COLOR_2 },
             std::pair { 4, cv::IMREAD_REDUCED_COLOR_4 }, std::pair { 8, cv::IMREAD_REDUCED_COLOR_8 } })
        if (!tooLargeToDecode({ (size.width + factor - 1) / factor, (size.height + factor - 1) / factor }))
            return flag;
    return 0;
}

} // namespace

cv::Mat decodeFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw Error("image not found: " + path);
    if (std::filesystem::is_directory(path, ec))
        throw Error(path + " is a folder, not an image");
    int flags = cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR;
    if (const auto size = imageFileSize(path); size && tooLargeToDecode(*size)) {
        // Every input is resized to the model's size anyway: a big camera
        // JPEG is decoded at 1/2, 1/4 or 1/8 scale rather than refused.
        const int reduced = isJpeg(path) ? reducedJpegFlag(*size) : 0;
        if (reduced == 0)
            throw Error("image " + path + " is " + std::to_string(size->width) + "×" + std::to_string(size->height) +
                    " pixels: larger than the " + std::to_string(kMaxImagePixels >> 20) +
                    " Mpx ConvScope decodes (8192×8192); scale it down first");
        flags = reduced;
    }
    cv::Mat image;
    try {
        image = cv::imread(path, flags);
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
    float divisor = 1.0f;
    switch (raw.depth()) {
    case CV_8U: divisor = 255.0f; break;
    case CV_16U: divisor = 65535.0f; break;
    case CV_8S: divisor = 127.0f; break;
    case CV_16S: divisor = 32767.0f; break;
    default: break;
    }
    raw.convertTo(image, CV_32F);
    // A true float division, as torchvision's to_tensor (x.float() / 255):
    // convertTo's multiply by 1/255 differs in the last bit for half of the
    // byte values, and gradients through ReLU gates can notice.
    if (divisor != 1.0f)
        for (int r = 0; r < image.rows; ++r) {
            float* p = image.ptr<float>(r);
            for (int i = 0, n = image.cols * image.channels(); i < n; ++i)
                p[i] /= divisor;
        }
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

torch::Tensor formatImage(const cv::Mat& raw, const ImageFormat& format)
{
    int64_t channels = format.channels;
    if (channels == 0)
        channels = raw.channels() == 1 ? 1 : 3;
    cv::Mat image = toChannels(raw, channels);
    if (format.height > 0 && format.width > 0 && (image.rows != format.height || image.cols != format.width)) {
        cv::Mat resized;
        cv::resize(image, resized, cv::Size(static_cast<int>(format.width), static_cast<int>(format.height)), 0, 0,
                   cv::INTER_LINEAR);
        image = resized;
    }
    return toTensor(image)[0];
}

} // namespace convscope::io::detail
