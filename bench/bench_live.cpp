// Live activations throughput: the real main window (offscreen) playing a
// video as fast as the model goes, with the Activations tab drawing every
// frame it takes, against the bare forward pass of the same model on the same
// frames in the same process.
//
//   bench_live --threads N --seconds S MODEL VIDEO LAYER

#include "app/shell/input_controller.h"
#include "app/shell/main_window.h"
#include "app/shell/workspace.h"
#include "app/views/activations/tab.h"
#include "core/device.h"
#include "core/model.h"
#include "io/video_source.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QThread>

#include <cstdio>

using namespace convscope;

namespace {
template <typename Done>
bool waitFor(Done done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::msleep(1);
    }
    return true;
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
    parser.addOption({QStringLiteral("seconds"), QStringLiteral("seconds per measurement"), QStringLiteral("S"), QStringLiteral("10")});
    parser.addPositionalArgument(QStringLiteral("model"), QString());
    parser.addPositionalArgument(QStringLiteral("video"), QString());
    parser.addPositionalArgument(QStringLiteral("layer"), QString());
    parser.process(app);
    const QStringList args = parser.positionalArguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: bench_live [--threads N] [--seconds S] MODEL VIDEO LAYER\n");
        return 2;
    }
    setThreads(parser.value(QStringLiteral("threads")).toInt());
    const int seconds = parser.value(QStringLiteral("seconds")).toInt();

    MainWindow window;
    window.resize(1400, 900);
    window.setCurrentTab(QStringLiteral("activations"));
    window.show();
    window.selectLayer(args[2]);
    window.openModel(args[0]);
    window.openInput(args[1]);
    if (!waitFor([&] { return window.workspace()->model() && window.isSettled(); }, 300000)) {
        std::fprintf(stderr, "bench_live: the model or the video did not open\n");
        return 1;
    }
    auto model = window.workspace()->model();
    const int layer = model->layerIndex(args[2].toStdString());
    auto* tab = qobject_cast<ActivationsTab*>(window.tab(QStringLiteral("activations")));
    InputController* input = window.inputController();

    // The whole pipeline: read, forward, predictions, tiles, paint.
    input->setRealtime(false);
    input->play(true);
    waitFor([&] { return input->framesShown() >= 3; }, 60000); // warm up
    const qint64 shown0 = input->framesShown(), drawn0 = tab->framesDrawn();
    QElapsedTimer clock;
    clock.start();
    waitFor([&] { return clock.elapsed() >= seconds * 1000 || !input->playing(); }, seconds * 1000 + 60000);
    const double elapsed = clock.elapsed() / 1000.0;
    const double guiFps = (input->framesShown() - shown0) / elapsed;
    const double drawnFps = (tab->framesDrawn() - drawn0) / elapsed;
    input->play(false);
    waitFor([&] { return window.isSettled(); }, 60000);

    // The bare model on the same frames: one forward with the layer captured.
    const auto format = model->info().input;
    auto source = io::VideoSource::open(args[1].toStdString(), ImageFormat{format[0], format[1], format[2]});
    torch::NoGradGuard noGrad;
    int frames = 0;
    clock.restart();
    while (clock.elapsed() < seconds * 1000) {
        torch::Tensor frame = source->next();
        if (!frame.defined()) {
            source = io::VideoSource::open(args[1].toStdString(), ImageFormat{format[0], format[1], format[2]});
            continue;
        }
        model->capture(frame.unsqueeze(0), {layer}, true);
        ++frames;
    }
    const double modelFps = frames / (clock.elapsed() / 1000.0);
    std::printf("%s input %lldx%lldx%lld layer %s: window %.1f frames/s (activations drawn %.1f/s), "
                "bare forward+read %.1f frames/s, ratio %.3f\n",
                model->info().name.c_str(), static_cast<long long>(format[0]), static_cast<long long>(format[1]),
                static_cast<long long>(format[2]), args[2].toUtf8().constData(), guiFps, drawnFps, modelFps,
                guiFps / modelFps);
    return 0;
}
