#pragma once

// What the sanity check shows, apart from the widgets: a core SanityResult
// turned into the figure (app/views/saliency/sanity_figure.h) and the CSV,
// the same for the Saliency tab and `convscope sanity`. Not seen by moc.

#include "app/views/saliency/sanity_figure.h"
#include "core/colormap.h"
#include "core/sanity.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace convscope {

class Model;
struct JobContext;
struct SaliencyRequest;
struct SaliencyRun;
struct SaliencyResult;

// The similarities, by their JSON/CSV keys: spearman_abs, spearman, ssim, hog.
const std::vector<std::string>& sanityMetricNames();
// Error listing the names when `name` is none of them.
void checkSanityMetric(const std::string& name);
double similarityValue(const MapSimilarity& similarity, const std::string& metric);
// "Spearman rank correlation (absolute values)", ...
QString sanityMetricTitle(const std::string& metric);

// Every method the sanity check can run, in the Saliency tab's order.
std::vector<SaliencyMethod> allSanityMethods();

// The figure of `result` so far (cells not computed yet are empty), maps
// coloured with `colormap`, the chart showing `metric`. `input` [C, H, W].
SanityFigure sanityFigure(const Model& model, const SanityResult& result, const torch::Tensor& input,
                          Colormap colormap, const std::string& metric, uint64_t seed);

// The Saliency tab's one step (request.randomize): the request's map again
// on a randomized copy of `model`, the target held at the trained model's
// (`original`'s), into run's randomized fields with the similarities. The
// copy is kept for the next step of the same model and seed; on the model's
// worker only.
void addRandomizedMap(Model& model, const SaliencyRequest& request, const SaliencyResult& original,
                      const JobContext& job, SaliencyRun& run);
// Lets the kept copy go (the slider went back to off, or another model came).
void releaseRandomizedCopy();

// method,step,layer,spearman_abs,spearman,ssim,hog — one row per cell.
QByteArray sanityCsv(const SanityResult& result);

} // namespace convscope
