// The Training tab in the real window, offscreen, on the 5000 digits with
// LeNet-5: its per-epoch numbers against `convscope train` run with the same
// seed in another process, the confusion matrix against the epoch's accuracy,
// Pause, Stop (the best checkpoint stays), Inspect, the snapshots the Filters
// tab scrubs, runs named by what differs, exports, bad data, and the GUI
// thread while it trains.

#include "app/shell/frames.h"
#include "app/shell/main_window.h"
#include "app/shell/snapshot_scrubber.h"
#include "app/shell/workspace.h"
#include "app/views/filters/tab.h"
#include "app/views/training/charts.h"
#include "app/views/training/controls.h"
#include "app/views/training/run_names.h"
#include "app/views/training/tab.h"
#include "core/model.h"
#include "io/datasets.h"
#include "gui_test_support.h"
#include "widgets/confusion_matrix_view.h"
#include "widgets/tile_grid_view.h"

#include <QDialog>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/Parallel.h>

using namespace convscope;
using convscope::test::StallProbe;

namespace
{

TrainingTab* openTraining(MainWindow& window, const QString& runs)
{
    auto* tab = qobject_cast<TrainingTab*>(test::openDigitsTab(window, QStringLiteral("training")));
    if (tab)
        tab->setRunsFolder(runs);
    return tab;
}

// LeNet-5 on the digits, `epochs` epochs, seed 3, as `train` defaults the rest.
void setUpDigits(TrainingTab* tab, int epochs)
{
    tab->controls()->setArchitecture(QStringLiteral("lenet5"));
    tab->controls()->setData(QStringLiteral("digits"));
    tab->controls()->setEpochs(epochs);
    tab->controls()->setSeed(3);
}

bool waitFinished(TrainingTab* tab, int ms = 180000)
{
    return QTest::qWaitFor([tab] { return !tab->isRunning(); }, ms);
}

} // namespace

class TestTrainingTab : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void runNamesSayWhatDiffers();
    void curvesEqualTheCli();
    void pauseInspectAndStop();
    void badDataIsOneLine();
    void closingWhileTrainingEndsTheRun();

private:
    QTemporaryDir m_settings;
};

void TestTrainingTab::initTestCase()
{
    QVERIFY(m_settings.isValid());
    test::useOwnSettings(m_settings.path());
}

void TestTrainingTab::runNamesSayWhatDiffers()
{
    RunSettings a;
    a.arch = QStringLiteral("lenet5");
    a.data = QStringLiteral("fashion-mnist");
    a.optimizer = QStringLiteral("sgd");
    a.learningRate = 0.05;
    a.schedule = QStringLiteral("cosine");
    a.batch = 64;
    RunSettings b = a;
    b.batchNorm = true;
    QCOMPARE(runNames({a}), QStringList{QStringLiteral("LeNet-5, fashion-mnist")});
    QCOMPARE(runNames({a, b}), (QStringList{QStringLiteral("BN off"), QStringLiteral("BN on")}));
    RunSettings c = a;
    c.dropout = 0.5;
    QCOMPARE(runNames({a, b, c}),
             (QStringList{QStringLiteral("BN off, no dropout"), QStringLiteral("BN on, no dropout"),
                          QStringLiteral("BN off, dropout 0.5")}));
    QCOMPARE(runNames({a, a}), (QStringList{QStringLiteral("run 1"), QStringLiteral("run 2")}));
}

void TestTrainingTab::curvesEqualTheCli()
{
    QTemporaryDir runs;
    MainWindow window;
    TrainingTab* tab = openTraining(window, runs.path());
    QVERIFY(tab);
    setUpDigits(tab, 2);
    StallProbe probe;
    tab->start();
    QVERIFY(tab->isRunning());
    QVERIFY(waitFinished(tab));
    QVERIFY2(tab->lastError().isEmpty(), qPrintable(tab->lastError()));
    QVERIFY2(tab->infoText().contains(QStringLiteral("done")), qPrintable(tab->infoText()));
    qInfo("worst GUI stall while training: %lld ms", probe.worstMs());
    QVERIFY2(probe.worstMs() <= 100, qPrintable(QString::number(probe.worstMs())));

    // The same run by the CLI, in its own process, with this process's threads.
    const QString out = runs.filePath(QStringLiteral("cli.pt"));
    QProcess cli;
    cli.start(QString::fromLocal8Bit(qgetenv("CONVSCOPE_BINARY")),
              {QStringLiteral("train"), QStringLiteral("--data"), QStringLiteral("digits"), QStringLiteral("--epochs"),
               QStringLiteral("2"), QStringLiteral("--seed"), QStringLiteral("3"), QStringLiteral("--out"), out,
               QStringLiteral("--json"), QStringLiteral("--threads"), QString::number(at::get_num_threads())});
    QVERIFY(cli.waitForFinished(180000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject report = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    const QJsonArray epochs = report.value(QStringLiteral("epochs")).toArray();
    QCOMPARE(epochs.size(), 2);
    const QVector<double> losses = tab->epochLosses(0), accuracies = tab->testAccuracies(0);
    QCOMPARE(losses.size(), 2);
    for (int e = 0; e < 2; ++e) {
        const QJsonObject epoch = epochs[e].toObject();
        qInfo("epoch %d: tab loss %.6f test %.4f, CLI loss %.6f test %.4f", e + 1, losses[e], accuracies[e],
              epoch.value(QStringLiteral("loss")).toDouble(), epoch.value(QStringLiteral("test_accuracy")).toDouble());
        QVERIFY(std::abs(losses[e] - epoch.value(QStringLiteral("loss")).toDouble()) < 1e-4);
        QVERIFY(std::abs(accuracies[e] - epoch.value(QStringLiteral("test_accuracy")).toDouble()) < 1.5e-3);
        // The chart's test point is the epoch's number.
        QCOMPARE(tab->charts()->testCurve(0)[e], QPointF(e + 1, accuracies[e]));
    }
    // About 40 points an epoch (63 batches of 64: one a batch).
    QCOMPARE(tab->charts()->lossCurve(0).size(), 2 * 63);

    // The confusion matrix is the last test pass: its diagonal is the accuracy,
    // and a cell lists the test images it counts.
    ConfusionMatrixView* matrix = tab->confusion();
    QCOMPARE(matrix->classCount(), 10);
    qint64 total = 0, right = 0;
    for (int t = 0; t < 10; ++t)
        for (int p = 0; p < 10; ++p) {
            total += matrix->count(t, p);
            right += t == p ? matrix->count(t, p) : 0;
            QCOMPARE(static_cast<qint64>(tab->cellImages(t, p).size()), matrix->count(t, p));
        }
    QCOMPARE(total, qint64(1000));
    QCOMPARE(static_cast<double>(right) / 1000.0, accuracies[1]);
    QVERIFY(!tab->filters()->tileCount() == 0);
    QCOMPARE(tab->filters()->tileCount(), 6); // conv1: 6 filters 1x5x5
    QCOMPARE(tab->activations()->tileCount(), 6);
    // A click on the "true 4" row's diagonal cell lists them.
    const QRect cell = matrix->cellRect(4, 4);
    QTest::mouseClick(matrix, Qt::LeftButton, {}, cell.center());
    QDialog* dialog = nullptr;
    QVERIFY(QTest::qWaitFor([&] {
        for (auto* w : tab->findChildren<QDialog*>())
            dialog = w;
        return dialog && dialog->findChild<TileGridView*>()->tileCount() == std::min<qint64>(200, matrix->count(4, 4));
    }, 20000));
    // A click on a thumbnail makes that test image every view's input.
    auto* thumbnails = dialog->findChild<TileGridView*>();
    const qint64 item = tab->testItem(tab->cellImages(4, 4)[0]);
    QSignalSpy inputs(window.workspace(), &Workspace::inputChanged);
    Q_EMIT thumbnails->tileClicked(0);
    QVERIFY(inputs.wait(20000));
    auto digits = io::openDataset("digits", {1, 28, 28});
    QVERIFY(torch::equal(window.workspace()->input()->pixels, digits->image(item)));
    dialog->close();

    // The run kept its best model and both epochs; the model opens with the snapshots,
    // and the Filters tab scrubs through them.
    const QString folder = tab->runFolder(0);
    QVERIFY(QFile::exists(folder + QStringLiteral("/best.pt")));
    QVERIFY(QFile::exists(folder + QStringLiteral("/snapshots/epoch_002.pt")));
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    tab->inspect();
    QVERIFY(loaded.wait(60000));
    QCOMPARE(QFileInfo(QString::fromStdString(window.workspace()->model()->info().path)).fileName(), QStringLiteral("best.pt"));
    window.setCurrentTab(QStringLiteral("filters"));
    auto* filters = qobject_cast<FiltersTab*>(window.tab(QStringLiteral("filters")));
    QCOMPARE(filters->scrubber()->snapshots().size(), 2);
    QVERIFY(filters->scrubber()->isVisible());
    filters->scrubber()->choose(0);
    QVERIFY(loaded.wait(60000));
    QVERIFY(window.workspace()->model()->info().path.find("epoch_001.pt") != std::string::npos);
    QCOMPARE(filters->scrubber()->current(), 0);

    // A second run with batch norm: both curves, named by what differs; exports.
    window.setCurrentTab(QStringLiteral("training"));
    setUpDigits(tab, 1);
    tab->controls()->setBatchNorm(true);
    tab->start();
    QVERIFY(waitFinished(tab));
    QCOMPARE(tab->charts()->runNames(), (QStringList{QStringLiteral("BN off"), QStringLiteral("BN on")}));
    const QString csv = runs.filePath(QStringLiteral("curves.csv")), png = runs.filePath(QStringLiteral("charts.png"));
    QVERIFY(tab->exportCsv(csv));
    QVERIFY(tab->exportPng(png));
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    QVERIFY(text.startsWith(QStringLiteral("run,name,kind,epochs,value\n")));
    QVERIFY(text.contains(QStringLiteral("2,\"BN on\",test_accuracy,1,")));
    QVERIFY(text.contains(QStringLiteral("1,\"BN off\",test_accuracy,2,%1").arg(QString::number(accuracies[1], 'g', 8))));
    QVERIFY(!QImage(png).isNull());
}

void TestTrainingTab::pauseInspectAndStop()
{
    QTemporaryDir runs;
    MainWindow window;
    TrainingTab* tab = openTraining(window, runs.path());
    QVERIFY(tab);
    setUpDigits(tab, 50);
    QSignalSpy epochs(tab, &TrainingTab::epochFinished);
    tab->start();
    QVERIFY(epochs.wait(120000));

    // Inspect while it trains: the weights as they are now open in every view.
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    tab->inspect();
    QVERIFY(loaded.wait(60000));
    QVERIFY2(window.workspace()->model()->info().path.find("/inspect1_epoch") != std::string::npos,
             window.workspace()->model()->info().path.c_str());

    // Paused, it goes no further; resumed, it does.
    tab->pause(true);
    QTest::qWait(300); // the batch under way ends
    const int points = static_cast<int>(tab->charts()->lossCurve(0).size());
    QTest::qWait(700);
    QCOMPARE(static_cast<int>(tab->charts()->lossCurve(0).size()), points);
    // Inspect while paused: the weights as they stand, at once.
    tab->inspect();
    QVERIFY(loaded.wait(60000));
    QCOMPARE(static_cast<int>(tab->charts()->lossCurve(0).size()), points);
    tab->pause(false);
    QVERIFY(QTest::qWaitFor([&] { return tab->charts()->lossCurve(0).size() > points; }, 20000));

    // Stopped, the best model so far stays, whole, and opens.
    QElapsedTimer stopping;
    stopping.start();
    tab->stop();
    QVERIFY(waitFinished(tab, 30000));
    qInfo("Stop to stopped: %lld ms", stopping.elapsed());
    QVERIFY(stopping.elapsed() < 1000); // a batch of 64 digits takes about 10 ms
    QVERIFY2(tab->infoText().contains(QStringLiteral("stopped")), qPrintable(tab->infoText()));
    QVERIFY(tab->epochLosses(0).size() < 50);
    const QString best = tab->runFolder(0) + QStringLiteral("/best.pt");
    QVERIFY(QFile::exists(best));
    QVERIFY(!QFile::exists(best + QStringLiteral(".partial")));
    auto model = Model::load(best.toStdString());
    QCOMPARE(model->info().outputs, int64_t(10));
}

void TestTrainingTab::badDataIsOneLine()
{
    QTemporaryDir runs;
    MainWindow window;
    TrainingTab* tab = openTraining(window, runs.path());
    QVERIFY(tab);
    // A folder of images without class subfolders has no labels.
    QTemporaryDir data;
    QImage gray(28, 28, QImage::Format_Grayscale8);
    gray.fill(128);
    for (int i = 0; i < 3; ++i)
        QVERIFY(gray.save(data.filePath(QStringLiteral("%1.png").arg(i))));
    tab->controls()->setData(data.path());
    tab->start();
    QVERIFY(waitFinished(tab, 30000));
    QVERIFY2(tab->lastError().contains(QStringLiteral("has no labels")), qPrintable(tab->lastError()));
    QVERIFY(!tab->lastError().contains(QLatin1Char('\n')));
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("The run did not start:")), qPrintable(tab->infoText()));
    QVERIFY(!tab->isRunning());
    // It leaves no curves and no name among the runs.
    QCOMPARE(tab->runCount(), 0);
    QCOMPARE(tab->charts()->runCount(), 0);
    // And the next run goes.
    setUpDigits(tab, 1);
    tab->start();
    QVERIFY(waitFinished(tab));
    QVERIFY2(tab->lastError().isEmpty(), qPrintable(tab->lastError()));
}

// Closing the window while a run is paused ends the run first.
void TestTrainingTab::closingWhileTrainingEndsTheRun()
{
    QTemporaryDir runs;
    auto window = std::make_unique<MainWindow>();
    TrainingTab* tab = openTraining(*window, runs.path());
    QVERIFY(tab);
    setUpDigits(tab, 50);
    QSignalSpy epochs(tab, &TrainingTab::epochFinished);
    tab->start();
    QVERIFY(epochs.wait(120000));
    tab->pause(true);
    QElapsedTimer closing;
    closing.start();
    window.reset();
    qInfo("closed in %lld ms", closing.elapsed());
    QVERIFY(closing.elapsed() < 5000);
}

QTEST_MAIN(TestTrainingTab)
#include "test_training_tab.moc"
