#include "app/views/saliency/run.h"

#include "app/shell/class_text.h"
#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "app/views/saliency/sanity_run.h"
#include "core/heatmap.h"
#include "core/model.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cmath>

namespace convscope {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("SaliencyTab", text);
}

// Per pixel, the window whose centre is nearest along one axis: the class
// map drawn at input resolution, each window position owning the pixels
// around its centre, so it lines up with the input.
torch::Tensor nearestWindow(const std::vector<int64_t>& starts, int64_t window, int64_t size)
{
    std::vector<int64_t> index(static_cast<size_t>(size));
    for (int64_t p = 0; p < size; ++p) {
        double best = 1e30;
        for (size_t i = 0; i < starts.size(); ++i) {
            const double distance = std::abs(static_cast<double>(starts[i]) + window / 2.0 - (p + 0.5));
            if (distance < best) {
                best = distance;
                index[static_cast<size_t>(p)] = static_cast<int64_t>(i);
            }
        }
    }
    return torch::tensor(index, torch::kLong);
}

QString runOcclusion(Model& model, const SaliencyRequest& request, const JobContext& job, SaliencyRun& run,
                     int64_t& predicted, double& score)
{
    const OcclusionResult r = occlusion(model, run.input, request.occlusion, job.progress, job.cancel);
    predicted = r.predicted;
    score = r.baseScore;
    run.heatmap = r.heatmap.to(torch::kCPU, torch::kFloat).contiguous();
    const ClassMapPicture picture = classMapPicture(r.classes);
    const torch::Tensor rows = nearestWindow(r.rows, r.window, run.input.size(1));
    const torch::Tensor cols = nearestWindow(r.cols, r.window, run.input.size(2));
    run.classImage = toQImage(picture.image.index_select(1, rows).index_select(2, cols));
    run.classAt = r.classes.to(torch::kCPU, torch::kLong).index_select(0, rows).index_select(1, cols).contiguous();
    for (size_t i = 0; i < picture.classes.size(); ++i) {
        const QString name = classText(model, picture.classes[i]);
        run.legend << (picture.counts[i] == 1 ? tr("%1 — 1 window").arg(name)
                                              : tr("%1 — %2 windows").arg(name).arg(picture.counts[i]));
        const auto& c = picture.colours[i];
        run.legendColours << QColor::fromRgbF(c[0], c[1], c[2]);
    }
    return tr("%1 windows of %2 px, stride %3, filled with %4")
        .arg(r.rows.size() * r.cols.size())
        .arg(r.window)
        .arg(r.stride)
        .arg(baselineTitle(QString::fromStdString(baselineName(request.occlusion.baseline))));
}

// The title of the signed gradient picture the guided methods and the
// deconvnet show; empty for the others.
QString signedGradientTitle(SaliencyMethod method)
{
    switch (method) {
    case SaliencyMethod::GuidedBackprop:
        return tr("Guided gradient (gray: 0)");
    case SaliencyMethod::GuidedGradCam:
        return tr("Guided Grad-CAM (gray: 0)");
    case SaliencyMethod::Deconvnet:
        return tr("Deconvnet gradient (gray: 0)");
    default:
        return {};
    }
}

QString camDetails(const SaliencyResult& r)
{
    return tr("layer %1 (%2×%3 map)").arg(QString::fromStdString(r.layer)).arg(r.cam.size(0)).arg(r.cam.size(1));
}

QString runGradients(Model& model, const SaliencyRequest& request, const JobContext& job, SaliencyRun& run,
                     int64_t& predicted, double& score)
{
    const SaliencyOptions& options = request.saliency;
    const SaliencyResult r = saliency(model, run.input, options, job.progress, job.cancel);
    predicted = r.predicted;
    score = r.score;
    run.heatmap = r.heatmap.to(torch::kCPU, torch::kFloat).contiguous();
    if (request.randomize)
        addRandomizedMap(model, request, r, job, run);
    else
        releaseRandomizedCopy();
    run.guidedTitle = signedGradientTitle(options.method);
    if (!run.guidedTitle.isEmpty())
        run.guidedImage = toQImage(attributionImage(r.attribution));
    switch (options.method) {
    case SaliencyMethod::SmoothGrad:
        return tr("%1 noisy copies, noise %2 % of the range, seed %3")
            .arg(options.samples)
            .arg(options.noise * 100, 0, 'g', 3)
            .arg(options.seed);
    case SaliencyMethod::IntegratedGradients:
        return tr("%1 steps from a %2 baseline; completeness: attributions sum to %3, score − baseline score = %4")
            .arg(options.steps)
            .arg(baselineTitle(QString::fromStdString(baselineName(options.baseline))))
            .arg(r.attributionSum, 0, 'g', 4)
            .arg(r.scoreDelta, 0, 'g', 4);
    case SaliencyMethod::GradCam:
    case SaliencyMethod::GuidedGradCam:
    case SaliencyMethod::GradCamPlusPlus:
        return camDetails(r);
    case SaliencyMethod::ScoreCam:
        return tr("%1; %2 masked copies, %3 per forward pass")
            .arg(camDetails(r))
            .arg(r.copies)
            .arg(r.batch);
    default:
        return {};
    }
}

} // namespace

const std::vector<SaliencyMethodEntry>& saliencyMethodEntries()
{
    static const std::vector<SaliencyMethodEntry> entries = {
        {"occlusion", QT_TRANSLATE_NOOP("SaliencyTab", "Occlusion"),
         QT_TRANSLATE_NOOP("SaliencyTab",
                           "Hide one square at a time and watch the class score drop (Zeiler & Fergus 2014)")},
        {"gradient", QT_TRANSLATE_NOOP("SaliencyTab", "Gradient"),
         QT_TRANSLATE_NOOP("SaliencyTab",
                           "|∂ score / ∂ pixel|, the largest over the colour channels (Simonyan et al. 2014)")},
        {"smoothgrad", QT_TRANSLATE_NOOP("SaliencyTab", "SmoothGrad"),
         QT_TRANSLATE_NOOP("SaliencyTab",
                           "The gradient averaged over noisy copies of the input (Smilkov et al. 2017)")},
        {"ig", QT_TRANSLATE_NOOP("SaliencyTab", "Integrated Gradients"),
         QT_TRANSLATE_NOOP("SaliencyTab", "(input − baseline) × the mean gradient along the straight path between them "
                                          "(Sundararajan et al. 2017)")},
        {"gradcam", QT_TRANSLATE_NOOP("SaliencyTab", "Grad-CAM"),
         QT_TRANSLATE_NOOP("SaliencyTab",
                           "A conv layer's maps weighted by their mean gradients, summed, clipped at 0 and "
                           "upsampled (Selvaraju et al. 2017)")},
        {"guided", QT_TRANSLATE_NOOP("SaliencyTab", "Guided backprop"),
         QT_TRANSLATE_NOOP(
             "SaliencyTab",
             "The gradient with every ReLU passing back only positive gradients (Springenberg et al. 2015)")},
        {"guided-gradcam", QT_TRANSLATE_NOOP("SaliencyTab", "Guided Grad-CAM"),
         QT_TRANSLATE_NOOP("SaliencyTab", "Guided backpropagation times the Grad-CAM map")},
        {"gradcam++", QT_TRANSLATE_NOOP("SaliencyTab", "Grad-CAM++"),
         QT_TRANSLATE_NOOP("SaliencyTab", "Grad-CAM with each map weighted by its positive gradients, scaled "
                                          "pixel by pixel from higher derivatives (Chattopadhay et al. 2018)")},
        {"scorecam", QT_TRANSLATE_NOOP("SaliencyTab", "Score-CAM"),
         QT_TRANSLATE_NOOP("SaliencyTab", "A conv layer's maps weighted by the class score of the input masked by "
                                          "each map: a forward pass per channel, no gradients (Wang et al. 2020)")},
        {"deconvnet", QT_TRANSLATE_NOOP("SaliencyTab", "Deconvnet"),
         QT_TRANSLATE_NOOP("SaliencyTab", "The gradient with every ReLU passing back its positive part, whatever it "
                                          "let through going forward (Zeiler & Fergus 2014)")},
    };
    return entries;
}

const SaliencyMethodEntry& saliencyMethodEntry(const QString& key)
{
    for (const SaliencyMethodEntry& entry : saliencyMethodEntries())
        if (key == QLatin1String(entry.key))
            return entry;
    return saliencyMethodEntries().front();
}

QString saliencyMethodTitle(const QString& key)
{
    return tr(saliencyMethodEntry(key).title);
}

QString saliencyMethodTip(const QString& key)
{
    return tr(saliencyMethodEntry(key).tip);
}

QString baselineTitle(const QString& name)
{
    if (name == QLatin1String("gray"))
        return tr("gray (0.5)");
    if (name == QLatin1String("zero"))
        return tr("black (0)");
    if (name == QLatin1String("mean"))
        return tr("dataset mean");
    return tr("blurred input");
}

namespace {

// Milliseconds of a forward pass per copy of `input`, timed on a batch of
// `probe` copies as occlusion() and Score-CAM batch them.
double msPerCopy(Model& model, const torch::Tensor& input, int64_t probe)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor batch = model.prepare(input.unsqueeze(0)).expand({probe, -1, -1, -1}).contiguous();
    double ms = 0;
    for (int pass = 0; pass < 2; ++pass) { // the first pass may pay for warming up
        QElapsedTimer clock;
        clock.start();
        model.logits(batch);
        ms = clock.nsecsElapsed() / 1e6;
    }
    return ms / static_cast<double>(probe);
}

// Occlusion is a forward pass per window: minutes on a slow model (ConvNeXt-tiny
// started an 8-minute one as the tab opened). Times a batch of a few windows;
// empty if the whole would take at most autoStartSeconds, else what it would take.
QString occlusionEstimate(Model& model, const torch::Tensor& input, const SaliencyRequest& request)
{
    const OcclusionResult grid = occlusionGrid(request.occlusion, input.size(1), input.size(2));
    const auto windows = static_cast<int64_t>(grid.rows.size() * grid.cols.size());
    const int64_t probe = std::min<int64_t>(8, windows);
    const double ms = msPerCopy(model, input, probe);
    const double seconds = static_cast<double>(windows) * ms / 1000;
    if (seconds <= request.autoStartSeconds)
        return {};
    return tr("Occlusion: %1 windows of %2 px, a forward pass each; at %3 ms a window (%4 timed), about %5 s. "
              "Press Compute to run it, or pick a gradient method (a pass or two).")
        .arg(windows)
        .arg(grid.window)
        .arg(ms, 0, 'f', 1)
        .arg(probe)
        .arg(std::ceil(seconds));
}

// Score-CAM is a forward pass per channel of its layer (2048 on ResNet-50):
// the same question as occlusion's. Empty, too, when the layer is not one
// Score-CAM takes: saliency() says why.
QString scoreCamEstimate(Model& model, const torch::Tensor& input, const SaliencyRequest& request)
{
    const int layer = request.saliency.layer >= 0 ? request.saliency.layer : defaultCamLayer(model);
    if (layer < 0 || model.layers()[static_cast<size_t>(layer)].shape.size() != 3)
        return {};
    const LayerInfo& info = model.layers()[static_cast<size_t>(layer)];
    const int64_t channels = info.shape[0];
    const int64_t probe = std::min<int64_t>(8, channels);
    const double ms = msPerCopy(model, input, probe);
    const double seconds = static_cast<double>(channels) * ms / 1000;
    if (seconds <= request.autoStartSeconds)
        return {};
    return tr("Score-CAM: a forward pass for each of the %1 channels of %2; at %3 ms a pass (%4 timed), about %5 s. "
              "Press Compute to run it, or pick Grad-CAM (a pass or two).")
        .arg(channels)
        .arg(QString::fromStdString(info.name))
        .arg(ms, 0, 'f', 1)
        .arg(probe)
        .arg(std::ceil(seconds));
}

// What a long method would take when it is too long to start unasked; empty otherwise.
QString estimate(Model& model, const torch::Tensor& input, const SaliencyRequest& request)
{
    if (request.autoStartSeconds <= 0)
        return {};
    if (request.isOcclusion())
        return occlusionEstimate(model, input, request);
    if (request.saliency.method == SaliencyMethod::ScoreCam)
        return scoreCamEstimate(model, input, request);
    return {};
}

} // namespace

SaliencyRun runSaliency(Model& model, const torch::Tensor& pixels, const SaliencyRequest& request,
                        const JobContext& job)
{
    QElapsedTimer clock;
    clock.start();
    SaliencyRun run;
    run.method = request.method;
    run.input = pixels.detach().to(torch::kCPU, torch::kFloat).contiguous();
    run.inputImage = toQImage(run.input);
    run.estimate = estimate(model, run.input, request);
    if (!run.estimate.isEmpty())
        return run;
    int64_t predicted = 0;
    double score = 0;
    const QString details = request.isOcclusion() ? runOcclusion(model, request, job, run, predicted, score)
                                                  : runGradients(model, request, job, run, predicted, score);
    const int64_t target = request.isOcclusion() ? request.occlusion.target : request.saliency.target;
    const int64_t explained = target >= 0 ? target : predicted;
    const bool probability = request.score() == Score::Probability;
    run.caption = tr("%1 for class %2 (%3 %4%5) · predicted: %6 · %7%8 s")
                      .arg(saliencyMethodTitle(request.method), classText(model, explained),
                           probability ? tr("probability") : tr("logit"),
                           probability ? QString::number(score, 'f', 3) : QString::number(score, 'g', 4),
                           request.isOcclusion() ? tr(" unoccluded") : QString(),
                           explained == predicted ? tr("the same") : classText(model, predicted),
                           details.isEmpty() ? QString() : details + QStringLiteral(" · "))
                      .arg(clock.elapsed() / 1000.0, 0, 'f', 2);
    if (run.randomizedHeatmap.defined())
        run.caption += QLatin1Char('\n')
                       + tr("The randomized model's map against the trained model's: Spearman %1 (absolute values), "
                            "%2 (signed), SSIM %3, HOG %4.")
                             .arg(run.similarity.spearmanAbs, 0, 'f', 3)
                             .arg(run.similarity.spearman, 0, 'f', 3)
                             .arg(run.similarity.ssim, 0, 'f', 3)
                             .arg(run.similarity.hog, 0, 'f', 3);
    return run;
}

} // namespace convscope
