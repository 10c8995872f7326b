#include "app/cli/cli.h"

#include "app/cli/common.h"
#include "core/command_run.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <iostream>
#include <vector>

namespace convscope {

namespace {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(QCommandLineParser& parser, const QStringList& arguments);
};

using cli::pad;

const std::vector<Command>& commands()
{
    static const std::vector<Command> list = {
        {"layers", "List the layers a model's forward() runs, with op and output shape.", cli::layersCommand},
        {"summary", "Per-layer memory, parameters, FLOPs and receptive field.", cli::summaryCommand},
        {"activations", "Run an image and report (and draw) chosen layers' activations.", cli::activationsCommand},
        {"filters", "Draw a conv or linear layer's weights as image tiles.", cli::filtersCommand},
        {"train", "Train a built-in architecture (lenet5, minivgg) on a labeled dataset.", cli::trainCommand},
        {"topk", "The dataset images (and patches) that make each channel of a layer fire most.", cli::topkCommand},
        {"topk-merge", "Merge the shard results of `topk --shard i/n` into one.", cli::topkMergeCommand},
        {"occlusion", "Occlusion map: how the target class's score drops as a square hides each part of the image.",
         cli::occlusionCommand},
        {"saliency", "Gradient attribution: gradient, SmoothGrad, Integrated Gradients, Grad-CAM, guided backprop.",
         cli::saliencyCommand},
        {"unit", "One channel on one page: filter, activation, guided backprop, top-9, statistics, class support.",
         cli::unitCommand},
        {"ascent", "Gradient ascent: the image a channel, a unit or a class responds to most.", cli::ascentCommand},
        {"attack", "Adversarial examples: FGSM, BIM, PGD, PGD-L2, DeepFool, Carlini-Wagner; accuracy against eps.",
         cli::attackCommand},
        {"tsne", "A layer's features over a dataset mapped to 2-D by t-SNE or PCA (CSV, PNG, JSON).", cli::tsneCommand},
        {"render", "Render a view of the real window offscreen to a PNG (for docs and tests).", cli::renderCommand},
    };
    return list;
}

void printUsage(std::ostream& out)
{
    out << "usage: convscope [MODEL [IMAGE]]          open the GUI (default: LeNet-5 on the digits)\n"
           "       convscope COMMAND [options] ...    run headless\n\ncommands:\n";
    for (const auto& c : commands())
        out << "  " << pad(c.name, 14) << c.summary << '\n';
    out << "\n`convscope COMMAND --help` lists a command's options.\n";
}

} // namespace

bool isCliInvocation(const QStringList& arguments)
{
    if (arguments.size() < 2)
        return false;
    const QString first = arguments[1];
    if (first == QLatin1String("--help") || first == QLatin1String("-h") || first == QLatin1String("help")
        || first == QLatin1String("--version"))
        return true;
    for (const auto& c : commands())
        if (first == QLatin1String(c.name))
            return true;
    return false;
}

int runCli(const QStringList& arguments)
{
    const QString first = arguments.value(1);
    if (first == QLatin1String("--version")) {
        std::cout << "convscope " << QCoreApplication::applicationVersion().toStdString() << '\n';
        return 0;
    }
    for (const auto& c : commands()) {
        if (first != QLatin1String(c.name))
            continue;
        QCommandLineParser parser;
        parser.setApplicationDescription(QString::fromUtf8(c.summary));
        parser.addPositionalArgument(QString::fromUtf8(c.name), QString());
        // The same failure lines as convscope-core (core/command_run).
        return runCommand(std::string("convscope ") + c.name, [&] {
            try {
                return c.run(parser, arguments);
            } catch (const cli::HelpShown&) {
                return 0;
            }
        });
    }
    printUsage(first.startsWith(QLatin1Char('-')) || first == QLatin1String("help") ? std::cout : std::cerr);
    return first.startsWith(QLatin1Char('-')) || first == QLatin1String("help") ? 0 : 2;
}

} // namespace convscope
