// `convscope activations`: the Activations view's maps and numbers.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "core/activation_maps.h"
#include "core/colormap.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "core/tensor_grid.h"
#include "io/image_io.h"

#include <QCommandLineParser>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

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

} // namespace

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
    const cli::Input input = cli::readInput(parser, args, model);
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

} // namespace convscope::cli
