#pragma once

#include <QObject>
#include <QString>

#include <memory>

namespace convscope {

class Dataset;
class Workspace;
struct ModelInfo;

// How an input is named in menus and messages: a file's name, or a live
// source's whole spec (a pipeline's slashes are not folders).
QString inputDisplayName(const QString& spec);

// Feeds the workspace its input: one image, a dataset's test images, the
// frames of a video file, or a live source (a camera, a network stream, a
// GStreamer pipeline). Everything is read in the current
// model's format and read again when the model changes; a model whose input
// is not an image is fed nothing (the input's caption says why). Reading happens off
// the GUI thread; while a video or live source plays, a reader thread keeps only
// the newest frame and the workspace takes it when its last forward pass is
// done, so frames are dropped, never queued.
class InputController final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InputController)
public:
    enum Kind { None, Image, Dataset, Video, Live };

    explicit InputController(Workspace* workspace, QObject* parent = nullptr);
    ~InputController() override;

    // A live source (io::isLiveSpec: "camera:N", /dev/videoN, "rtsp://…",
    // "gst:… ! appsink"), a video file, an image file, or anything
    // io::openDataset() reads. `position` is where to start walking.
    void open(const QString& spec, int position = 0);
    QString spec() const;
    // The last input that opened (what a session saves), with its position;
    // empty until one has. A spec that failed to open never becomes it.
    QString openedSpec() const;
    int openedPosition() const;
    Kind kind() const;
    int count() const;
    int position() const;
    // The dataset (or video's frames) being walked, in the model's format;
    // null for a live source or a single image, or before a model has arrived.
    std::shared_ptr<convscope::Dataset> dataset() const;
    // Shows dataset item `item` (any item, not only the walked test split).
    void showItem(int64_t item);
    // A split dataset walks its test split (the images a model trained here
    // never saw) unless told to walk every image. Kept across inputs.
    void setWalkAll(bool all);
    bool walksAll() const;

    void step(int delta);
    void seek(int position);
    void play(bool on);
    bool playing() const;
    // Video files: play at the file's frame rate (true) or as fast as the
    // model goes (false, for measuring throughput).
    void setRealtime(bool realtime);
    bool realtime() const;
    // While playing: frames shown per second, and frames read but skipped.
    double fps() const;
    qint64 framesShown() const;
    qint64 framesDropped() const;

Q_SIGNALS:
    void opened(const QString& description);
    void failed(const QString& spec, const QString& message);
    void navigationChanged(int count, int position);
    // A dataset's test split and all its images (testCount 0: not split), and which is walked.
    void scopeChanged(int testCount, int total, bool all);
    void liveChanged(bool available, bool playing);
    void liveStats(const QString& text);

private:
    void reopen();
    void declineInput(const ModelInfo& info);
    void chooseItems();
    void emitScope();
    void readItem(int position);
    void takeFrame();
    void stopReader();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
