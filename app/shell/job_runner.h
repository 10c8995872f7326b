#pragma once

#include "core/progress.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace convscope {

// What a running job sees: its cancel flag and a progress reporter that may be
// called from the worker thread as often as it likes (reports are throttled).
struct JobContext {
    const CancelFlag* cancel = nullptr;
    ProgressFn progress;
};

// Runs jobs one at a time on its own worker thread, so the GUI thread never
// waits on the model. A job submitted on a channel replaces the job still
// waiting on that channel: only the newest input is worked on, the ones in
// between are dropped, never queued (live video). A job returns a
// continuation that runs on the GUI thread with its result; an exception it
// throws reaches `onError` there instead, as one line ("cancelled" is silent).
class JobRunner final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobRunner)
public:
    using Done = std::function<void()>;
    using Work = std::function<Done(JobContext&)>;
    using ErrorFn = std::function<void(const QString& message)>;

    explicit JobRunner(const QString& name, QObject* parent = nullptr);
    ~JobRunner() override; // cancels and waits for the running job

    // `title` is what the status bar shows; jobs with an empty title run quietly.
    void submit(const QString& channel, const QString& title, Work work, ErrorFn onError = {});
    // Cancels the running job if it is on `channel` (any channel if empty) and
    // drops waiting jobs on it.
    void cancel(const QString& channel = {});
    bool idle() const;
    // Jobs finished since construction (for throughput and tests).
    qint64 finishedCount() const;

Q_SIGNALS:
    void started(const QString& title);
    void progressed(const QString& title, double fraction, const QString& stage);
    void finished(const QString& title);
    void becameIdle();

private:
    void startNext();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
