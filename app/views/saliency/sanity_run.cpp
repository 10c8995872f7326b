#include "app/views/saliency/sanity_run.h"

#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "app/views/saliency/run.h"
#include "core/error.h"
#include "core/heatmap.h"
#include "core/model.h"

#include <QCoreApplication>

#include <cmath>
#include <limits>

namespace convscope {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("SaliencyTab", text);
}

} // namespace

const std::vector<std::string>& sanityMetricNames()
{
    static const std::vector<std::string> names = {"spearman_abs", "spearman", "ssim", "hog"};
    return names;
}

void checkSanityMetric(const std::string& name)
{
    for (const auto& n : sanityMetricNames())
        if (n == name)
            return;
    throw Error("unknown similarity '" + name + "': use spearman_abs, spearman, ssim or hog");
}

double similarityValue(const MapSimilarity& similarity, const std::string& metric)
{
    if (metric == "spearman")
        return similarity.spearman;
    if (metric == "ssim")
        return similarity.ssim;
    if (metric == "hog")
        return similarity.hog;
    return similarity.spearmanAbs;
}

QString sanityMetricTitle(const std::string& metric)
{
    if (metric == "spearman")
        return tr("Spearman rank correlation (signed)");
    if (metric == "ssim")
        return tr("SSIM");
    if (metric == "hog")
        return tr("HOG similarity");
    return tr("Spearman rank correlation (absolute values)");
}

std::vector<SaliencyMethod> allSanityMethods()
{
    std::vector<SaliencyMethod> methods;
    for (const std::string& name : saliencyMethodNames())
        methods.push_back(saliencyMethodFromName(name));
    return methods;
}

SanityFigure sanityFigure(const Model& model, const SanityResult& result, const torch::Tensor& input,
                          Colormap colormap, const std::string& metric, uint64_t seed)
{
    SanityFigure figure;
    const QString label = QString::fromStdString(model.info().labels.at(static_cast<size_t>(result.target)));
    figure.title = (result.mode == Randomization::Cascading ? tr("Cascading randomization") : tr("Independent randomization"))
                   + QStringLiteral(" — %1, class %2 (%3), seed %4")
                         .arg(QString::fromStdString(model.info().name))
                         .arg(result.target)
                         .arg(label)
                         .arg(seed);
    for (const auto& name : result.stepNames)
        figure.columns << QString::fromStdString(name);
    figure.input = toQImage(input);
    figure.metric = sanityMetricTitle(metric);
    figure.yMin = -1;
    figure.yMax = 1;
    for (size_t m = 0; m < result.methods.size(); ++m) {
        figure.rows << saliencyMethodTitle(QString::fromStdString(saliencyMethodName(result.methods[m])));
        QVector<QImage> tiles;
        QVector<double> values;
        for (size_t s = 0; s < result.steps.size(); ++s) {
            if (s < result.cells[m].size()) {
                const SanityCell& cell = result.cells[m][s];
                tiles << toQImage(heatmapImage(cell.heatmap, colormap));
                values << similarityValue(cell.similarity, metric);
            } else {
                tiles << QImage();
                values << std::numeric_limits<double>::quiet_NaN();
            }
        }
        figure.tiles << tiles;
        figure.similarity << values;
    }
    return figure;
}

namespace {

struct KeptCopy {
    uint64_t model = 0, seed = 0;
    std::unique_ptr<RandomizedModel> copy;
};

KeptCopy& keptCopy()
{
    static KeptCopy kept; // the model worker's alone
    return kept;
}

} // namespace

void addRandomizedMap(Model& model, const SaliencyRequest& request, const SaliencyResult& original,
                      const JobContext& job, SaliencyRun& run)
{
    KeptCopy& kept = keptCopy();
    if (!kept.copy || kept.model != model.id() || kept.seed != request.randomizeSeed) {
        kept.copy.reset();
        kept.copy = std::make_unique<RandomizedModel>(model, request.randomizeSeed);
        kept.model = model.id();
        kept.seed = request.randomizeSeed;
    }
    kept.copy->setStep(request.randomization, request.randomizeStep);
    SaliencyOptions options = request.saliency;
    options.target = original.target;
    const SaliencyResult randomized = saliency(kept.copy->model(), run.input, options, job.progress, job.cancel);
    run.randomizedHeatmap = randomized.heatmap.to(torch::kCPU, torch::kFloat).contiguous();
    run.similarity = compareMaps(sanityMaps(comparedMap(original)), sanityMaps(comparedMap(randomized)));
    run.randomizedTitle = request.randomization == Randomization::Cascading
                              ? tr("Randomized: the top to %1 (%2/%3)")
                                    .arg(request.randomizedLayers)
                                    .arg(request.randomizeStep)
                                    .arg(request.randomizeSteps)
                              : tr("Randomized: only %1 (%2/%3)")
                                    .arg(request.randomizedLayers)
                                    .arg(request.randomizeStep)
                                    .arg(request.randomizeSteps);
}

void releaseRandomizedCopy()
{
    keptCopy() = KeptCopy();
}

QByteArray sanityCsv(const SanityResult& result)
{
    QByteArray csv = "method,step,layer,spearman_abs,spearman,ssim,hog\n";
    for (size_t m = 0; m < result.methods.size(); ++m)
        for (size_t s = 0; s < result.cells[m].size(); ++s) {
            const MapSimilarity& v = result.cells[m][s].similarity;
            csv += QStringLiteral("%1,%2,\"%3\",%4,%5,%6,%7\n")
                       .arg(QString::fromStdString(saliencyMethodName(result.methods[m])))
                       .arg(result.steps[s])
                       .arg(QString::fromStdString(result.stepNames[s]))
                       .arg(v.spearmanAbs, 0, 'g', 9)
                       .arg(v.spearman, 0, 'g', 9)
                       .arg(v.ssim, 0, 'g', 9)
                       .arg(v.hog, 0, 'g', 9)
                       .toUtf8();
        }
    return csv;
}

} // namespace convscope
