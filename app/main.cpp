#include "app/cli.h"
#include "app/defaults.h"
#include "app/main_window.h"
#include "core/device.h"

#include <QApplication>
#include <QCoreApplication>

namespace {
void describe()
{
    QCoreApplication::setOrganizationName(QStringLiteral("ConvScope"));
    QCoreApplication::setApplicationName(QStringLiteral("ConvScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONVSCOPE_VERSION));
}
} // namespace

int main(int argc, char** argv)
{
    convscope::tuneAllocator();
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    if (convscope::isCliInvocation(arguments)) {
        // Headless: no display needed.
        QCoreApplication app(argc, argv);
        describe();
        convscope::setThreads(0);
        return convscope::runCli(app.arguments());
    }

    QApplication app(argc, argv);
    describe();
    convscope::setThreads(0);
    convscope::MainWindow window;
    window.show();
    if (arguments.size() > 1) {
        window.openModel(arguments[1]);
        if (arguments.size() > 2)
            window.openImage(arguments[2]);
    } else {
        // The demo a teacher starts with: LeNet-5 on the digits, a test digit as input.
        window.openModel(convscope::defaultModelPath());
        window.openDataset(convscope::defaultDatasetSpec());
    }
    return app.exec();
}
