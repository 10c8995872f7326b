// The real window, offscreen: open a model, see its layers and summary; a
// broken file gets a message and the window keeps working.

#include "app/defaults.h"
#include "app/main_window.h"
#include "core/model_metadata.h"

#include <QAbstractItemModel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTableView>
#include <QTreeView>
#include <QtTest>

using namespace convscope;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensModelAndFillsViews();
    void badModelShowsMessageAndKeepsRunning();
    void settingsOverrideTheMetadata();
    void opensOnTheDefaultDigitsDemo();
};

static const QString kFixtures = QStringLiteral(CONVSCOPE_FIXTURE_DIR);

void TestMainWindow::opensModelAndFillsViews()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(kFixtures + QStringLiteral("/resnet18_traced.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QCOMPARE(loaded.first().first().toString(), QStringLiteral("resnet18"));
    QCOMPARE(window.windowTitle(), QStringLiteral("resnet18 — ConvScope"));

    auto* layers = window.findChild<QTreeView*>(QStringLiteral("layerView"));
    QVERIFY(layers);
    QCOMPARE(layers->model()->rowCount(), 69);
    QCOMPARE(layers->model()->index(0, 0).data().toString(), QStringLiteral("conv1"));
    QCOMPARE(layers->model()->index(0, 2).data().toString(), QStringLiteral("64×56×56"));

    // The search box filters the list.
    auto* search = layers->parentWidget()->findChild<QLineEdit*>();
    QVERIFY(search);
    search->setText(QStringLiteral("layer4.1"));
    QCOMPARE(layers->model()->rowCount(), 7);
    search->clear();

    auto* summary = window.findChild<QTableView*>();
    QVERIFY(summary);
    QCOMPARE(summary->model()->rowCount(), 70); // 69 layers + total
}

void TestMainWindow::badModelShowsMessageAndKeepsRunning()
{
    MainWindow window;
    window.show();
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    const QString bad = kFixtures + QStringLiteral("/bad/state_dict.pt");
    window.openModel(bad);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
    QVERIFY(failed.first().first().toString().contains(QStringLiteral("was written by torch.save(), not torch.jit.save()")));
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadError"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY(box->text().startsWith(bad));
    box->accept();

    // Still usable: the next model opens.
    window.openModel(kFixtures + QStringLiteral("/squeezenet1_0_scripted.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QCOMPARE(window.modelName(), QStringLiteral("squeezenet1_0"));
}

void TestMainWindow::settingsOverrideTheMetadata()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(kFixtures + QStringLiteral("/alexnet_scripted.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    auto* layers = window.findChild<QTreeView*>(QStringLiteral("layerView"));
    QCOMPARE(layers->model()->index(0, 2).data().toString(), QStringLiteral("64×27×27"));

    // AlexNet at 227x227, as in the paper: (227 + 4 - 11) / 4 + 1 = 56.
    ModelMetadata overrides;
    overrides.input = std::array<int64_t, 3>{3, 227, 227};
    overrides.name = "AlexNet at 227";
    window.reloadWith(overrides, QStringLiteral("cpu"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
    QCOMPARE(window.modelName(), QStringLiteral("AlexNet at 227"));
    QCOMPARE(layers->model()->index(0, 2).data().toString(), QStringLiteral("64×56×56"));

    // A bad override is reported, and the previous model stays.
    ModelMetadata wrong;
    wrong.input = std::array<int64_t, 3>{1, 227, 227};
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.reloadWith(wrong, QStringLiteral("cpu"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 60000);
    // The embedded mean has three values; one channel cannot take them.
    QCOMPARE(failed.first().first().toString(), QStringLiteral("mean has 3 values but the model takes 1 channel(s)"));
    QCOMPARE(window.modelName(), QStringLiteral("AlexNet at 227"));
}

void TestMainWindow::opensOnTheDefaultDigitsDemo()
{
    // What `convscope` with no arguments does (app/main.cpp).
    MainWindow window;
    window.show();
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    window.openModel(defaultModelPath());
    window.openDataset(defaultDatasetSpec());
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 30000);
    QVERIFY(window.modelName().startsWith(QStringLiteral("lenet5 on handwritten digits")));
    QCOMPARE(window.inputCaption(), QStringLiteral("handwritten digits sheet — test image 1 of 1000 (digit #3), label 0"));
    QVERIFY(window.predictionTexts().first().startsWith(QStringLiteral("0 ")));
    // Next walks the fixed test split.
    window.showTestImage(1);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 2, 30000);
    QVERIFY(window.inputCaption().contains(QStringLiteral("test image 2 of 1000")));
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
