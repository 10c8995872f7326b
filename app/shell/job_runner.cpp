#include "app/shell/job_runner.h"

#include "core/error.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QThreadPool>

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>

namespace convscope {

namespace {
// Throttles a job's progress reports (called on the worker as often as it
// likes) to one every 50 ms, the last always; a note (kNote) is reported at
// once and stays on every later stage, so that the user sees that the batch
// shrank for as long as the job runs.
class Reports {
public:
    Reports() { m_clock.start(); }
    // The text to show for this report, or nothing when it is too soon.
    std::optional<QString> take(double& fraction, const std::string& stage)
    {
        if (fraction == kNote) {
            m_note = QString::fromStdString(stage);
            fraction = m_fraction;
            return m_stage.isEmpty() ? m_note : m_stage + QStringLiteral(" · ") + m_note;
        }
        m_fraction = fraction;
        m_stage = QString::fromStdString(stage);
        if (m_clock.elapsed() < 50 && fraction < 1.0)
            return std::nullopt;
        m_clock.restart();
        return m_note.isEmpty() ? m_stage : m_stage + QStringLiteral(" · ") + m_note;
    }

private:
    QElapsedTimer m_clock;
    double m_fraction = 0;
    QString m_stage, m_note;
};

struct Job {
    QString channel, title;
    JobRunner::Work work;
    JobRunner::ErrorFn onError;
    std::shared_ptr<CancelFlag> cancel = std::make_shared<CancelFlag>(false);
};
} // namespace

// The queue lives on the GUI thread only; the worker thread sees one job at a
// time and hands its result back through a queued call.
struct JobRunner::Private {
    QThreadPool pool;
    std::deque<std::shared_ptr<Job>> waiting;
    std::shared_ptr<Job> running;
    qint64 finished = 0;
};

JobRunner::JobRunner(const QString& name, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->pool.setMaxThreadCount(1);
    d->pool.setExpiryTimeout(-1); // keep the thread: gradient mode and caches are per thread
    d->pool.setObjectName(name);
}

JobRunner::~JobRunner()
{
    d->waiting.clear();
    if (d->running)
        d->running->cancel->store(true);
    d->pool.waitForDone();
}

bool JobRunner::idle() const
{
    return !d->running && d->waiting.empty();
}

qint64 JobRunner::finishedCount() const
{
    return d->finished;
}

void JobRunner::submit(const QString& channel, const QString& title, Work work, ErrorFn onError)
{
    auto job = std::make_shared<Job>();
    job->channel = channel;
    job->title = title;
    job->work = std::move(work);
    job->onError = std::move(onError);
    for (auto it = d->waiting.begin(); it != d->waiting.end(); ++it)
        if ((*it)->channel == channel) {
            d->waiting.erase(it); // superseded before it started
            break;
        }
    d->waiting.push_back(std::move(job));
    if (!d->running)
        startNext();
}

void JobRunner::cancel(const QString& channel)
{
    for (auto it = d->waiting.begin(); it != d->waiting.end();)
        it = (channel.isEmpty() || (*it)->channel == channel) ? d->waiting.erase(it) : it + 1;
    if (d->running && (channel.isEmpty() || d->running->channel == channel))
        d->running->cancel->store(true);
    if (idle())
        Q_EMIT becameIdle();
}

void JobRunner::startNext()
{
    if (d->waiting.empty()) {
        Q_EMIT becameIdle();
        return;
    }
    d->running = d->waiting.front();
    d->waiting.pop_front();
    std::shared_ptr<Job> job = d->running;
    if (!job->title.isEmpty())
        Q_EMIT started(job->title);

    QPointer<JobRunner> self(this);
    d->pool.start([self, job] {
        JobContext context;
        context.cancel = job->cancel.get();
        auto reports = std::make_shared<Reports>();
        context.progress = [self, job, reports](double fraction, const std::string& stage) {
            const std::optional<QString> shown = reports->take(fraction, stage);
            if (!shown)
                return;
            QMetaObject::invokeMethod(self, [self, job, fraction, text = *shown] {
                if (self && !job->title.isEmpty())
                    Q_EMIT self->progressed(job->title, fraction, text);
            }, Qt::QueuedConnection);
        };
        Done done;
        QString error;
        bool cancelled = false;
        try {
            done = job->work(context);
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const std::bad_alloc&) {
            error = QStringLiteral("out of memory");
        } catch (const Error& e) {
            error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            error = QString::fromStdString(torchMessage(e));
        }
        cancelled = cancelled || job->cancel->load();
        QMetaObject::invokeMethod(self, [self, job, done, error, cancelled] {
            if (!self)
                return;
            Private* d = self->d.get();
            d->running.reset();
            ++d->finished;
            if (!cancelled) {
                if (!error.isEmpty()) {
                    if (job->onError)
                        job->onError(error);
                } else if (done) {
                    done();
                }
            }
            if (!job->title.isEmpty())
                Q_EMIT self->finished(job->title);
            // done() or a finished() handler may have submitted a job, which
            // started at once: starting another beside it would leave
            // `running` naming the wrong one, and Cancel would miss the job
            // that actually runs.
            if (self && !self->d->running)
                self->startNext();
        }, Qt::QueuedConnection);
    });
}

} // namespace convscope
