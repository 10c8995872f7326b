// The real window, offscreen: open models, walk layers and inputs, and check
// what every view shows; broken files get a message and the window keeps
// working; the GUI thread never stalls while the model works.

#include "app/shell/atomic_save.h"
#include "app/shell/defaults.h"
#include "app/shell/frames.h"
#include "app/shell/input_controller.h"
#include "app/shell/job_runner.h"
#include "app/shell/main_window.h"
#include "app/shell/model_validation.h"
#include "app/shell/session_state.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "app/views/activations/tab.h"
#include "app/shell/class_text.h"
#include "app/views/adversarial/amplification_chart.h"
#include "app/views/adversarial/attack_confusion.h"
#include "app/views/adversarial/attack_text.h"
#include "app/views/adversarial/charts.h"
#include "app/views/adversarial/compare_panel.h"
#include "app/views/adversarial/controls.h"
#include "app/views/adversarial/pictures.h"
#include "app/views/adversarial/run.h"
#include "app/views/adversarial/tab.h"
#include "app/views/adversarial/trace_panel.h"
#include "app/views/ascent/chart.h"
#include "app/views/ascent/controls.h"
#include "app/views/ascent/knobs.h"
#include "app/views/ascent/tab.h"
#include "app/views/filters/tab.h"
#include "app/views/patches/tab.h"
#include "app/views/saliency/controls.h"
#include "app/views/saliency/sanity_controls.h"
#include "app/views/saliency/sanity_page.h"
#include "app/views/saliency/tab.h"
#include "app/views/unit/page.h"
#include "app/views/unit/tab.h"
#include "core/ascent.h"
#include "core/attack.h"
#include "widgets/confusion_matrix_view.h"
#include "core/attack_trace.h"
#include "core/dataset.h"
#include "core/device.h"
#include "core/heatmap.h"
#include "core/model.h"
#include "core/model_metadata.h"
#include "core/saliency.h"
#include "core/sanity.h"
#include "gui_test_support.h"
#include "memory_limit.h"
#include "widgets/bar_chart_view.h"
#include "widgets/image_view.h"
#include "widgets/module_tree_model.h"
#include "widgets/summary_charts.h"
#include "widgets/tile_grid_view.h"
#include "widgets/top_k_chart.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QFileInfo>
#include <QSignalSpy>
#include <QListWidget>
#include <QComboBox>
#include <QSpinBox>
#include <QTableView>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeView>
#include <QtTest>

using namespace convscope;
using convscope::test::openDigitsTab;
using convscope::test::StallProbe;

namespace {

// Before QApplication and any thread, as the app's main() does.
[[maybe_unused]] const bool kTuned = (tuneAllocator(), true);

const QString kFixtures = QStringLiteral(CONVSCOPE_FIXTURE_DIR);
const QString kVideo = QStringLiteral("/usr/share/doc/opencv-doc/examples/data/vtest.avi");

// How many tiles differ from the first: a view of all-equal tiles shows nothing.
int distinctTiles(const TileGridView* grid)
{
    int distinct = 0;
    for (int i = 1; i < grid->tileCount(); ++i)
        distinct += grid->tile(i).image != grid->tile(0).image;
    return distinct;
}

bool hasContrast(const QImage& image)
{
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    int lo = 255, hi = 0;
    for (int y = 0; y < gray.height(); ++y)
        for (int x = 0; x < gray.width(); ++x) {
            const int v = gray.pixelColor(x, y).value();
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    return hi - lo > 64;
}

QModelIndex findPath(const QAbstractItemModel* model, const QString& path, const QModelIndex& parent = {})
{
    for (int row = 0; row < model->rowCount(parent); ++row) {
        const QModelIndex index = model->index(row, 0, parent);
        if (index.data(ModuleTreeModel::PathRole).toString() == path)
            return index;
        const QModelIndex found = findPath(model, path, index);
        if (found.isValid())
            return found;
    }
    return {};
}

void waitSettled(MainWindow& window)
{
    QTRY_VERIFY_WITH_TIMEOUT(window.isSettled(), 60000);
}

// `window`, persistent and shown, reopens the saved session: true once its
// model is loaded and the window settled.
bool restoreSessionOf(MainWindow& window)
{
    window.setPersistent(true);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    if (!window.restoreSession() || !QTest::qWaitFor([&] { return loaded.count() == 1; }, 60000))
        return false;
    return QTest::qWaitFor([&] { return window.isSettled(); }, 60000);
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void exportsReplaceWholeFilesOrNothing();
    void modelsAreCheckedInAChildProcess();
    void damagedSettingsAreSetAside();
    void idleWindowGivesMemoryBack();
    void opensModelAndFillsViews();
    void badModelShowsMessageAndKeepsRunning();
    void settingsOverrideTheMetadata();
    void opensOnTheDefaultDigitsDemo();
    void filtersShowTheWeights();
    void activationsFollowLayerAndInput();
    void videoPlaysThroughTheViews();
    void guiThreadNeverStalls();
    void sessionPersistsAcrossRestarts();
    void summaryTakesAnotherInputSize();
    void modelOfFeatureMapsOpensWhereNoImageIsNeeded();
    void droppedFilesOpen();
    void missingCameraIsReported();
    void streamThatStopsKeepsTheLastFrame();
    void patchesFindTheTopImages();
    void saliencyGradCamMatchesCore();
    void saliencyOcclusionShowsTheClassMap();
    void saliencyFollowsMethodAndTarget();
    void saliencyReportsFailuresAndCancels();
    void saliencySanityCheck();
    void ascentRaisesAClassScore();
    void ascentWholeLayerIsOneBatch();
    void ascentStopKeepsTheImage();
    void ascentReportsErrors();
    void adversarialFgsmMatchesCore();
    void adversarialSliderRerunsFgsm();
    void adversarialCurvesAndCsv();
    void adversarialTraceThroughLayers();
    void adversarialCompareWithASecondModel();
    void adversarialUseAsInput();
    void adversarialReportsFailures();
    void unitWalksWithTheKeyboard();
    void unitIsPickedFromOtherViews();

private:
    QTemporaryDir m_settings;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_settings.isValid());
    test::useOwnSettings(m_settings.path()); // settings and top-k scans
}

void TestMainWindow::opensModelAndFillsViews()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(kFixtures + QStringLiteral("/resnet18_traced.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QCOMPARE(loaded.first().first().toString(), QStringLiteral("resnet18"));
    QCOMPARE(window.windowTitle(), QStringLiteral("resnet18 — ConvScope"));

    // The module tree: conv1 at the top, blocks nested under their stages.
    auto* layers = window.findChild<QTreeView*>(QStringLiteral("layerView"));
    QVERIFY(layers);
    const QAbstractItemModel* tree = layers->model();
    QCOMPARE(tree->index(0, 0).data().toString(), QStringLiteral("conv1"));
    QCOMPARE(tree->index(0, ModuleTreeModel::Shape).data().toString(), QStringLiteral("64×56×56")); // the fixture runs at 112x112
    QCOMPARE(tree->index(0, ModuleTreeModel::Params).data().toString(), QStringLiteral("9.4K")); // 64*3*7*7
    const QModelIndex block = findPath(tree, QStringLiteral("layer1.0"));
    QVERIFY(block.isValid());
    QCOMPARE(block.parent().data(ModuleTreeModel::PathRole).toString(), QStringLiteral("layer1"));
    const QModelIndex conv = findPath(tree, QStringLiteral("layer1.0.conv1"));
    QVERIFY(conv.isValid());
    QCOMPARE(conv.parent(), block);
    QCOMPARE(tree->index(conv.row(), ModuleTreeModel::Params, conv.parent()).data().toString(),
             QStringLiteral("36.9K")); // 64*64*3*3

    // The first convolution is selected; selecting in the tree drives the views.
    QCOMPARE(window.currentLayerName(), QStringLiteral("conv1"));
    layers->setCurrentIndex(conv);
    QCOMPARE(window.currentLayerName(), QStringLiteral("layer1.0.conv1"));

    // The search box keeps matches and their parents.
    auto* search = window.findChild<QLineEdit*>(QStringLiteral("layerSearch"));
    QVERIFY(search);
    search->setText(QStringLiteral("layer4.1"));
    QCOMPARE(tree->rowCount(), 1);
    QCOMPARE(tree->index(0, 0).data(ModuleTreeModel::PathRole).toString(), QStringLiteral("layer4"));
    search->clear();

    auto* summary = window.findChild<QTableView*>(QStringLiteral("summaryTable"));
    QVERIFY(summary);
    QCOMPARE(summary->model()->rowCount(), 70); // 69 layers + total
    auto* charts = window.findChild<SummaryCharts*>(QStringLiteral("summaryCharts"));
    QVERIFY(charts);
    waitSettled(window); // the charts are drawn a turn of the event loop after the table
    QCOMPARE(charts->barCount(SummaryCharts::Memory), 69);
    // 20 convolutions + 20 batch norms + fc carry parameters.
    QCOMPARE(charts->barCount(SummaryCharts::Params), 41);
    QCOMPARE(charts->barLayer(SummaryCharts::Params, 0), QStringLiteral("conv1"));
    QCOMPARE(charts->barValue(SummaryCharts::Params, 0), 9408.0);
}

void TestMainWindow::badModelShowsMessageAndKeepsRunning()
{
    MainWindow window;
    window.show();
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    window.openModel(defaultModelPath());
    window.openInput(defaultDatasetSpec());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 30000);
    const QString name = window.modelName();

    const QString bad = kFixtures + QStringLiteral("/bad/state_dict.pt");
    window.openModel(bad);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
    QVERIFY(failed.first().first().toString().contains(QStringLiteral("was written by torch.save(), not torch.jit.save()")));
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadError"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY(box->text().startsWith(bad));
    box->accept();

    // The previous model is still there and still answers.
    QCOMPARE(window.modelName(), name);
    const int before = predictions.count();
    window.showTestImage(4);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() > before, 30000);
    QVERIFY(window.inputCaption().contains(QStringLiteral("test image 5 of 1000")));

    // And the next model opens.
    window.openModel(kFixtures + QStringLiteral("/squeezenet1_0_scripted.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
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
    const QModelIndex conv = findPath(layers->model(), QStringLiteral("features.0"));
    QCOMPARE(conv.siblingAtColumn(ModuleTreeModel::Shape).data().toString(), QStringLiteral("64×27×27")); // the fixture runs at 112x112

    // AlexNet at 227x227, as in the paper: (227 + 4 - 11) / 4 + 1 = 56.
    ModelMetadata overrides;
    overrides.input = std::array<int64_t, 3>{3, 227, 227};
    overrides.name = "AlexNet at 227";
    window.reloadWith(overrides, QStringLiteral("cpu"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
    QCOMPARE(window.modelName(), QStringLiteral("AlexNet at 227"));
    QCOMPARE(findPath(layers->model(), QStringLiteral("features.0")).siblingAtColumn(ModuleTreeModel::Shape).data().toString(),
             QStringLiteral("64×56×56"));

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
    // What `convscope` with no arguments does the first time (app/main.cpp).
    MainWindow window;
    window.show();
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    window.openModel(defaultModelPath());
    window.openInput(defaultDatasetSpec());
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 30000);
    QVERIFY(window.modelName().startsWith(QStringLiteral("lenet5 on handwritten digits")));
    QCOMPARE(window.inputCaption(), QStringLiteral("handwritten digits sheet — test image 1 of 1000 (digit #3), label 0"));
    QVERIFY(window.predictionTexts().first().startsWith(QStringLiteral("0  ")));
    QCOMPARE(window.predictionTexts().size(), 5);
    // Next walks the fixed test split.
    window.showTestImage(1);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 2, 30000);
    QVERIFY(window.inputCaption().contains(QStringLiteral("test image 2 of 1000")));
}

void TestMainWindow::filtersShowTheWeights()
{
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QVERIFY(window.setCurrentTab(QStringLiteral("filters")));
    auto* tab = qobject_cast<FiltersTab*>(window.tab(QStringLiteral("filters")));
    QVERIFY(tab);
    TileGridView* grid = tab->grid();

    // LeNet-5 conv1: six 1x5x5 filters, one gray tile each.
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 6);
    QCOMPARE(grid->tile(0).image.size(), QSize(5, 5));
    QVERIFY(distinctTiles(grid) == 5);
    QVERIFY(hasContrast(grid->tile(0).image)); // its own range: the full gray scale
    QVERIFY(grid->zoom() >= 6); // 5x5 kernels are enlarged to be seen

    // conv2: 16 filters x 6 input channels.
    QVERIFY(window.selectLayer(QStringLiteral("conv2")));
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 96);
    QCOMPARE(grid->columns(), 6);
    tab->setMode(FiltersTab::OneFilter);
    tab->setFilter(3);
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 6);

    // Hover reads the weights.
    Q_EMIT grid->tileHovered(2, QPoint(1, 4));
    QVERIFY2(tab->hoverText().startsWith(QStringLiteral("filter 3, input channel 2 at (4, 1): w = ")),
             qPrintable(tab->hoverText()));

    // fc1 reads the flattened 16x5x5 pool2 output: 120 weight images of 16 channels.
    tab->setMode(FiltersTab::Slices);
    QVERIFY(window.selectLayer(QStringLiteral("fc1")));
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 120 * 16);
    QCOMPARE(grid->tile(0).image.size(), QSize(5, 5));
    QVERIFY(tab->infoText().contains(QStringLiteral("120 output units")));

    // A layer without weights says so, and the window goes on.
    QVERIFY(window.selectLayer(QStringLiteral("relu1")));
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 0);
    QVERIFY2(tab->infoText().contains(QStringLiteral("has no weights")), qPrintable(tab->infoText()));

    // An RGB first layer: colour tiles.
    window.openModel(kFixtures + QStringLiteral("/resnet18_traced.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
    tab->setMode(FiltersTab::Colour);
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 64);
    QCOMPARE(grid->tile(0).image.size(), QSize(7, 7));
    QVERIFY(grid->tile(0).image.format() == QImage::Format_RGB888);
    QVERIFY(!tab->exportImage().isNull());
}

void TestMainWindow::activationsFollowLayerAndInput()
{
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    window.openModel(defaultModelPath());
    window.openInput(defaultDatasetSpec());
    QVERIFY(window.setCurrentTab(QStringLiteral("activations")));
    auto* tab = qobject_cast<ActivationsTab*>(window.tab(QStringLiteral("activations")));
    QVERIFY(tab);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 60000);
    waitSettled(window);

    // conv1: six 28x28 maps (padding 2 keeps the size).
    TileGridView* grid = tab->grid();
    QCOMPARE(window.currentLayerName(), QStringLiteral("conv1"));
    QCOMPARE(grid->tileCount(), 6);
    QCOMPARE(grid->tile(0).image.size(), QSize(28, 28));
    QVERIFY(distinctTiles(grid) == 5);
    QVERIFY(hasContrast(grid->tile(1).image));

    // A clicked channel, large, and laid over the input at input resolution.
    tab->selectChannel(3);
    waitSettled(window);
    QCOMPARE(grid->selectedTile(), 3);
    QCOMPARE(tab->largeView()->image().size(), QSize(28, 28));
    tab->setOverlay(true);
    tab->setColormap(QStringLiteral("viridis"));
    waitSettled(window);
    QCOMPARE(tab->largeView()->image().format(), QImage::Format_RGB888);
    QVERIFY(grid->tile(0).image.format() == QImage::Format_RGB888);

    // pool2: 16 maps of 5x5; fc1: 120 units.
    QVERIFY(window.selectLayer(QStringLiteral("pool2")));
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 16);
    QCOMPARE(grid->tile(0).image.size(), QSize(5, 5));
    QVERIFY(window.selectLayer(QStringLiteral("fc1")));
    waitSettled(window);
    QCOMPARE(grid->tileCount(), 120);

    // Stepping through the dataset redraws the maps.
    QVERIFY(window.selectLayer(QStringLiteral("conv2")));
    waitSettled(window);
    const QImage before = grid->tile(0).image;
    const qint64 drawn = tab->framesDrawn();
    window.showTestImage(10);
    QTRY_VERIFY_WITH_TIMEOUT(tab->framesDrawn() > drawn, 30000);
    waitSettled(window);
    QVERIFY(window.inputCaption().contains(QStringLiteral("test image 11 of 1000")));
    QVERIFY(grid->tile(0).image != before);
    QVERIFY(tab->infoText().contains(QStringLiteral("16 channels of 10×10")));
}

void TestMainWindow::videoPlaysThroughTheViews()
{
    if (!QFileInfo::exists(kVideo))
        QSKIP("opencv-doc's vtest.avi is not installed");
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    window.setCurrentTab(QStringLiteral("activations"));
    auto* tab = qobject_cast<ActivationsTab*>(window.tab(QStringLiteral("activations")));
    window.openInput(kVideo);
    waitSettled(window);
    InputController* input = window.inputController();
    QCOMPARE(input->kind(), InputController::Video);
    QVERIFY(input->count() > 100);
    QVERIFY(window.inputCaption().contains(QStringLiteral("frame 1 of")));

    input->setRealtime(false); // as fast as the model goes
    const qint64 drawn = tab->framesDrawn();
    input->play(true);
    QVERIFY(input->playing());
    QTRY_VERIFY_WITH_TIMEOUT(input->framesShown() >= 30, 30000);
    QVERIFY(tab->framesDrawn() > drawn + 5);
    QVERIFY(window.inputCaption().contains(QStringLiteral("(playing)")));
    input->play(false);
    QVERIFY(!input->playing());
    QVERIFY(input->position() > 10);
    waitSettled(window);
}

void TestMainWindow::guiThreadNeverStalls()
{
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    StallProbe probe;
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    probe.phase = QStringLiteral("loading");
    window.openModel(kFixtures + QStringLiteral("/resnet18_traced.pt"));
    window.openInput(defaultDatasetSpec());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    waitSettled(window);
    // Click through the layers on every tab, as a student would.
    auto* layers = window.findChild<QTreeView*>(QStringLiteral("layerView"));
    QStringList paths = {QStringLiteral("conv1"), QStringLiteral("layer1.0.conv1"), QStringLiteral("layer2.0.conv2"),
                         QStringLiteral("layer3.1.bn2"), QStringLiteral("layer4.1.conv2"), QStringLiteral("fc")};
    for (const QString& key : {QStringLiteral("activations"), QStringLiteral("filters"), QStringLiteral("summary")}) {
        window.setCurrentTab(key);
        for (const QString& path : paths) {
            const QModelIndex index = findPath(layers->model(), path);
            QVERIFY2(index.isValid(), qPrintable(path));
            probe.phase = key + QLatin1Char(' ') + path;
            QTest::mouseClick(layers->viewport(), Qt::LeftButton, {}, layers->visualRect(index).center());
            QTest::qWait(30);
        }
        waitSettled(window);
    }
    window.showTestImage(3);
    waitSettled(window);
    qInfo("longest GUI-thread stall: %lld ms", static_cast<long long>(probe.worstMs()));
    QVERIFY2(probe.worstMs() < 100, qPrintable(QStringLiteral("GUI thread stalled %1 ms").arg(probe.worstMs())));
}

void TestMainWindow::sessionPersistsAcrossRestarts()
{
    {
        MainWindow window;
        window.setPersistent(true);
        window.show();
        QSignalSpy predictions(&window, &MainWindow::predictionsReady);
        window.openModel(defaultModelPath());
        window.openInput(defaultDatasetSpec());
        QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 60000);
        window.showTestImage(5);
        QVERIFY(window.selectLayer(QStringLiteral("pool2")));
        window.setCurrentTab(QStringLiteral("activations"));
        qobject_cast<ActivationsTab*>(window.tab(QStringLiteral("activations")))->setColormap(QStringLiteral("inferno"));
        waitSettled(window);
        window.close();
    }
    MainWindow window;
    QVERIFY(restoreSessionOf(window));
    QCOMPARE(window.currentLayerName(), QStringLiteral("pool2"));
    QCOMPARE(window.currentTabKey(), QStringLiteral("activations"));
    QVERIFY2(window.inputCaption().contains(QStringLiteral("test image 6 of 1000")), qPrintable(window.inputCaption()));
    auto* tab = qobject_cast<ActivationsTab*>(window.tab(QStringLiteral("activations")));
    QVERIFY(tab->grid()->tile(0).image.format() == QImage::Format_RGB888); // inferno, not gray
    QSettings settings;
    QVERIFY(settings.value(QStringLiteral("recent/models")).toStringList().first().endsWith(QStringLiteral("lenet5_digits.pt")));
}

void TestMainWindow::summaryTakesAnotherInputSize()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(kFixtures + QStringLiteral("/alexnet_traced.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    waitSettled(window);
    auto* height = window.findChild<QSpinBox*>(QStringLiteral("inputHeight"));
    auto* width = window.findChild<QSpinBox*>(QStringLiteral("inputWidth"));
    QVERIFY(height && width);
    QCOMPARE(height->value(), 112);
    height->setValue(227);
    width->setValue(227);
    auto* apply = window.findChild<QPushButton*>(QStringLiteral("analyseSize"));
    QVERIFY(apply);
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
    waitSettled(window);
    // (227 + 4 - 11) / 4 + 1 = 56, as in the AlexNet paper's first layer.
    auto* table = window.findChild<QTableView*>(QStringLiteral("summaryTable"));
    QCOMPARE(table->model()->index(0, 2).data().toString(), QStringLiteral("64×56×56"));
    // The charts follow: 4096x9216 weights + bias in classifier.1 at 6x6 pooling.
    auto* charts = window.findChild<SummaryCharts*>(QStringLiteral("summaryCharts"));
    QCOMPARE(charts->barLayer(SummaryCharts::Params, 5), QStringLiteral("classifier.1"));
    QCOMPARE(charts->barValue(SummaryCharts::Params, 5), 4096.0 * 9216 + 4096);
}

// The lecture's 1x1 bottleneck example is a block whose input is 192x28x28
// feature maps: Summary, Filters and the layer list show it; every view that
// reads, runs or draws images says why not, and no input is fed to it.
void TestMainWindow::modelOfFeatureMapsOpensWhereNoImageIsNeeded()
{
    QTemporaryDir folder;
    const QString block = folder.filePath(QStringLiteral("block.pt"));
    {
        auto unit = std::make_shared<torch::jit::CompilationUnit>();
        torch::jit::Module module(c10::QualifiedName("__torch__.Block"), unit, false);
        module.register_attribute("training", c10::BoolType::get(), false);
        module.register_parameter("weight", torch::randn({16, 192, 1, 1}), false);
        module.register_parameter("bias", torch::zeros({16}), false);
        module.define("def forward(self, x):\n    return torch.relu(torch.conv2d(x, self.weight, self.bias))\n");
        module.save(block.toStdString(), {{"convscope.json", R"({"input": [192, 28, 28]})"}});
    }
    const QString why = QStringLiteral(
        "this model's input is 192x28x28, not an image (1 or 3 channels): summary, layers and filters work on it");

    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    window.openModel(defaultModelPath());
    window.openInput(defaultDatasetSpec());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 30000);
    window.setCurrentTab(QStringLiteral("activations"));
    waitSettled(window);

    QSignalSpy forwards(window.workspace(), &Workspace::forwardReady);
    QSignalSpy failures(window.workspace(), &Workspace::forwardFailed);
    window.openModel(block);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
    waitSettled(window);
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("loadError")));
    QCOMPARE(window.inputCaption(), why); // in the input dock, in place of the digit
    for (const QString& key : {QStringLiteral("activations"), QStringLiteral("patches"), QStringLiteral("unit"),
                               QStringLiteral("saliency"), QStringLiteral("ascent"), QStringLiteral("adversarial"),
                               QStringLiteral("embedding")}) {
        QVERIFY(window.setCurrentTab(key));
        waitSettled(window);
        ViewTab* view = window.tab(key);
        auto* message = view->findChild<QLabel*>(QStringLiteral("notAnImageMessage"));
        QVERIFY2(message && message->isVisible() && message->text() == why, qPrintable(key));
        QCOMPARE(message->geometry(), view->rect());
        QVERIFY(!view->isEnabled());
    }
    for (const QString& key : {QStringLiteral("summary"), QStringLiteral("filters"), QStringLiteral("training")}) {
        QVERIFY(window.setCurrentTab(key));
        waitSettled(window);
        QVERIFY2(!window.tab(key)->findChild<QLabel*>(QStringLiteral("notAnImageMessage"))->isVisible(), qPrintable(key));
    }
    auto* table = window.findChild<QTableView*>(QStringLiteral("summaryTable"));
    QCOMPARE(table->model()->index(0, 2).data().toString(), QStringLiteral("16×28×28"));
    QCOMPARE(forwards.count(), 0); // nothing was run on a digit copied into 192 channels
    QCOMPARE(failures.count(), 0);

    // An image model again: the digits come back, and the views with them.
    window.openModel(defaultModelPath());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 3, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(forwards.count() >= 1, 30000);
    window.setCurrentTab(QStringLiteral("activations"));
    waitSettled(window);
    QCOMPARE(window.inputCaption(), QStringLiteral("handwritten digits sheet — test image 1 of 1000 (digit #3), label 0"));
    QVERIFY(!window.tab(QStringLiteral("activations"))->findChild<QLabel*>(QStringLiteral("notAnImageMessage"))->isVisible());
    QVERIFY(window.tab(QStringLiteral("activations"))->isEnabled());
    QCOMPARE(failures.count(), 0);
}

void TestMainWindow::droppedFilesOpen()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QSignalSpy inputs(&window, &MainWindow::inputChanged);
    // A model and an image dropped together: the image is read in the model's format.
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(kFixtures + QStringLiteral("/squeezenet1_0_traced.pt")),
                  QUrl::fromLocalFile(QStringLiteral("/usr/share/doc/opencv-doc/examples/data/baboon.jpg"))});
    QDropEvent drop(QPointF(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    // Straight to the window: QApplication only passes on drops that a real drag started.
    static_cast<QObject&>(window).event(&drop);
    QVERIFY(drop.isAccepted());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(inputs.count() >= 1, 30000);
    QCOMPARE(window.modelName(), QStringLiteral("squeezenet1_0"));
    QCOMPARE(window.inputCaption(), QStringLiteral("baboon.jpg"));
    waitSettled(window);
    QCOMPARE(window.predictionTexts().size(), 5);
}

void TestMainWindow::missingCameraIsReported()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    window.openInput(QStringLiteral("camera:63"));
    QTRY_VERIFY_WITH_TIMEOUT(window.findChild<QMessageBox*>(QStringLiteral("loadError")), 30000);
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadError"));
    QCOMPARE(box->text(), QStringLiteral("cannot open camera 63 (no such device, or it is busy)"));
    box->accept();
    QVERIFY(!window.inputController()->playing());
    // The window goes on: a dataset opens next.
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    window.openInput(defaultDatasetSpec());
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 30000);
}

// A live source that stops mid-stream (an unplugged camera, a dropped network
// stream), opened from File → Open Stream: GStreamer's test source sends 20
// white frames at 30 per second, then nothing.
void TestMainWindow::streamThatStopsKeepsTheLastFrame()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QSignalSpy predictions(&window, &MainWindow::predictionsReady);
    const QString spec = QStringLiteral("gst:videotestsrc is-live=true num-buffers=20 pattern=white ! "
                                        "video/x-raw,width=64,height=48,framerate=30/1 ! videoconvert ! appsink");
    QAction* open = nullptr;
    for (QAction* action : window.findChildren<QAction*>())
        if (action->text() == QStringLiteral("Open &Stream…"))
            open = action;
    QVERIFY(open);
    // The dialog runs its own event loop; the timer answers it from inside.
    const auto answerWith = [&](const QString& text) {
        QTimer::singleShot(0, &window, [text] {
            for (QWidget* widget : QApplication::topLevelWidgets())
                if (auto* dialog = qobject_cast<QInputDialog*>(widget)) {
                    dialog->setTextValue(text);
                    dialog->accept();
                }
        });
        open->trigger();
    };

    // A file name is not a stream: the message lists every scheme that is.
    answerWith(QStringLiteral("holiday.mp4"));
    QTRY_VERIFY_WITH_TIMEOUT(window.findChild<QMessageBox*>(QStringLiteral("loadError")), 5000);
    auto* refused = window.findChild<QMessageBox*>(QStringLiteral("loadError"));
    QCOMPARE(refused->text(), QStringLiteral("not a stream: start it with rtsp://, rtsps://, rtmp://, http://, "
                                             "https://, udp://, tcp://, srt:// or gst:"));
    refused->accept();
    QTRY_VERIFY(!window.findChild<QMessageBox*>(QStringLiteral("loadError")));
    QVERIFY(window.inputController()->kind() != InputController::Live);

    answerWith(spec);
    QCOMPARE(window.inputController()->kind(), InputController::Live);
    QTRY_VERIFY_WITH_TIMEOUT(predictions.count() >= 1, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(window.findChild<QMessageBox*>(QStringLiteral("loadError")), 30000);
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadError"));
    QCOMPARE(box->text(), QStringLiteral("stream %1 stopped delivering frames (it ended, or the connection dropped)").arg(spec));
    box->accept();
    QVERIFY(!window.inputController()->playing());
    // The last frame stays, with its predictions.
    const auto input = window.workspace()->input();
    QVERIFY(input);
    QVERIFY(input->caption.endsWith(QStringLiteral("(live)")));
    QVERIFY(std::abs(input->pixels.mean().item<float>() - 1.0f) < 0.03f);
    QVERIFY(!window.predictionTexts().isEmpty());
}

void TestMainWindow::patchesFindTheTopImages()
{
    MainWindow window;
    window.resize(1300, 850);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    window.openInput(defaultDatasetSpec());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QVERIFY(window.selectLayer(QStringLiteral("conv2")));
    auto* tab = qobject_cast<PatchesTab*>(window.tab(QStringLiteral("patches")));
    QVERIFY(tab);
    tab->setK(4);
    QVERIFY(window.setCurrentTab(QStringLiteral("patches")));
    waitSettled(window);
    // One mosaic of 4 patches per channel of conv2.
    QCOMPARE(tab->channelGrid()->tileCount(), 16);
    QVERIFY(hasContrast(tab->channelGrid()->tile(0).image));
    QVERIFY2(tab->infoText().contains(QStringLiteral("top 4 of 5000 images")), qPrintable(tab->infoText()));

    tab->selectChannel(3);
    waitSettled(window);
    // The detail is drawn by a job of its own, which a loaded machine may not have started yet.
    QTRY_COMPARE_WITH_TIMEOUT(tab->patchGrid()->tileCount(), 4, 30000);
    // conv2's field is 14x14 (5x5 kernels over a 2x2 pool over 5x5 kernels), less where clipped.
    QVERIFY(tab->patchGrid()->tile(0).image.width() <= 14);
    const QString caption = tab->patchGrid()->tile(0).caption;
    const QString image = caption.section(QLatin1Char(' '), 0, 0).mid(1); // "#123  4.5"
    QSignalSpy inputs(&window, &MainWindow::inputChanged);
    tab->openPatch(0);
    QTRY_VERIFY_WITH_TIMEOUT(inputs.count() >= 1, 30000);
    QVERIFY2(window.inputCaption().contains(QStringLiteral("(digit #%1)").arg(image)) ||
                 window.inputCaption().contains(QStringLiteral("item %1 ").arg(image)),
             qPrintable(window.inputCaption() + QStringLiteral(" vs ") + caption));
    auto* whole = window.findChild<ImageView*>(QStringLiteral("patchImage"));
    QVERIFY(whole && !whole->image().isNull());

    // Cached on disk: a second window shows the same scan at once.
    waitSettled(window);
    MainWindow again;
    again.show();
    QSignalSpy loadedAgain(&again, &MainWindow::modelLoaded);
    again.openModel(defaultModelPath());
    again.openInput(defaultDatasetSpec());
    QTRY_COMPARE_WITH_TIMEOUT(loadedAgain.count(), 1, 60000);
    again.selectLayer(QStringLiteral("conv2"));
    auto* tabAgain = qobject_cast<PatchesTab*>(again.tab(QStringLiteral("patches")));
    tabAgain->setK(4);
    again.setCurrentTab(QStringLiteral("patches"));
    waitSettled(again);
    tabAgain->selectChannel(3);
    waitSettled(again);
    QCOMPARE(tabAgain->patchGrid()->tile(0).caption, caption);
    QVERIFY(QDir(QString::fromLocal8Bit(qgetenv("XDG_CACHE_HOME")) + QStringLiteral("/convscope/topk")).count() > 2);
}

namespace {

// The largest difference of one colour channel between two images of the same size.
int maxPixelDifference(const QImage& a, const QImage& b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    int worst = 0;
    for (int row = 0; row < x.height(); ++row) {
        const uchar* p = x.constScanLine(row);
        const uchar* q = y.constScanLine(row);
        for (int i = 0; i < 3 * x.width(); ++i)
            worst = std::max(worst, std::abs(int(p[i]) - int(q[i])));
    }
    return worst;
}

// The window on `model` and `input`, its model loaded, with the Saliency tab showing `method`.
SaliencyTab* openSaliency(MainWindow& window, const QString& model, const QString& input, const QString& method)
{
    window.resize(1400, 900);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(model);
    window.openInput(input);
    if (!loaded.wait(60000) && loaded.isEmpty())
        return nullptr;
    auto* tab = qobject_cast<SaliencyTab*>(window.tab(QStringLiteral("saliency")));
    tab->controls()->setMethod(method);
    window.setCurrentTab(QStringLiteral("saliency"));
    return tab;
}

} // namespace

void TestMainWindow::saliencyGradCamMatchesCore()
{
    MainWindow window;
    const QString fixture = kFixtures + QStringLiteral("/resnet18_traced.pt");
    SaliencyTab* tab = openSaliency(window, fixture, QStringLiteral("/usr/share/doc/opencv-doc/examples/data/baboon.jpg"),
                                    QStringLiteral("gradcam"));
    QVERIFY(tab);
    waitSettled(window);
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("Grad-CAM for class ")), qPrintable(tab->captionText()));
    QVERIFY2(tab->captionText().contains(QStringLiteral("layer layer4")), qPrintable(tab->captionText()));

    // The same input through core saliency(), independently of the window.
    auto model = Model::load(fixture.toStdString());
    SaliencyOptions options;
    options.method = SaliencyMethod::GradCam;
    const SaliencyResult expected = saliency(*model, window.workspace()->input()->pixels, options);
    const QImage heatmap = tab->heatmapView()->image();
    QCOMPARE(heatmap.size(), QSize(112, 112));
    QVERIFY(hasContrast(heatmap));
    // Within a step of 255: the two runs may sum in another order (threads, a GPU).
    QVERIFY(maxPixelDifference(heatmap, toQImage(heatmapImage(expected.heatmap, Colormap::Inferno))) <= 2);
    const QImage overlay = tab->overlayView()->image();
    QVERIFY(maxPixelDifference(overlay, toQImage(heatmapOverlay(expected.heatmap, window.workspace()->input()->pixels,
                                                                Colormap::Inferno, 0.5))) <= 2);

    // Opacity and colormap redraw the same result; nothing is computed again.
    const qint64 results = tab->resultsShown();
    tab->controls()->setOpacity(80);
    tab->controls()->setColormap(QStringLiteral("jet"));
    QVERIFY(window.isSettled());
    QCOMPARE(tab->resultsShown(), results);
    QVERIFY(maxPixelDifference(tab->overlayView()->image(),
                               toQImage(heatmapOverlay(expected.heatmap, window.workspace()->input()->pixels, Colormap::Jet, 0.8))) <= 2);

    // The export is a composite of the three panels with the caption under them.
    const QImage exported = tab->exportImage();
    QVERIFY(exported.width() > 3 * 320);
    QVERIFY(exported.height() > 320);
}

void TestMainWindow::saliencyOcclusionShowsTheClassMap()
{
    MainWindow window;
    QSignalSpy progress(window.workspace()->jobs(), &JobRunner::progressed);
    SaliencyTab* tab = openSaliency(window, defaultModelPath(), defaultDatasetSpec(), QStringLiteral("occlusion"));
    QVERIFY(tab);
    tab->controls()->setOcclusionWindow(14, 14);
    waitSettled(window);
    // Progress goes to the status bar under the method's name.
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().first().toString(), QStringLiteral("Saliency: Occlusion"));
    // 28 x 28 digits: 2 x 2 windows of 14 px.
    QVERIFY2(tab->captionText().contains(QStringLiteral("4 windows of 14 px, stride 14")), qPrintable(tab->captionText()));
    QVERIFY(tab->captionText().contains(QStringLiteral("probability")));
    QVERIFY(tab->classMapView()->isVisible());
    QCOMPARE(tab->classMapView()->image().size(), QSize(28, 28)); // at input resolution, lined up with it
    QCOMPARE(tab->heatmapView()->image().size(), QSize(28, 28));
    const QStringList legend = tab->legendTexts();
    QVERIFY(!legend.isEmpty());
    int windows = 0;
    for (const QString& entry : legend)
        windows += entry.section(QStringLiteral(" — "), 1).section(QLatin1Char(' '), 0, 0).toInt();
    QCOMPARE(windows, 4);
    // Each window owns a quadrant: the top-left pixel shows the first window's class in the legend's colours.
    QVERIFY(!tab->guidedView()->isVisible());
    const QImage exported = tab->exportImage();
    QVERIFY(exported.width() > 4 * 320);
}

void TestMainWindow::saliencyFollowsMethodAndTarget()
{
    MainWindow window;
    SaliencyTab* tab = openSaliency(window, defaultModelPath(), defaultDatasetSpec(), QStringLiteral("gradient"));
    QVERIFY(tab);
    waitSettled(window);
    // The first test digit is a 0, and LeNet-5 says so.
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("Gradient for class 0 (logit")), qPrintable(tab->captionText()));
    const QImage gradient = tab->heatmapView()->image();
    qint64 results = tab->resultsShown();

    tab->controls()->setTarget(3);
    waitSettled(window);
    QVERIFY(tab->resultsShown() > results);
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("Gradient for class 3 (logit")), qPrintable(tab->captionText()));
    QVERIFY(tab->captionText().contains(QStringLiteral("predicted: 0")));
    QVERIFY(tab->heatmapView()->image() != gradient);

    results = tab->resultsShown();
    tab->controls()->setMethod(QStringLiteral("guided"));
    waitSettled(window);
    QVERIFY(tab->resultsShown() > results);
    QVERIFY(tab->captionText().startsWith(QStringLiteral("Guided backprop for class 3")));
    QVERIFY(tab->guidedView()->isVisible());
    QCOMPARE(tab->guidedView()->image().size(), QSize(28, 28));

    tab->controls()->setMethod(QStringLiteral("ig"));
    waitSettled(window);
    QVERIFY2(tab->captionText().contains(QStringLiteral("50 steps from a black (0) baseline; completeness: attributions sum to")),
             qPrintable(tab->captionText()));
    QVERIFY(!tab->guidedView()->isVisible());

    // Occlusion reads probabilities, the gradient methods logits, each keeping its own choice.
    tab->controls()->setMethod(QStringLiteral("occlusion"));
    waitSettled(window);
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("Occlusion for class 3 (probability")), qPrintable(tab->captionText()));
    tab->controls()->setMethod(QStringLiteral("smoothgrad"));
    waitSettled(window);
    QVERIFY2(tab->captionText().contains(QStringLiteral("(logit")), qPrintable(tab->captionText()));
    QVERIFY(tab->captionText().contains(QStringLiteral("25 noisy copies")));

    // A new input is a new map.
    results = tab->resultsShown();
    window.showTestImage(1);
    waitSettled(window);
    QVERIFY(tab->resultsShown() > results);

    // The method, its parameters, the colormap and the opacity are settings.
    tab->controls()->setTarget(-1);
    tab->controls()->setColormap(QStringLiteral("viridis"));
    tab->controls()->setOpacity(30);
    waitSettled(window);
    tab->saveSettings(QStringLiteral("test/saliency"));
    SaliencyTab other(window.workspace());
    other.restoreSettings(QStringLiteral("test/saliency"));
    QCOMPARE(other.controls()->requestKey(), tab->controls()->requestKey());
    QCOMPARE(other.controls()->colormap(), QStringLiteral("viridis"));
    QCOMPARE(other.controls()->opacity(), 0.3);
}

void TestMainWindow::saliencySanityCheck()
{
    MainWindow window;
    SaliencyTab* tab = openSaliency(window, defaultModelPath(), defaultDatasetSpec(), QStringLiteral("gradient"));
    QVERIFY(tab);
    waitSettled(window);
    const QImage trained = tab->heatmapView()->image();
    QVERIFY(!tab->randomizedView()->isVisible());
    SanityControls* sanity = tab->sanityControls();
    QCOMPARE(sanity->steps(), 5); // LeNet-5: fc3, fc2, fc1, conv2, conv1

    // Every layer re-initialized: the map on the copy beside the trained model's.
    sanity->setMode(QStringLiteral("cascading"));
    sanity->setStep(5);
    waitSettled(window);
    QVERIFY(tab->randomizedView()->isVisible());
    // The loaded model is never changed: its map is the same.
    QCOMPARE(tab->heatmapView()->image(), trained);
    // The same through core, independently of the window.
    auto model = Model::load(defaultModelPath().toStdString());
    const torch::Tensor pixels = window.workspace()->input()->pixels;
    SaliencyOptions options;
    const SaliencyResult original = saliency(*model, pixels, options);
    RandomizedModel randomized(*model, 0);
    randomized.setStep(Randomization::Cascading, 5);
    options.target = original.target;
    const SaliencyResult expected = saliency(randomized.model(), pixels, options);
    QVERIFY(maxPixelDifference(tab->randomizedView()->image(),
                               toQImage(heatmapImage(expected.heatmap, Colormap::Inferno))) <= 2);
    const MapSimilarity similarity = compareMaps(sanityMaps(original.attribution), sanityMaps(expected.attribution));
    QVERIFY2(tab->captionText().contains(QStringLiteral("Spearman %1 (absolute values)")
                                             .arg(similarity.spearmanAbs, 0, 'f', 3)),
             qPrintable(tab->captionText()));

    // Off: the trained model alone again.
    sanity->setMode(QStringLiteral("off"));
    waitSettled(window);
    QVERIFY(!tab->randomizedView()->isVisible());
    QCOMPARE(tab->heatmapView()->image(), trained);

    // All methods: the paper's figure, every method at every step.
    SanityPage* page = tab->sanityPage();
    tab->showSanityFigure();
    QVERIFY(page->isVisible());
    QVERIFY(!tab->controls()->isVisible()); // the figure takes the tab's width
    QTRY_VERIFY_WITH_TIMEOUT(!page->running(), 120000);
    QCOMPARE(page->cellsTotal(), static_cast<int>(saliencyMethodNames().size()) * 6);
    QCOMPARE(page->cellsDone(), page->cellsTotal());
    QVERIFY(!page->figureImage().isNull());
    QCOMPARE(tab->exportImage().size(), page->figureImage().size());
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("sanity.csv"));
    QCOMPARE(page->exportCsv(csv), QString());
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().count('\n'), page->cellsTotal() + 1);
    // Asked again: kept from this session.
    tab->showSanityFigure();
    QVERIFY(!page->running());
    QVERIFY2(page->statusText().contains(QStringLiteral("kept")), qPrintable(page->statusText()));
    // Another seed is another question; Stop ends it with what it has.
    sanity->setMode(QStringLiteral("independent"));
    tab->showSanityFigure();
    QVERIFY(page->running());
    page->stop();
    QVERIFY(!page->running());
    QVERIFY2(page->statusText().contains(QStringLiteral("stopped")), qPrintable(page->statusText()));
    waitSettled(window);
    QVERIFY(page->cellsDone() < page->cellsTotal());

    // The sanity check's settings travel with the tab's.
    tab->saveSettings(QStringLiteral("test/sanity"));
    SaliencyTab other(window.workspace());
    other.restoreSettings(QStringLiteral("test/sanity"));
    QCOMPARE(other.sanityControls()->mode(), QStringLiteral("independent"));
}

void TestMainWindow::saliencyReportsFailuresAndCancels()
{
    {
        // A classifier on raw pixels has no convolution for Grad-CAM: a message, and the window goes on.
        MainWindow window;
        SaliencyTab* tab = openSaliency(window, kFixtures + QStringLiteral("/pixel_templates.pt"), defaultDatasetSpec(),
                                        QStringLiteral("gradcam"));
        QVERIFY(tab);
        waitSettled(window);
        QVERIFY2(tab->infoText().contains(QStringLiteral("Grad-CAM needs a convolutional layer, and this model has none")),
                 qPrintable(tab->infoText()));
        QVERIFY(tab->heatmapView()->image().isNull());
        tab->controls()->setMethod(QStringLiteral("gradient"));
        waitSettled(window);
        QVERIFY(tab->infoText().isEmpty());
        QCOMPARE(tab->heatmapView()->image().size(), QSize(6, 8));
    }
    // Cancel mid-occlusion: 109 x 109 windows of ResNet-18 would take minutes.
    MainWindow window;
    SaliencyTab* tab = openSaliency(window, kFixtures + QStringLiteral("/resnet18_traced.pt"), defaultDatasetSpec(),
                                    QStringLiteral("gradient"));
    QVERIFY(tab);
    waitSettled(window);
    tab->controls()->setOcclusionWindow(4, 1);
    tab->controls()->setMethod(QStringLiteral("occlusion"));
    // Estimated at minutes, it waits for Compute (test_classroom): pressed.
    QTRY_VERIFY_WITH_TIMEOUT(tab->infoText().contains(QStringLiteral("Press Compute")), 30000);
    tab->compute();
    QVERIFY(!window.isSettled());
    QTest::qWait(300);
    QVERIFY(!window.isSettled());
    QElapsedTimer clock;
    clock.start();
    tab->cancel();
    waitSettled(window);
    QVERIFY2(clock.elapsed() < 5000, qPrintable(QStringLiteral("cancel took %1 ms").arg(clock.elapsed())));
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Cancelled")), qPrintable(tab->infoText()));
    QVERIFY(tab->heatmapView()->image().isNull());
    // Usable afterwards: a coarser occlusion runs to the end.
    tab->controls()->setOcclusionWindow(56, 56);
    waitSettled(window);
    QVERIFY2(tab->captionText().contains(QStringLiteral("4 windows of 56 px")), qPrintable(tab->captionText()));
    QVERIFY(tab->infoText().isEmpty());
}

namespace {

// The window on the default digits model showing the Gradient Ascent tab, settled;
// with `layer`, that layer selected and made the target.
AscentTab* openAscent(MainWindow& window, const QString& layer = {})
{
    auto* tab = qobject_cast<AscentTab*>(openDigitsTab(window, QStringLiteral("ascent")));
    auto settled = [&window] { return QTest::qWaitFor([&window] { return window.isSettled(); }, 60000); };
    if (!tab)
        return nullptr;
    if (!layer.isEmpty()) {
        if (!window.selectLayer(layer) || !settled())
            return nullptr;
        tab->controls()->setTargetsLayer(true);
    }
    return tab;
}

// A Grayscale8 image as the [1, 1, H, W] tensor in [0, 1] it shows.
torch::Tensor grayTensor(const QImage& image)
{
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    torch::Tensor t = torch::empty({1, 1, gray.height(), gray.width()});
    auto a = t.accessor<float, 4>();
    for (int y = 0; y < gray.height(); ++y)
        for (int x = 0; x < gray.width(); ++x)
            a[0][0][y][x] = static_cast<float>(gray.constScanLine(y)[x]) / 255.0f;
    return t;
}

} // namespace

void TestMainWindow::ascentRaisesAClassScore()
{
    MainWindow window;
    AscentTab* tab = openAscent(window);
    QVERIFY(tab);
    QVERIFY(tab->imageView()->image().isNull()); // nothing runs until asked
    tab->controls()->setTargetsLayer(false);
    tab->controls()->setUnit(3);
    tab->controls()->knobs()->setPreset(QStringLiteral("plain"));
    tab->controls()->knobs()->setSteps(50);
    QSignalSpy progress(window.workspace()->jobs(), &JobRunner::progressed);
    QElapsedTimer clock;
    clock.start();
    tab->run();
    QVERIFY(tab->isRunning());
    QVERIFY(!window.isSettled());
    waitSettled(window);
    qInfo("50 plain steps on LeNet-5 in %lld ms", clock.elapsed());
    QVERIFY(!tab->isRunning());
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().first().toString(), QStringLiteral("Gradient ascent"));
    QVERIFY2(tab->infoText().isEmpty(), qPrintable(tab->infoText()));
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("class 3 logit, maximized · Plain, 50 steps")),
             qPrintable(tab->captionText()));
    QVERIFY(tab->chart()->pointCount() >= 50);
    const QImage image = tab->imageView()->image();
    QCOMPARE(image.size(), QSize(28, 28));
    QCOMPARE(tab->endValues().size(), 1);
    const double start = tab->startValues()[0], end = tab->endValues()[0];
    QVERIFY2(end > start + 5, qPrintable(QStringLiteral("%1 -> %2").arg(start).arg(end)));
    QVERIFY2(tab->valuesText().contains(QString::number(end, 'g', 4)), qPrintable(tab->valuesText()));

    // The value shown is core's objective of the image shown (within its 8-bit rounding).
    auto model = window.workspace()->model();
    AscentObjective objective;
    const double shown = objectiveValues(*model, objective, {3}, grayTensor(image))[0];
    QVERIFY2(std::abs(shown - end) < 0.02 * std::abs(end) + 0.05,
             qPrintable(QStringLiteral("shown image %1, result %2").arg(shown).arg(end)));
    // And a 3 is what the model sees in it.
    const std::vector<double> logits =
        objectiveValues(*model, objective, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, grayTensor(image).expand({10, -1, -1, -1}));
    QCOMPARE(std::max_element(logits.begin(), logits.end()) - logits.begin(), 3);
    QVERIFY(tab->exportImage().width() > 2 * 360);
}

void TestMainWindow::ascentWholeLayerIsOneBatch()
{
    MainWindow window;
    AscentTab* tab = openAscent(window, QStringLiteral("conv2"));
    QVERIFY(tab);
    tab->controls()->setChannelMean();
    tab->controls()->knobs()->setPreset(QStringLiteral("plain"));
    tab->controls()->knobs()->setSteps(10);
    QSignalSpy finished(window.workspace()->jobs(), &JobRunner::finished);
    tab->runWholeLayer();
    waitSettled(window);
    int runs = 0;
    for (const auto& args : finished)
        runs += args.first().toString() == QStringLiteral("Gradient ascent");
    QCOMPARE(runs, 1);
    QVERIFY2(tab->infoText().isEmpty(), qPrintable(tab->infoText()));
    QCOMPARE(tab->grid()->tileCount(), 16);
    QCOMPARE(tab->grid()->tile(15).caption, QStringLiteral("15"));
    QVERIFY(distinctTiles(tab->grid()) > 0);
    QCOMPARE(tab->endValues().size(), 16);
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("16 channel means of conv2, maximized · Plain, 10 steps")),
             qPrintable(tab->captionText()));

    // A click on a tile shows that image large, with its values.
    QVERIFY(tab->grid()->isVisible());
    const QRect rect = tab->grid()->tileRect(5);
    QVERIFY(!rect.isEmpty());
    QTest::mouseClick(tab->grid()->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(tab->shownIndex(), 5);
    QCOMPARE(tab->imageView()->image(), tab->grid()->tile(5).image);
    QVERIFY2(tab->valuesText().endsWith(QString::number(tab->endValues()[5], 'g', 4)), qPrintable(tab->valuesText()));
    QVERIFY(tab->exportImage().width() > 480);

    // The preset and every knob are settings.
    tab->controls()->knobs()->setPreset(QStringLiteral("yosinski"));
    tab->controls()->knobs()->setSteps(77);
    tab->saveSettings(QStringLiteral("test/ascent"));
    AscentTab other(window.workspace());
    other.restoreSettings(QStringLiteral("test/ascent"));
    QCOMPARE(other.controls()->knobs()->key(), tab->controls()->knobs()->key());
    QCOMPARE(other.controls()->knobs()->steps(), 77);
    QVERIFY(other.controls()->targetsLayer());

    // Another layer clears the images of this one.
    QVERIFY(window.selectLayer(QStringLiteral("conv1")));
    waitSettled(window);
    QCOMPARE(tab->grid()->tileCount(), 0);
    QVERIFY(tab->imageView()->image().isNull());
}

void TestMainWindow::ascentStopKeepsTheImage()
{
    MainWindow window;
    AscentTab* tab = openAscent(window);
    QVERIFY(tab);
    tab->controls()->setTargetsLayer(false);
    tab->controls()->setUnit(7);
    tab->controls()->knobs()->setPreset(QStringLiteral("lucid"));
    tab->controls()->knobs()->setSteps(20000); // minutes
    tab->run();
    // The preview and the chart fill while it runs.
    QTRY_VERIFY_WITH_TIMEOUT(!tab->imageView()->image().isNull() && tab->chart()->pointCount() > 0, 10000);
    QVERIFY(tab->isRunning());
    QVERIFY(!window.isSettled());
    QElapsedTimer clock;
    clock.start();
    tab->stop();
    waitSettled(window);
    QVERIFY2(clock.elapsed() < 5000, qPrintable(QStringLiteral("stop took %1 ms").arg(clock.elapsed())));
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Stopped after")), qPrintable(tab->infoText()));
    QVERIFY(!tab->imageView()->image().isNull());
    QCOMPARE(tab->imageView()->image().size(), QSize(112, 112)); // Lucid optimizes 28 px digits at 4x
    QCOMPARE(tab->endValues().size(), 1);

    // Usable afterwards: a short run goes to the end.
    tab->controls()->knobs()->setPreset(QStringLiteral("plain"));
    tab->controls()->knobs()->setSteps(5);
    tab->run();
    waitSettled(window);
    QVERIFY2(tab->infoText().isEmpty(), qPrintable(tab->infoText()));
    QVERIFY(tab->captionText().contains(QStringLiteral("Plain, 5 steps")));
    QCOMPARE(tab->imageView()->image().size(), QSize(28, 28));
}

void TestMainWindow::ascentReportsErrors()
{
    MainWindow window;
    AscentTab* tab = openAscent(window, QStringLiteral("conv2"));
    QVERIFY(tab);
    tab->controls()->setUnitPosition(50, 3); // conv2 is 10 x 10
    tab->controls()->knobs()->setPreset(QStringLiteral("plain"));
    tab->controls()->knobs()->setSteps(5);
    tab->run();
    waitSettled(window);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Cannot run gradient ascent: ")), qPrintable(tab->infoText()));
    QVERIFY2(tab->infoText().contains(QStringLiteral("lies outside")), qPrintable(tab->infoText()));
    QVERIFY(tab->imageView()->image().isNull());
    QVERIFY(tab->endValues().isEmpty());
    // The window goes on: the centre unit runs.
    tab->controls()->setUnitPosition(-1, -1);
    tab->run();
    waitSettled(window);
    QVERIFY2(tab->infoText().isEmpty(), qPrintable(tab->infoText()));
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("channel 0 unit at the centre of conv2")),
             qPrintable(tab->captionText()));
}

namespace {

AdversarialTab* openAdversarial(MainWindow& window)
{
    return qobject_cast<AdversarialTab*>(openDigitsTab(window, QStringLiteral("adversarial")));
}

double maxDifference(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

void TestMainWindow::adversarialFgsmMatchesCore()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    QVERIFY(!tab->result()); // nothing runs until asked
    tab->controls()->setMethod(QStringLiteral("fgsm"));
    tab->controls()->setEps(8.0 / 255);
    tab->run();
    waitSettled(window);
    QVERIFY2(tab->infoText().isEmpty(), qPrintable(tab->infoText()));
    auto result = tab->result();
    QVERIFY(result);

    // The same image as core attack() on the same input, called independently.
    auto model = window.workspace()->model();
    const torch::Tensor pixels = window.workspace()->input()->pixels;
    AttackOptions options = attackDefaults(AttackMethod::Fgsm);
    options.eps = 8.0 / 255;
    const AttackResult expected = attack(*model, pixels.unsqueeze(0), {}, options);
    QVERIFY(maxDifference(result->adversarial, expected.adversarial[0]) < 1e-6);
    QVERIFY(maxDifference(result->clean, pixels) == 0);
    QCOMPARE(tab->pictures()->view(1)->image(), toQImage(expected.adversarial[0]));
    QCOMPARE(tab->pictures()->view(0)->image(), toQImage(pixels));
    QCOMPARE(tab->pictures()->view(3)->image(), toQImage(perturbationImage(pixels, expected.adversarial[0], 10)));
    // Captions: predictions with their probabilities, and the norms.
    QVERIFY2(tab->pictures()->caption(0).endsWith(QStringLiteral(" %)")), qPrintable(tab->pictures()->caption(0)));
    QVERIFY2(tab->pictures()->caption(1).contains(expected.success[0] ? QStringLiteral(", fooled") : QStringLiteral(", not fooled")),
             qPrintable(tab->pictures()->caption(1)));
    QVERIFY2(tab->pictures()->caption(2).startsWith(QStringLiteral("L∞ %1 · L2").arg(linfText(expected.linf[0]))),
             qPrintable(tab->pictures()->caption(2)));
    QCOMPARE(tab->pictures()->caption(3), QStringLiteral("L0 %1 of 784 values").arg(expected.l0[0]));
    QCOMPARE(tab->pictures()->before()->barCount(), 5);
    QCOMPARE(tab->pictures()->after()->barCount(), 5);
    QVERIFY2(tab->captionText().startsWith(QStringLiteral("FGSM, L∞ ε 8/255 away from ")), qPrintable(tab->captionText()));
    // FGSM travels one step: the start and the end.
    QCOMPARE(tab->travelChart()->pointCount(), 2);
    QCOMPARE(result->curve.size(), 2);
    QVERIFY(std::abs(result->curve[1] - expected.curve[1][0]) < 1e-6);
    QVERIFY(tab->exportImage().width() > 4 * 280);

    // Every control is a setting.
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->controls()->setSteps(17);
    tab->controls()->setSamples(77);
    tab->saveSettings(QStringLiteral("test/adversarial"));
    AdversarialTab other(window.workspace(), window.inputController());
    other.restoreSettings(QStringLiteral("test/adversarial"));
    QCOMPARE(other.controls()->method(), QStringLiteral("pgd"));
    QVERIFY(other.controls()->options().steps == 17);
    QCOMPARE(other.controls()->samples(), 77);
}

void TestMainWindow::adversarialSliderRerunsFgsm()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->controls()->setLiveLevel(3);
    waitSettled(window);
    auto result = tab->result();
    QVERIFY(result && result->live);
    QVERIFY(result->options.method == AttackMethod::Fgsm);
    QCOMPARE(result->options.eps, 3.0 / 255);
    QCOMPARE(tab->controls()->method(), QStringLiteral("fgsm")); // the controls say what is shown
    QVERIFY(result->linf <= 3.0 / 255 + 1e-6);

    // A drag: the newest position wins, and the GUI thread keeps going.
    StallProbe probe;
    const qint64 before = window.workspace()->jobs()->finishedCount();
    for (int level = 4; level <= 20; ++level) {
        tab->controls()->setLiveLevel(level);
        QTest::qWait(2);
    }
    waitSettled(window);
    QVERIFY2(probe.worstMs() < 100, qPrintable(QStringLiteral("stall of %1 ms").arg(probe.worstMs())));
    result = tab->result();
    QCOMPARE(result->options.eps, 20.0 / 255);
    QVERIFY(maxDifference(result->adversarial,
                          attack(*window.workspace()->model(), window.workspace()->input()->pixels.unsqueeze(0), {},
                                 result->options)
                              .adversarial[0])
            < 1e-6);
    qInfo("17 slider positions ran %lld attacks", window.workspace()->jobs()->finishedCount() - before);
}

void TestMainWindow::adversarialCurvesAndCsv()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    tab->controls()->setSamples(40);
    QCOMPARE(tab->controls()->epsListText(), QStringLiteral("0,1/255,2/255,4/255,8/255,16/255"));
    for (const QString& method : {QStringLiteral("fgsm"), QStringLiteral("bim")}) {
        tab->controls()->setMethod(method);
        tab->runCurve();
        QVERIFY(tab->isRunning());
        waitSettled(window);
        QVERIFY2(tab->curveText().startsWith(method + QStringLiteral(": clean accuracy")), qPrintable(tab->curveText()));
    }
    QCOMPARE(tab->robustnessChart()->seriesCount(), 2);
    QCOMPARE(tab->robustnessChart()->seriesNames(), QStringList({QStringLiteral("fgsm"), QStringLiteral("bim")}));

    // The CSV holds robustness()'s numbers, as `convscope attack --csv` writes them.
    auto model = window.workspace()->model();
    auto dataset = window.inputController()->dataset();
    QVERIFY(dataset);
    RobustnessOptions curve;
    curve.samples = 40;
    curve.epsilons = epsList(QStringLiteral("0,1/255,2/255,4/255,8/255,16/255"));
    QString expected = robustnessCsvHeader();
    RobustnessResult last;
    for (AttackMethod method : {AttackMethod::Fgsm, AttackMethod::Bim}) {
        last = robustness(*model, *dataset, attackDefaults(method), curve);
        expected += robustnessCsvRows(last);
    }
    // Beside it, the latest curve's confusion under attack at the budget
    // chosen: robustness()'s counts, and its CSV as the CLI writes it.
    AttackConfusion* confusion = tab->attackConfusion();
    QCOMPARE(confusion->budgets()->count(), 6);
    for (int b = 0; b < 6; ++b) {
        confusion->setBudget(b);
        const RobustnessPoint& point = last.points[static_cast<size_t>(b)];
        QCOMPARE(confusion->matrix()->classCount(), 10);
        qint64 diagonal = 0;
        for (int t = 0; t < 10; ++t)
            for (int a = 0; a < 10; ++a) {
                QCOMPARE(confusion->matrix()->count(t, a), point.confusion[static_cast<size_t>(t * 10 + a)]);
                diagonal += t == a ? point.confusion[static_cast<size_t>(t * 10 + a)] : 0;
            }
        QCOMPARE(diagonal, point.correct);
    }
    QVERIFY(last.points[5].correct < last.points[0].correct); // a matrix that moved
    {
        QTemporaryDir csvDir;
        const QString csvPath = csvDir.filePath(QStringLiteral("confusion.csv"));
        QVERIFY(confusion->exportCsv(csvPath));
        QFile csv(csvPath);
        QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
        QCOMPARE(QString::fromUtf8(csv.readAll()),
                 confusionCsvHeader() + confusionCsvRows(last, [&](int64_t c) { return classText(*model, c); },
                                                         last.points[5].eps));
    }
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("curves.csv"));
    QVERIFY(tab->exportCsv(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QString written = QString::fromUtf8(file.readAll());
    QCOMPARE(written, expected);
    QCOMPARE(written.count(QLatin1Char('\n')), 1 + 2 * 6);
    QVERIFY(tab->exportChartPng(dir.filePath(QStringLiteral("curves.png"))));
    QVERIFY(!QImage(dir.filePath(QStringLiteral("curves.png"))).isNull());

    // Stop keeps the finished budgets.
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->controls()->setSteps(2000);
    tab->controls()->setSamples(2000);
    tab->runCurve();
    QTRY_VERIFY_WITH_TIMEOUT(tab->curveText().contains(QStringLiteral("%")), 20000);
    tab->stop();
    waitSettled(window);
    QVERIFY2(tab->curveText().startsWith(QStringLiteral("Stopped")), qPrintable(tab->curveText()));
    QVERIFY(tab->robustnessChart()->seriesCount() >= 2);
    tab->robustnessChart()->clear();
    QCOMPARE(tab->robustnessChart()->seriesCount(), 0);
}

void TestMainWindow::adversarialTraceThroughLayers()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->controls()->setEps(24.0 / 255);
    tab->run();
    waitSettled(window);
    auto result = tab->result();
    QVERIFY(result);
    // The curves are core traceAttack()'s on the run's images, one point a layer.
    auto model = window.workspace()->model();
    const AttackTrace expected = traceAttack(*model, result->clean.unsqueeze(0), result->adversarial.unsqueeze(0),
                                             false, result->options.seed);
    QCOMPARE(result->trace.layers.size(), model->layers().size());
    for (size_t l = 0; l < expected.layers.size(); ++l) {
        QCOMPARE(result->trace.layers[l].name, expected.layers[l].name);
        QVERIFY(std::abs(result->trace.layers[l].relativeChange - expected.layers[l].relativeChange) < 1e-9);
        QVERIFY(std::abs(result->trace.layers[l].noiseRelativeChange - expected.layers[l].noiseRelativeChange) < 1e-9);
    }
    TracePanel* trace = tab->tracePanel();
    QCOMPARE(trace->chart()->seriesCount(), 3); // attack, noise, the mark

    // A click on conv2: clean, adversarial and difference, and the channels
    // that moved most, as channelChanges() ranks them.
    const int conv2 = model->layerIndex("conv2");
    trace->showLayer(conv2);
    waitSettled(window);
    QCOMPARE(trace->chart()->marked(), conv2);
    QVERIFY2(trace->layerText().startsWith(QStringLiteral("conv2: relative change")), qPrintable(trace->layerText()));
    for (int i = 0; i < 3; ++i)
        QVERIFY(!trace->picture(i)->image().isNull());
    QCOMPARE(trace->picture(0)->image().size(), trace->picture(1)->image().size());
    const torch::Tensor both
        = model->capture(torch::stack({result->clean, result->adversarial}), {conv2}, false).layers[0];
    const auto ranked = channelChanges(both[0], both[1]);
    QCOMPARE(trace->channelList()->count(), 12);
    QCOMPARE(trace->channelList()->item(0)->data(Qt::UserRole).toInt(), static_cast<int>(ranked[0].channel));
    // Clicking a channel opens it on the Unit page.
    QSignalSpy picked(window.workspace(), &Workspace::unitPicked);
    trace->channelList()->itemClicked(trace->channelList()->item(1));
    QCOMPARE(picked.count(), 1);
    QCOMPARE(picked[0][0].toInt(), conv2);
    QCOMPARE(picked[0][1].toInt(), static_cast<int>(ranked[1].channel));
    waitSettled(window);
}

// "Compare with…" MiniVGG (Fashion-MNIST, 1x28x28 too): each Run attacks both,
// as core attack() does on each, with both gradient saliency maps; the chart
// gets both models' curves and robustness curves run on both.
void TestMainWindow::adversarialCompareWithASecondModel()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    ComparePanel* compare = tab->comparePanel();
    // Shipped beside the default LeNet-5.
    const QString second = QFileInfo(defaultModelPath()).dir().filePath(QStringLiteral("minivgg_fashion.pt"));
    compare->loadModel(second);
    QVERIFY(QTest::qWaitFor([&] { return !compare->isLoading(); }, 60000));
    QVERIFY2(compare->model(), qPrintable(compare->infoText()));
    QCOMPARE(compare->name(), QStringLiteral("minivgg_fashion.pt"));
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->controls()->setEps(16.0 / 255);
    tab->run();
    waitSettled(window);
    auto result = tab->result();
    QVERIFY(result && result->compared);
    QVERIFY2(result->compareError.isEmpty(), qPrintable(result->compareError));

    // The compared model's attack and saliency are core's on that model.
    auto other = Model::load(second.toStdString());
    const torch::Tensor pixels = window.workspace()->input()->pixels;
    const AttackResult expected = attack(*other, pixels.unsqueeze(0), {}, result->options);
    QVERIFY(maxDifference(result->compared->adversarial, expected.adversarial[0]) < 1e-6);
    QCOMPARE(compare->picture(1, 0)->image(), toQImage(expected.adversarial[0]));
    QCOMPARE(compare->picture(0, 0)->image(), result->adversarialImage);
    QCOMPARE(compare->picture(1, 1)->image(),
             toQImage(heatmapImage(saliency(*other, pixels, SaliencyOptions{}).heatmap, Colormap::Inferno)));
    QVERIFY(!compare->picture(0, 1)->image().isNull());
    QVERIFY2(compare->caption(1, 0).endsWith(expected.success[0] ? QStringLiteral(", fooled") : QStringLiteral(", not fooled")),
             qPrintable(compare->caption(1, 0)));
    QCOMPARE(tab->tracePanel()->chart()->seriesCount(), 5); // two models × (attack, noise), the mark
    QCOMPARE(result->compared->trace.layers.size(), other->layers().size());

    // Robustness: one curve per model.
    tab->controls()->setSamples(20);
    tab->controls()->setMethod(QStringLiteral("fgsm"));
    tab->runCurve();
    waitSettled(window);
    QCOMPARE(tab->robustnessChart()->seriesNames(),
             QStringList({QStringLiteral("fgsm"), QStringLiteral("fgsm · minivgg_fashion.pt")}));

    // Stop comparing: the next Run is one model's again.
    compare->clearModel();
    tab->run();
    waitSettled(window);
    QVERIFY(tab->result() && !tab->result()->compared);
    QCOMPARE(tab->tracePanel()->chart()->seriesCount(), 3);
    // A file that is no model says so in one line and keeps the tab working.
    QTemporaryDir dir;
    const QString broken = dir.filePath(QStringLiteral("broken.pt"));
    QFile file(broken);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("not a model");
    file.close();
    compare->loadModel(broken);
    QVERIFY(QTest::qWaitFor([&] { return !compare->isLoading(); }, 60000));
    QVERIFY(!compare->model());
    QVERIFY2(compare->infoText().startsWith(QStringLiteral("Cannot compare with broken.pt: ")), qPrintable(compare->infoText()));
}

void TestMainWindow::adversarialUseAsInput()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    const auto original = window.workspace()->input();
    tab->controls()->setMethod(QStringLiteral("pgd"));
    tab->run();
    waitSettled(window);
    auto result = tab->result();
    QVERIFY(result);
    QSignalSpy changed(window.workspace(), &Workspace::inputChanged);
    tab->useAsInput();
    QCOMPARE(changed.count(), 1);
    auto input = window.workspace()->input();
    QVERIFY(maxDifference(input->pixels, result->adversarial) == 0);
    QVERIFY2(input->caption.startsWith(QStringLiteral("Adversarial (PGD")), qPrintable(input->caption));
    QVERIFY(window.inputCaption().startsWith(QStringLiteral("Adversarial")));
    // Every view follows: the predictions are the adversarial image's.
    waitSettled(window);
    QVERIFY(window.workspace()->forward()->frame == input);
    QCOMPARE(window.predictionTexts().size(), 5);
    QVERIFY(tab->infoText().isEmpty());

    // And back.
    tab->restoreOriginal();
    QVERIFY(maxDifference(window.workspace()->input()->pixels, original->pixels) == 0);
    QCOMPARE(window.workspace()->input()->caption, original->caption);
    waitSettled(window);
}

void TestMainWindow::adversarialReportsFailures()
{
    MainWindow window;
    AdversarialTab* tab = openAdversarial(window);
    QVERIFY(tab);
    tab->controls()->setMethod(QStringLiteral("fgsm"));
    tab->controls()->setEps(0);
    tab->run();
    waitSettled(window);
    QCOMPARE(tab->infoText(), QStringLiteral("Cannot attack: eps must be a positive number"));
    QVERIFY(!tab->result());
    QVERIFY(tab->pictures()->view(1)->image().isNull());

    tab->controls()->setEpsListText(QStringLiteral("0,x/255"));
    tab->runCurve();
    QVERIFY2(tab->curveText().startsWith(QStringLiteral("Cannot draw the curve: ")), qPrintable(tab->curveText()));
    QCOMPARE(tab->robustnessChart()->seriesCount(), 0);

    // A long attack stopped keeps its image as it was.
    tab->controls()->setMethod(QStringLiteral("cw"));
    tab->controls()->setSteps(100000);
    tab->run();
    QTest::qWait(300);
    tab->stop();
    waitSettled(window);
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Stopped")), qPrintable(tab->infoText()));

    // The window goes on: a good attack runs.
    tab->controls()->setMethod(QStringLiteral("fgsm"));
    tab->run();
    waitSettled(window);
    QVERIFY2(tab->infoText().isEmpty(), qPrintable(tab->infoText()));
    QVERIFY(tab->result());
}

// Exports go through a temporary file: a good file is replaced whole, and a
// failed save (nothing to save, or a folder that does not exist) leaves the
// old file as it was and no stray temporary beside it.
void TestMainWindow::exportsReplaceWholeFilesOrNothing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("view.png"));
    QImage red(40, 30, QImage::Format_RGB32);
    red.fill(Qt::red);
    QCOMPARE(savePngAtomically(red, path), QString());
    QCOMPARE(QImage(path).size(), QSize(40, 30));
    QCOMPARE(savePngAtomically(QImage(), path), QStringLiteral("there is no picture to save"));
    QCOMPARE(QImage(path).pixelColor(5, 5), QColor(Qt::red));
    QVERIFY(!savePngAtomically(red, dir.filePath(QStringLiteral("missing/view.png"))).isEmpty());
    QCOMPARE(saveBytesAtomically("a,b\n1,2\n", path), QString());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("a,b\n1,2\n"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("view.png")});
}

// Each hostile model is opened by the checker (the real CLI, in a child
// process) and refused with its reason; the window keeps its model and
// answers throughout.
void TestMainWindow::modelsAreCheckedInAChildProcess()
{
    const QString checker = qEnvironmentVariable("CONVSCOPE_BINARY");
    if (checker.isEmpty())
        QSKIP("CONVSCOPE_BINARY (the convscope executable) is not set");
    MainWindow window;
    window.show();
    ModelValidator* validator = window.modelValidator();
    validator->setProgram(checker);
    validator->setLimits({30, qint64(3) << 30});
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openModel(defaultModelPath());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    const QString name = window.modelName();

    const auto refused = [&](const QString& file, const QString& expected, int timeLimit) {
        const int before = failed.count();
        QElapsedTimer clock;
        clock.start();
        StallProbe probe; // the check runs beside the event loop, never in it
        window.openModel(file);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), before + 1, 60000);
        qInfo("%s: refused after %lld ms, longest GUI stall %lld ms", qPrintable(QFileInfo(file).fileName()),
              clock.elapsed(), probe.worstMs());
        QVERIFY2(probe.worstMs() < 500, qPrintable(QString::number(probe.worstMs())));
        const QString message = failed.last().first().toString();
        QVERIFY2(message.startsWith(file) && message.contains(expected), qPrintable(message));
        QVERIFY(clock.elapsed() < timeLimit * 1000);
        auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadError"));
        QVERIFY(box && box->text().startsWith(file));
        box->accept();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCOMPARE(window.modelName(), name);
    };
    validator->setLimits({3, qint64(3) << 30});
    refused(kFixtures + QStringLiteral("/bad/never_ends.pt"),
            QStringLiteral(": opening it took longer than 3 s in a separate process"), 20);
    if (QTest::currentTestFailed())
        return;
    validator->setLimits({30, qint64(3) << 30});
    refused(kFixtures + QStringLiteral("/bad/memory_hog.pt"),
            QStringLiteral(": opening it needed more than 3.0 GiB of memory in a separate process"), 60);
    if (QTest::currentTestFailed())
        return;
    // The child's own message, word for word as the in-process load says it.
    refused(kFixtures + QStringLiteral("/bad/state_dict.pt"),
            QStringLiteral("was written by torch.save(), not torch.jit.save()"), 60);
    if (QTest::currentTestFailed())
        return;

    // A checker that crashes, as LibTorch would on a file made to crash it.
    QTemporaryDir dir;
    const QString crasher = dir.filePath(QStringLiteral("crash.sh"));
    QFile script(crasher);
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write("#!/bin/sh\nkill -SEGV $$\n");
    script.close();
    script.setPermissions(QFileDevice::ReadOwner | QFileDevice::ExeOwner);
    validator->setProgram(crasher);
    refused(defaultModelPath(), QStringLiteral(": opening it crashed a separate process (Segmentation fault)"), 20);
    if (QTest::currentTestFailed())
        return;

    // And a good model still opens through the checker.
    validator->setProgram(checker);
    window.openModel(kFixtures + QStringLiteral("/squeezenet1_0_scripted.pt"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 60000);
    QCOMPARE(window.modelName(), QStringLiteral("squeezenet1_0"));
}

// A settings file that Qt cannot parse is kept aside for the user, the app
// starts from defaults and says so; values of the wrong type in a readable
// file fall back one by one.
void TestMainWindow::damagedSettingsAreSetAside()
{
    const QString file = QSettings().fileName();
    QVERIFY(QDir().mkpath(QFileInfo(file).path()));
    // What a crash of another program or a disk error leaves: a section never
    // closed and bytes that are no text (Qt's INI reader fails on both).
    QByteArray garbage("[session]\nmodel=/nowhere.pt\n[recent\n");
    for (int i = 0; i < 4000; ++i)
        garbage.append(char((i * 7919 + 13) % 256));
    {
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        out.write(garbage);
    }
    {
        QSettings settings;
        QCOMPARE(settings.status(), QSettings::FormatError);
        const QString note = setAsideDamagedSettings(settings);
        QVERIFY2(note.startsWith(QStringLiteral("The settings file %1 was damaged: it is kept as %1.damaged-").arg(file)),
                 qPrintable(note));
        const QString kept = note.section(QStringLiteral(" is kept as "), 1).section(QStringLiteral(" and "), 0, 0);
        QFile keptFile(kept);
        QVERIFY(keptFile.open(QIODevice::ReadOnly));
        QCOMPARE(keptFile.readAll(), garbage); // nothing the user had is lost
        keptFile.remove();

        MainWindow window;
        window.setPersistent(true);
        window.show();
        window.showNote(note);
        auto* box = window.findChild<QMessageBox*>(QStringLiteral("note"));
        QVERIFY(box && box->isVisible() && box->text() == note);
        QVERIFY(!window.restoreSession()); // defaults: no last model
        box->accept();
    }
    QCOMPARE(QSettings().status(), QSettings::NoError);

    // A readable file whose values have the wrong types.
    {
        QSettings settings;
        settings.setValue(QStringLiteral("session/model"), QStringList{defaultModelPath(), QStringLiteral("x")});
        settings.setValue(QStringLiteral("session/position"), QStringLiteral("-12"));
        settings.setValue(QStringLiteral("session/device"), QStringLiteral("tpu:9"));
        settings.setValue(QStringLiteral("recent/models"), 42);
        settings.setValue(QStringLiteral("window/state"), QStringLiteral("not a state"));
        settings.setValue(QStringLiteral("tabs/activations/colormap"), QByteArray("\0\xff", 2));
        const SessionState session = readSession(settings);
        QVERIFY(session.model.isEmpty());
        QCOMPARE(session.position, 0);
        QCOMPARE(session.device, QStringLiteral("auto"));
        QVERIFY(session.recentModels.isEmpty());
        settings.setValue(QStringLiteral("session/model"), defaultModelPath());
    }
    MainWindow window;
    QVERIFY(restoreSessionOf(window));
    QSettings().clear();
}

// A job's freed memory is kept for the next job (tuneAllocator), and goes
// back to the system once the window has been idle for kIdleReleaseMs.
void TestMainWindow::idleWindowGivesMemoryBack()
{
    MainWindow window;
    Workspace* workspace = window.workspace();
    releaseFreeMemory(); // what earlier tests left
    const int64_t before = test::residentBytes();
    QSignalSpy released(workspace, &Workspace::memoryReleased);
    // Started when the job's result reaches the GUI thread, before the runner
    // is idle and the window's idle timer starts (a clock started once the
    // test saw the runner idle ran up to 120 ms late).
    QElapsedTimer idle;
    workspace->jobs()->submit(QStringLiteral("test"), QStringLiteral("allocate"), [&idle](JobContext&) -> JobRunner::Done {
        // 20 blocks of 10 MiB, each under the 32 MiB above which malloc maps
        // blocks of their own (and unmaps them on free).
        std::vector<torch::Tensor> blocks;
        for (int i = 0; i < 20; ++i)
            blocks.push_back(torch::ones({10 << 18}));
        return [&idle] { idle.start(); };
    });
    QTRY_VERIFY_WITH_TIMEOUT(idle.isValid() && workspace->jobs()->idle(), 30000);
    const int64_t kept = test::residentBytes() - before;
    QCOMPARE(released.count(), 0);
    QVERIFY(released.wait(Workspace::kIdleReleaseMs + 10000));
    const int64_t left = test::residentBytes() - before;
    qInfo("after the job: %lld MiB kept; after %lld ms idle: %lld MiB", static_cast<long long>(kept >> 20),
        static_cast<long long>(idle.elapsed()), static_cast<long long>(left >> 20));
    // A coarse QTimer (the default) may fire up to 5 % early: 1884 ms was seen.
    QVERIFY(idle.elapsed() >= Workspace::kIdleReleaseMs * 95 / 100 - 20);
    QVERIFY2(kept > 150 << 20, "tuneAllocator() should keep what the job freed");
    QVERIFY2(left < 20 << 20, "the idle window should give it back");
}

// DVT's keys on the Unit tab: ←/→ channel, ↑/↓ layer (skipping layers
// without channels), B/D the backprop, digits jump to tabs; Help ▸ Keyboard
// lists them; a page seen before comes back at once from the cache.
void TestMainWindow::unitWalksWithTheKeyboard()
{
    MainWindow window;
    auto* unit = qobject_cast<UnitTab*>(openDigitsTab(window, QStringLiteral("unit")));
    QVERIFY(unit);
    QVERIFY(window.selectLayer(QStringLiteral("conv2")));
    unit->setFocus();
    const auto settled = [&] { return window.isSettled() && unit->complete(); };
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);
    QCOMPARE(unit->channel(), 0);
    QVERIFY(unit->page()->headingText().startsWith(QStringLiteral("conv2 · channel 0 of 16")));
    QVERIFY(unit->page()->filledPanels().contains(QStringLiteral("patches"))); // the digits were scanned
    const QStringList classMeans = unit->page()->classMeans()->labels();
    QCOMPARE(classMeans.size(), 10);

    QTest::keyClick(unit, Qt::Key_Right);
    QTest::keyClick(unit, Qt::Key_Right);
    QCOMPARE(unit->channel(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);
    QVERIFY(unit->page()->headingText().startsWith(QStringLiteral("conv2 · channel 2 of 16")));
    QTest::keyClick(unit, Qt::Key_Left);
    QCOMPARE(unit->channel(), 1);
    QTest::keyClick(unit, Qt::Key_Left);
    // Channel 0 was seen: its page is whole at once, without a job.
    QVERIFY(unit->complete());
    QTest::keyClick(unit, Qt::Key_Left); // no channel -1
    QCOMPARE(unit->channel(), 0);

    // Keys faster than the worker, over channels not seen yet: jobs dropped on
    // the way never leave the page waiting, nor stopped, nor showing one
    // channel's panels under another's heading.
    unit->setChannel(5);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);
    const QString best5 = unit->page()->patchesCaption();
    QTest::keyClick(unit, Qt::Key_Right);
    QTest::keyClick(unit, Qt::Key_Right);
    QTest::keyClick(unit, Qt::Key_Right);
    QTest::keyClick(unit, Qt::Key_Left);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);
    QVERIFY(unit->page()->headingText().startsWith(QStringLiteral("conv2 · channel 7 of 16")));
    const QString raced = unit->page()->patchesCaption();
    QVERIFY2(raced.startsWith(QStringLiteral("best #")), qPrintable(raced));
    QVERIFY(unit->page()->filledPanels().contains(QStringLiteral("backprop")));
    QTest::keyClick(unit, Qt::Key_Left);
    QTest::keyClick(unit, Qt::Key_Left);
    QVERIFY(unit->complete()); // channel 5 was seen: served at once
    QCOMPARE(unit->page()->patchesCaption(), best5);
    QTest::keyClick(unit, Qt::Key_Right);
    QTest::keyClick(unit, Qt::Key_Right);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);
    QCOMPARE(unit->page()->patchesCaption(), raced); // channel 7's own top-9
    unit->setChannel(0);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);

    QTest::keyClick(unit, Qt::Key_Down);
    QCOMPARE(window.currentLayerName(), QStringLiteral("relu2"));
    QTest::keyClick(unit, Qt::Key_Up);
    QTest::keyClick(unit, Qt::Key_Up);
    QCOMPARE(window.currentLayerName(), QStringLiteral("pool1"));
    QTest::keyClick(unit, Qt::Key_Up);
    QTest::keyClick(unit, Qt::Key_Up);
    QTest::keyClick(unit, Qt::Key_Up); // past the first layer: stays
    QCOMPARE(window.currentLayerName(), QStringLiteral("conv1"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);

    QVERIFY(!unit->deconvnet());
    QTest::keyClick(unit, Qt::Key_D);
    QVERIFY(unit->deconvnet());
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 60000);
    QTest::keyClick(unit, Qt::Key_B);
    QVERIFY(!unit->deconvnet());

    // Digits jump to tabs, 1 for the first.
    QTest::keyClick(&window, Qt::Key_2);
    QCOMPARE(window.currentTabKey(), QStringLiteral("filters"));
    QTest::keyClick(&window, Qt::Key_5);
    QCOMPARE(window.currentTabKey(), QStringLiteral("unit"));
    // A list keeps its digits for type-to-search.
    auto* layers = window.findChild<QTreeView*>(QStringLiteral("layerView"));
    layers->setFocus();
    QTest::keyClick(layers, Qt::Key_2);
    QCOMPARE(window.currentTabKey(), QStringLiteral("unit"));
    unit->setFocus();
    const QString help = window.keyboardHelpText();
    for (const char* key : {"← / →", "↑ / ↓", "B / D", "Space"})
        QVERIFY2(help.contains(QString::fromUtf8(key)), key);
    QVERIFY(help.contains(QStringLiteral("<b>5</b></td><td>Unit")));

    // Space freezes a video and runs it again.
    InputController* input = window.inputController();
    window.openInput(kVideo);
    QTRY_VERIFY_WITH_TIMEOUT(input->kind() == InputController::Video && window.isSettled(), 60000);
    QVERIFY(!input->playing());
    QTest::keyClick(unit, Qt::Key_Space);
    QVERIFY(input->playing());
    QTest::keyClick(unit, Qt::Key_Space);
    QVERIFY(!input->playing());
}

// A double-clicked tile in Activations or Filters, a cell of a whole-layer
// ascent, or a class in the top-5 opens that channel on the Unit page.
void TestMainWindow::unitIsPickedFromOtherViews()
{
    MainWindow window;
    auto* activations = qobject_cast<ActivationsTab*>(openDigitsTab(window, QStringLiteral("activations")));
    QVERIFY(activations);
    QVERIFY(window.selectLayer(QStringLiteral("relu2")));
    QTRY_VERIFY_WITH_TIMEOUT(window.isSettled() && activations->grid()->tileCount() == 16, 60000);
    TileGridView* grid = activations->grid();
    QTest::mouseDClick(grid->viewport(), Qt::LeftButton, {}, grid->tileRect(5).center());
    QCOMPARE(window.currentTabKey(), QStringLiteral("unit"));
    auto* unit = qobject_cast<UnitTab*>(window.tab(QStringLiteral("unit")));
    QTRY_VERIFY_WITH_TIMEOUT(window.isSettled() && unit->complete(), 60000);
    QCOMPARE(unit->channel(), 5);
    QCOMPARE(window.currentLayerName(), QStringLiteral("relu2"));
    QVERIFY(unit->page()->headingText().startsWith(QStringLiteral("relu2 · channel 5 of 16")));
    // relu2's filter is conv2's: walked back through the ReLU.
    QVERIFY(unit->page()->filledPanels().contains(QStringLiteral("filter")));

    // The input dock's top class: the last layer's unit of that class.
    auto forward = window.workspace()->forward();
    QVERIFY(forward && !forward->top.isEmpty());
    Q_EMIT window.findChild<TopKChart*>(QStringLiteral("predictions"))->barActivated(0);
    QCOMPARE(window.currentLayerName(), QStringLiteral("fc3"));
    QTRY_VERIFY_WITH_TIMEOUT(window.isSettled() && unit->complete(), 60000);
    QCOMPARE(QString::number(unit->channel()), forward->top[0].first); // the digits' labels are their numbers
    // fc3 is the output: nothing after it to support a class through.
    QVERIFY(unit->page()->support()->values().isEmpty());

    // With the Unit Page dock open, a pick fills the dock and the view stays.
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("unitDock"));
    QVERIFY(dock && dock->isHidden());
    dock->show();
    auto* dockPage = qobject_cast<UnitPage*>(dock->widget());
    QVERIFY(dockPage);
    QVERIFY(window.setCurrentTab(QStringLiteral("activations")));
    QVERIFY(window.selectLayer(QStringLiteral("relu2")));
    QTRY_VERIFY_WITH_TIMEOUT(window.isSettled() && activations->grid()->tileCount() == 16, 60000);
    QTest::mouseDClick(grid->viewport(), Qt::LeftButton, {}, grid->tileRect(7).center());
    QCOMPARE(window.currentTabKey(), QStringLiteral("activations"));
    QTRY_VERIFY_WITH_TIMEOUT(unit->complete() && dockPage->filledPanels().contains(QStringLiteral("patches")), 60000);
    QVERIFY(dockPage->headingText().startsWith(QStringLiteral("relu2 · channel 7 of 16")));
    QVERIFY(dockPage->filledPanels().contains(QStringLiteral("backprop")));
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
