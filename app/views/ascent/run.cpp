#include "app/views/ascent/run.h"

#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "core/model.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <numeric>

namespace convscope {

namespace {

QVector<QImage> toImages(const torch::Tensor& images)
{
    QVector<QImage> out;
    for (const Tile& tile : toTiles(images))
        out.append(tile.image);
    return out;
}

QString tr(const char* text)
{
    return QCoreApplication::translate("convscope::AscentTab", text);
}

} // namespace

AscentPoint ascentPoint(double step, const std::vector<double>& values)
{
    AscentPoint p;
    p.step = step;
    if (values.empty())
        return p;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    p.min = *lo;
    p.max = *hi;
    p.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    return p;
}

QString ascentValue(double value)
{
    return QString::number(value, 'g', 4);
}

std::shared_ptr<const AscentShown> runAscent(Model& model, const AscentRequest& request, const JobContext& job,
    const std::function<void(AscentFrame)>& frame, int frameMs)
{
    QElapsedTimer sinceFrame;
    QVector<AscentPoint> pending;
    const int64_t steps = request.options.steps;
    auto preview = [&](int64_t step, const torch::Tensor& images, const std::vector<double>& values) {
        // The values of a step are those of the image before its update.
        pending.append(ascentPoint(static_cast<double>(std::max<int64_t>(0, step - 1)), values));
        if (job.progress && steps > 0)
            job.progress(static_cast<double>(step) / static_cast<double>(steps),
                "step " + std::to_string(step) + " of " + std::to_string(steps));
        if (sinceFrame.isValid() && sinceFrame.elapsed() < frameMs && step < steps)
            return;
        sinceFrame.restart();
        AscentFrame f;
        f.step = step;
        f.images = toImages(images.detach().to(torch::kCPU));
        f.values = QVector<double>(values.begin(), values.end());
        f.points = std::move(pending);
        pending.clear();
        frame(std::move(f));
    };
    AscentOptions options = request.options;
    options.measureIfCancelled = false; // Stop returns at once
    const AscentResult result = ascend(model, request.objective, request.units, options, preview, job.cancel);

    auto shown = std::make_shared<AscentShown>();
    shown->request = request;
    shown->request.options.start = torch::Tensor(); // the input is the workspace's, not the result's
    shown->images = toImages(result.images);
    shown->start = QVector<double>(result.startValues.begin(), result.startValues.end());
    shown->end = QVector<double>(result.endValues.begin(), result.endValues.end());
    shown->endStep = result.steps;
    if (result.endValues.empty() && !result.curve.empty()) {
        shown->end = QVector<double>(result.curve.back().begin(), result.curve.back().end());
        shown->endStep = result.steps - 1;
    }
    for (size_t i = 0; i < result.curve.size(); ++i)
        shown->curve.append(ascentPoint(static_cast<double>(i), result.curve[i]));
    if (!result.endValues.empty())
        shown->curve.append(ascentPoint(static_cast<double>(result.steps), result.endValues));
    shown->steps = result.steps;
    shown->cancelled = result.cancelled;
    shown->seconds = result.seconds;
    return shown;
}

QString ascentCaption(const AscentShown& shown, bool everyImage)
{
    QString preset = QString::fromStdString(ascentPresetName(shown.request.options.preset));
    preset[0] = preset[0].toUpper();
    const QString direction = shown.request.objective.minimize ? tr("minimized") : tr("maximized");
    QString text = tr("%1, %2 · %3, %4 steps in %5 s")
                       .arg(shown.request.what, direction, preset)
                       .arg(shown.steps)
                       .arg(shown.seconds, 0, 'f', 1);
    if (shown.request.fromInput)
        text += tr(" from the input");
    if (shown.end.isEmpty())
        return text;
    const AscentPoint start = ascentPoint(0, std::vector<double>(shown.start.begin(), shown.start.end()));
    const AscentPoint end = ascentPoint(0, std::vector<double>(shown.end.begin(), shown.end.end()));
    if (shown.end.size() == 1)
        return text + tr(" · objective %1 → %2").arg(ascentValue(start.mean), ascentValue(end.mean));
    text += tr(" · mean objective %1 → %2 (end: min %3, max %4)")
                .arg(ascentValue(start.mean), ascentValue(end.mean), ascentValue(end.min), ascentValue(end.max));
    if (!everyImage)
        return text;
    QStringList values;
    for (int i = 0; i < shown.end.size() && i < 32; ++i)
        values << QStringLiteral("%1: %2 → %3")
                      .arg(shown.request.unitCaptions.value(i), ascentValue(shown.start.value(i)),
                           ascentValue(shown.end[i]));
    if (shown.end.size() > 32)
        values << tr("… %1 more").arg(shown.end.size() - 32);
    return text + QStringLiteral("\n") + values.join(QStringLiteral(" · "));
}

} // namespace convscope
