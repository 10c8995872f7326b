// `convscope render`: the real main window, offscreen, grabbed to a PNG once
// every view has caught up — for the README's screenshots and for tests.

#include "app/cli/common.h"
#include "app/shell/atomic_save.h"
#include "app/shell/defaults.h"
#include "app/shell/main_window.h"
#include "app/shell/view_tab.h"
#include "app/shell/workspace.h"
#include "app/views/adversarial/controls.h"
#include "app/views/adversarial/compare_panel.h"
#include "app/views/adversarial/tab.h"
#include "app/views/adversarial/trace_panel.h"
#include "app/views/ascent/controls.h"
#include "app/views/ascent/tab.h"
#include "app/views/saliency/controls.h"
#include "app/views/saliency/run.h"
#include "app/views/saliency/sanity_controls.h"
#include "app/views/saliency/sanity_page.h"
#include "app/views/saliency/tab.h"
#include "app/views/embedding/controls.h"
#include "app/views/embedding/run.h"
#include "app/views/embedding/tab.h"
#include "app/views/training/controls.h"
#include "app/views/training/tab.h"
#include "app/views/unit/page.h"
#include "app/views/unit/tab.h"
#include "core/error.h"
#include "core/model.h"
#include "core/unit.h"
#include "widgets/scatter_view.h"
#include "widgets/tile_grid_view.h"

#include <algorithm>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QMouseEvent>
#include <QPixmap>

#include <iostream>

namespace convscope {

namespace {

// What the embedding's view offers, for the screenshot: the images around the
// first misclassified one selected (their pictures below the plot), and the
// hover card of that one.
void showEmbeddingFeatures(EmbeddingTab& tab, MainWindow& window)
{
    auto result = tab.result();
    if (!result || !result->rows)
        return;
    int wrong = 0;
    while (wrong < result->points.size() && !result->rows->misclassified(static_cast<size_t>(wrong)))
        ++wrong;
    if (wrong == result->points.size())
        return;
    ScatterView* view = tab.view();
    const QPointF at = view->toWidget(view->point(wrong));
    view->setSelection(view->pointsIn(QRectF(at - QPointF(30, 30), QSizeF(60, 60))));
    cli::waitFor([&] { return window.isSettled() && tab.selectionGrid()->tileCount() > 0; }, 60000, "the selection's images");
    QMouseEvent move(QEvent::MouseMove, at, view->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(view, &move);
}

// --method and --randomize on the Saliency tab, before the model loads (the
// step waits for the model's range).
void setUpSaliency(const QCommandLineParser& parser, SaliencyTab& tab)
{
    if (parser.isSet(QStringLiteral("method"))) {
        const QString method = parser.value(QStringLiteral("method"));
        if (method != QLatin1String("occlusion"))
            saliencyMethodFromName(method.toStdString()); // one line naming the methods
        tab.controls()->setMethod(method);
    }
    if (parser.isSet(QStringLiteral("randomize"))) {
        const QStringList parts = parser.value(QStringLiteral("randomize")).split(QLatin1Char(':'));
        bool ok = false;
        const int step = parts.value(1).toInt(&ok);
        if (parts.size() != 2 || !ok || step < 0)
            throw Error("--randomize takes MODE:STEP, e.g. cascading:3");
        randomizationFromName(parts[0].toStdString());
        tab.sanityControls()->setMode(parts[0]);
        tab.sanityControls()->setStep(step);
    }
}

} // namespace

int cli::renderCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    parser.addOption({QStringLiteral("tab"), QStringLiteral("summary, filters, activations, patches, saliency, ascent (which runs Whole layer once), "
                                                            "adversarial (which runs the default attack and two robustness curves) or "
                                                            "embedding (which runs t-SNE of 1000 images), "
                                                            "unit (the page of --channel, its ascent image made) or "
                                                            "training (which trains LeNet-5 twice, without and with batch norm)."),
                      QStringLiteral("TAB"), QStringLiteral("summary")});
    parser.addOption({QStringLiteral("layer"), QStringLiteral("Layer to select (default: the first convolution)."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("channel"),
                      QStringLiteral("--tab unit: the channel of the layer (default 0); its gradient-ascent image is made too."),
                      QStringLiteral("C"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("ascent-steps"),
                      QStringLiteral("--tab unit: steps of the gradient ascent (default: the Lucid preset's 512)."),
                      QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("method"), QStringLiteral("--tab saliency: the method (default: the tab's, occlusion)."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("randomize"),
                      QStringLiteral("--tab saliency: the sanity check's step, e.g. cascading:3 or independent:1."),
                      QStringLiteral("MODE:STEP")});
    parser.addOption({QStringLiteral("sanity-figure"),
                      QStringLiteral("--tab saliency: show the sanity check of every method (All methods…), made.")});
    parser.addOption({QStringLiteral("compare"),
                      QStringLiteral("--tab adversarial: compare with this second model (Compare with…)."),
                      QStringLiteral("MODEL")});
    parser.addOption({QStringLiteral("page"),
                      QStringLiteral("--tab adversarial: the page under the pictures, scrolled into view: layers, "
                                     "robustness or compare."),
                      QStringLiteral("PAGE")});
    parser.addOption({QStringLiteral("show-in-embedding"),
                      QStringLiteral("--tab adversarial: place the attack into a t-SNE map of 1000 images (Show in "
                                     "embedding); the Embedding tab is drawn.")});
    parser.addOption({QStringLiteral("out"), QStringLiteral("PNG file to write."), QStringLiteral("PNG")});
    parser.addOption({QStringLiteral("size"), QStringLiteral("Window size (default 1400x900)."), QStringLiteral("WxH"),
                      QStringLiteral("1400x900")});
    parser.addOption({QStringLiteral("device"), QStringLiteral("cpu, cuda or auto."), QStringLiteral("DEVICE"),
                      QStringLiteral("auto")});
    parser.addOption({QStringLiteral("train-data"), QStringLiteral("--tab training: the data (default fashion-mnist)."),
                      QStringLiteral("DATASET"), QStringLiteral("fashion-mnist")});
    parser.addOption({QStringLiteral("train-epochs"), QStringLiteral("--tab training: epochs a run (default 3)."),
                      QStringLiteral("N"), QStringLiteral("3")});
    const QStringList args = parse(parser, arguments, 0, 2, "render [MODEL] [IMAGE|digit-canvas] --tab TAB [--layer NAME] --out PNG [--size WxH]");
    if (!qobject_cast<QApplication*>(QCoreApplication::instance()))
        throw Error("render needs the GUI libraries (run it as `convscope render ...`)");
    const QString out = parser.value(QStringLiteral("out"));
    if (out.isEmpty())
        throw Error("--out PNG is required");
    const QSize size = sizeOption(parser, QSize(200, 150));
    const QString modelPath = args.value(0, defaultModelPath());
    if (!QFileInfo::exists(modelPath))
        throw Error("model not found: " + modelPath.toStdString());
    // Without an image, a test digit: every model can be fed one (converted to its format).
    const QString input = args.value(1, defaultDatasetSpec());
    if (args.size() > 1 && !QFileInfo::exists(input) && input != QLatin1String("digit-canvas"))
        throw Error("image not found: " + input.toStdString());

    MainWindow window;
    window.setPersistent(false);
    // As a screen of that size shows it (docks stacked below 1600 wide), at
    // exactly that size: offscreen, a maximized window would take the
    // platform's own 800x600 screen.
    window.fitToScreen(QRect(QPoint(0, 0), size));
    window.setWindowState(Qt::WindowNoState);
    window.resize(size);
    const QString tab = parser.value(QStringLiteral("tab"));
    if (!window.setCurrentTab(tab))
        throw Error("unknown tab '" + tab.toStdString()
                    + "' (summary, filters, activations, patches, unit, saliency, ascent, adversarial, embedding, training)");
    const QString layer = parser.value(QStringLiteral("layer"));
    if (!layer.isEmpty())
        window.selectLayer(layer);
    window.show();

    QString failure;
    QObject::connect(&window, &MainWindow::loadFailed, [&failure](const QString& message) { failure = message; });
    bool loaded = false;
    QObject::connect(&window, &MainWindow::modelLoaded, [&loaded] { loaded = true; });
    auto* saliencyTab = qobject_cast<SaliencyTab*>(window.tab(tab));
    if (saliencyTab)
        setUpSaliency(parser, *saliencyTab);
    window.setDevice(parser.value(QStringLiteral("device")));
    window.openModel(modelPath);
    window.openInput(input);
    waitFor([&] { return loaded || !failure.isEmpty(); }, 300000, "the model to load");
    if (!failure.isEmpty())
        throw Error(failure.toStdString());
    auto model = window.workspace()->model();
    if (window.tab(tab)->showsNotAnImage())
        throw Error(notAnImageMessage(model->info())); // the view would show only that
    if (!layer.isEmpty() && window.currentLayerName() != layer && model->graph().find(layer.toStdString()) < 0)
        model->layerIndex(layer.toStdString()); // throws, naming close layer names
    // Gradient ascent shows nothing until asked: ask once, with the tab's
    // defaults (the class scores, Lucid) or the --layer given.
    if (auto* ascent = qobject_cast<AscentTab*>(window.tab(tab))) {
        if (!layer.isEmpty())
            ascent->controls()->setTargetsLayer(true);
        ascent->runWholeLayer();
    }
    // Attacks too run only when asked: once the input is there, FGSM's and
    // PGD's robustness curves over the digits, then the classic demonstration:
    // targeted PGD pushing the digit towards an 8 within 0.2 of every pixel
    // (MNIST papers use eps 0.2-0.3), which stays on the controls.
    const QStringList pages = {QStringLiteral("layers"), QStringLiteral("robustness"), QStringLiteral("compare")};
    const int page = parser.isSet(QStringLiteral("page")) ? pages.indexOf(parser.value(QStringLiteral("page"))) : 0;
    if (page < 0)
        throw Error("unknown --page '" + parser.value(QStringLiteral("page")).toStdString()
                    + "': use layers, robustness or compare");
    if (auto* adversarial = qobject_cast<AdversarialTab*>(window.tab(tab))) {
        waitFor([&] { return window.workspace()->input() && window.isSettled(); }, 300000, "the input");
        if (parser.isSet(QStringLiteral("compare"))) {
            ComparePanel* compare = adversarial->comparePanel();
            compare->loadModel(parser.value(QStringLiteral("compare")));
            waitFor([&] { return !compare->isLoading(); }, 300000, "the compared model");
            if (!compare->model())
                throw Error(compare->infoText().toStdString());
        }
        for (const QString& curve : {QStringLiteral("fgsm"), QStringLiteral("pgd")}) {
            adversarial->controls()->setMethod(curve);
            adversarial->runCurve();
            waitFor([&] { return !adversarial->isRunning(); }, 300000, "the robustness curve");
        }
        adversarial->controls()->setEps(51.0 / 255);
        adversarial->controls()->setSteps(40);
        adversarial->controls()->setTarget(std::min<int>(8, static_cast<int>(model->info().outputs) - 1));
        adversarial->run();
        waitFor([&] { return !adversarial->isRunning(); }, 300000, "the attack");
        // Through the layers: the last layer of channel maps, opened as a click would.
        int maps = -1;
        for (size_t l = 0; l < model->layers().size(); ++l)
            if (model->layers()[l].shape.size() == 3)
                maps = static_cast<int>(l);
        if (maps >= 0) {
            adversarial->tracePanel()->showLayer(maps);
            waitFor([&] { return window.isSettled() && !adversarial->tracePanel()->layerText().startsWith(
                                     QStringLiteral("Click")); }, 300000, "the layer's activations");
        }
        if (parser.isSet(QStringLiteral("page")))
            adversarial->showBelow(page);
        if (parser.isSet(QStringLiteral("show-in-embedding"))) {
            auto* embedding = qobject_cast<EmbeddingTab*>(window.tab(QStringLiteral("embedding")));
            const auto& layers = model->layers();
            embedding->controls()->setLayer(static_cast<int>(layers.size() * 2 / 3));
            embedding->controls()->setSamples(1000);
            Q_EMIT adversarial->showInEmbeddingRequested();
            waitFor([&] { return window.isSettled() && !embedding->isRunning() && !embedding->isPlacing(); }, 300000,
                    "the placement");
        }
    }
    // So does an embedding: t-SNE of 1000 images of the dataset at the --layer
    // given, else at a layer two thirds of the way through the model (LeNet-5's
    // relu3, after fc1, where the digits fall into ten clusters).
    if (auto* embedding = qobject_cast<EmbeddingTab*>(window.tab(tab))) {
        waitFor([&] { return window.workspace()->input() && window.isSettled(); }, 300000, "the input");
        if (layer.isEmpty()) {
            const auto& layers = model->layers();
            window.selectLayer(QString::fromStdString(layers[layers.size() * 2 / 3].name));
        }
        embedding->controls()->setMethod(QStringLiteral("tsne"));
        embedding->controls()->setSamples(1000);
        embedding->run();
        waitFor([&] { return !embedding->isRunning(); }, 300000, "the embedding");
    }

    if (saliencyTab && parser.isSet(QStringLiteral("sanity-figure"))) {
        waitFor([&] { return window.workspace()->input() && window.isSettled(); }, 300000, "the input");
        saliencyTab->showSanityFigure();
        waitFor([&] { return !saliencyTab->sanityPage()->running(); }, 1800000, "the sanity check");
    }

    // The Training tab shows runs side by side: LeNet-5 without and with batch
    // norm, in a folder that goes with this process.
    QTemporaryDir runs;
    if (auto* training = qobject_cast<TrainingTab*>(window.tab(tab))) {
        bool ok = false;
        const int epochs = parser.value(QStringLiteral("train-epochs")).toInt(&ok);
        if (!ok || epochs < 1)
            throw Error("bad --train-epochs '" + parser.value(QStringLiteral("train-epochs")).toStdString() + "'");
        training->setRunsFolder(runs.path());
        for (bool batchNorm : {false, true}) {
            training->controls()->setArchitecture(QStringLiteral("lenet5"));
            training->controls()->setData(parser.value(QStringLiteral("train-data")));
            training->controls()->setEpochs(epochs);
            training->controls()->setBatchNorm(batchNorm);
            training->start();
            waitFor([&] { return !training->isRunning(); }, 3600000, "the training");
            if (!training->lastError().isEmpty())
                throw Error(training->lastError().toStdString());
        }
    }

    // The Unit page of --channel, its ascent image made (or read from the cache).
    auto* unit = qobject_cast<UnitTab*>(window.tab(tab));
    if (unit) {
        waitFor([&] { return window.workspace()->input() && window.isSettled(); }, 300000, "the input");
        const int64_t channel = wholeOption(parser, QStringLiteral("channel"), 0);
        checkChannel(*model, window.workspace()->layer(), channel); // one line for a bad layer or channel
        unit->setAscentSteps(static_cast<int>(wholeOption(parser, QStringLiteral("ascent-steps"), 0)));
        unit->showUnit(window.workspace()->layer(), static_cast<int>(channel));
        waitFor([&] { return window.isSettled() && unit->complete(); }, 600000, "the unit page");
        unit->makeAscent();
        waitFor([&] { return window.isSettled() && !unit->ascentRunning(); }, 600000, "the gradient-ascent image");
    }

    // Settled for a little while: the chain load → open input → read → forward → draw
    // hands over between workers through the event loop.
    QElapsedTimer settled;
    waitFor([&] {
        if (!window.isSettled()) {
            settled.invalidate();
            return false;
        }
        if (!settled.isValid())
            settled.start();
        return settled.elapsed() > 300;
    }, 300000, "the views to fill");
    if (auto* embedding = qobject_cast<EmbeddingTab*>(window.tab(tab)))
        showEmbeddingFeatures(*embedding, window);
    QCoreApplication::processEvents();
    const QPixmap shot = window.grab();
    if (const QString error = savePngAtomically(shot.toImage(), out); !error.isEmpty())
        throw Error("cannot write " + out.toStdString() + ": " + error.toStdString());
    std::cout << "wrote " << out.toStdString() << " (" << shot.width() << "x" << shot.height() << "): "
              << window.modelName().toStdString() << ", tab " << tab.toStdString() << ", layer "
              << window.currentLayerName().toStdString() << '\n';
    if (unit)
        std::cout << "unit page: " << unit->page()->headingText().toStdString() << "; filled: "
                  << unit->page()->filledPanels().join(QStringLiteral(", ")).toStdString() << '\n';
    return 0;
}

} // namespace convscope
