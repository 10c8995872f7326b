#include "app/cli/cli.h"

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "app/shell/defaults.h"
#include "core/activation_maps.h"
#include "core/colormap.h"
#include "core/command_run.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_report.h"
#include "core/model_summary.h"
#include "core/tensor_grid.h"
#include "io/datasets.h"
#include "io/image_io.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace convscope {

using Json = nlohmann::ordered_json;

std::string cli::pad(const std::string& s, size_t width)
{
    return padRight(s, width);
}

QString cli::modelArgument(const QStringList& args)
{
    return args.isEmpty() ? defaultModelPath() : args[0];
}

std::unique_ptr<Model> cli::loadFromArguments(QCommandLineParser& parser, const QString& path)
{
    LoadOptions options = modelOptions(parser);
    auto model = Model::load(path.toStdString(), options);
    for (const auto& note : model->info().notes)
        std::cerr << "convscope: note: " << note << '\n';
    return model;
}

void cli::addInputOptions(QCommandLineParser& parser)
{
    parser.addOptions({
        {QStringLiteral("data"), QStringLiteral("Without IMAGE: take the input from this dataset's test split (default: digits)."),
         QStringLiteral("DATASET"), defaultDatasetSpec()},
        {QStringLiteral("index"), QStringLiteral("Which test image of --data (default 0)."), QStringLiteral("N"), QStringLiteral("0")},
    });
}

QStringList cli::withDefaultModel(QStringList args)
{
    if (args.size() == 1 && io::isImageFileName(args[0].toStdString()))
        args.prepend(defaultModelPath());
    return args;
}

cli::Input cli::readInput(const QCommandLineParser& parser, const QStringList& args, const Model& model)
{
    const auto& in = model.info().input;
    Input input;
    if (args.size() == 2) {
        input.source = args[1].toStdString();
        input.pixels = io::readImage(input.source, in[0], in[1], in[2]);
        return input;
    }
    // No image: a test image of the dataset, in the model's format.
    auto dataset = io::openDataset(parser.value(QStringLiteral("data")).toStdString(), {in[0], in[1], in[2]});
    const Split split = splitDataset(*dataset);
    const int64_t index = indexOption(parser, QStringLiteral("index"), static_cast<int64_t>(split.test.size()));
    const int64_t item = split.test[static_cast<size_t>(index)];
    input.pixels = dataset->image(item).unsqueeze(0);
    input.source = dataset->itemName(item);
    return input;
}

bool cli::looksLikeModel(const QString& path)
{
    return path.endsWith(QLatin1String(".pt")) || path.endsWith(QLatin1String(".pth"))
        || path.endsWith(QLatin1String(".ptl"));
}

std::string cli::defaultCacheDir(const char* kind)
{
    return cacheDir(QString::fromLatin1(kind)).toStdString();
}

ProgressFn cli::stderrProgress(const std::string& command, bool percent)
{
    auto last = std::make_shared<std::optional<std::chrono::steady_clock::time_point>>();
    return [command, percent, last](double fraction, const std::string& stage) {
        if (fraction == kNote) {
            std::cerr << "convscope " << command << ": note: " << stage << '\n';
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (*last && std::chrono::duration<double>(now - **last).count() < 1)
            return;
        std::cerr << "convscope " << command << ": " << stage;
        if (percent)
            std::cerr << " (" << std::lround(100 * fraction) << " %)";
        std::cerr << '\n';
        *last = now;
    };
}

ProgressFn cli::stderrNotes(const std::string& command)
{
    const ProgressFn print = stderrProgress(command);
    return [print](double fraction, const std::string& stage) {
        if (fraction == kNote)
            print(fraction, stage);
    };
}

std::string cli::labelName(const Model& model, int64_t index)
{
    const auto& labels = model.info().labels;
    return index >= 0 && index < static_cast<int64_t>(labels.size()) ? labels[static_cast<size_t>(index)]
                                                                      : std::to_string(index);
}

QStringList cli::modelAndDataset(QStringList args)
{
    if (args.size() == 1 && looksLikeModel(args[0]))
        args.append(defaultDatasetSpec());
    if (args.size() == 1)
        args.prepend(defaultModelPath());
    if (args.isEmpty())
        args = {defaultModelPath(), defaultDatasetSpec()};
    return args;
}

std::string cli::cacheOption(const QCommandLineParser& parser, const char* kind)
{
    if (parser.isSet(QStringLiteral("cache")) && parser.isSet(QStringLiteral("no-cache")))
        throw Error("give either --cache DIR or --no-cache");
    if (parser.isSet(QStringLiteral("no-cache")))
        return {};
    return parser.isSet(QStringLiteral("cache")) ? parser.value(QStringLiteral("cache")).toStdString()
                                                 : defaultCacheDir(kind);
}

namespace {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(QCommandLineParser& parser, const QStringList& arguments);
};

using cli::loadFromArguments;
using cli::modelArgument;
using cli::pad;
using cli::parse;

// The tables and JSON live in core/model_report, shared with the Qt-free
// convscope-core (cli_core/), which must print the same.
int layersCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    const QStringList args = parse(parser, arguments, 0, 1, "layers [MODEL] [--input C,H,W] [--json]");
    auto model = loadFromArguments(parser, modelArgument(args));
    if (parser.isSet(QStringLiteral("json")))
        std::cout << layersJson(*model) << '\n';
    else
        std::cout << layersText(*model);
    return 0;
}

int summaryCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    parser.addOption({QStringLiteral("csv"), QStringLiteral("Print CSV.")});
    const QStringList args = parse(parser, arguments, 0, 1, "summary [MODEL] [--input C,H,W] [--json|--csv]");
    if (parser.isSet(QStringLiteral("json")) && parser.isSet(QStringLiteral("csv")))
        throw Error("give either --json or --csv");
    auto model = loadFromArguments(parser, modelArgument(args));
    const ModelSummary summary = summarize(*model);
    if (parser.isSet(QStringLiteral("csv")))
        std::cout << summaryCsv(summary);
    else if (parser.isSet(QStringLiteral("json")))
        std::cout << summaryJson(*model, summary) << '\n';
    else
        std::cout << summaryText(*model, summary);
    return 0;
}

Json channelStats(const torch::Tensor& output)
{
    torch::Tensor t = output.detach().to(torch::kCPU, torch::kFloat32)[0];
    torch::Tensor mean, max;
    if (t.dim() == 0) {
        mean = max = t.reshape({1});
    } else if (t.dim() == 1) {
        mean = max = t;
    } else {
        auto flat = t.reshape({t.size(0), -1});
        mean = flat.mean(1);
        max = std::get<0>(flat.max(1));
    }
    auto list = [](const torch::Tensor& v) {
        std::vector<float> out(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
        return out;
    };
    return {{"channel_mean", list(mean.contiguous())}, {"channel_max", list(max.contiguous())}};
}

std::string outputPathFor(const std::string& out, const std::string& layer, size_t count)
{
    if (count == 1)
        return out;
    QFileInfo info(QString::fromStdString(out));
    QString safe = QString::fromStdString(layer);
    safe.replace(QLatin1Char('/'), QLatin1Char('_')).replace(QLatin1Char('#'), QLatin1Char('_'));
    return (info.path() + QLatin1Char('/') + info.completeBaseName() + QLatin1Char('_') + safe + QLatin1Char('.')
            + info.suffix())
        .toStdString();
}

int activationsCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("layer"), QStringLiteral("Layer to capture (repeatable)."), QStringLiteral("NAME")},
        {QStringLiteral("json"), QStringLiteral("Print JSON.")},
        {QStringLiteral("out"), QStringLiteral("Write each layer's channel maps as a grid PNG."), QStringLiteral("PNG")},
        {QStringLiteral("colormap"), QStringLiteral("gray (default), viridis, inferno or jet, for --out and --overlay."),
         QStringLiteral("NAME"), QStringLiteral("gray")},
        {QStringLiteral("normalize"),
         QStringLiteral("channel (each map to its own min..max, default) or shared (one range per layer, so maps compare)."),
         QStringLiteral("RANGE"), QStringLiteral("channel")},
        {QStringLiteral("overlay"),
         QStringLiteral("Write one channel of the first --layer, resized bilinearly, over the input image."),
         QStringLiteral("PNG")},
        {QStringLiteral("channel"), QStringLiteral("Channel for --overlay (default: the one with the highest maximum)."),
         QStringLiteral("N")},
    });
    cli::addInputOptions(parser);
    QStringList args = parse(parser, arguments, 0, 2,
                             "activations [MODEL] [IMAGE] --layer NAME [--layer NAME ...] [--data DATASET --index N] "
                             "[--json] [--out grid.png] [--colormap NAME] [--normalize channel|shared] "
                             "[--overlay PNG [--channel N]]");
    args = cli::withDefaultModel(args);
    const QStringList names = parser.values(QStringLiteral("layer"));
    if (names.isEmpty())
        throw Error("give at least one --layer NAME (run `convscope layers MODEL` for the names)");
    const Colormap colormap = colormapFromName(parser.value(QStringLiteral("colormap")).toStdString());
    const QString normalize = parser.value(QStringLiteral("normalize"));
    if (normalize != QLatin1String("channel") && normalize != QLatin1String("shared"))
        throw Error("unknown --normalize '" + normalize.toStdString() + "': use channel or shared");
    const MapRange range = normalize == QLatin1String("shared") ? MapRange::Shared : MapRange::PerChannel;
    if (parser.isSet(QStringLiteral("channel")) && !parser.isSet(QStringLiteral("overlay")))
        throw Error("--channel picks the channel of --overlay: give --overlay PNG too");
    auto model = loadFromArguments(parser, modelArgument(args));
    std::vector<int> layers;
    for (const auto& name : names)
        layers.push_back(model->layerIndex(name.toStdString()));
    const cli::Input input = cli::readInput(parser, args, *model);
    const torch::Tensor& pixels = input.pixels;
    const std::string& source = input.source;
    Model::Capture capture;
    {
        torch::NoGradGuard noGrad;
        capture = model->capture(pixels, layers, true);
    }
    torch::Tensor probs = torch::softmax(capture.logits[0].to(torch::kCPU, torch::kFloat32), 0);
    const int64_t k = std::min<int64_t>(5, probs.size(0));
    auto top = probs.topk(k);
    Json out;
    out["model"] = model->info().name;
    out["image"] = source;
    out["top"] = Json::array();
    for (int64_t i = 0; i < k; ++i) {
        const int64_t index = std::get<1>(top)[i].item<int64_t>();
        out["top"].push_back({{"index", index},
                              {"label", model->info().labels[static_cast<size_t>(index)]},
                              {"prob", std::get<0>(top)[i].item<double>()}});
    }
    out["layers"] = Json::array();
    for (size_t i = 0; i < layers.size(); ++i) {
        const auto& info = model->layers()[static_cast<size_t>(layers[i])];
        Json row;
        row["name"] = info.name;
        row["shape"] = info.shape;
        const Json stats = channelStats(capture.layers[i]);
        row["channel_mean"] = stats["channel_mean"];
        row["channel_max"] = stats["channel_max"];
        out["layers"].push_back(row);
        if (parser.isSet(QStringLiteral("out"))) {
            const std::string path = outputPathFor(parser.value(QStringLiteral("out")).toStdString(), info.name, layers.size());
            io::writeImage(path, tileGrid(activationTiles(capture.layers[i][0], range, colormap)));
            std::cerr << "convscope: wrote " << path << '\n';
        }
    }
    if (parser.isSet(QStringLiteral("overlay"))) {
        const auto& info = model->layers()[static_cast<size_t>(layers[0])];
        const torch::Tensor maps = capture.layers[0][0].to(torch::kCPU, torch::kFloat32);
        if (maps.dim() != 3)
            throw Error("--overlay needs a layer of channel maps; '" + info.name + "' has shape " + dimsText(info.shape));
        const int64_t channel = parser.isSet(QStringLiteral("channel"))
            ? cli::indexOption(parser, QStringLiteral("channel"), maps.size(0))
            : maps.flatten(1).amax(1).argmax().item<int64_t>();
        const std::string path = parser.value(QStringLiteral("overlay")).toStdString();
        io::writeImage(path, overlayMap(maps[channel], pixels[0], colormap));
        std::cerr << "convscope: wrote " << path << " (channel " << channel << " of " << info.name << ")\n";
        out["overlay"] = {{"layer", info.name}, {"channel", channel}, {"png", path}};
    }
    if (parser.isSet(QStringLiteral("json"))) {
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    std::cout << "top " << k << ":\n";
    for (const auto& t : out["top"])
        std::cout << "  " << pad(t["label"].get<std::string>(), 20) << std::fixed << std::setprecision(4)
                  << t["prob"].get<double>() << '\n';
    for (const auto& l : out["layers"]) {
        const auto& means = l["channel_mean"];
        const auto& maxes = l["channel_max"];
        size_t strongest = 0;
        for (size_t c = 1; c < maxes.size(); ++c)
            if (maxes[c].get<double>() > maxes[strongest].get<double>())
                strongest = c;
        double meanAll = 0;
        for (const auto& m : means)
            meanAll += m.get<double>();
        std::cout << l["name"].get<std::string>() << " " << dimsText(l["shape"].get<std::vector<int64_t>>())
                  << ": mean " << meanAll / static_cast<double>(std::max<size_t>(1, means.size()))
                  << ", strongest channel " << strongest << " (max " << maxes[strongest].get<double>() << ")\n";
    }
    return 0;
}

} // namespace

// In app/cli_topk.cpp.
namespace cli {
int topkCommand(QCommandLineParser& parser, const QStringList& arguments);
int topkMergeCommand(QCommandLineParser& parser, const QStringList& arguments);
} // namespace cli

namespace {

const std::vector<Command>& commands()
{
    static const std::vector<Command> list = {
        {"layers", "List the layers a model's forward() runs, with op and output shape.", layersCommand},
        {"summary", "Per-layer memory, parameters, FLOPs and receptive field.", summaryCommand},
        {"activations", "Run an image and report (and draw) chosen layers' activations.", activationsCommand},
        {"filters", "Draw a conv or linear layer's weights as image tiles.", cli::filtersCommand},
        {"train", "Train a built-in architecture (lenet5, minivgg) on a labeled dataset.", cli::trainCommand},
        {"topk", "The dataset images (and patches) that make each channel of a layer fire most.", cli::topkCommand},
        {"topk-merge", "Merge the shard results of `topk --shard i/n` into one.", cli::topkMergeCommand},
        {"occlusion", "Occlusion map: how the target class's score drops as a square hides each part of the image.",
         cli::occlusionCommand},
        {"saliency", "Gradient attribution: gradient, SmoothGrad, Integrated Gradients, Grad-CAM, guided backprop.",
         cli::saliencyCommand},
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
