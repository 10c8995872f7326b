#include "app/views/unit/run.h"

#include "app/shell/tensor_image.h"
#include "core/activation_maps.h"
#include "core/colormap.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/filters.h"
#include "core/model.h"
#include "core/tensor_grid.h"

#include <QCryptographicHash>
#include <QDir>

#include <algorithm>

namespace convscope {

namespace {

QString layerName(const Model& model, int layer)
{
    return QString::fromStdString(model.layers()[static_cast<size_t>(layer)].name);
}

// The channel's filter as a grid of its input-channel slices, each slice
// scaled with the filter's own range so that slices compare.
void fillFilter(Model& model, int layer, int64_t channel, UnitInputPanels& panels)
{
    const int source = weightLayer(model, layer);
    if (source < 0) {
        panels.filterText = QObject::tr("no weights make this channel alone (it mixes channels before it)");
        return;
    }
    const QString sourceName = QString::fromStdString(model.layers()[static_cast<size_t>(source)].name);
    try {
        const FilterSet set = filterWeights(model, source);
        const int64_t in = set.weights.size(1);
        panels.filter = toQImage(tileGrid(oneFilterTiles(set, channel, FilterRange::PerFilter), 0, 1, 1));
        panels.filterText = QObject::tr("%1 filter %2: %3 slice%4 of %5 x %6")
                                .arg(sourceName)
                                .arg(channel)
                                .arg(in)
                                .arg(in == 1 ? QString() : QStringLiteral("s"))
                                .arg(set.weights.size(2))
                                .arg(set.weights.size(3));
    } catch (const Error&) {
        // A linear layer fed by another one: its row of weights has no image
        // shape, so it is drawn as a strip, one pixel per input unit.
        const torch::Tensor row = model.graph().weight(source).detach().to(torch::kCPU, torch::kFloat32)[channel];
        const double lo = row.min().item<double>(), span = row.max().item<double>() - lo;
        panels.filter = toQImage((span > 0 ? (row - lo) / span : torch::zeros_like(row)).view({1, -1}));
        panels.filterText = QObject::tr("%1 row %2: %3 weights, one per input unit").arg(sourceName).arg(channel).arg(row.size(0));
    }
}

} // namespace

QImage gradientImage(const torch::Tensor& gradient)
{
    const double top = gradient.abs().max().item<double>();
    const torch::Tensor shown = top > 0 ? gradient / (2 * top) + 0.5 : torch::full_like(gradient, 0.5);
    return toQImage(shown.clamp(0, 1));
}

UnitInputPanels computeInputPanels(Model& model, const torch::Tensor& pixels, int layer, int64_t channel,
                                   ReluGradient relu)
{
    checkChannel(model, layer, channel);
    const ChannelShape shape = channelShape(model, layer);
    const LayerInfo& info = model.layers()[static_cast<size_t>(layer)];
    UnitInputPanels panels;
    panels.layer = layerName(model, layer);
    panels.channel = channel;
    panels.channels = shape.channels;
    panels.relu = relu;
    fillFilter(model, layer, channel, panels);

    const torch::Tensor image = pixels.dim() == 4 ? pixels[0] : pixels;
    panels.input = toQImage(image);
    const UnitBackprop strongest = unitBackprops(model, image.unsqueeze(0), layer, channel, relu).at(0);
    panels.argY = strongest.y;
    panels.argX = strongest.x;
    panels.backprop = gradientImage(strongest.gradient);
    {
        const torch::Tensor& map = strongest.map; // from the same forward pass
        panels.mean = map.mean().item<double>();
        panels.max = map.max().item<double>();
        panels.activation = toQImage(overlayMap(map, image, Colormap::Viridis, 0.6));
        const double lo = map.min().item<double>(), span = panels.max - lo;
        panels.map = toQImage(applyColormap(span > 0 ? (map - lo) / span : torch::zeros_like(map), Colormap::Viridis));
    }
    const auto& in = model.info().input;
    bool clipped = false;
    const auto box = receptiveBox(info, strongest.y, strongest.x, in[1], in[2], &clipped);
    panels.field = QRect(static_cast<int>(box[1]), static_cast<int>(box[0]), static_cast<int>(box[3] - box[1]),
                         static_cast<int>(box[2] - box[0]));
    if (info.hasField) {
        panels.fieldSize[0] = info.field[0].size;
        panels.fieldSize[1] = info.field[1].size;
        panels.fieldText = QObject::tr("receptive field %1 × %2 px, step %3 px%4")
                               .arg(info.field[0].size)
                               .arg(info.field[1].size)
                               .arg(info.field[0].jump)
                               .arg(clipped ? QObject::tr(" (cut by the border)") : QString());
    } else {
        panels.fieldSize[0] = static_cast<double>(in[1]);
        panels.fieldSize[1] = static_cast<double>(in[2]);
        panels.fieldText = QObject::tr("receptive field: the whole input");
    }
    return panels;
}

std::shared_ptr<const UnitScan> scanForUnits(Model& model, const std::shared_ptr<Dataset>& dataset, int layer,
                                             const std::string& topkCache, const std::string& scoresCache,
                                             const ProgressFn& progress, const CancelFlag* cancel)
{
    channelShape(model, layer); // Error for a layer without channels, before any scan
    auto scan = std::make_shared<UnitScan>();
    scan->dataset = dataset;
    scan->layer = layer;
    const auto half = [&progress](double from) -> ProgressFn {
        if (!progress)
            return {};
        return [progress, from](double fraction, const std::string& stage) {
            progress(fraction < 0 ? fraction : from + 0.5 * fraction, stage);
        };
    };
    TopkOptions options;
    options.k = 9;
    options.score = TopkScore::Max;
    options.cacheDir = topkCache;
    scan->topk = topkScan(model, *dataset, {layer}, options, half(0), cancel).at(0);
    scan->scores = scanLayerScores(model, *dataset, layer, scoresCache, half(0.5), cancel);
    scan->support = classSupport(model, layer);
    return scan;
}

UnitDatasetPanels computeDatasetPanels(Model& model, const UnitScan& scan, int64_t channel, ReluGradient relu)
{
    checkChannel(model, scan.layer, channel);
    Dataset& dataset = *scan.dataset;
    UnitDatasetPanels panels;
    panels.datasetName = QString::fromStdString(dataset.description());
    for (const auto& name : model.info().labels)
        panels.outputs << QString::fromStdString(name);
    bool numbered = true;
    for (const auto& name : dataset.classes()) {
        panels.classes << QString::fromStdString(name);
        numbered = numbered && name == std::to_string(panels.classes.size() - 1);
    }
    // An idx file numbers its classes; a model trained on it may name them.
    if (numbered && panels.classes.size() == panels.outputs.size())
        panels.classes = panels.outputs;
    panels.hits = scan.topk.channels.at(static_cast<size_t>(channel));
    if (!panels.hits.empty()) {
        std::vector<torch::Tensor> images;
        std::vector<std::pair<int64_t, int64_t>> at;
        for (const auto& hit : panels.hits) {
            images.push_back(dataset.image(hit.image));
            at.emplace_back(hit.y, hit.x);
        }
        // One backward pass for the nine: each image's gradient is its own unit's.
        const auto backprops = unitBackprops(model, torch::stack(images), scan.layer, channel, relu, at);
        for (size_t i = 0; i < panels.hits.size(); ++i) {
            const TopkHit& hit = panels.hits[i];
            panels.patches << toQImage(cropBox(images[i], hit.box));
            panels.backprops << gradientImage(cropBox(backprops[i].gradient, hit.box));
            const QString label = hit.label >= 0 && hit.label < panels.classes.size() ? panels.classes[hit.label]
                                                                                      : QString();
            panels.captions << QStringLiteral("#%1 %2 · %3").arg(hit.image).arg(label).arg(hit.score, 0, 'g', 3);
        }
    }
    panels.stats = channelStats(scan.scores, channel);
    if (scan.support.defined) {
        rankSupport(scan.support, channel, 5, panels.top, panels.bottom);
        QStringList path;
        for (const auto& name : scan.support.path)
            path << QString::fromStdString(name);
        panels.supportText = QObject::tr("through %1").arg(path.join(QStringLiteral(" → ")));
    } else {
        panels.supportText = QString::fromStdString(scan.support.reason);
    }
    return panels;
}

QImage computeUnitAscent(Model& model, int layer, int64_t channel, const UnitAscentSettings& settings,
                         const ProgressFn& progress, const CancelFlag* cancel)
{
    checkChannel(model, layer, channel);
    AscentObjective objective;
    objective.layer = layer;
    objective.channelMean = true;
    AscentOptions options = ascentPreset(settings.preset);
    if (settings.steps > 0)
        options.steps = settings.steps;
    options.seed = settings.seed;
    options.measureIfCancelled = false;
    const int64_t steps = options.steps;
    const AscentResult result = ascend(
        model, objective, {channel}, options,
        [&](int64_t step, const torch::Tensor&, const std::vector<double>&) {
            if (progress)
                progress(static_cast<double>(step) / static_cast<double>(steps),
                         "gradient ascent: step " + std::to_string(step) + " / " + std::to_string(steps));
        },
        cancel);
    if (result.cancelled)
        throw Cancelled();
    return toQImage(result.images[0]);
}

QString ascentKey(const std::string& modelHash, const QString& layer, int64_t channel, const UnitAscentSettings& settings)
{
    // The preset's own steps spelled out or left at 0 are the same image.
    const int64_t steps = settings.steps > 0 ? settings.steps : ascentPreset(settings.preset).steps;
    return QStringLiteral("%1/%2/%3/%4/%5/%6")
        .arg(QString::fromStdString(modelHash), layer)
        .arg(channel)
        .arg(QString::fromStdString(ascentPresetName(settings.preset)))
        .arg(steps)
        .arg(settings.seed);
}

QString ascentFile(const QString& dir, const QString& key)
{
    const QByteArray digest = QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex().left(32);
    return QDir(dir).filePath(QString::fromLatin1(digest) + QStringLiteral(".png"));
}

} // namespace convscope
