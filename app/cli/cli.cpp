#include "app/cli/cli.h"

#include "app/cli/common.h"
#include "core/command_run.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>

#include <algorithm>
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
        {"predict", "The top-k classes (probability and logit) a model gives each image.", cli::predictCommand},
        {"filters", "Draw a conv or linear layer's weights as image tiles.", cli::filtersCommand},
        {"segment", "A segmentation model's class per pixel: mask and overlay PNGs, class shares, IoU against labels.",
         cli::segmentCommand},
        {"train", "Train a built-in architecture (lenet5, minivgg; unet-small, fcn-small on digit-canvas).",
         cli::trainCommand},
        {"topk", "The dataset images (and patches) that make each channel of a layer fire most.", cli::topkCommand},
        {"topk-merge", "Merge the shard results of `topk --shard i/n` into one.", cli::topkMergeCommand},
        {"occlusion", "Occlusion map: how the target class's score drops as a square hides each part of the image.",
         cli::occlusionCommand},
        {"saliency", "Gradient attribution: gradient, SmoothGrad, Integrated Gradients, Grad-CAM, guided backprop.",
         cli::saliencyCommand},
        {"sanity", "Sanity check of saliency maps: each method's map as the model's layers are re-initialized.",
         cli::sanityCommand},
        {"unit", "One channel on one page: filter, activation, guided backprop, top-9, statistics, class support.",
         cli::unitCommand},
        {"ascent", "Gradient ascent: the image a channel, a unit or a class responds to most.", cli::ascentCommand},
        {"attack", "Adversarial examples: FGSM, BIM, PGD, PGD-L2, DeepFool, Carlini-Wagner; accuracy against eps.",
         cli::attackCommand},
        {"tsne", "A layer's features over a dataset mapped to 2-D by t-SNE or PCA (CSV, PNG, JSON).", cli::tsneCommand},
        {"render", "Render a view of the real window offscreen to a PNG (for docs and tests).", cli::renderCommand},
        {"lesson", "Replay a lesson file offscreen and export its steps as 1920x1080 slides (PNG, PDF).",
         cli::lessonCommand},
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

// A bare word that names no file: a command, if mistyped, rather than a
// model to open. Paths, names with an extension and options (Qt's own, such
// as -platform) go to the window as before.
bool looksLikeCommand(const QString& word)
{
    if (word.isEmpty() || word == QLatin1String("help") || word.startsWith(QLatin1Char('-')) || word.contains(QLatin1Char('/'))
        || word.contains(QLatin1Char('\\')) || word.contains(QLatin1Char('.')))
        return false;
    return !QFileInfo::exists(word);
}

int editDistance(const QString& a, const QString& b)
{
    std::vector<int> row(static_cast<size_t>(b.size()) + 1);
    for (size_t j = 0; j < row.size(); ++j)
        row[j] = static_cast<int>(j);
    for (int i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = i;
        for (int j = 1; j <= b.size(); ++j) {
            const int above = row[static_cast<size_t>(j)];
            row[static_cast<size_t>(j)] = std::min({above + 1, row[static_cast<size_t>(j) - 1] + 1,
                                                    diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row.back();
}

// The command `word` most likely meant: the closest within two edits, else
// the first that it begins (or that begins it); empty if none.
QString closestCommand(const QString& word)
{
    const QString typed = word.toLower();
    QString best;
    int bestDistance = 3;
    for (const auto& c : commands()) {
        const int d = editDistance(typed, QLatin1String(c.name));
        if (d < bestDistance) {
            best = QLatin1String(c.name);
            bestDistance = d;
        }
    }
    if (!best.isEmpty())
        return best;
    for (const auto& c : commands()) {
        const QString name = QLatin1String(c.name);
        if ((typed.size() >= 2 && name.startsWith(typed)) || typed.startsWith(name))
            return name;
    }
    return {};
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
    return looksLikeCommand(first); // answered by runCli, not taken for a model to open
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
    if (looksLikeCommand(first)) {
        const QString meant = closestCommand(first);
        const std::string hint = meant.isEmpty() ? "see convscope --help" : "did you mean " + meant.toStdString() + "?";
        std::cerr << "convscope: unknown command '" << first.toStdString() << "' (" << hint << ")\n";
        return 1;
    }
    printUsage(first.startsWith(QLatin1Char('-')) || first == QLatin1String("help") ? std::cout : std::cerr);
    return first.startsWith(QLatin1Char('-')) || first == QLatin1String("help") ? 0 : 2;
}

} // namespace convscope
