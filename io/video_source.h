#pragma once

#include "core/dataset.h"

#include <memory>
#include <string>
#include <vector>

namespace convscope::io {

// True when `spec` names a live source rather than a file: a camera
// ("camera:0", "/dev/video0"), a network stream ("rtsp://…", "http://…",
// "udp://…") or a GStreamer pipeline ("gst:… ! appsink").
bool isLiveSpec(const std::string& spec);

// The address schemes a network stream may start with ("rtsp://", …), in the
// order messages list them: one list, so the dialogs cannot drift from it.
const std::vector<std::string>& streamSchemes();

// Frames from a video file or a live source (see isLiveSpec), one after
// another. For files, openVideoFrames() in datasets.h gives random access instead.
class VideoSource {
public:
    static std::unique_ptr<VideoSource> open(const std::string& spec, const ImageFormat& format = {});
    ~VideoSource();

    // The next frame [C, H, W], or an undefined tensor when a file has ended.
    // Throws Error when a live source stops delivering frames (a camera
    // unplugged, a stream cut off or ended).
    torch::Tensor next();
    int64_t framesRead() const { return m_read; }
    // Frames per second the file or camera reports; 0 if it does not say.
    double fps() const;
    // Files only: the next frame read is `frame` (0-based).
    void seek(int64_t frame);
    bool isLive() const { return m_live; }
    const std::string& spec() const { return m_spec; }

private:
    VideoSource() = default;
    struct Capture;
    std::unique_ptr<Capture> m_capture;
    ImageFormat m_format;
    std::string m_spec;
    bool m_live = false;
    int64_t m_read = 0;
};

} // namespace convscope::io
