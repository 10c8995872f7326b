#pragma once

// What the Unit page computes, apart from the widgets: core calls on the
// model's worker, results as images and numbers ready to draw. The tab and
// `convscope unit` both build the page from these. Not seen by moc: included
// from .cpp files only.

#include "core/ascent.h"
#include "core/layer_graph.h"
#include "core/progress.h"
#include "core/topk.h"
#include "core/unit.h"
#include "core/unit_stats.h"

#include <QImage>
#include <QRect>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>

namespace convscope {

class Dataset;
class Model;

// Panels 1-3 and 7 of the page, for one input: the filter, the activation,
// where the strongest unit comes from and its receptive field.
struct UnitInputPanels {
    QString layer;
    int64_t channel = 0, channels = 0;
    QImage filter;          // the input-channel slices of its filter, as a grid (null when none)
    QString filterText;     // which weights, or why there are none
    QImage input;           // the input, RGB
    QImage activation;      // the channel's map over the input (viridis)
    QImage map;             // the map alone, at its own size
    double mean = 0, max = 0;
    int64_t argY = 0, argX = 0; // the strongest unit
    ReluGradient relu = ReluGradient::Guided;
    QImage backprop;        // its guided backprop or deconvnet in pixels: 0.5 gray is zero
    QRect field;            // its receptive field in input pixels (clipped)
    QString fieldText;      // "receptive field 16 x 16 px, step 4 px"
    double fieldSize[2] = {1, 1};
};

UnitInputPanels computeInputPanels(Model& model, const torch::Tensor& pixels, int layer, int64_t channel,
                                   ReluGradient relu);

// One dataset scan per layer: its top-9 per channel (the Patches tab's
// cache, shared) and every image's channel means and maxima (the Unit
// cache). Progress: the first half is top-k, the second the scores.
struct UnitScan {
    std::shared_ptr<Dataset> dataset;
    int layer = -1;
    TopkResult topk;
    LayerScores scores;
    ClassSupport support;
};
std::shared_ptr<const UnitScan> scanForUnits(Model& model, const std::shared_ptr<Dataset>& dataset, int layer,
                                             const std::string& topkCache, const std::string& scoresCache,
                                             const ProgressFn& progress, const CancelFlag* cancel);

// Panels 4 and 6: the top-9 patches with their own backprop, and the statistics.
struct UnitDatasetPanels {
    QVector<QImage> patches, backprops; // the receptive field's crop of each hit, and its backprop
    QStringList captions;               // "#123 Shirt · 4.21"
    std::vector<TopkHit> hits;
    ChannelStats stats;
    QStringList classes;                     // the dataset's (the model's where the dataset only numbers them)
    QStringList outputs;                     // the model's class names, which the support ranks
    std::vector<SupportedClass> top, bottom; // support, when defined
    QString supportText;                     // the path, or why there is no support
    QString datasetName;
};
UnitDatasetPanels computeDatasetPanels(Model& model, const UnitScan& scan, int64_t channel, ReluGradient relu);

// Panel 5: the image that maximizes the channel's mean (Lucid's preset by
// default), computed on demand. Cached by the caller per model, layer,
// channel and settings (ascentKey).
struct UnitAscentSettings {
    AscentPreset preset = AscentPreset::Lucid;
    int64_t steps = 0; // 0: the preset's
    uint64_t seed = 0;
};
QImage computeUnitAscent(Model& model, int layer, int64_t channel, const UnitAscentSettings& settings,
                         const ProgressFn& progress, const CancelFlag* cancel);
// "<sha of model>/<layer>/<channel>/<preset>/<steps>/<seed>": the cache key,
// and the file it is kept in under `dir`.
QString ascentKey(const std::string& modelHash, const QString& layer, int64_t channel,
                  const UnitAscentSettings& settings);
QString ascentFile(const QString& dir, const QString& key);

// A signed gradient [C, H, W] as a picture: zero is mid-gray, the largest
// magnitude black or white (per image), as DVT's deconv pane.
QImage gradientImage(const torch::Tensor& gradient);

} // namespace convscope
