#pragma once

// Handing work done on a worker thread back to a widget on the GUI thread.

#include <QCoreApplication>
#include <QPointer>

#include <memory>

namespace convscope
{

// Runs `call(object)` on the GUI thread, if the object is still there by then.
template <typename T, typename Call> void postTo(const QPointer<T>& object, Call call)
{
    QCoreApplication* app = QCoreApplication::instance();
    if (!app)
        return;
    QMetaObject::invokeMethod(
        app,
        [object, call] {
            if (object)
                call(object.data());
        },
        Qt::QueuedConnection);
}

// A token for a job to hold: when its last copy goes (the job finished,
// failed, or was dropped or cancelled — JobRunner drops those and their
// continuations without a word), `gone(object)` runs on the GUI thread, so
// that the widget stops waiting.
template <typename T, typename Gone> std::shared_ptr<void> jobEndNotice(const QPointer<T>& object, Gone gone)
{
    return std::shared_ptr<void>(nullptr, [object, gone](void*) { postTo(object, gone); });
}

} // namespace convscope
