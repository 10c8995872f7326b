// The live Training tab's cost: the real main window (offscreen, 1280x720)
// training LeNet-5 on Fashion-MNIST in the Training tab — curves, filters, a
// test image's maps and top-5, the confusion matrix, all redrawn — against
// core train() with the same options and no watcher (what `convscope train`
// runs), in the same process, alternated round by round. One epoch each;
// the seconds are the epochs' own (EpochReport.seconds: training, the test
// pass and the saves).
//
//   bench_train_tab [--threads N] [--rounds R] [--data DATASET]

#include "app/shell/main_window.h"
#include "app/views/training/controls.h"
#include "app/views/training/run.h"
#include "app/views/training/tab.h"
#include "core/device.h"
#include "core/trainer.h"
#include "io/datasets.h"

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
} // namespace

int main(int argc, char** argv)
{
    tuneAllocator();
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("threads"), QStringLiteral("intra-op threads"), QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("rounds"), QStringLiteral("rounds"), QStringLiteral("R"), QStringLiteral("3")});
    parser.addOption({QStringLiteral("data"), QStringLiteral("dataset"), QStringLiteral("DATASET"), QStringLiteral("fashion-mnist")});
    parser.process(app);
    setThreads(parser.value(QStringLiteral("threads")).toInt());
    const int rounds = parser.value(QStringLiteral("rounds")).toInt();
    const QString data = parser.value(QStringLiteral("data"));
    QTemporaryDir runs;

    MainWindow window;
    window.resize(1280, 720);
    window.setCurrentTab(QStringLiteral("training"));
    window.show();
    auto* tab = qobject_cast<TrainingTab*>(window.tab(QStringLiteral("training")));
    tab->setRunsFolder(runs.path());
    tab->controls()->setArchitecture(QStringLiteral("lenet5"));
    tab->controls()->setData(data);
    tab->controls()->setEpochs(1);

    std::vector<double> tabSeconds, coreSeconds;
    for (int r = 0; r < rounds; ++r) {
        tab->start();
        while (tab->isRunning()) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
            QThread::msleep(1);
        }
        if (!tab->lastError().isEmpty()) {
            std::fprintf(stderr, "bench_train_tab: %s\n", qPrintable(tab->lastError()));
            return 1;
        }
        tabSeconds.push_back(tab->epochSeconds(tab->runCount() - 1).value(0));

        // The same request, straight to core: as `convscope train` runs it.
        TrainingRequest request = tab->controls()->request();
        TrainOptions o = request.options;
        o.input = trainingInput(o.arch, data);
        const ImageFormat format{o.input[0], o.input[1], o.input[2]};
        auto dataset = io::openDataset(data.toStdString(), format);
        const std::string testSpec = io::officialTestSet(data.toStdString());
        auto testSet = testSpec.empty() ? nullptr : io::openDataset(testSpec, format);
        o.out = runs.filePath(QStringLiteral("core.pt")).toStdString();
        o.snapshots = runs.filePath(QStringLiteral("core_snapshots")).toStdString();
        coreSeconds.push_back(train(*dataset, o, TrainHooks{}, {}, nullptr, testSet.get()).epochs.at(0).seconds);
        std::printf("round %d: tab %.2f s, core %.2f s\n", r + 1, tabSeconds.back(), coreSeconds.back());
        std::fflush(stdout);
    }
    const double a = median(tabSeconds), b = median(coreSeconds);
    std::printf("LeNet-5 epoch on %s: Training tab %.2f s, core train() %.2f s (medians of %d rounds), "
                "ratio tab / core %.3f (throughput cost %.1f %%)\n",
                qPrintable(data), a, b, rounds, a / b, (a / b - 1) * 100);
    return 0;
}
