#pragma once

// What the Adversarial tab computes, apart from the widgets: one attack on
// the current input (core attack(), as `convscope attack` runs it) with the
// four pictures, both top-5s and the curve ready to draw. Runs on the model's
// worker. Not seen by moc: included from .cpp files only.

#include "core/attack.h"
#include "core/attack_trace.h"

#include <torch/script.h>

#include <QImage>
#include <QPair>
#include <QString>
#include <QVector>

#include <memory>

namespace convscope
{

class Model;
struct JobContext;

using TopK = QVector<QPair<QString, double>>; // label, probability; best first

struct AdversarialRun {
    AttackOptions options;
    bool live = false; // from the ε slider
    qint64 inputSerial = 0; // the workspace input attacked
    torch::Tensor clean; // [C, H, W] CPU float in [0, 1]
    torch::Tensor adversarial; // [C, H, W] CPU float in [0, 1], as attack() returned it
    QImage original, adversarialImage, difference, difference10; // 0.5 + δ and 0.5 + 10 δ
    TopK topBefore, topAfter;
    QString tracked; // the class the curve follows: the target, or the label
    bool success = false;
    double linf = 0, l2 = 0;
    int64_t l0 = 0;
    int64_t steps = 0;
    QVector<double> curve; // the tracked class's probability per step; entry 0 is the start
    AttackTrace trace; // the amplification curves (empty when stopped before them)
    bool cancelled = false;
    double seconds = 0;
    // "Compare with…": the clean image's gradient saliency (|d logit / d pixels|,
    // the predicted class), and the same attack on the compared model.
    QImage saliency;
    std::shared_ptr<const AdversarialRun> compared;
    QString comparedName;
    QString compareError; // why the comparison could not run, if it did not
};

// Attacks one image [C, H, W]; untargeted attacks move away from the clean prediction.
std::shared_ptr<const AdversarialRun> runAttack(
    Model& model, const torch::Tensor& pixels, const AttackOptions& options, const JobContext& job);

// The same attack on `compared` too (when set), with both models' gradient
// saliency of the clean image: what "Compare with…" shows. Error in one line
// when the compared model takes another input size.
void compareAttack(AdversarialRun& run, Model& model, Model& compared, const QString& comparedName,
                   const torch::Tensor& pixels, const JobContext& job);

// "FGSM, L∞ ε 8/255" / "PGD-L2, ε 0.5, 10 steps" / "DeepFool, ≤ 50 steps".
QString attackTitle(const AttackOptions& options);
// "8/255" for whole 8-bit levels, else the number.
QString linfText(double eps);
// "281: tabby (97.2 %)".
QString predictionText(const QPair<QString, double>& top);

} // namespace convscope
