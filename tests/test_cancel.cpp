// Every long job of the window stops promptly: the time from pressing Stop
// (or the status bar's Cancel) mid-work to the job having ended (the runner
// idle, the tab's controls back) for each, on a workload that keeps it busy
// for minutes; and a cancelled job leaves no file behind but the resumable
// top-k checkpoint. Each job is stopped three times at different moments;
// the figures are printed, and the median must be under kLimitMs (the
// machine may be shared, so one slow stop is not a failure).

#include "app/shell/defaults.h"
#include "app/shell/job_runner.h"
#include "app/shell/main_window.h"
#include "app/shell/workspace.h"
#include "app/views/adversarial/controls.h"
#include "app/views/adversarial/tab.h"
#include "app/views/ascent/controls.h"
#include "app/views/ascent/knobs.h"
#include "app/views/ascent/tab.h"
#include "app/views/embedding/controls.h"
#include "app/views/embedding/run.h"
#include "app/views/embedding/tab.h"
#include "app/views/patches/tab.h"
#include "app/views/saliency/controls.h"
#include "app/views/saliency/tab.h"
#include "core/model_metadata.h"
#include "core/topk.h"
#include "gui_test_support.h"
#include "memory_limit.h"

#include <QDir>
#include <QElapsedTimer>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QThread>
#include <QToolButton>
#include <QtTest>


#include <algorithm>
#include <atomic>
#include <functional>

using namespace convscope;
using convscope::test::MemoryLimit;

namespace
{

constexpr qint64 kLimitMs = 200;
// ResNet-18 at 112 px: one image is about 30 ms forward and 100 ms forward
// and backward on two cores, its batches seconds.
const QString kResNet = QStringLiteral(CONVSCOPE_FIXTURE_DIR "/resnet18_traced.pt");

bool settled(MainWindow& window, int timeoutMs = 120000)
{
    return QTest::qWaitFor([&window] { return window.isSettled(); }, timeoutMs);
}

// The window on `model` and the digits, showing tab `key`, settled.
bool open(MainWindow& window, const QString& model, const QString& key)
{
    window.resize(1400, 900);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(model);
    window.openInput(defaultDatasetSpec());
    if (!loaded.wait(60000) && loaded.isEmpty())
        return false;
    window.setCurrentTab(key);
    return settled(window) && window.workspace()->input();
}

template <typename T>
T* child(MainWindow& window, const char* name)
{
    return window.findChild<T*>(QString::fromLatin1(name));
}

void click(MainWindow& window, const char* button)
{
    auto* b = window.findChild<QAbstractButton*>(QString::fromLatin1(button));
    QVERIFY2(b && b->isEnabled(), button);
    b->click();
}

// Milliseconds from stop() to the window settled (the runner idle, the tab
// ready), at most a minute; or -1 if the job was over before stop() (the
// workload is too small to say anything). The runner alone, when it is idle
// before the tab is, is printed too.
qint64 stopMs(MainWindow& window, const std::function<void()>& stop)
{
    if (window.isSettled())
        return -1;
    QElapsedTimer clock;
    clock.start();
    stop();
    qint64 idle = -1;
    // Polled finely: QTest::qWaitFor sleeps 10 ms between looks.
    while (!window.isSettled() && clock.elapsed() < 60000) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        if (idle < 0 && window.workspace()->jobs()->idle())
            idle = clock.elapsed();
        QThread::usleep(200);
    }
    const qint64 ms = clock.elapsed();
    if (idle >= 0 && ms - idle > 50)
        qInfo("  the runner was idle after %lld ms, the tab ready after %lld ms", idle, ms);
    return ms;
}

// Runs start(), lets the job work for `workMs` after its first progress
// report (whose stage starts with `stage`, if given), then stop().
qint64 measure(MainWindow& window, const std::function<void()>& start, const std::function<void()>& stop, int workMs,
    const QString& stage = {})
{
    QSignalSpy progressed(window.workspace()->jobs(), &JobRunner::progressed);
    start();
    const auto working = [&] {
        return std::any_of(progressed.begin(), progressed.end(),
            [&](const QList<QVariant>& report) { return report.at(2).toString().startsWith(stage); });
    };
    if (!QTest::qWaitFor([&] { return working() || window.isSettled(); }, 120000))
        return -1;
    QTest::qWait(workMs);
    return stopMs(window, stop);
}

const int kWorkMs[3] = {400, 750, 1100};

// measure() three times, stopping 0.4, 0.75 and 1.1 s into the work;
// start(i) starts run i.
QList<qint64> threeStops(MainWindow& window, const std::function<void(int)>& start, const std::function<void()>& stop,
    const QString& stage = {})
{
    QList<qint64> ms;
    for (int i = 0; i < 3; ++i)
        ms << measure(window, [&] { start(i); }, stop, kWorkMs[i], stage);
    return ms;
}

struct Figures {
    QString job;
    QList<qint64> ms;
};
QList<Figures>& allFigures()
{
    static QList<Figures> figures;
    return figures;
}

QString text(const QList<qint64>& ms)
{
    QStringList parts;
    for (qint64 m : ms)
        parts << QString::number(m);
    return parts.join(QStringLiteral(", "));
}

// Prints the figures and checks their median.
bool record(const QString& job, QList<qint64> ms)
{
    allFigures().append({job, ms});
    qInfo("stop latency of %s: %s ms", qPrintable(job), qPrintable(text(ms)));
    if (ms.contains(-1)) {
        qWarning("%s finished before Stop", qPrintable(job));
        return false;
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2] < kLimitMs;
}

// Files whose names say they are being written: what a cancelled or killed
// writer could leave behind.
QStringList temporaries(const QString& dir)
{
    QStringList found;
    for (const QFileInfo& file : QDir(dir).entryInfoList(QDir::Files))
        if (file.fileName().contains(QStringLiteral(".part")) || file.fileName().endsWith(QStringLiteral(".tmp")))
            found << file.fileName();
    return found;
}

// threeStops() of the Saliency tab's `method`: choosing a gradient method
// starts the first run, Compute the others; an occlusion estimated at
// minutes waits for Compute from the first (test_classroom).
QList<qint64> saliencyStops(MainWindow& window, SaliencyTab* tab, const QString& method)
{
    const bool waitsForCompute = method == QLatin1String("occlusion");
    return threeStops(window,
        [&](int i) {
            if (i == 0)
                tab->controls()->setMethod(method);
            if (i > 0 || waitsForCompute)
                tab->compute();
        },
        [&] { click(window, "saliencyStop"); });
}

} // namespace

class TestCancel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void runnerCancelsTheJobThatRuns();
    void patchesScan();
    void occlusion();
    void smoothGradAndIntegratedGradients();
    void ascentWholeLayer();
    void ascentLucid();
    void attack();
    void robustnessCurve();
    void embeddingFeatures();
    void embeddingPca();
    void embeddingTsne();
    void outOfMemoryEndsTheJob();
    void cleanupTestCase();

private:
    QTemporaryDir m_settings;
};

void TestCancel::initTestCase()
{
    QVERIFY(m_settings.isValid());
    test::useOwnSettings(m_settings.path()); // caches of its own, to look into
}

// A continuation that submits a job starts it at once (nothing runs): the
// runner must not start the next waiting job beside it, or Cancel reaches the
// job it believes runs and misses the one that does (the Patches tab's scan,
// submitted behind the Activations tab's forward pass, ran on to its end).
void TestCancel::runnerCancelsTheJobThatRuns()
{
    JobRunner runner(QStringLiteral("test"));
    std::atomic<bool> secondRunning{false}, secondCancelled{false};
    const auto second = [&](JobContext& job) -> JobRunner::Done {
        secondRunning = true;
        QElapsedTimer clock;
        clock.start();
        while (!job.cancel->load() && clock.elapsed() < 10000)
            QThread::msleep(1);
        secondCancelled = job.cancel->load();
        return {};
    };
    runner.submit(QStringLiteral("a"), QStringLiteral("first"), [&](JobContext&) -> JobRunner::Done {
        return [&] { runner.submit(QStringLiteral("b"), QStringLiteral("second"), second); };
    });
    runner.submit(QStringLiteral("c"), QStringLiteral("third"), [](JobContext&) -> JobRunner::Done { return {}; });
    QTRY_VERIFY_WITH_TIMEOUT(secondRunning, 5000);
    runner.cancel();
    QTRY_VERIFY_WITH_TIMEOUT(runner.idle(), 5000);
    QVERIFY(secondCancelled);
    QCOMPARE(runner.finishedCount(), 3);
}

void TestCancel::patchesScan()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("patches")));
    auto* cancel = child<QToolButton>(window, "jobCancel");
    QVERIFY(cancel);
    // A layer not scanned before each time: a cancelled scan resumes.
    const QStringList layers = {QStringLiteral("layer1.0.conv1"), QStringLiteral("layer2.0.conv1"),
        QStringLiteral("layer3.0.conv1")};
    const QList<qint64> ms = threeStops(window, [&](int i) { QVERIFY(window.selectLayer(layers[i])); }, [&] { cancel->click(); });
    const bool fast = record(QStringLiteral("Patches: top-k scan (ResNet-18)"), ms);
    auto* tab = qobject_cast<PatchesTab*>(window.tab(QStringLiteral("patches")));
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Scan cancelled")), qPrintable(tab->infoText()));
    // What stays is a whole checkpoint per scan, to resume from; no temporary.
    const QString dir = PatchesTab::cacheDir();
    QCOMPARE(temporaries(dir), QStringList());
    for (const QString& layer : layers) {
        const QFileInfoList saved = QDir(dir).entryInfoList({layer + QStringLiteral("-*.json")}, QDir::Files);
        QCOMPARE(saved.size(), 1);
        QVERIFY(!readTopkFile(saved.first().filePath().toStdString()).complete());
    }
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::occlusion()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("saliency")));
    auto* tab = qobject_cast<SaliencyTab*>(window.tab(QStringLiteral("saliency")));
    // 109 x 109 windows of ResNet-18: minutes.
    tab->controls()->setOcclusionWindow(4, 1);
    const QList<qint64> ms = saliencyStops(window, tab, QStringLiteral("occlusion"));
    const bool fast = record(QStringLiteral("Saliency: occlusion 4 px, stride 1 (ResNet-18)"), ms);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Cancelled")), qPrintable(tab->infoText()));
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::smoothGradAndIntegratedGradients()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("saliency")));
    auto* tab = qobject_cast<SaliencyTab*>(window.tab(QStringLiteral("saliency")));
    child<QSpinBox>(window, "smoothgradSamples")->setValue(1000);
    child<QSpinBox>(window, "igSteps")->setValue(1000);
    settled(window);
    bool fine = true;
    QString figures;
    for (const QString& method : {QStringLiteral("smoothgrad"), QStringLiteral("ig")}) {
        const QList<qint64> ms = saliencyStops(window, tab, method);
        fine = record(QStringLiteral("Saliency: %1, 1000 copies (ResNet-18)").arg(method), ms) && fine;
        figures += method + QStringLiteral(": ") + text(ms) + QStringLiteral("; ");
    }
    QVERIFY2(fine, qPrintable(figures));
}

void TestCancel::ascentWholeLayer()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("ascent")));
    auto* tab = qobject_cast<AscentTab*>(window.tab(QStringLiteral("ascent")));
    QVERIFY(window.selectLayer(QStringLiteral("layer1.0.conv1")));
    QVERIFY(settled(window));
    tab->controls()->setTargetsLayer(true);
    tab->controls()->knobs()->setPreset(QStringLiteral("plain"));
    // The tab reports every steps / 128 steps: 1280 report every 10 (about 4 s
    // here) and run for minutes, which Stop cuts short (10000 waited 30 s for
    // the first report, three times).
    tab->controls()->knobs()->setSteps(1280);
    const QList<qint64> ms = threeStops(window, [&](int) { tab->runWholeLayer(); }, [&] { click(window, "ascentStop"); });
    const bool fast = record(QStringLiteral("Ascent: whole layer, 64 channels (ResNet-18)"), ms);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Stopped")), qPrintable(tab->infoText()));
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::ascentLucid()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("ascent")));
    auto* tab = qobject_cast<AscentTab*>(window.tab(QStringLiteral("ascent")));
    tab->controls()->setTargetsLayer(false);
    tab->controls()->setUnit(7);
    tab->controls()->knobs()->setPreset(QStringLiteral("lucid"));
    // A report every 15 steps (20000: every 156, 40 s before the first).
    tab->controls()->knobs()->setSteps(2000);
    const QList<qint64> ms = threeStops(window, [&](int) { tab->run(); }, [&] { click(window, "ascentStop"); });
    QVERIFY2(record(QStringLiteral("Ascent: Lucid, one class (ResNet-18)"), ms), qPrintable(text(ms)));
}

void TestCancel::attack()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("adversarial")));
    auto* tab = qobject_cast<AdversarialTab*>(window.tab(QStringLiteral("adversarial")));
    tab->controls()->setMethod(QStringLiteral("cw"));
    tab->controls()->setSteps(100000);
    const QList<qint64> ms = threeStops(window, [&](int) { tab->run(); }, [&] { click(window, "attackStop"); });
    const bool fast = record(QStringLiteral("Adversarial: C&W, 100000 steps (ResNet-18)"), ms);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Stopped")), qPrintable(tab->infoText()));
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::robustnessCurve()
{
    // The shipped LeNet-5, which classifies the digits (an untrained
    // ResNet-18 gets none right, and a curve of nothing to attack ends at once).
    MainWindow window;
    QVERIFY(open(window, defaultModelPath(), QStringLiteral("adversarial")));
    auto* tab = qobject_cast<AdversarialTab*>(window.tab(QStringLiteral("adversarial")));
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->controls()->setSteps(2000);
    tab->controls()->setSamples(2000);
    const QList<qint64> ms = threeStops(window, [&](int) { tab->runCurve(); }, [&] { tab->stop(); }, QStringLiteral("pgd eps"));
    const bool fast = record(QStringLiteral("Adversarial: PGD robustness curve, 2000 samples (LeNet-5)"), ms);
    QVERIFY2(tab->curveText().startsWith(QStringLiteral("Stopped")), qPrintable(tab->curveText()));
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::embeddingFeatures()
{
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("embedding")));
    auto* tab = qobject_cast<EmbeddingTab*>(window.tab(QStringLiteral("embedding")));
    QVERIFY(window.selectLayer(QStringLiteral("layer4.1.conv2")));
    tab->controls()->setMethod(QStringLiteral("pca"));
    tab->controls()->setSamples(0);
    const QList<qint64> ms = threeStops(window, [&](int) { tab->run(); }, [&] { tab->stop(); });
    const bool fast = record(QStringLiteral("Embedding: features of 5000 images (ResNet-18)"), ms);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Stopped")), qPrintable(tab->infoText()));
    // A cancelled extraction caches nothing, not even part of a file.
    QCOMPARE(QDir(cacheDir(QStringLiteral("features"))).entryList(QDir::Files), QStringList());
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::embeddingPca()
{
    // LeNet-5's conv1 flattened, 1500 images: a 1500 x 4704 matrix whose
    // Gram product takes seconds (cancelled between column blocks); its
    // eigendecomposition (LAPACK, 1500 x 1500) cannot be cancelled and takes
    // a fraction of that.
    MainWindow window;
    QVERIFY(open(window, defaultModelPath(), QStringLiteral("embedding")));
    auto* tab = qobject_cast<EmbeddingTab*>(window.tab(QStringLiteral("embedding")));
    QVERIFY(window.selectLayer(QStringLiteral("conv1")));
    tab->controls()->setMethod(QStringLiteral("pca"));
    tab->controls()->setPooling(QStringLiteral("flatten"));
    tab->controls()->setSamples(1500);
    QSignalSpy progressed(window.workspace()->jobs(), &JobRunner::progressed);
    QList<qint64> ms;
    for (int i = 0; i < 3; ++i) {
        progressed.clear();
        tab->run();
        // The features read (or found cached): the PCA is what runs now.
        QVERIFY(QTest::qWaitFor(
            [&] {
                return window.isSettled()
                    || std::any_of(progressed.begin(), progressed.end(),
                        [](const QList<QVariant>& report) { return report.at(1).toDouble() >= 1.0; });
            },
            120000));
        QTest::qWait(kWorkMs[i] / 2);
        ms << stopMs(window, [&] { tab->stop(); });
    }
    QVERIFY2(record(QStringLiteral("Embedding: PCA of 1500 x 4704 (LeNet-5 conv1)"), ms), qPrintable(text(ms)));
}

void TestCancel::embeddingTsne()
{
    MainWindow window;
    QVERIFY(open(window, defaultModelPath(), QStringLiteral("embedding")));
    auto* tab = qobject_cast<EmbeddingTab*>(window.tab(QStringLiteral("embedding")));
    QVERIFY(window.selectLayer(QStringLiteral("fc1")));
    tab->controls()->setMethod(QStringLiteral("tsne"));
    tab->controls()->setSamples(0);
    tab->controls()->setIterations(1000000);
    QList<qint64> ms;
    for (int i = 0; i < 3; ++i) {
        const qint64 frames = tab->framesShown();
        tab->run();
        // Into the optimization: frames are drawn.
        QVERIFY(QTest::qWaitFor([&] { return tab->framesShown() >= frames + 2 || window.isSettled(); }, 120000));
        QTest::qWait(kWorkMs[i] / 4);
        ms << stopMs(window, [&] { tab->stop(); });
    }
    const bool fast = record(QStringLiteral("Embedding: t-SNE of 5000 points (LeNet-5 fc1)"), ms);
    QVERIFY(tab->result() && tab->result()->cancelled);
    QVERIFY2(fast, qPrintable(text(ms)));
}

void TestCancel::outOfMemoryEndsTheJob()
{
    // ResNet-18 at 2048 px: one image's first activations alone take 256
    // MiB; with 128 MiB to spare the features of even one image cannot be
    // had, and the job ends with a message.
    MainWindow window;
    QVERIFY(open(window, kResNet, QStringLiteral("embedding")));
    ModelMetadata large;
    large.input = std::array<int64_t, 3>{3, 2048, 2048};
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.reloadWith(large, QStringLiteral("cpu"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 120000);
    QVERIFY(settled(window));
    auto* tab = qobject_cast<EmbeddingTab*>(window.tab(QStringLiteral("embedding")));
    QVERIFY(window.selectLayer(QStringLiteral("layer1.0.conv1")));
    tab->controls()->setMethod(QStringLiteral("pca"));
    tab->controls()->setSamples(20);
    {
        MemoryLimit limit(qint64(128) << 20);
        tab->run();
        QVERIFY(settled(window));
    }
    qInfo("out of memory in the window: %s", qPrintable(tab->infoText()));
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Cannot embed: out of memory even with a batch of 1: ")),
        qPrintable(tab->infoText()));
    QVERIFY(!tab->isRunning());

    // The window goes on: the model at its own size, and an embedding runs.
    QSignalSpy reloaded(&window, &MainWindow::modelLoaded);
    window.openModel(kResNet);
    QTRY_COMPARE_WITH_TIMEOUT(reloaded.count(), 1, 120000);
    QVERIFY(settled(window));
    QVERIFY(window.selectLayer(QStringLiteral("layer1.0.conv1")));
    tab->run();
    QVERIFY(settled(window));
    QVERIFY(tab->result() && tab->result()->final);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("PCA of layer1.0.conv1")), qPrintable(tab->infoText()));
}

void TestCancel::cleanupTestCase()
{
    qInfo("stop latency, ms (limit %lld on the median):", kLimitMs);
    for (const Figures& f : allFigures())
        qInfo("  %-62s %s", qPrintable(f.job), qPrintable(text(f.ms)));
}

QTEST_MAIN(TestCancel)
#include "test_cancel.moc"
