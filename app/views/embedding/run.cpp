#include "app/views/embedding/run.h"

#include "app/shell/job_runner.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"

#include <QCoreApplication>
#include <QSaveFile>
#include <QTextStream>

#include <chrono>

namespace convscope
{

namespace
{

QString tr(const char* text)
{
    return QCoreApplication::translate("convscope::EmbeddingTab", text);
}

} // namespace

QVector<QPointF> toPoints(const torch::Tensor& embedding)
{
    const torch::Tensor e = embedding.to(torch::kCPU, torch::kFloat64).contiguous();
    const int64_t n = e.size(0), columns = e.dim() > 1 ? e.size(1) : 1;
    const double* v = e.data_ptr<double>();
    QVector<QPointF> points(static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i)
        points[static_cast<int>(i)] = QPointF(v[i * columns], columns > 1 ? v[i * columns + 1] : 0.0);
    return points;
}

std::shared_ptr<const Embedding> runEmbedding(Model& model, const std::shared_ptr<Dataset>& dataset,
    const EmbeddingRequest& request, const JobContext& job, const EmbeddingFrame& frame, double fps)
{
    auto result = std::make_shared<Embedding>();
    result->request = request;
    result->dataset = dataset;
    result->datasetName = QString::fromStdString(dataset->name());
    result->datasetSize = dataset->size();

    auto start = std::chrono::steady_clock::now();
    FeatureSet set = extractFeatures(model, *dataset, request.layer, request.features, job.progress, job.cancel);
    result->secondsFeatures = secondsSince(start);
    result->layer = QString::fromStdString(set.layer);
    result->featuresCached = set.fromCache;
    result->skipped = QString::fromStdString(dataset->skippedSummary());
    const int64_t n = set.values.size(0);
    if (n < 2)
        throw Error("an embedding needs at least 2 images, and only " + std::to_string(n) + " could be read");
    result->dims = set.values.size(1);
    auto rows = std::make_shared<EmbeddingRows>();
    rows->images = std::move(set.images);
    rows->labels = std::move(set.labels);
    rows->predictions = std::move(set.predictions);
    rows->labeled = dataset->labeled();
    result->rows = rows;
    throwIfCancelled(job.cancel);

    start = std::chrono::steady_clock::now();
    if (!request.tsne) {
        const PcaResult p = pca(set.values, std::min<int64_t>(2, set.values.size(1)), job.cancel);
        result->points = toPoints(p.projected);
        result->explainedVariance = p.explainedVariance;
        result->secondsPca = secondsSince(start);
        result->final = true;
        return result;
    }
    // Frames: the newest at most `fps` times a second; the worker never waits for the GUI.
    TsnePreview preview;
    if (frame) {
        auto last = std::make_shared<std::chrono::steady_clock::time_point>();
        preview = [result, frame, fps, last](int64_t iteration, const torch::Tensor& embedding, double kl) {
            const auto now = std::chrono::steady_clock::now();
            if (std::chrono::duration<double>(now - *last).count() < 1.0 / fps)
                return;
            *last = now;
            auto shown = std::make_shared<Embedding>(*result);
            shown->points = toPoints(embedding);
            shown->iteration = iteration;
            shown->kl = kl;
            frame(shown);
        };
    }
    const TsneResult r = tsne(set.values, request.tsneOptions, preview, job.progress, job.cancel);
    if (!r.cancelled)
        result->map = std::make_shared<const TsneMap>(tsneMap(set.values, r));
    result->points = toPoints(r.embedding);
    result->kl = r.kl;
    result->perplexity = r.perplexity;
    result->iteration = r.iterations;
    result->cancelled = r.cancelled;
    result->secondsPca = r.secondsPca;
    result->secondsNeighbours = r.secondsNeighbours;
    result->secondsAffinities = r.secondsAffinities;
    result->secondsOptimization = r.secondsOptimization;
    result->final = true;
    return result;
}

void writeEmbeddingCsv(const QString& path, const QVector<QPointF>& points, const std::vector<int64_t>& labels,
    const std::vector<int64_t>& predictions, const std::vector<int64_t>& images)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        throw Error("cannot write " + path.toStdString() + ": " + file.errorString().toStdString());
    QTextStream csv(&file);
    csv << "x,y,label,prediction,image\n";
    for (int i = 0; i < points.size(); ++i) {
        const auto row = static_cast<size_t>(i);
        csv << QString::number(points[i].x(), 'g', 9) << ',' << QString::number(points[i].y(), 'g', 9) << ','
            << labels.at(row) << ',' << predictions.at(row) << ',' << images.at(row) << '\n';
    }
    csv.flush();
    if (csv.status() != QTextStream::Ok || !file.commit())
        throw Error("cannot write " + path.toStdString() + ": " + file.errorString().toStdString());
}

QString embeddingSummary(const Embedding& e)
{
    const size_t n = e.rows ? e.rows->images.size() : 0;
    QString text = tr("%1 of %2 (%3 %4 features) · %5 of %6 images")
                       .arg(e.request.tsne ? tr("t-SNE") : tr("PCA"), e.layer)
                       .arg(e.dims)
                       .arg(QString::fromStdString(featurePoolingName(e.request.features.pooling)))
                       .arg(n)
                       .arg(e.datasetSize);
    auto seconds = [](double s) { return QString::number(s, 'f', s < 10 ? 2 : 1); };
    if (e.request.tsne) {
        if (e.perplexity > 0 && e.perplexity != e.request.tsneOptions.perplexity)
            text += tr(" · perplexity %1 (%2 is too large for %3 points)")
                        .arg(e.perplexity, 0, 'g', 4)
                        .arg(e.request.tsneOptions.perplexity)
                        .arg(n);
        else
            text += tr(" · perplexity %1").arg(e.request.tsneOptions.perplexity);
        if (e.final)
            text += tr(" · KL %1 after %2 iterations").arg(e.kl, 0, 'f', 3).arg(e.iteration);
        else
            text += tr(" · iteration %1 of %2, KL %3")
                        .arg(e.iteration)
                        .arg(e.request.tsneOptions.iterations)
                        .arg(e.kl, 0, 'f', 3);
    } else {
        QStringList shares;
        for (double v : e.explainedVariance)
            shares << QStringLiteral("%1 %").arg(100 * v, 0, 'f', 1);
        text += tr(" · explained variance %1").arg(shares.join(QStringLiteral(", ")));
    }
    text += tr(" · seconds: features %1%2")
                .arg(seconds(e.secondsFeatures), e.featuresCached ? tr(" (cached)") : QString());
    if (e.final) {
        if (e.request.tsne)
            text += tr(", PCA %1, neighbours %2, affinities %3, optimization %4")
                        .arg(seconds(e.secondsPca), seconds(e.secondsNeighbours), seconds(e.secondsAffinities),
                            seconds(e.secondsOptimization));
        else
            text += tr(", PCA %1").arg(seconds(e.secondsPca));
    }
    if (!e.skipped.isEmpty())
        text += QStringLiteral(" · ") + e.skipped;
    return text;
}

} // namespace convscope
