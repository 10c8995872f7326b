#pragma once

// What the Saliency tab computes, apart from the widgets: one request
// (occlusion or a gradient method, with its parameters) in; the map, the
// pictures that do not depend on the colormap, and a caption out. Runs on the
// model's worker. Not seen by moc: included from .cpp files only.

#include "core/map_similarity.h"
#include "core/occlusion.h"
#include "core/randomization.h"
#include "core/saliency.h"

#include <torch/script.h>

#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>

namespace convscope {

class Model;
struct JobContext;

// The methods the tab offers, in its picker's order.
struct SaliencyMethodEntry {
    const char* key;   // "occlusion" or a name of saliencyMethodNames()
    const char* title; // for tr() in the SaliencyTab context
    const char* tip;
};
const std::vector<SaliencyMethodEntry>& saliencyMethodEntries();
// The entry for `key`; occlusion's if there is none such.
const SaliencyMethodEntry& saliencyMethodEntry(const QString& key);
QString saliencyMethodTitle(const QString& key);
QString saliencyMethodTip(const QString& key);

struct SaliencyRequest {
    QString method; // a SaliencyMethodEntry key
    OcclusionOptions occlusion;
    SaliencyOptions saliency; // its method follows `method` unless occlusion
    // Occlusion and Score-CAM only: above 0, first time a few forward passes
    // and run the whole only if it is estimated to take at most this long.
    double autoStartSeconds = 0;
    // The sanity check's one step (sanity_controls.h), gradient methods only:
    // the same map on a copy of the model with layers re-initialized, and
    // how alike the two are.
    bool randomize = false;
    Randomization randomization = Randomization::Cascading;
    int randomizeStep = 0, randomizeSteps = 0;
    uint64_t randomizeSeed = 0;
    QString randomizedLayers; // what step randomizeStep re-initializes, for the caption
    bool isOcclusion() const { return method == QLatin1String("occlusion"); }
    Score score() const { return isOcclusion() ? occlusion.score : saliency.score; }
};

struct SaliencyRun {
    QString method;
    torch::Tensor input;   // [C, H, W]
    torch::Tensor heatmap; // [H, W], contiguous CPU float
    torch::Tensor classAt; // occlusion: [H, W] the class drawn at each pixel of classImage
    QImage inputImage;
    QImage classImage;  // occlusion: the class under each window, at input resolution
    QImage guidedImage; // guided methods: the signed attribution in colour
    QString guidedTitle;
    QStringList legend; // occlusion: "281: tabby — 12 windows", most windows first
    QVector<QColor> legendColours;
    QString caption; // method, target and score, prediction, parameters, time
    // With request.randomize: the map on the randomized copy, its title, and
    // the four similarities to the map above.
    torch::Tensor randomizedHeatmap;
    QString randomizedTitle;
    MapSimilarity similarity;
    // Set (and nothing else drawn) when an occlusion or Score-CAM was
    // estimated to take longer than autoStartSeconds: what it would take, in words.
    QString estimate;
};

SaliencyRun runSaliency(Model& model, const torch::Tensor& pixels, const SaliencyRequest& request,
                        const JobContext& job);

// "gray (0.5)", "black (0)", "dataset mean", "blurred input" for baselineNames().
QString baselineTitle(const QString& name);

} // namespace convscope
