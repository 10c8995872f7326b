#pragma once

// What the GUI test programs share: a probe of the GUI thread's stalls, the
// window opened on the shipped model and digits, and settings and caches of
// their own.

#include "app/shell/defaults.h"
#include "app/shell/main_window.h"
#include "app/shell/view_tab.h"
#include "app/shell/workspace.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QString>
#include <QTest>
#include <QTimer>

#include <algorithm>

namespace convscope::test
{

// Measures the longest time the GUI thread went without running its event loop.
class StallProbe
{
public:
    StallProbe()
    {
        m_clock.start();
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.elapsed();
            if (now - m_last > 50 && qEnvironmentVariableIsSet("CONVSCOPE_STALLS"))
                qInfo("stall of %lld ms ending at %lld ms (%s)", now - m_last, now, qPrintable(phase));
            m_worst = std::max(m_worst, now - m_last);
            m_last = now;
        });
        m_timer.start();
    }
    qint64 worstMs() const { return m_worst; }
    QString phase;

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_worst = 0;
};

// The window on the shipped model and a test digit, showing tab `key`, settled;
// null if it never got there.
inline ViewTab* openDigitsTab(MainWindow& window, const QString& key)
{
    window.resize(1400, 900);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    window.openInput(defaultDatasetSpec());
    if (!loaded.wait(60000) && loaded.isEmpty())
        return nullptr;
    window.setCurrentTab(key);
    if (!QTest::qWaitFor([&window] { return window.isSettled() && window.workspace()->input(); }, 60000))
        return nullptr;
    return window.tab(key);
}

// Each run gets its own settings and caches under `dir`, never the user's.
inline void useOwnSettings(const QString& dir)
{
    QCoreApplication::setOrganizationName(QStringLiteral("ConvScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("ConvScopeTest"));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir);
    qputenv("XDG_CACHE_HOME", QFile::encodeName(dir + QStringLiteral("/cache")));
}

} // namespace convscope::test
