#pragma once

#include <QCoreApplication>
#include <QMetaObject>

#include <functional>

namespace convscope {

// Calls back on the GUI thread once the job holding it is gone: JobRunner
// drops a cancelled job's continuation silently (a Cancel in the status bar
// included), and a view waiting for it must stop waiting. Captured by
// shared_ptr in the job's lambda.
class JobEndNotice {
public:
    explicit JobEndNotice(std::function<void()> notify)
        : m_notify(std::move(notify))
    {
    }
    ~JobEndNotice()
    {
        if (QCoreApplication* app = QCoreApplication::instance())
            QMetaObject::invokeMethod(app, m_notify, Qt::QueuedConnection);
    }
    Q_DISABLE_COPY_MOVE(JobEndNotice)

private:
    std::function<void()> m_notify;
};

} // namespace convscope
