#include "app/views/embedding/placement.h"

#include "app/shell/job_runner.h"
#include "app/views/embedding/run.h"
#include "core/error.h"
#include "core/features.h"
#include "core/model.h"

#include <QCoreApplication>

#include <QStringList>

#include <algorithm>
#include <map>

namespace convscope
{

void nameSurroundings(PlacedImage& image, const torch::Tensor& neighbours, const std::vector<int64_t>& labels,
                      const std::vector<int64_t>& predictions)
{
    std::map<int64_t, int> counts;
    std::map<int64_t, int> first;
    const torch::Tensor nearest = neighbours.to(torch::kCPU).contiguous();
    const int64_t k = std::min<int64_t>(PlacedPairs::kNearest, nearest.size(0));
    for (int64_t j = 0; j < k; ++j) {
        const auto row = static_cast<size_t>(nearest[j].item<int64_t>());
        const int64_t c = labels[row] >= 0 ? labels[row] : predictions[row];
        ++counts[c];
        first.emplace(c, static_cast<int>(j));
    }
    image.nearClass = -1;
    image.nearCount = 0;
    for (const auto& [c, n] : counts)
        if (n > image.nearCount || (n == image.nearCount && first[c] < first[image.nearClass])) {
            image.nearClass = c;
            image.nearCount = n;
        }
}

PlacedPairs placeImagePairs(Model& model, const TsneMap& map, int layer, FeaturePooling pooling,
                            const std::vector<int64_t>& labels, const std::vector<int64_t>& predictions,
                            const torch::Tensor& clean, const torch::Tensor& adversarial, const ProgressFn& progress,
                            const CancelFlag* cancel)
{
    std::vector<int64_t> predicted;
    const torch::Tensor features
        = featureRows(model, torch::cat({ clean, adversarial }), layer, pooling, &predicted);
    const Placement placed = placeInMap(map, features, {}, progress, cancel);
    PlacedPairs pairs;
    pairs.seconds = placed.seconds;
    pairs.cancelled = placed.cancelled;
    const int64_t n = clean.size(0);
    const torch::Tensor at = placed.embedding.to(torch::kDouble).contiguous();
    for (int64_t i = 0; i < 2 * n; ++i) {
        PlacedImage image;
        image.at = QPointF(at[i][0].item<double>(), at[i][1].item<double>());
        image.prediction = predicted[static_cast<size_t>(i)];
        nameSurroundings(image, placed.neighbours[i], labels, predictions);
        (i < n ? pairs.clean : pairs.adversarial).append(image);
    }
    return pairs;
}

std::shared_ptr<const PlacedPairs> placePairs(Model& model, const Embedding& embedding, const torch::Tensor& clean,
                                              const torch::Tensor& adversarial, const JobContext& job)
{
    if (!embedding.map || !embedding.rows)
        throw Error("no finished t-SNE map to place the images in: run t-SNE in the Embedding tab first");
    return std::make_shared<const PlacedPairs>(placeImagePairs(
        model, *embedding.map, model.layerIndex(embedding.layer.toStdString()), embedding.request.features.pooling,
        embedding.rows->labels, embedding.rows->predictions, clean, adversarial, job.progress, job.cancel));
}

std::vector<ClusterFlow> clusterFlow(const PlacedPairs& pairs)
{
    std::map<std::pair<int64_t, int64_t>, int> counts;
    for (int i = 0; i < pairs.clean.size() && i < pairs.adversarial.size(); ++i)
        if (pairs.clean[i].nearClass != pairs.adversarial[i].nearClass)
            ++counts[{ pairs.clean[i].nearClass, pairs.adversarial[i].nearClass }];
    std::vector<ClusterFlow> flow;
    for (const auto& [key, n] : counts)
        flow.push_back({ key.first, key.second, n });
    std::stable_sort(flow.begin(), flow.end(), [](const ClusterFlow& a, const ClusterFlow& b) { return a.count > b.count; });
    return flow;
}

QString flowText(const PlacedPairs& pairs, const std::function<QString(int64_t)>& className)
{
    const std::vector<ClusterFlow> flow = clusterFlow(pairs);
    if (flow.empty())
        return QCoreApplication::translate("convscope::EmbeddingTab", " · none left its cluster");
    QStringList parts;
    for (size_t i = 0; i < flow.size() && i < 3; ++i)
        parts << QStringLiteral("%1 → %2 (%3)").arg(className(flow[i].from), className(flow[i].to)).arg(flow[i].count);
    return QCoreApplication::translate("convscope::EmbeddingTab", " · moved between clusters: %1")
        .arg(parts.join(QStringLiteral(", ")));
}

QString nearText(const PlacedImage& image, const QString& className)
{
    return QCoreApplication::translate("convscope::EmbeddingTab", "among %1 (%2 of %3 nearest)")
        .arg(className)
        .arg(image.nearCount)
        .arg(PlacedPairs::kNearest);
}

} // namespace convscope
