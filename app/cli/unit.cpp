// `convscope unit`: the Unit page of one channel, headless: the same panels
// the tab computes (app/views/unit/run), drawn by the same widget into a PNG,
// and its numbers as JSON.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "app/shell/atomic_save.h"
#include "app/shell/defaults.h"
#include "app/views/unit/page.h"
#include "app/views/unit/run.h"
#include "app/views/unit/tab.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "io/datasets.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>

#include <cmath>
#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

Json tensorJson(const torch::Tensor& t)
{
    const torch::Tensor m = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    if (m.dim() == 1) {
        const double* v = m.data_ptr<double>();
        return std::vector<double>(v, v + m.size(0));
    }
    Json rows = Json::array();
    for (int64_t r = 0; r < m.size(0); ++r)
        rows.push_back(tensorJson(m[r]));
    return rows;
}

Json supportJson(const std::vector<SupportedClass>& list, const Model& model)
{
    Json out = Json::array();
    for (const auto& s : list)
        out.push_back({{"class", s.index}, {"label", labelName(model, s.index)}, {"weight", s.weight}});
    return out;
}

} // namespace

int unitCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    addInputOptions(parser);
    parser.addOptions({
        {QStringLiteral("layer"), QStringLiteral("The layer (run `convscope layers MODEL` for the names)."),
         QStringLiteral("NAME")},
        {QStringLiteral("channel"), QStringLiteral("The channel of the layer (default 0)."), QStringLiteral("C"),
         QStringLiteral("0")},
        {QStringLiteral("method"),
         QStringLiteral("Where the strongest unit comes from: guided (backprop, default) or deconvnet."),
         QStringLiteral("METHOD"), QStringLiteral("guided")},
        {QStringLiteral("ascent"),
         QStringLiteral("Make the gradient-ascent image (Lucid preset) if it is not cached yet.")},
        {QStringLiteral("ascent-steps"), QStringLiteral("Steps of that ascent (default: the preset's)."),
         QStringLiteral("N")},
        {QStringLiteral("ascent-preset"), QStringLiteral("lucid (default), yosinski or plain."), QStringLiteral("NAME"),
         QStringLiteral("lucid")},
        {QStringLiteral("out"), QStringLiteral("Write the page as a PNG (1280x720 unless --size)."),
         QStringLiteral("PNG")},
        {QStringLiteral("size"), QStringLiteral("The PNG's size (default 1280x720)."), QStringLiteral("WxH"),
         QStringLiteral("1280x720")},
        {QStringLiteral("cache"),
         QStringLiteral("Keep the dataset scans here (default: the Patches and Unit caches under "
                        "$XDG_CACHE_HOME/convscope)."),
         QStringLiteral("DIR")},
        {QStringLiteral("no-cache"), QStringLiteral("Neither read nor write the scans.")},
        {QStringLiteral("with-backprop"),
         QStringLiteral("Add the strongest unit's input gradient (C x H x W) to --json.")},
        {QStringLiteral("json"), QStringLiteral("Print the page's numbers as JSON.")},
    });
    const QStringList args = withDefaultModel(parse(parser, arguments, 0, 2,
        "unit [MODEL] [IMAGE] --layer NAME --channel C [--data DATASET] [--method guided|deconvnet] [--ascent] "
        "[--out unit.png] [--json]"));
    if (!parser.isSet(QStringLiteral("layer")))
        throw Error("give --layer NAME (run `convscope layers MODEL` for the names)");
    const QString method = parser.value(QStringLiteral("method"));
    if (method != QLatin1String("guided") && method != QLatin1String("deconvnet"))
        throw Error("unknown --method '" + method.toStdString() + "': use guided or deconvnet");
    const ReluGradient relu = method == QLatin1String("guided") ? ReluGradient::Guided : ReluGradient::Deconvnet;
    const int64_t channelWanted = wholeOption(parser, QStringLiteral("channel"), 0);
    const QSize size = sizeOption(parser, QSize(640, 360));
    UnitAscentSettings ascent;
    ascent.preset = ascentPresetFromName(parser.value(QStringLiteral("ascent-preset")).toStdString());
    if (parser.isSet(QStringLiteral("ascent-steps")))
        ascent.steps = wholeOption(parser, QStringLiteral("ascent-steps"), 1);
    // --cache DIR holds both scans; by default each has the GUI's own folder.
    const std::string topkCache = cacheOption(parser, "topk");
    const std::string scoresCache = cacheOption(parser, "unit");

    auto model = loadFromArguments(parser, modelArgument(args));
    const int layer = model->layerIndex(parser.value(QStringLiteral("layer")).toStdString());
    checkChannel(*model, layer, channelWanted);
    const Input input = readInput(parser, args, model);
    const int64_t channel = channelWanted;
    const auto start = std::chrono::steady_clock::now();
    const UnitInputPanels panels = computeInputPanels(*model, input.pixels, layer, channel, relu);

    // The dataset's panels: from --data, or from the dataset the input came from.
    std::shared_ptr<Dataset> dataset;
    std::shared_ptr<const UnitScan> scan;
    UnitDatasetPanels datasetPanels;
    if (parser.isSet(QStringLiteral("data")) || args.size() < 2) {
        const auto& in = model->info().input;
        dataset = std::shared_ptr<Dataset>(
            io::openDataset(parser.value(QStringLiteral("data")).toStdString(), {in[0], in[1], in[2]}));
        scan = scanForUnits(*model, dataset, layer, topkCache, scoresCache, stderrProgress("unit"), nullptr);
        datasetPanels = computeDatasetPanels(*model, *scan, channel, relu);
    }

    // The gradient-ascent image, from the GUI's cache or made now.
    const std::string hash = scan ? scan->scores.modelHash : fileSha256(model->info().path);
    const QString key = ascentKey(hash, panels.layer, channel, ascent);
    const QString file = ascentFile(UnitTab::ascentCacheDir(), key);
    QImage ascentImage;
    if (!UnitTab::ascentCacheDir().isEmpty() && QFileInfo::exists(file))
        ascentImage.load(file);
    if (ascentImage.isNull() && parser.isSet(QStringLiteral("ascent"))) {
        ascentImage = computeUnitAscent(*model, layer, channel, ascent, stderrProgress("unit", true), nullptr);
        if (!UnitTab::ascentCacheDir().isEmpty()) {
            QDir().mkpath(UnitTab::ascentCacheDir());
            savePngAtomically(ascentImage, file);
        }
    }
    const double seconds = secondsSince(start);

    if (parser.isSet(QStringLiteral("out"))) {
        if (!qobject_cast<QGuiApplication*>(QCoreApplication::instance()))
            throw Error("--out draws the page and needs the GUI libraries (run as `convscope unit …`)");
        UnitPage page;
        page.setHeading(QString::fromStdString(model->info().name), panels.layer, channel, panels.channels);
        page.setInputPanels(panels);
        if (scan)
            page.setDatasetPanels(datasetPanels);
        else
            page.setDatasetMessage(QObject::tr("Give --data DATASET for the top-9 patches and the statistics."));
        if (!ascentImage.isNull())
            page.setAscent(ascentImage, QObject::tr("maximizes the channel's mean (%1 preset)")
                                            .arg(QString::fromStdString(ascentPresetName(ascent.preset))));
        else
            page.setAscentMessage(QObject::tr("Not made: add --ascent."));
        page.resize(size);
        page.setAttribute(Qt::WA_DontShowOnScreen);
        page.show();
        QCoreApplication::processEvents();
        const QString why = savePngAtomically(page.grab().toImage(), parser.value(QStringLiteral("out")));
        if (!why.isEmpty())
            throw Error(why.toStdString());
    }

    const LayerInfo& info = model->layers()[static_cast<size_t>(layer)];
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model->info().name;
        out["image"] = input.source;
        out["layer"] = info.name;
        out["channel"] = channel;
        out["channels"] = panels.channels;
        out["method"] = method.toStdString();
        Json field = {{"size", {panels.fieldSize[0], panels.fieldSize[1]}},
                      {"box", {panels.field.y(), panels.field.x(), panels.field.y() + panels.field.height(),
                               panels.field.x() + panels.field.width()}}};
        if (info.hasField)
            field["jump"] = {info.field[0].jump, info.field[1].jump};
        out["receptive_field"] = field;
        out["activation"] = {{"mean", panels.mean}, {"max", panels.max}, {"argmax", {panels.argY, panels.argX}}};
        if (parser.isSet(QStringLiteral("with-backprop"))) {
            const auto unit = unitBackprops(*model, input.pixels, layer, channel, relu).at(0);
            out["backprop"] = {{"y", unit.y}, {"x", unit.x}, {"value", unit.value}, {"gradient", tensorJson(unit.gradient)}};
        }
        if (scan) {
            out["dataset"] = dataset->identity();
            out["top"] = Json::parse(topkHitsJson(datasetPanels.hits));
            const ChannelStats& stats = datasetPanels.stats;
            out["images"] = stats.images;
            out["dead_fraction"] = stats.deadFraction;
            out["histogram"] = {{"of", "max per image"}, {"edges", stats.edges}, {"counts", stats.counts}};
            Json means = Json::array();
            for (double m : stats.classMeans)
                means.push_back(std::isfinite(m) ? Json(m) : Json(nullptr));
            out["class_means"] = means;
        }
        const ClassSupport support = scan ? scan->support : classSupport(*model, layer);
        if (support.defined) {
            std::vector<SupportedClass> top, bottom;
            rankSupport(support, channel, 5, top, bottom);
            out["supports"] = {{"top", supportJson(top, *model)},
                               {"bottom", supportJson(bottom, *model)},
                               {"path", support.path}};
        } else {
            out["supports"] = nullptr;
            out["supports_reason"] = support.reason;
        }
        out["ascent"] = !ascentImage.isNull();
        out["seconds"] = seconds;
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << info.name << " channel " << channel << " of " << panels.channels << ": mean "
              << std::setprecision(4) << panels.mean << ", max " << panels.max << " at (" << panels.argY << ", "
              << panels.argX << "); " << panels.fieldText.toStdString() << '\n';
    if (scan)
        std::cout << "dead on " << std::setprecision(3) << 100 * datasetPanels.stats.deadFraction << " % of "
                  << datasetPanels.stats.images << " images; best image #"
                  << (datasetPanels.hits.empty() ? -1 : datasetPanels.hits.front().image) << '\n';
    return 0;
}

} // namespace convscope::cli
