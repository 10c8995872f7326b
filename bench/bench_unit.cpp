// The Unit page's speed, as a user meets it: the real main window
// (offscreen, 1280x720) on the Unit tab, a ResNet-18 at 224 x 224, its
// `layer3`, a dataset already scanned. Each key press → the page complete
// (filter, activation, guided backprop of the strongest unit, the top-9 with
// their own guided backprop, the statistics and class means), timed from the
// press to the last panel drawn; then the same channels walked back (cached).
// The scan itself is timed once, apart.
//
//   bench_unit --model RESNET18_224.pt --data DATASET [--threads N] [--channels C]

#include "app/shell/main_window.h"
#include "app/shell/workspace.h"
#include "app/views/unit/page.h"
#include "app/views/unit/tab.h"
#include "core/device.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace convscope;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <typename Done> double secondsUntil(Done done)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::usleep(200);
    }
    return static_cast<double>(timer.nsecsElapsed()) / 1e9;
}

} // namespace

int main(int argc, char** argv)
{
    tuneAllocator();
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QTemporaryDir cache; // the scans of this run only
    qputenv("XDG_CACHE_HOME", QFile::encodeName(cache.path()));
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("threads"), QStringLiteral("intra-op threads"), QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("channels"), QStringLiteral("channels walked"), QStringLiteral("C"), QStringLiteral("8")});
    parser.addOption({QStringLiteral("model"), QStringLiteral("model"), QStringLiteral("PT")});
    parser.addOption({QStringLiteral("data"), QStringLiteral("dataset"), QStringLiteral("DATASET")});
    parser.addOption({QStringLiteral("layer"), QStringLiteral("layer"), QStringLiteral("NAME"), QStringLiteral("layer3")});
    parser.process(app);
    setThreads(parser.value(QStringLiteral("threads")).toInt());
    const int channels = parser.value(QStringLiteral("channels")).toInt();

    MainWindow window;
    window.setPersistent(false);
    window.resize(1280, 720);
    window.setCurrentTab(QStringLiteral("unit"));
    window.show();
    auto* unit = qobject_cast<UnitTab*>(window.tab(QStringLiteral("unit")));
    window.openModel(parser.value(QStringLiteral("model")));
    window.openInput(parser.value(QStringLiteral("data")));
    secondsUntil([&] { return window.workspace()->model() && window.workspace()->input() && window.isSettled(); });
    const auto complete = [&] { return window.isSettled() && unit->complete(); };
    if (!window.selectLayer(parser.value(QStringLiteral("layer")))) {
        std::fprintf(stderr, "bench_unit: no layer %s\n", qPrintable(parser.value(QStringLiteral("layer"))));
        return 1;
    }
    const double scan = secondsUntil(complete);
    if (!unit->page()->filledPanels().contains(QStringLiteral("patches"))) {
        std::fprintf(stderr, "bench_unit: the page did not fill: %s\n",
                     qPrintable(unit->page()->filledPanels().join(QStringLiteral(", "))));
        return 1;
    }
    std::vector<double> fresh, cached;
    for (int c = 1; c <= channels; ++c) {
        unit->setChannel(c);
        fresh.push_back(secondsUntil(complete));
    }
    for (int c = channels - 1; c >= 1; --c) {
        unit->setChannel(c);
        cached.push_back(secondsUntil(complete));
    }
    std::printf("convscope unit page (%s, %s): scan %.2f s; new channel median %.3f s, max %.3f s (%d); "
                "walking back median %.4f s\n",
                qPrintable(window.modelName()), qPrintable(window.currentLayerName()), scan, median(fresh),
                *std::max_element(fresh.begin(), fresh.end()), channels, median(cached));
    return 0;
}
