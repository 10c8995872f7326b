// `convscope ascent`: the image a unit, a channel or a class wants to see.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "core/ascent.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "core/tensor_grid.h"
#include "io/image_io.h"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

// "0,3,7" -> {0, 3, 7}.
std::vector<int64_t> numberList(const QString& text, const char* option)
{
    std::vector<int64_t> out;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        out.push_back(part.trimmed().toLongLong(&ok));
        if (!ok)
            throw Error(std::string("--") + option + " wants whole numbers separated by commas, not '"
                        + text.toStdString() + "'");
    }
    return out;
}

// Preset defaults, then every knob the user set.
AscentOptions optionsFrom(const QCommandLineParser& parser)
{
    AscentOptions o = ascentPreset(ascentPresetFromName(parser.value(QStringLiteral("preset")).toStdString()));
    auto set = [&](const char* name) { return parser.isSet(QString::fromLatin1(name)); };
    if (set("steps"))
        o.steps = wholeOption(parser, QStringLiteral("steps"), 0);
    if (set("lr"))
        o.learningRate = numberOption(parser, QStringLiteral("lr"));
    if (set("l2"))
        o.l2 = numberOption(parser, QStringLiteral("l2"));
    if (set("decay"))
        o.decay = numberOption(parser, QStringLiteral("decay"));
    if (set("blur-every"))
        o.blurEvery = wholeOption(parser, QStringLiteral("blur-every"), 0);
    if (set("blur-sigma"))
        o.blurSigma = numberOption(parser, QStringLiteral("blur-sigma"));
    if (set("clip-percentile"))
        o.clipPercentile = numberOption(parser, QStringLiteral("clip-percentile"));
    if (set("jitter"))
        o.jitter = numberOption(parser, QStringLiteral("jitter"));
    if (set("rotate"))
        o.rotateDegrees = numberOption(parser, QStringLiteral("rotate"));
    if (set("scale")) {
        const QStringList parts = parser.value(QStringLiteral("scale")).split(QLatin1Char(','));
        bool ok1 = false, ok2 = false;
        if (parts.size() == 2) {
            o.scaleMin = parts[0].toDouble(&ok1);
            o.scaleMax = parts[1].toDouble(&ok2);
        }
        if (!ok1 || !ok2 || !(o.scaleMin > 0) || o.scaleMax < o.scaleMin)
            throw Error("--scale wants MIN,MAX with 0 < MIN <= MAX, e.g. 0.9,1.1");
    }
    if (set("upsample"))
        o.upsample = wholeOption(parser, QStringLiteral("upsample"), 1);
    if (set("no-fourier"))
        o.fourier = false;
    if (set("no-decorrelate"))
        o.decorrelate = false;
    o.seed = static_cast<uint64_t>(wholeOption(parser, QStringLiteral("seed"), 0));
    if (o.clipPercentile < 0 || o.clipPercentile >= 100)
        throw Error("--clip-percentile must lie in [0, 100)");
    if (o.decay < 0 || o.decay >= 1)
        throw Error("--decay must lie in [0, 1)");
    return o;
}

} // namespace

int ascentCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("layer"), QStringLiteral("Layer whose channel or unit to maximize (without it: a class)."),
         QStringLiteral("NAME")},
        {QStringLiteral("channel"), QStringLiteral("Channel(s) of --layer, or unit(s) of a linear --layer: C or C1,C2,..."),
         QStringLiteral("C")},
        {QStringLiteral("class"), QStringLiteral("Class(es) whose logit to maximize: C or C1,C2,..."), QStringLiteral("C")},
        {QStringLiteral("all"), QStringLiteral("Every channel of --layer (or every class), one image each, as one batch.")},
        {QStringLiteral("unit"),
         QStringLiteral("Maximize one unit of the channel map at Y,X (or 'centre') instead of the channel's mean."),
         QStringLiteral("Y,X")},
        {QStringLiteral("minimize"), QStringLiteral("Minimize the objective instead.")},
        {QStringLiteral("preset"), QStringLiteral("plain (default), yosinski or lucid."), QStringLiteral("NAME"),
         QStringLiteral("plain")},
        {QStringLiteral("steps"), QStringLiteral("Steps (preset: 200, lucid 512)."), QStringLiteral("N")},
        {QStringLiteral("lr"), QStringLiteral("Learning rate (RMS pixel change per step: plain 0.01, yosinski 0.1; lucid: Adam's, 0.05)."),
         QStringLiteral("R")},
        {QStringLiteral("seed"), QStringLiteral("Seed of the start noise and the random transforms (default 0)."),
         QStringLiteral("S"), QStringLiteral("0")},
        {QStringLiteral("from"), QStringLiteral("Start from this image instead of noise."), QStringLiteral("IMAGE")},
        {QStringLiteral("l2"), QStringLiteral("L2 penalty towards the mean image (plain: 0.001)."), QStringLiteral("W")},
        {QStringLiteral("decay"), QStringLiteral("L2 decay per step (yosinski: 0.0001)."), QStringLiteral("D")},
        {QStringLiteral("blur-every"), QStringLiteral("Blur every N steps (yosinski: 4; 0: never)."), QStringLiteral("N")},
        {QStringLiteral("blur-sigma"), QStringLiteral("Blur radius (Gaussian sigma, yosinski: 1)."), QStringLiteral("S")},
        {QStringLiteral("clip-percentile"), QStringLiteral("Pixels weaker than this percentile become the mean (yosinski: 20)."),
         QStringLiteral("P")},
        {QStringLiteral("jitter"), QStringLiteral("Lucid: random shift in input pixels (default: 12 at 224 px, scaled to the input)."), QStringLiteral("PX")},
        {QStringLiteral("scale"), QStringLiteral("Lucid: random zoom range (0.9,1.1)."), QStringLiteral("MIN,MAX")},
        {QStringLiteral("rotate"), QStringLiteral("Lucid: random rotation in degrees, +- (10)."), QStringLiteral("DEG")},
        {QStringLiteral("upsample"), QStringLiteral("Lucid: optimize at N times the input size (default: up to 112 px)."),
         QStringLiteral("N")},
        {QStringLiteral("no-fourier"), QStringLiteral("Lucid: optimize pixels, not a Fourier spectrum.")},
        {QStringLiteral("no-decorrelate"), QStringLiteral("Lucid: no colour decorrelation.")},
        {QStringLiteral("out"), QStringLiteral("Write the image (a grid for several) as a PNG."), QStringLiteral("PNG")},
        {QStringLiteral("json"), QStringLiteral("Print JSON: the objective at start and end per image, steps, seconds.")},
    });
    const QStringList args = parse(parser, arguments, 0, 1,
        "ascent [MODEL] [--layer NAME] [--channel C | --class C | --all] [--unit Y,X] [--minimize] "
        "[--preset plain|yosinski|lucid] [--steps N] [--seed S] [--from IMAGE] [--out img.png] [--json]");
    const bool hasLayer = parser.isSet(QStringLiteral("layer"));
    const int picks = int(parser.isSet(QStringLiteral("channel"))) + int(parser.isSet(QStringLiteral("class")))
        + int(parser.isSet(QStringLiteral("all")));
    if (picks != 1)
        throw Error("give one of --channel C (with --layer), --class C or --all");
    if (parser.isSet(QStringLiteral("channel")) && !hasLayer)
        throw Error("--channel needs --layer NAME (or use --class C for a class)");
    if (parser.isSet(QStringLiteral("class")) && hasLayer)
        throw Error("--class maximizes a class score: drop --layer, or use --channel");
    AscentOptions options = optionsFrom(parser);

    auto model = loadFromArguments(parser, modelArgument(args));
    const auto& in = model->info().input;
    AscentObjective objective;
    int64_t count = model->info().outputs;
    std::string layerName = "logits";
    if (hasLayer) {
        objective.layer = model->layerIndex(parser.value(QStringLiteral("layer")).toStdString());
        const LayerInfo& info = model->layers()[static_cast<size_t>(objective.layer)];
        layerName = info.name;
        count = info.shape.empty() ? 0 : info.shape[0];
    }
    if (parser.isSet(QStringLiteral("unit"))) {
        const QString unit = parser.value(QStringLiteral("unit"));
        objective.channelMean = false;
        if (unit != QLatin1String("centre") && unit != QLatin1String("center")) {
            const std::vector<int64_t> yx = numberList(unit, "unit");
            if (yx.size() != 2)
                throw Error("--unit wants Y,X (or 'centre')");
            objective.y = yx[0];
            objective.x = yx[1];
        }
    }
    objective.minimize = parser.isSet(QStringLiteral("minimize"));
    std::vector<int64_t> units;
    if (parser.isSet(QStringLiteral("all"))) {
        for (int64_t c = 0; c < count; ++c)
            units.push_back(c);
    } else {
        const bool isClass = parser.isSet(QStringLiteral("class"));
        units = numberList(parser.value(isClass ? QStringLiteral("class") : QStringLiteral("channel")),
                           isClass ? "class" : "channel");
    }
    if (parser.isSet(QStringLiteral("from")))
        options.start = io::readImage(parser.value(QStringLiteral("from")).toStdString(), in[0], in[1], in[2])[0];
    const AscentResult result = ascend(*model, objective, units, options);

    std::string png;
    if (parser.isSet(QStringLiteral("out"))) {
        png = parser.value(QStringLiteral("out")).toStdString();
        io::writeImage(png, result.images.size(0) == 1 ? result.images[0] : tileGrid(result.images));
        std::cerr << "convscope: wrote " << png << '\n';
    }
    const std::string what = objective.layer < 0 ? "class logit"
        : model->layers()[static_cast<size_t>(objective.layer)].shape.size() == 1 ? "unit"
        : objective.channelMean ? "channel mean" : "channel unit";
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model->info().name;
        out["layer"] = layerName;
        out["objective"] = what;
        out["minimize"] = objective.minimize;
        out["preset"] = ascentPresetName(options.preset);
        out["steps"] = result.steps;
        out["seconds"] = result.seconds;
        out["image_size"] = std::vector<int64_t>{result.images.size(1), result.images.size(2), result.images.size(3)};
        out["images"] = Json::array();
        for (size_t i = 0; i < units.size(); ++i)
            out["images"].push_back({{"unit", units[i]}, {"start", result.startValues[i]}, {"end", result.endValues[i]}});
        if (!png.empty())
            out["png"] = png;
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    std::cout << ascentPresetName(options.preset) << " ascent of " << units.size() << " " << what
              << (units.size() == 1 ? "" : "s") << " of " << layerName << ": " << result.steps << " steps in "
              << std::setprecision(3) << result.seconds << " s\n";
    for (size_t i = 0; i < units.size() && i < 16; ++i)
        std::cout << "  " << pad(std::to_string(units[i]), 6) << std::setprecision(4) << result.startValues[i] << " -> "
                  << result.endValues[i] << '\n';
    if (units.size() > 16)
        std::cout << "  ... (" << units.size() - 16 << " more; --json lists all)\n";
    return 0;
}

} // namespace convscope::cli
