#include "io/video_source.h"

#include "core/error.h"
#include "io/datasets.h"
#include "io/mat_tensor.h"

#include <opencv2/videoio.hpp>

#include <filesystem>
#include <mutex>
#include <vector>

namespace convscope::io {

namespace fs = std::filesystem;

const std::vector<std::string>& streamSchemes()
{
    static const std::vector<std::string> schemes{"rtsp://", "rtsps://", "rtmp://", "http://",
                                                  "https://", "udp://", "tcp://", "srt://"};
    return schemes;
}

struct VideoSource::Capture {
    cv::VideoCapture capture;
};

namespace {

int cameraIndex(const std::string& spec)
{
    std::string number;
    if (spec.rfind("camera:", 0) == 0)
        number = spec.substr(7);
    else if (spec.rfind("/dev/video", 0) == 0)
        number = spec.substr(10);
    else
        return -1;
    try {
        size_t used = 0;
        int index = std::stoi(number, &used);
        return used == number.size() && index >= 0 ? index : -1;
    } catch (const std::exception&) {
        return -1;
    }
}

bool isPipeline(const std::string& spec)
{
    return spec.rfind("gst:", 0) == 0;
}

bool isStreamUrl(const std::string& spec)
{
    for (const std::string& scheme : streamSchemes())
        if (spec.rfind(scheme, 0) == 0)
            return true;
    return false;
}

// Random access to the frames of a video file.
class VideoFrames final : public Dataset {
public:
    VideoFrames(const std::string& path, const ImageFormat& format)
        : m_path(path)
        , m_format(format)
    {
        if (!m_capture.open(path) || !m_capture.isOpened())
            throw Error("cannot open video " + path + " (unknown format or codec)");
        m_count = static_cast<int64_t>(m_capture.get(cv::CAP_PROP_FRAME_COUNT));
        if (m_count <= 0)
            throw Error("video " + path + " has no frames");
        m_name = fs::path(path).filename().string();
        m_details = std::to_string(m_count) + " frames";
        m_identity = "video:" + fs::absolute(path).lexically_normal().string() + ":" + std::to_string(m_count);
    }

    int64_t size() const override { return m_count; }
    int64_t label(int64_t) const override { return -1; }
    std::string itemName(int64_t index) const override { return "frame " + std::to_string(index); }

    torch::Tensor image(int64_t index) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (index < 0 || index >= m_count)
            throw Error("no frame " + std::to_string(index) + " in " + m_path);
        if (index != m_next)
            m_capture.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(index));
        cv::Mat frame;
        if (!m_capture.read(frame) || frame.empty()) {
            m_next = -1;
            throw Error("frame " + std::to_string(index) + " of " + m_path + " cannot be read (the video ends early)");
        }
        m_next = index + 1;
        return detail::formatImage(frame, m_format);
    }

private:
    std::string m_path;
    ImageFormat m_format;
    cv::VideoCapture m_capture;
    int64_t m_count = 0;
    int64_t m_next = 0;
    std::mutex m_mutex;
};

} // namespace

std::unique_ptr<Dataset> openVideoFrames(const std::string& file, const ImageFormat& format)
{
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw Error("video not found: " + file);
    return std::make_unique<VideoFrames>(file, format);
}

bool isLiveSpec(const std::string& spec)
{
    return cameraIndex(spec) >= 0 || isPipeline(spec) || isStreamUrl(spec);
}

std::unique_ptr<VideoSource> VideoSource::open(const std::string& spec, const ImageFormat& format)
{
    std::unique_ptr<VideoSource> source(new VideoSource());
    source->m_capture = std::make_unique<Capture>();
    source->m_format = format;
    source->m_spec = spec;
    cv::VideoCapture& capture = source->m_capture->capture;
    const int camera = cameraIndex(spec);
    source->m_live = isLiveSpec(spec);
    if (camera >= 0) {
        if (!capture.open(camera) || !capture.isOpened())
            throw Error("cannot open camera " + std::to_string(camera) + " (no such device, or it is busy)");
    } else if (isPipeline(spec)) {
        const std::string pipeline = spec.substr(4);
        // OpenCV takes frames from an appsink; without one it fails with no word why.
        if (pipeline.find("appsink") == std::string::npos)
            throw Error("the GStreamer pipeline '" + pipeline + "' must end in appsink");
        if (!capture.open(pipeline, cv::CAP_GSTREAMER) || !capture.isOpened())
            throw Error("cannot start the GStreamer pipeline '" + pipeline + "' (an unknown element, or elements that do not link)");
    } else if (isStreamUrl(spec)) {
        // Bounded waits: a dead address fails in seconds, not FFmpeg's default minutes.
        const std::vector<int> timeouts{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv::CAP_PROP_READ_TIMEOUT_MSEC, 5000};
        if (!capture.open(spec, cv::CAP_FFMPEG, timeouts) || !capture.isOpened())
            throw Error("cannot open stream " + spec + " (unreachable, or not a video stream)");
    } else {
        std::error_code ec;
        if (!fs::exists(spec, ec))
            throw Error("video not found: " + spec);
        if (!capture.open(spec) || !capture.isOpened())
            throw Error("cannot open video " + spec + " (unknown format or codec)");
    }
    return source;
}

VideoSource::~VideoSource() = default;

double VideoSource::fps() const
{
    const double fps = m_capture->capture.get(cv::CAP_PROP_FPS);
    return fps > 0 && fps < 1000 ? fps : 0;
}

void VideoSource::seek(int64_t frame)
{
    if (!m_live && frame > 0)
        m_capture->capture.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(frame));
    m_read = frame;
}

torch::Tensor VideoSource::next()
{
    cv::Mat frame;
    if (!m_capture->capture.read(frame) || frame.empty()) {
        if (cameraIndex(m_spec) >= 0)
            throw Error("camera " + m_spec + " stopped delivering frames (disconnected?)");
        if (m_live)
            throw Error("stream " + m_spec + " stopped delivering frames (it ended, or the connection dropped)");
        return {};
    }
    ++m_read;
    return detail::formatImage(frame, m_format);
}

} // namespace convscope::io
