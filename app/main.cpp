#include "app/cli/cli.h"
#include "app/lesson/controller.h"
#include "app/lesson/player.h"
#include "app/lesson/presenter.h"
#include "app/shell/defaults.h"
#include "app/shell/main_window.h"
#include "app/shell/model_validation.h"
#include "app/shell/session_state.h"
#include "core/device.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QScreen>
#include <QSettings>

#include <iostream>

#include <algorithm>

#include <sys/stat.h>
#include <unistd.h>

namespace {
void describe()
{
    QCoreApplication::setOrganizationName(QStringLiteral("ConvScope"));
    QCoreApplication::setApplicationName(QStringLiteral("ConvScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONVSCOPE_VERSION));
}
// Without a display, Qt notes what the offscreen platform cannot do and that
// there is no runtime directory: true, and nothing a `render` user can act on.
void quietOffscreen()
{
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        const QByteArray dir = QDir::tempPath().toLocal8Bit() + "/convscope-runtime-" + QByteArray::number(getuid());
        ::mkdir(dir.constData(), 0700);
        qputenv("XDG_RUNTIME_DIR", dir);
    }
    static const QtMessageHandler previous = qInstallMessageHandler(nullptr);
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext& context, const QString& message) {
        if (message.startsWith(QLatin1String("This plugin does not support")))
            return;
        previous(type, context, message);
    });
}
// Qt aborts with a page about platform plugins when the window has nowhere
// to go (a server, ssh without -X, CI); one line that points at the CLI serves
// better. QT_QPA_PLATFORM set (offscreen, vnc, eglfs, ...) is someone's choice.
bool hasDisplay()
{
#if defined(Q_OS_LINUX) || defined(Q_OS_FREEBSD) || defined(Q_OS_NETBSD) || defined(Q_OS_OPENBSD)
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
#else
    return true;
#endif
}
} // namespace

int main(int argc, char** argv)
{
    convscope::tuneAllocator();
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    // `render`, `lesson`, `unit` (its page is a widget) and `sanity` (its figure
    // has text) draw without a display.
    const QString command = arguments.value(1);
    if (command == QLatin1String("render") || command == QLatin1String("lesson") || command == QLatin1String("unit")
        || command == QLatin1String("sanity")) {
        // Draws the real window without a display.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        quietOffscreen();
        QApplication app(argc, argv);
        describe();
        convscope::setThreads(0);
        return convscope::runCli(app.arguments());
    }
    if (convscope::isCliInvocation(arguments)) {
        // Headless: no display needed.
        QCoreApplication app(argc, argv);
        describe();
        convscope::setThreads(0);
        return convscope::runCli(app.arguments());
    }

    if (!hasDisplay()) {
        std::cerr << "convscope: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
                     "run a command instead (see convscope --help), or `convscope render` for pictures of the views\n";
        return 1;
    }
    QApplication app(argc, argv);
    describe();
    convscope::setThreads(0);
    QSettings settings;
    const QString settingsNote = convscope::setAsideDamagedSettings(settings);
    convscope::MainWindow window;
    // Models a user opens are first opened by this same program's CLI in a
    // child process, so that a hostile file cannot take the window down.
    window.modelValidator()->setProgram(QCoreApplication::applicationFilePath());
    window.setPersistent(true);
    // `convscope LESSON.json [--present] [--step N]`: a lecture, from its first
    // step (or step N), in the window or straight in presenter mode.
    const bool lesson = arguments.size() > 1 && arguments[1].endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
    const bool present = arguments.contains(QStringLiteral("--present"));
    const int stepAt = arguments.indexOf(QStringLiteral("--step"));
    const int firstStep = stepAt > 0 ? std::max(0, arguments.value(stepAt + 1).toInt() - 1) : 0;
    if (lesson) {
        window.restoreLayout();
        // A lesson that does not open, or has no steps yet: the last session, or the demo.
        const bool opened = window.lessons()->open(arguments[1]) && !window.lessons()->player()->lesson().steps.isEmpty();
        if (!opened && !window.restoreSession()) {
            window.openModel(convscope::defaultModelPath());
            window.openInput(convscope::defaultDatasetSpec());
        }
    } else if (arguments.size() > 1) {
        window.restoreLayout(); // the files named replace the last session's
        window.openModel(arguments[1]);
        window.openInput(arguments.size() > 2 ? arguments[2] : convscope::defaultDatasetSpec());
    } else if (!window.restoreSession()) {
        // The demo a teacher starts with: LeNet-5 on the digits, a test digit as input.
        window.openModel(convscope::defaultModelPath());
        window.openInput(convscope::defaultDatasetSpec());
    }
    if (QScreen* screen = QGuiApplication::primaryScreen())
        window.fitToScreen(screen->availableGeometry());
    window.show();
    if (!settingsNote.isEmpty())
        window.showNote(settingsNote);
    if (lesson && !window.lessons()->player()->lesson().steps.isEmpty()) {
        const int step = std::min(firstStep, static_cast<int>(window.lessons()->player()->lesson().steps.size()) - 1);
        if (present)
            window.lessons()->presenter()->start(step);
        else
            window.lessons()->player()->play(step);
    }
    return app.exec();
}
