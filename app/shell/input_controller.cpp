#include "app/shell/input_controller.h"

#include "app/shell/frames.h"
#include "app/shell/job_runner.h"
#include "app/shell/workspace.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "io/datasets.h"
#include "io/video_source.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QPointer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace convscope {

QString inputDisplayName(const QString& spec)
{
    const QString name = QFileInfo(spec).fileName();
    return io::isLiveSpec(spec.toStdString()) || name.isEmpty() ? spec : name;
}

namespace {

// Opens a source and reads its frames on its own thread, keeping only the
// newest. Opening happens there too: a network stream can take seconds to
// answer, or to time out.
class FrameReader {
public:
    using Open = std::function<std::unique_ptr<io::VideoSource>()>;
    using Notify = std::function<void()>;

    FrameReader(Open open, bool realtime, Notify notify)
        : m_open(std::move(open))
        , m_realtimeWanted(realtime)
        , m_notify(std::move(notify))
    {
        m_thread = std::thread([this] { loop(); });
    }

    // Joins the thread: a stream still opening holds this up to its open
    // limit (5 s, io::VideoSource::open).
    ~FrameReader()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_taken.notify_all();
        m_thread.join();
    }

    // The newest frame and its number, or an undefined tensor if none arrived
    // since the last call.
    std::pair<torch::Tensor, int64_t> take()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto frame = std::make_pair(m_frame, m_number);
        m_frame = torch::Tensor();
        m_taken.notify_all();
        return frame;
    }

    int64_t dropped() const { return m_dropped.load(); }
    bool ended() const { return m_ended.load(); }
    std::string error() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_error;
    }

private:
    void loop()
    {
        try {
            m_source = m_open();
        } catch (const std::exception& e) {
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_error = e.what();
            }
            m_ended = true;
            m_notify();
            return;
        }
        m_realtime = m_realtimeWanted && !m_source->isLive() && m_source->fps() > 0;
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        const int64_t first = m_source->framesRead();
        const double fps = m_source->fps();
        while (true) {
            {
                // Unpaced files wait for the last frame to be taken: every frame
                // is shown, as fast as the model goes. Paced files and live
                // sources keep reading and replace what was not taken.
                std::unique_lock<std::mutex> lock(m_mutex);
                if (!m_realtime && !m_source->isLive())
                    m_taken.wait(lock, [this] { return m_stop || !m_frame.defined(); });
                if (m_stop)
                    return;
            }
            if (m_realtime) {
                const auto due = start + std::chrono::duration<double>((m_source->framesRead() - first) / fps);
                std::this_thread::sleep_until(std::chrono::time_point_cast<Clock::duration>(due));
            }
            torch::Tensor frame;
            int64_t number = m_source->framesRead();
            try {
                frame = m_source->next();
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_error = e.what();
            }
            if (!frame.defined()) {
                m_ended = true;
                m_notify();
                return;
            }
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                if (m_stop)
                    return;
                if (m_frame.defined())
                    ++m_dropped;
                m_frame = frame;
                m_number = number;
            }
            m_notify();
        }
    }

    Open m_open;
    bool m_realtimeWanted;
    Notify m_notify;
    // Used by the reader thread only.
    std::unique_ptr<io::VideoSource> m_source;
    bool m_realtime = false;
    mutable std::mutex m_mutex;
    std::condition_variable m_taken;
    torch::Tensor m_frame;
    int64_t m_number = 0;
    bool m_stop = false;
    std::atomic<bool> m_ended{false};
    std::atomic<int64_t> m_dropped{0};
    std::string m_error;
    std::thread m_thread;
};

} // namespace

struct InputController::Private {
    Workspace* workspace = nullptr;
    QString spec;
    QString openedSpec; // the last spec that opened
    int openedPosition = 0;
    Kind kind = None;
    int position = 0;
    std::shared_ptr<convscope::Dataset> dataset;
    std::vector<int64_t> items; // what previous/next walk: the test split, or every item
    std::vector<int64_t> testSplit; // a dataset's test split (empty if too small to split)
    bool walkAll = false; // walk every item of a split dataset, not only its test split
    std::array<int64_t, 3> format{};
    int openGeneration = 0;

    std::unique_ptr<FrameReader> reader;
    bool realtime = true;
    std::atomic<bool> notified{false};
    bool frameWaiting = false;
    QElapsedTimer clock;
    qint64 shown = 0;
    qint64 shownAtMark = 0;
    qint64 markMs = 0;
    double fps = 0;
};

InputController::InputController(Workspace* workspace, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->workspace = workspace;
    connect(workspace, &Workspace::modelChanged, this, [this] {
        auto model = d->workspace->model();
        if (!model)
            return;
        if (model->info().input != d->format)
            reopen(); // the input follows the model's format
    });
    // Live input: the next frame goes in when the last one has been through the model.
    connect(workspace, &Workspace::forwardReady, this, [this] {
        if (d->reader) {
            ++d->shown;
            const qint64 now = d->clock.elapsed();
            if (now - d->markMs >= 1000) {
                d->fps = 1000.0 * static_cast<double>(d->shown - d->shownAtMark) / static_cast<double>(now - d->markMs);
                d->shownAtMark = d->shown;
                d->markMs = now;
                Q_EMIT liveStats(tr("%1 frames/s, %2 dropped").arg(d->fps, 0, 'f', 1).arg(d->reader->dropped()));
            }
        }
        if (d->frameWaiting || (d->reader && d->reader->ended()))
            takeFrame();
    });
    connect(workspace, &Workspace::forwardFailed, this, [this] {
        if (playing())
            play(false); // the model cannot take these frames; don't spin on them
    });
}

InputController::~InputController()
{
    stopReader();
}

QString InputController::spec() const
{
    return d->spec;
}

QString InputController::openedSpec() const
{
    return d->openedSpec;
}

int InputController::openedPosition() const
{
    return d->openedSpec == d->spec ? d->position : d->openedPosition;
}

InputController::Kind InputController::kind() const
{
    return d->kind;
}

int InputController::count() const
{
    return static_cast<int>(d->items.size());
}

int InputController::position() const
{
    return d->position;
}

bool InputController::playing() const
{
    return d->reader != nullptr;
}

bool InputController::realtime() const
{
    return d->realtime;
}

void InputController::setRealtime(bool realtime)
{
    d->realtime = realtime;
    if (playing()) {
        play(false);
        play(true);
    }
}

double InputController::fps() const
{
    return d->fps;
}

qint64 InputController::framesShown() const
{
    return d->shown;
}

qint64 InputController::framesDropped() const
{
    return d->reader ? d->reader->dropped() : 0;
}

void InputController::open(const QString& spec, int position)
{
    stopReader();
    if (d->openedSpec == d->spec)
        d->openedPosition = d->position;
    d->spec = spec;
    d->position = std::max(0, position);
    d->kind = io::isLiveSpec(spec.toStdString()) ? Live
              : io::isVideoFileName(spec.toStdString()) ? Video
              : io::isImageFileName(spec.toStdString()) ? Image
                                                        : Dataset;
    d->dataset.reset();
    d->items.clear();
    d->testSplit.clear();
    Q_EMIT navigationChanged(0, 0);
    emitScope();
    Q_EMIT liveChanged(d->kind == Video || d->kind == Live, false);
    reopen();
}

void InputController::reopen()
{
    auto model = d->workspace->model();
    if (d->spec.isEmpty() || !model)
        return; // opened when a model arrives
    const auto format = model->info().input;
    d->format = format;
    if (!takesImages(model->info())) {
        declineInput(model->info());
        return;
    }
    if (d->kind == Live) {
        play(true); // a live source has nothing to show until it plays
        return;
    }
    const bool wasPlaying = playing();
    stopReader();
    const int generation = ++d->openGeneration;
    const std::string spec = d->spec.toStdString();
    const Kind kind = d->kind;
    QPointer<InputController> self(this);
    struct Opened {
        std::shared_ptr<convscope::Dataset> dataset;
        std::vector<int64_t> testSplit;
    };
    d->workspace->drawing()->submit(
        QStringLiteral("open-input"), tr("Opening %1").arg(inputDisplayName(d->spec)),
        [self, spec, format, kind, generation, wasPlaying](JobContext&) -> JobRunner::Done {
            auto opened = std::make_shared<Opened>();
            opened->dataset = io::openDataset(spec, ImageFormat{format[0], format[1], format[2]});
            // Datasets walk their fixed test split, the images a model was not trained on;
            // videos, single images and sets too small to split walk every item.
            if (kind == Dataset)
                opened->testSplit = splitDataset(*opened->dataset).test;
            return [self, opened, generation, wasPlaying] {
                if (!self || generation != self->d->openGeneration)
                    return;
                auto* d = self->d.get();
                d->dataset = opened->dataset;
                d->testSplit = opened->testSplit;
                self->chooseItems();
                d->position = std::clamp<int>(d->position, 0, static_cast<int>(d->items.size()) - 1);
                d->openedSpec = d->spec;
                Q_EMIT self->opened(QString::fromStdString(d->dataset->description()));
                self->readItem(d->position);
                if (wasPlaying)
                    self->play(true);
            };
        },
        [self, generation](const QString& message) {
            if (self && generation == self->d->openGeneration)
                Q_EMIT self->failed(self->d->spec, message);
        });
}

void InputController::declineInput(const ModelInfo& info)
{
    // Read in its format, an image would be its gray copied to every channel
    // (192 of them for the lecture's bottleneck block), run for nothing: no
    // input is read, and the spec waits for the next model that takes images.
    play(false);
    ++d->openGeneration; // an open on its way is of no use now
    d->dataset.reset();
    d->items.clear();
    d->testSplit.clear();
    Q_EMIT navigationChanged(0, 0);
    emitScope();
    // The dock shows why in place of a picture; no forward pass runs on it.
    auto frame = std::make_shared<InputFrame>();
    frame->pixels = torch::zeros({1, 0, 0});
    frame->caption = QString::fromStdString(notAnImageMessage(info));
    frame->source = d->spec;
    d->workspace->setInput(frame);
}

void InputController::chooseItems()
{
    d->items.clear();
    if (!d->walkAll && !d->testSplit.empty())
        d->items = d->testSplit;
    else if (d->dataset)
        d->items = everyItem(*d->dataset);
    emitScope();
}

void InputController::emitScope()
{
    const int64_t total = d->dataset ? d->dataset->size() : 0;
    Q_EMIT scopeChanged(static_cast<int>(d->testSplit.size()), static_cast<int>(total), d->walkAll);
}

void InputController::setWalkAll(bool all)
{
    if (all == d->walkAll)
        return;
    d->walkAll = all;
    if (!d->dataset || d->testSplit.empty()) {
        emitScope();
        return;
    }
    // Stay on the image shown when it is in the new walk; else start it.
    const int64_t shown = d->items.empty() ? -1 : d->items[static_cast<size_t>(d->position)];
    chooseItems();
    const auto it = std::find(d->items.begin(), d->items.end(), shown);
    readItem(it == d->items.end() ? 0 : static_cast<int>(it - d->items.begin()));
}

bool InputController::walksAll() const
{
    return d->walkAll;
}

std::shared_ptr<convscope::Dataset> InputController::dataset() const
{
    // One image is a dataset of one to the reader, but nothing to scan, attack
    // or embed ("top 9 of 1 images", "Robustness of 1 samples").
    return d->kind == Live || d->kind == Image ? nullptr : d->dataset;
}

void InputController::showItem(int64_t item)
{
    if (!d->dataset || item < 0 || item >= d->dataset->size())
        return;
    const auto it = std::find(d->items.begin(), d->items.end(), item);
    if (it != d->items.end()) {
        seek(static_cast<int>(it - d->items.begin()));
        return;
    }
    // A training image: shown, though previous/next walk the test split.
    if (playing())
        play(false);
    try {
        auto frame = std::make_shared<InputFrame>();
        frame->pixels = d->dataset->image(item);
        frame->source = d->spec;
        frame->caption = tr("%1 — item %2 (%3, training split)")
                             .arg(QString::fromStdString(d->dataset->name()))
                             .arg(item)
                             .arg(QString::fromStdString(d->dataset->itemName(item)));
        d->workspace->setInput(frame);
    } catch (const std::exception& e) {
        Q_EMIT failed(d->spec, QString::fromStdString(e.what()));
    }
}

void InputController::step(int delta)
{
    if (d->items.empty())
        return;
    const int count = static_cast<int>(d->items.size());
    seek(((d->position + delta) % count + count) % count);
}

void InputController::seek(int position)
{
    if (d->items.empty() || position < 0 || position >= static_cast<int>(d->items.size()))
        return;
    if (playing())
        play(false);
    readItem(position);
}

void InputController::readItem(int position)
{
    d->position = position;
    Q_EMIT navigationChanged(static_cast<int>(d->items.size()), position);
    auto dataset = d->dataset;
    const int64_t item = d->items[static_cast<size_t>(position)];
    const int count = static_cast<int>(d->items.size());
    const QString spec = d->spec;
    const Kind kind = d->kind;
    // Walking every image of a split set, say which split this one is in; a
    // set too small to split has images, not test images.
    const bool split = !d->testSplit.empty();
    const QString noun = split && !d->walkAll ? tr("test image") : tr("image");
    QString where;
    if (split && d->walkAll)
        where = std::find(d->testSplit.begin(), d->testSplit.end(), item) != d->testSplit.end()
                    ? tr(", test split")
                    : tr(", training split");
    QPointer<InputController> self(this);
    // Newest wins: a dragged slider reads only where it stops.
    d->workspace->drawing()->submit(
        QStringLiteral("read-input"), QString(),
        [self, dataset, item, position, count, spec, kind, noun, where](JobContext&) -> JobRunner::Done {
            auto frame = std::make_shared<InputFrame>();
            frame->pixels = dataset->image(item);
            frame->source = spec;
            frame->index = position;
            const int64_t label = dataset->label(item);
            const QString name = QString::fromStdString(dataset->name());
            const QString itemName = QString::fromStdString(dataset->itemName(item));
            if (kind == Image)
                frame->caption = QFileInfo(spec).fileName();
            else if (kind == Video)
                frame->caption = tr("%1 — frame %2 of %3").arg(name).arg(position + 1).arg(count);
            else
                frame->caption = tr("%1 — %2 %3 of %4 (%5%6)%7")
                                     .arg(name, noun)
                                     .arg(position + 1)
                                     .arg(count)
                                     .arg(itemName, where)
                                     .arg(label >= 0 ? tr(", label %1").arg(QString::fromStdString(
                                                           dataset->classes()[static_cast<size_t>(label)]))
                                                     : QString());
            return [self, frame, dataset] {
                if (self && frame->index == self->d->position && !self->playing() && dataset == self->d->dataset)
                    self->d->workspace->setInput(frame);
            };
        },
        [self](const QString& message) {
            if (self)
                Q_EMIT self->failed(self->d->spec, message);
        });
}

void InputController::play(bool on)
{
    if (on == playing())
        return;
    if (!on) {
        stopReader();
        Q_EMIT liveChanged(d->kind == Video || d->kind == Live, false);
        return;
    }
    auto model = d->workspace->model();
    if (!model || (d->kind != Video && d->kind != Live) || !takesImages(model->info()))
        return;
    const auto format = model->info().input;
    if (d->kind == Video && d->position >= count() - 1)
        d->position = 0; // at the end: play from the start
    const std::string spec = d->spec.toStdString();
    const ImageFormat imageFormat{format[0], format[1], format[2]};
    const int64_t from = d->kind == Video ? d->position : 0;
    // The reader is joined before this object goes, so `this` outlives its thread.
    d->reader = std::make_unique<FrameReader>(
        [spec, imageFormat, from] {
            auto source = io::VideoSource::open(spec, imageFormat);
            source->seek(from);
            return source;
        },
        d->realtime,
        [this] {
            // One wake-up in flight at a time; the GUI thread then takes the newest frame.
            if (d->notified.exchange(true))
                return;
            QMetaObject::invokeMethod(this, [this] {
                d->notified = false;
                takeFrame();
            }, Qt::QueuedConnection);
        });
    d->clock.start();
    d->markMs = 0;
    d->shown = d->shownAtMark = 0;
    d->fps = 0;
    d->frameWaiting = false;
    Q_EMIT liveChanged(true, true);
    Q_EMIT liveStats(tr("starting…"));
}

void InputController::takeFrame()
{
    if (!d->reader)
        return;
    if (d->workspace->forwardPending()) {
        d->frameWaiting = true; // taken when the model is free
        return;
    }
    d->frameWaiting = false;
    auto [pixels, number] = d->reader->take();
    if (!pixels.defined()) {
        if (d->reader->ended()) {
            const std::string error = d->reader->error();
            stopReader();
            Q_EMIT liveChanged(true, false);
            if (!error.empty())
                Q_EMIT failed(d->spec, QString::fromStdString(error));
            else
                Q_EMIT liveStats(tr("end of video — %1 frames/s").arg(d->fps, 0, 'f', 1));
        }
        return;
    }
    auto frame = std::make_shared<InputFrame>();
    frame->pixels = pixels;
    frame->source = d->spec;
    const int position = static_cast<int>(number);
    if (d->kind == Video) {
        d->position = std::min(position, std::max(0, count() - 1));
        frame->index = d->position;
        frame->caption = tr("%1 — frame %2 of %3 (playing)").arg(QFileInfo(d->spec).fileName()).arg(position + 1).arg(count());
        Q_EMIT navigationChanged(count(), d->position);
    } else {
        frame->caption = tr("%1 — frame %2 (live)").arg(d->spec).arg(position + 1);
    }
    d->workspace->setInput(frame);
}

void InputController::stopReader()
{
    d->reader.reset();
    d->frameWaiting = false;
}

} // namespace convscope
