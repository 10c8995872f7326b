#pragma once

// What the Embedding tab computes, apart from the widgets: a layer's
// features over a dataset (core extractFeatures(), cached as the CLI caches
// them) laid out in 2-D by core pca() or tsne(), as `convscope tsne` does.
// Runs on the model's worker. Not seen by moc: included from .cpp files only.

#include "core/features.h"
#include "core/tsne.h"
#include "core/tsne_transform.h"

#include <QPointF>
#include <QString>
#include <QVector>

#include <functional>
#include <limits>
#include <memory>
#include <vector>

namespace convscope
{

class Dataset;
class Model;
struct JobContext;

struct EmbeddingRequest {
    int layer = -1;
    bool tsne = true; // else PCA
    FeatureOptions features;
    TsneOptions tsneOptions;
};

// One row per image embedded, shared by every frame of a run.
struct EmbeddingRows {
    std::vector<int64_t> images; // dataset indices, ascending
    std::vector<int64_t> labels; // -1 when unlabeled
    std::vector<int64_t> predictions; // the model's top class
    bool labeled = false;
    // Label known and different from the prediction.
    bool misclassified(size_t row) const { return labels[row] >= 0 && labels[row] != predictions[row]; }
};

struct Embedding {
    EmbeddingRequest request;
    std::shared_ptr<Dataset> dataset;
    std::shared_ptr<const EmbeddingRows> rows;
    QString layer;
    QString datasetName;
    int64_t datasetSize = 0;
    int64_t dims = 0; // feature dimensions
    bool featuresCached = false;
    QString skipped; // unreadable images, if any
    QVector<QPointF> points; // x, y per row
    bool final = false; // false: a t-SNE frame on its way
    int64_t iteration = 0; // t-SNE iterations done
    double kl = std::numeric_limits<double>::quiet_NaN();
    double perplexity = 0; // as used (tsne() clamps it for few points)
    bool cancelled = false;
    std::vector<double> explainedVariance; // PCA
    // A finished t-SNE map, for placing new images into it (Show in embedding).
    std::shared_ptr<const TsneMap> map;
    double secondsFeatures = 0, secondsPca = 0, secondsNeighbours = 0, secondsAffinities = 0, secondsOptimization = 0;
};

// Called on the worker with each t-SNE frame it keeps (the rows as in the
// result, the points of that iteration); at most `fps` times a second.
using EmbeddingFrame = std::function<void(const std::shared_ptr<const Embedding>& frame)>;

// Features, then the layout. Throws Error (fewer than 2 images read, bad
// options, a feature matrix over the memory limit) and Cancelled (before
// the t-SNE optimization starts); a cancelled optimization returns its
// current layout with cancelled set.
std::shared_ptr<const Embedding> runEmbedding(Model& model, const std::shared_ptr<Dataset>& dataset,
    const EmbeddingRequest& request, const JobContext& job, const EmbeddingFrame& frame = {}, double fps = 15);

// [N, 2] (or [N, 1], padded with y = 0) as points.
QVector<QPointF> toPoints(const torch::Tensor& embedding);

// x,y,label,prediction,image: the columns `convscope tsne --out` writes,
// through a temporary file renamed over `path`. Throws Error.
void writeEmbeddingCsv(const QString& path, const QVector<QPointF>& points, const std::vector<int64_t>& labels,
    const std::vector<int64_t>& predictions, const std::vector<int64_t>& images);

// "t-SNE of fc1 (120 mean features) · 2000 of 5000 images · perplexity 30 ·
// KL 1.23 after 1000 iterations · seconds: features 0.41 (cached), …".
QString embeddingSummary(const Embedding& embedding);

} // namespace convscope
