#include "app/views/adversarial/run.h"

#include "app/shell/class_text.h"
#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "core/colormap.h"
#include "core/error.h"
#include "core/heatmap.h"
#include "core/model.h"
#include "core/saliency.h"

#include <QCoreApplication>

#include <cmath>

namespace convscope
{

namespace
{

QString tr(const char* text)
{
    return QCoreApplication::translate("convscope::AdversarialTab", text);
}

QString upper(const AttackMethod method)
{
    switch (method) {
    case AttackMethod::Fgsm:
        return QStringLiteral("FGSM");
    case AttackMethod::Bim:
        return QStringLiteral("BIM");
    case AttackMethod::Pgd:
        return QStringLiteral("PGD");
    case AttackMethod::PgdL2:
        return QStringLiteral("PGD-L2");
    case AttackMethod::DeepFool:
        return QStringLiteral("DeepFool");
    case AttackMethod::CarliniWagner:
        return QStringLiteral("C&W L2");
    }
    return {};
}

TopK topFive(const Model& model, const torch::Tensor& probabilities)
{
    TopK top;
    const auto best = probabilities.topk(std::min<int64_t>(5, probabilities.size(0)));
    const torch::Tensor values = std::get<0>(best).contiguous();
    const torch::Tensor indices = std::get<1>(best).contiguous();
    for (int64_t i = 0; i < values.size(0); ++i)
        top.append({ classText(model, indices[i].item<int64_t>()), values[i].item<double>() });
    return top;
}

} // namespace

QString linfText(double eps)
{
    const double levels = eps * 255;
    // Measured norms come from float32 pixels: 8/255 reads 8.0000001 levels.
    if (std::abs(levels - std::round(levels)) < 1e-4)
        return QStringLiteral("%1/255").arg(std::lround(levels));
    return QStringLiteral("%1/255").arg(levels, 0, 'f', 1);
}

QString attackTitle(const AttackOptions& o)
{
    QString text = upper(o.method);
    if (attackUsesEps(o.method))
        text += attackIsL2(o.method) ? tr(", L2 ε %1").arg(o.eps, 0, 'g', 3) : tr(", L∞ ε %1").arg(linfText(o.eps));
    if (o.method == AttackMethod::Fgsm)
        return text;
    if (o.method == AttackMethod::CarliniWagner)
        return text + tr(", %1 steps × %2 c").arg(o.steps).arg(o.binarySteps);
    return text + (attackUsesEps(o.method) ? tr(", %1 steps").arg(o.steps) : tr(", ≤ %1 steps").arg(o.steps));
}

QString predictionText(const QPair<QString, double>& top)
{
    return QStringLiteral("%1 (%2 %)").arg(top.first).arg(100 * top.second, 0, 'f', 1);
}

std::shared_ptr<const AdversarialRun> runAttack(
    Model& model, const torch::Tensor& pixels, const AttackOptions& options, const JobContext& job)
{
    const AttackResult r = attack(model, pixels.unsqueeze(0), {}, options, job.progress, job.cancel);
    auto run = std::make_shared<AdversarialRun>();
    run->options = options;
    run->clean = pixels.to(torch::kCPU, torch::kFloat).contiguous();
    run->adversarial = r.adversarial[0].contiguous();
    run->original = toQImage(run->clean);
    run->adversarialImage = toQImage(run->adversarial);
    run->difference = toQImage(perturbationImage(run->clean, run->adversarial, 1));
    run->difference10 = toQImage(perturbationImage(run->clean, run->adversarial, 10));
    // The attack's own logits: no forward pass more (a Stop returns sooner).
    run->topBefore = topFive(model, torch::softmax(r.logitsBefore[0], 0));
    run->topAfter = topFive(model, torch::softmax(r.logitsAfter[0], 0));
    run->tracked = classText(model, options.target >= 0 ? options.target : r.labels[0]);
    run->success = r.success[0];
    run->linf = r.linf[0];
    run->l2 = r.l2[0];
    run->l0 = r.l0[0];
    run->steps = r.steps[0];
    for (const auto& step : r.curve)
        run->curve.append(step[0]);
    run->cancelled = r.cancelled;
    run->seconds = r.seconds;
    // One forward pass of three images: cheap enough for every slider step.
    run->trace = traceAttack(model, run->clean.unsqueeze(0), run->adversarial.unsqueeze(0),
                             attackIsL2(options.method), options.seed, job.cancel);
    return run;
}

namespace
{

QImage gradientSaliency(Model& model, const torch::Tensor& pixels)
{
    SaliencyOptions options; // the plain gradient of the predicted class's logit
    return toQImage(heatmapImage(saliency(model, pixels, options).heatmap, Colormap::Inferno));
}

} // namespace

void compareAttack(AdversarialRun& run, Model& model, Model& compared, const QString& comparedName,
                   const torch::Tensor& pixels, const JobContext& job)
{
    const auto& a = model.info().input;
    const auto& b = compared.info().input;
    if (a != b)
        throw Error("the compared model takes " + std::to_string(b[0]) + "x" + std::to_string(b[1]) + "x"
                    + std::to_string(b[2]) + " images and this one " + std::to_string(a[0]) + "x"
                    + std::to_string(a[1]) + "x" + std::to_string(a[2]) + ": compare models of one input size");
    auto other = std::const_pointer_cast<AdversarialRun>(runAttack(compared, pixels, run.options, job));
    other->saliency = gradientSaliency(compared, pixels);
    run.saliency = gradientSaliency(model, pixels);
    run.compared = other;
    run.comparedName = comparedName;
}

} // namespace convscope
