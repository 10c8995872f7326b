// The Embedding tab in the real window, offscreen, on the shipped LeNet-5 and
// the 5000 digits: its layouts against core pca() and tsne() called
// independently, hover, click and box selection against positions worked out
// here, the CSV, Stop, errors, and the GUI thread while t-SNE animates.

#include "app/shell/defaults.h"
#include "app/shell/frames.h"
#include "app/shell/input_controller.h"
#include "app/shell/main_window.h"
#include "app/shell/workspace.h"
#include "app/views/embedding/controls.h"
#include "app/views/embedding/run.h"
#include "app/views/adversarial/attack_confusion.h"
#include "app/views/adversarial/controls.h"
#include "app/views/adversarial/run.h"
#include "app/views/adversarial/tab.h"
#include "app/views/embedding/tab.h"
#include "core/dataset.h"
#include "core/features.h"
#include "core/model.h"
#include "core/tsne.h"
#include "core/tsne_transform.h"
#include "core/attack.h"
#include "gui_test_support.h"
#include "widgets/scatter_view.h"
#include "widgets/tile_grid_view.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace convscope;
using convscope::test::StallProbe;

namespace
{

void sendMouse(QWidget* widget, QEvent::Type type, QPointF pos, Qt::MouseButtons buttons,
    Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    const Qt::MouseButton button = type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton;
    QMouseEvent event(type, pos, widget->mapToGlobal(pos), button, buttons, modifiers);
    QApplication::sendEvent(widget, &event);
}

EmbeddingTab* openEmbedding(MainWindow& window)
{
    return qobject_cast<EmbeddingTab*>(test::openDigitsTab(window, QStringLiteral("embedding")));
}

// The controls set to `method` over `samples` digits (0: all), t-SNE for
// `iterations`; the layer selected in the dock unless empty.
bool setUp(MainWindow& window, EmbeddingTab* tab, const QString& layer, const QString& method, int samples,
    int iterations = 1000)
{
    if (!layer.isEmpty() && !window.selectLayer(layer))
        return false;
    tab->controls()->setMethod(method);
    tab->controls()->setSamples(samples);
    tab->controls()->setIterations(iterations);
    return true;
}

bool settled(MainWindow& window)
{
    return QTest::qWaitFor([&window] { return window.isSettled(); }, 120000);
}

} // namespace

class TestEmbeddingTab : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pcaMatchesCore();
    void hoverClickAndSelect();
    void tsneAnimatesAndMatchesCore();
    void adversarialPairPlacedWithArrow();
    void robustnessRunPlacedAsAFlow();
    void stopIsPrompt();
    void reportsErrors();
    void bigDataset();

private:
    QTemporaryDir m_settings;
};

void TestEmbeddingTab::initTestCase()
{
    QVERIFY(m_settings.isValid());
    test::useOwnSettings(m_settings.path()); // settings and cached features
}

void TestEmbeddingTab::pcaMatchesCore()
{
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QVERIFY(!tab->result()); // nothing runs until asked
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Run lays out the features of")), qPrintable(tab->infoText()));
    // The layer follows the Layers dock.
    auto model = window.workspace()->model();
    QVERIFY(window.selectLayer(QStringLiteral("fc1")));
    const int fc1 = model->layerIndex("fc1");
    QCOMPARE(tab->controls()->layer(), fc1);
    QVERIFY(setUp(window, tab, {}, QStringLiteral("pca"), 300));
    tab->controls()->setSeed(3);
    tab->run();
    QVERIFY(tab->isRunning());
    QVERIFY(settled(window));
    auto result = tab->result();
    QVERIFY(result && result->final);
    QVERIFY2(tab->infoText().startsWith(
                 QStringLiteral("PCA of fc1 (120 mean features) · 300 of 5000 images · explained variance ")),
        qPrintable(tab->infoText()));

    // The same numbers as core extractFeatures() and pca(), called here.
    auto dataset = window.inputController()->dataset();
    FeatureOptions options;
    options.samples = 300;
    options.seed = 3;
    const FeatureSet features = extractFeatures(*model, *dataset, fc1, options);
    const torch::Tensor expected = pca(features.values, 2).projected;
    QCOMPARE(result->points.size(), 300);
    QCOMPARE(result->rows->images, features.images);
    QCOMPARE(result->rows->labels, features.labels);
    QCOMPARE(result->rows->predictions, features.predictions);
    ScatterView* view = tab->view();
    QCOMPARE(view->pointCount(), 300);
    double worst = 0, worstPlotted = 0;
    for (int i = 0; i < 300; ++i) {
        const double x = expected[i][0].item<double>(), y = expected[i][1].item<double>();
        worst = std::max({ worst, std::abs(result->points[i].x() - x), std::abs(result->points[i].y() - y) });
        worstPlotted = std::max({ worstPlotted, std::abs(view->point(i).x() - x), std::abs(view->point(i).y() - y) });
    }
    QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
    QVERIFY2(worstPlotted < 1e-5, qPrintable(QString::number(worstPlotted)));

    // The CSV holds what is plotted, in the CLI's columns.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("pca.csv"));
    QVERIFY(tab->exportCsv(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 301);
    QCOMPARE(lines[0], QStringLiteral("x,y,label,prediction,image"));
    for (int i = 0; i < 300; ++i) {
        const QStringList cells = lines[i + 1].split(QLatin1Char(','));
        QCOMPARE(cells.size(), 5);
        QVERIFY(std::abs(cells[0].toDouble() - result->points[i].x()) <= 1e-7 * (1 + std::abs(result->points[i].x())));
        QVERIFY(std::abs(cells[1].toDouble() - result->points[i].y()) <= 1e-7 * (1 + std::abs(result->points[i].y())));
        QCOMPARE(cells[2].toLongLong(), features.labels[static_cast<size_t>(i)]);
        QCOMPARE(cells[3].toLongLong(), features.predictions[static_cast<size_t>(i)]);
        QCOMPARE(cells[4].toLongLong(), features.images[static_cast<size_t>(i)]);
    }
    QVERIFY(tab->exportPng(dir.filePath(QStringLiteral("pca.png"))));
    QCOMPARE(QImage(dir.filePath(QStringLiteral("pca.png"))).size(), view->size());
    QCOMPARE(tab->exportImage().size(), view->size());

    // Features are cached where the CLI keeps them.
    QVERIFY(QDir(cacheDir(QStringLiteral("features"))).entryList(QDir::Files).size() >= 1);

    // Every control is a setting.
    tab->controls()->setPerplexity(12);
    tab->controls()->setIterations(321);
    tab->controls()->setPooling(QStringLiteral("flatten"));
    tab->controls()->setColourByPrediction(true);
    tab->saveSettings(QStringLiteral("test/embedding"));
    EmbeddingTab other(window.workspace(), window.inputController());
    other.restoreSettings(QStringLiteral("test/embedding"));
    const EmbeddingRequest restored = other.controls()->request();
    QCOMPARE(other.controls()->method(), QStringLiteral("pca"));
    QCOMPARE(restored.features.samples, int64_t(300));
    QCOMPARE(restored.features.seed, uint64_t(3));
    QCOMPARE(restored.tsneOptions.perplexity, 12.0);
    QCOMPARE(restored.tsneOptions.iterations, int64_t(321));
    QVERIFY(restored.features.pooling == FeaturePooling::Flatten);
    QVERIFY(other.controls()->colourByPrediction());
}

void TestEmbeddingTab::hoverClickAndSelect()
{
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QVERIFY(setUp(window, tab, QStringLiteral("fc2"), QStringLiteral("pca"), 1000));
    tab->run();
    QVERIFY(settled(window));
    auto result = tab->result();
    QVERIFY(result);
    ScatterView* view = tab->view();
    auto dataset = window.inputController()->dataset();

    // Hover over a point: the nearest point is under the cursor, its card names label and prediction.
    const int target = 123;
    const QPointF at = view->toWidget(view->point(target));
    QVERIFY(view->rect().contains(at.toPoint()));
    sendMouse(view, QEvent::MouseMove, at, Qt::NoButton);
    const int hovered = view->hoveredPoint();
    QVERIFY(hovered >= 0);
    QVERIFY(QLineF(view->toWidget(view->point(hovered)), at).length() < 0.5);
    const auto row = static_cast<size_t>(hovered);
    QVERIFY2(view->hoverText().contains(QStringLiteral("label %1 / prediction %2")
                                            .arg(result->rows->labels[row])
                                            .arg(result->rows->predictions[row])),
        qPrintable(view->hoverText()));
    QVERIFY2(view->hoverText().startsWith(QStringLiteral("digit #%1").arg(result->rows->images[row])),
        qPrintable(view->hoverText()));

    // A click makes that image every view's input.
    QSignalSpy inputs(window.workspace(), &Workspace::inputChanged);
    sendMouse(view, QEvent::MouseButtonPress, at, Qt::LeftButton);
    sendMouse(view, QEvent::MouseButtonRelease, at, Qt::NoButton);
    QTRY_VERIFY_WITH_TIMEOUT(inputs.count() >= 1, 30000);
    const torch::Tensor expected = dataset->image(result->rows->images[row]);
    QVERIFY(torch::equal(window.workspace()->input()->pixels, expected));
    QVERIFY(settled(window));

    // Shift+drag: exactly the points drawn inside the box, worked out here.
    const QRectF box(
        QPointF(view->width() * 0.25, view->height() * 0.2), QPointF(view->width() * 0.6, view->height() * 0.7));
    QVector<int> inside;
    for (int i = 0; i < view->pointCount(); ++i)
        if (box.contains(view->toWidget(view->point(i))))
            inside.append(i);
    QVERIFY(inside.size() > 5);
    sendMouse(view, QEvent::MouseButtonPress, box.topLeft(), Qt::LeftButton, Qt::ShiftModifier);
    sendMouse(view, QEvent::MouseMove, box.center(), Qt::LeftButton, Qt::ShiftModifier);
    sendMouse(view, QEvent::MouseMove, box.bottomRight(), Qt::LeftButton, Qt::ShiftModifier);
    sendMouse(view, QEvent::MouseButtonRelease, box.bottomRight(), Qt::NoButton, Qt::ShiftModifier);
    QCOMPARE(view->selection(), inside);
    // Their pictures below the plot; a click on one makes it the input.
    const int listed = std::min<int>(inside.size(), 300);
    QTRY_COMPARE_WITH_TIMEOUT(tab->selectionGrid()->tileCount(), listed, 30000);
    QVERIFY2(tab->selectionText().startsWith(QString::number(inside.size()) + QStringLiteral(" images selected")),
        qPrintable(tab->selectionText()));
    QCOMPARE(tab->selectionGrid()->tile(0).caption.section(QLatin1Char(' '), 0, 0),
        QStringLiteral("#%1").arg(result->rows->images[static_cast<size_t>(inside[0])]));
    const QRect tile = tab->selectionGrid()->tileRect(1);
    QVERIFY(!tile.isEmpty());
    inputs.clear();
    QTest::mouseClick(tab->selectionGrid()->viewport(), Qt::LeftButton, {}, tile.center());
    QTRY_VERIFY_WITH_TIMEOUT(inputs.count() >= 1, 30000);
    QVERIFY(torch::equal(
        window.workspace()->input()->pixels, dataset->image(result->rows->images[static_cast<size_t>(inside[1])])));
    QVERIFY(settled(window));

    // Colour by prediction keeps the selection.
    tab->controls()->setColourByPrediction(true);
    QCOMPARE(view->selection(), inside);
}

void TestEmbeddingTab::tsneAnimatesAndMatchesCore()
{
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QVERIFY(setUp(window, tab, QStringLiteral("fc1"), QStringLiteral("tsne"), 600, 400));
    StallProbe probe;
    QElapsedTimer timer;
    timer.start();
    tab->run();
    QVERIFY(settled(window));
    const double seconds = timer.elapsed() / 1000.0;
    auto result = tab->result();
    QVERIFY(result && result->final && !result->cancelled);
    QCOMPARE(result->points.size(), 600);
    QCOMPARE(tab->view()->pointCount(), 600);
    QVERIFY(std::isfinite(result->kl) && result->kl > 0);
    QCOMPARE(result->iteration, int64_t(400));
    QVERIFY(tab->framesShown() >= 1);
    QVERIFY2(tab->infoText().contains(QStringLiteral("KL %1 after 400 iterations").arg(result->kl, 0, 'f', 3)),
        qPrintable(tab->infoText()));
    qInfo("t-SNE of 600 digits, 400 iterations: %.1f s, %lld frames drawn, longest GUI stall %lld ms", seconds,
        tab->framesShown(), probe.worstMs());
    QVERIFY2(probe.worstMs() < 150, qPrintable(QString::number(probe.worstMs())));

    // The layout is core tsne()'s on the same features: it has no randomness.
    FeatureOptions options;
    options.samples = 600;
    auto model = window.workspace()->model();
    const FeatureSet features
        = extractFeatures(*model, *window.inputController()->dataset(), model->layerIndex("fc1"), options);
    TsneOptions tsneOptions;
    tsneOptions.iterations = 400;
    const TsneResult expected = tsne(features.values, tsneOptions);
    QVERIFY(std::abs(expected.kl - result->kl) < 1e-9 * (1 + expected.kl));
    const QVector<QPointF> points = toPoints(expected.embedding);
    for (int i = 0; i < points.size(); i += 37)
        QCOMPARE(result->points[i], points[i]);
}

// "Show in embedding" in the Adversarial tab: t-SNE runs first (there is no
// map yet), then the clean and the adversarial image are placed into it by
// core placeInMap() on their features, with one arrow between them.
void TestEmbeddingTab::adversarialPairPlacedWithArrow()
{
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QVERIFY(setUp(window, tab, QStringLiteral("fc1"), QStringLiteral("tsne"), 500, 300));
    auto* adversarial = qobject_cast<AdversarialTab*>(window.tab(QStringLiteral("adversarial")));
    QVERIFY(adversarial);
    window.setCurrentTab(QStringLiteral("adversarial"));
    adversarial->controls()->setMethod(QStringLiteral("pgd"));
    adversarial->controls()->setEps(40.0 / 255);
    adversarial->run();
    QVERIFY(settled(window));
    auto run = adversarial->result();
    QVERIFY(run && run->success);
    Q_EMIT adversarial->showInEmbeddingRequested();
    QCOMPARE(window.currentTabKey(), QStringLiteral("embedding"));
    QVERIFY(QTest::qWaitFor([&] { return window.isSettled() && !tab->isRunning() && !tab->isPlacing(); }, 120000));
    auto result = tab->result();
    QVERIFY(result && result->map);
    QCOMPARE(tab->view()->arrows().size(), 1);

    // The same places from core, on features taken here.
    auto model = window.workspace()->model();
    const int fc1 = model->layerIndex("fc1");
    const torch::Tensor features
        = featureRows(*model, torch::stack({run->clean, run->adversarial}), fc1, FeaturePooling::Mean);
    const Placement expected = placeInMap(*result->map, features);
    const ScatterView::Arrow arrow = tab->view()->arrows()[0];
    QVERIFY(std::abs(arrow.from.x() - expected.embedding[0][0].item<double>()) < 1e-5);
    QVERIFY(std::abs(arrow.from.y() - expected.embedding[0][1].item<double>()) < 1e-5);
    QVERIFY(std::abs(arrow.to.x() - expected.embedding[1][0].item<double>()) < 1e-5);
    QVERIFY(std::abs(arrow.to.y() - expected.embedding[1][1].item<double>()) < 1e-5);
    QVERIFY2(tab->placementText().contains(QStringLiteral("the clean image")) &&
                 tab->placementText().contains(QStringLiteral("nearest")),
             qPrintable(tab->placementText()));
    // A new layout drops the arrows of the old one.
    tab->run();
    QVERIFY(settled(window));
    QCOMPARE(tab->view()->arrows().size(), 0);
}

// The Embed… button beside the confusion under attack: every image of the
// robustness run at the chosen budget, clean and adversarial, placed into the
// map as core placeInMap places them, one arrow each.
void TestEmbeddingTab::robustnessRunPlacedAsAFlow()
{
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QVERIFY(setUp(window, tab, QStringLiteral("fc1"), QStringLiteral("tsne"), 400, 300));
    auto* adversarial = qobject_cast<AdversarialTab*>(window.tab(QStringLiteral("adversarial")));
    window.setCurrentTab(QStringLiteral("adversarial"));
    adversarial->controls()->setMethod(QStringLiteral("fgsm"));
    adversarial->controls()->setSamples(24);
    adversarial->runCurve();
    QVERIFY(settled(window));
    AttackConfusion* confusion = adversarial->attackConfusion();
    auto robust = confusion->result();
    QVERIFY(robust && robust->clean.defined());
    QCOMPARE(robust->clean.size(0), int64_t(24));
    QCOMPARE(robust->adversarial.size(), robust->points.size());
    confusion->setBudget(5); // 16/255
    Q_EMIT confusion->showInEmbeddingClicked();
    QCOMPARE(window.currentTabKey(), QStringLiteral("embedding"));
    QVERIFY(QTest::qWaitFor([&] { return window.isSettled() && !tab->isRunning() && !tab->isPlacing(); }, 120000));
    auto result = tab->result();
    QVERIFY(result && result->map);
    const QVector<ScatterView::Arrow> arrows = tab->view()->arrows();
    QCOMPARE(arrows.size(), 24);
    auto model = window.workspace()->model();
    const torch::Tensor features = featureRows(*model, torch::cat({robust->clean, robust->adversarial[5]}),
                                               model->layerIndex("fc1"), FeaturePooling::Mean);
    const Placement expected = placeInMap(*result->map, features);
    for (int i = 0; i < 24; i += 5) {
        QVERIFY(std::abs(arrows[i].from.x() - expected.embedding[i][0].item<double>()) < 1e-5);
        QVERIFY(std::abs(arrows[i].to.y() - expected.embedding[24 + i][1].item<double>()) < 1e-5);
    }
    QVERIFY2(tab->placementText().startsWith(QStringLiteral("fgsm at ε 16/255 on 24 images: 24 pairs placed")),
             qPrintable(tab->placementText()));
}

void TestEmbeddingTab::stopIsPrompt()
{
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    // Every digit, for ever: the animation runs until Stop.
    QVERIFY(setUp(window, tab, QStringLiteral("fc1"), QStringLiteral("tsne"), 0, 1000000));
    StallProbe probe;
    tab->run();
    QTRY_VERIFY_WITH_TIMEOUT(tab->framesShown() >= 3, 120000);
    const qint64 stall = probe.worstMs();
    QCOMPARE(tab->view()->pointCount(), 5000);
    QElapsedTimer timer;
    timer.start();
    tab->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 5000);
    const qint64 stopMs = timer.elapsed();
    qInfo("t-SNE of 5000 digits: Stop took %lld ms; longest GUI stall while animating %lld ms", stopMs, stall);
    QVERIFY2(stopMs < 1000, qPrintable(QString::number(stopMs)));
    QVERIFY2(stall < 150, qPrintable(QString::number(stall)));
    QVERIFY2(tab->infoText().startsWith(QStringLiteral("Stopped after ")), qPrintable(tab->infoText()));
    QVERIFY(tab->result() && tab->result()->cancelled);
    QCOMPARE(tab->view()->pointCount(), 5000);
    QVERIFY(settled(window));

    // The tab goes on.
    QVERIFY(setUp(window, tab, {}, QStringLiteral("pca"), 200));
    tab->run();
    QVERIFY(settled(window));
    QVERIFY(tab->result() && !tab->result()->cancelled);
    QCOMPARE(tab->view()->pointCount(), 200);
}

void TestEmbeddingTab::reportsErrors()
{
    // No dataset: a message, not a run.
    {
        MainWindow window;
        window.show();
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        window.openModel(defaultModelPath());
        QVERIFY(loaded.wait(60000) || !loaded.isEmpty());
        window.setCurrentTab(QStringLiteral("embedding"));
        QVERIFY(settled(window));
        auto* tab = qobject_cast<EmbeddingTab*>(window.tab(QStringLiteral("embedding")));
        QVERIFY2(tab->infoText().startsWith(QStringLiteral("Open a dataset in the Input dock")),
            qPrintable(tab->infoText()));
        tab->run();
        QVERIFY(!tab->isRunning());
    }
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QVERIFY(setUp(window, tab, {}, QStringLiteral("tsne"), 3));
    tab->run();
    QVERIFY(settled(window));
    QCOMPARE(tab->infoText(), QStringLiteral("Cannot embed: t-SNE needs at least 5 points, got 3"));
    QVERIFY(!tab->result());
    QCOMPARE(tab->view()->pointCount(), 0);
    // Perplexity larger than the points allow is clamped, and said so.
    QVERIFY(setUp(window, tab, {}, QStringLiteral("tsne"), 40, 50));
    tab->controls()->setPerplexity(50);
    tab->run();
    QVERIFY(settled(window));
    QVERIFY2(tab->infoText().contains(QStringLiteral("perplexity 13 (50 is too large for 40 points)")),
        qPrintable(tab->infoText()));
    QCOMPARE(tab->view()->pointCount(), 40);
}


// Opt-in, not part of the suite: CONVSCOPE_BIG_DATASET=PATH (e.g. 70,000
// augmented digits as idx files) runs t-SNE of every image at relu3 in the
// real window and reports the time, the frames drawn, the longest GUI stall
// and a hover, and saves the window to CONVSCOPE_BIG_SHOT if set.
void TestEmbeddingTab::bigDataset()
{
    const QString path = qEnvironmentVariable("CONVSCOPE_BIG_DATASET");
    if (path.isEmpty())
        QSKIP("set CONVSCOPE_BIG_DATASET to run it");
    MainWindow window;
    EmbeddingTab* tab = openEmbedding(window);
    QVERIFY(tab);
    QSignalSpy opened(window.inputController(), &InputController::opened);
    window.openInput(path);
    QVERIFY(opened.wait(60000));
    QVERIFY(settled(window));
    QVERIFY(setUp(window, tab, QStringLiteral("relu3"), QStringLiteral("tsne"), 0));
    StallProbe probe;
    QElapsedTimer timer;
    timer.start();
    tab->run();
    QVERIFY(QTest::qWaitFor([&window] { return window.isSettled(); }, 600000));
    auto result = tab->result();
    QVERIFY(result && result->final && !result->cancelled);
    const QPointF at = tab->view()->toWidget(result->points[12345]);
    sendMouse(tab->view(), QEvent::MouseMove, at, Qt::NoButton);
    qInfo("t-SNE of %d images in the window: %.1f s, %lld frames drawn, longest GUI stall %lld ms; hover: %s",
        int(result->points.size()), timer.elapsed() / 1000.0, tab->framesShown(), probe.worstMs(),
        qPrintable(tab->view()->hoverText().replace(QLatin1Char('\n'), QLatin1String(" | "))));
    if (qEnvironmentVariableIsSet("CONVSCOPE_BIG_SHOT"))
        window.grab().save(qEnvironmentVariable("CONVSCOPE_BIG_SHOT"));
}

QTEST_MAIN(TestEmbeddingTab)
#include "test_embedding_tab.moc"
