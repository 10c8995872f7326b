#include "io/image_io.h"

#include "core/error.h"
#include "io/mat_tensor.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace convscope::io {

namespace fs = std::filesystem;

torch::Tensor readImageNative(const std::string& path, int64_t channels)
{
    return detail::formatImage(detail::decodeFile(path), {channels, 0, 0}).unsqueeze(0);
}

torch::Tensor readImage(const std::string& path, int64_t channels, int64_t height, int64_t width)
{
    return detail::formatImage(detail::decodeFile(path), {channels, height, width}).unsqueeze(0);
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
