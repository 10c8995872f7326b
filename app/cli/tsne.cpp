// `convscope tsne`: a layer's features over a dataset laid out in 2-D by
// t-SNE or PCA, as CSV, a PNG scatter plot and JSON figures.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "app/shell/defaults.h"
#include "app/views/embedding/placement.h"
#include "app/views/embedding/run.h"
#include "core/class_colours.h"
#include "core/error.h"
#include "core/features.h"
#include "core/model.h"
#include "core/scatter.h"
#include "core/tsne.h"
#include "core/tsne_transform.h"
#include "io/datasets.h"
#include "io/image_io.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <optional>

namespace convscope::cli {

using Json = nlohmann::ordered_json;

namespace {

// Each image's place in the finished map (core placeInMap), its prediction
// and the commonest class of its nearest map points.
Json placeImages(Model& model, int layer, const FeatureSet& set, const TsneResult& result, const QStringList& paths,
                 const std::vector<torch::Tensor>& images)
{
    std::vector<int64_t> predictions;
    const torch::Tensor features = featureRows(model, torch::cat(images), layer, set.pooling, &predictions);
    const Placement placement = placeInMap(tsneMap(set.values, result), features);
    const torch::Tensor at = placement.embedding.to(torch::kDouble).contiguous();
    Json out = Json::array();
    for (int64_t i = 0; i < at.size(0); ++i) {
        PlacedImage image;
        nameSurroundings(image, placement.neighbours[i], set.labels, set.predictions);
        const auto row = static_cast<size_t>(i);
        out.push_back({{"image", paths[static_cast<int>(i)].toStdString()}, {"x", at[i][0].item<double>()},
                       {"y", at[i][1].item<double>()}, {"prediction", predictions[row]},
                       {"prediction_label", labelName(model, predictions[row])}, {"near_class", image.nearClass},
                       {"near_label", labelName(model, image.nearClass)}, {"near_count", image.nearCount}});
    }
    return out;
}

} // namespace

int tsneCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("layer"), QStringLiteral("Layer whose features are embedded."), QStringLiteral("NAME")},
        {QStringLiteral("method"), QStringLiteral("tsne (default) or pca."), QStringLiteral("METHOD"),
         QStringLiteral("tsne")},
        {QStringLiteral("n"), QStringLiteral("Images: a seeded sample of this many (default: all)."), QStringLiteral("N")},
        {QStringLiteral("pooling"),
         QStringLiteral("Channel maps as each channel's spatial mean (mean, default) or every value (flatten)."),
         QStringLiteral("HOW"), QStringLiteral("mean")},
        {QStringLiteral("perplexity"), QStringLiteral("t-SNE perplexity (default 30)."), QStringLiteral("P")},
        {QStringLiteral("iters"), QStringLiteral("t-SNE iterations (default 1000)."), QStringLiteral("I")},
        {QStringLiteral("pca-dims"), QStringLiteral("PCA dimensions before t-SNE (default 50; 0: none)."),
         QStringLiteral("D")},
        {QStringLiteral("repulsion"),
         QStringLiteral("t-SNE repulsion: auto (exact up to 500 points, else barnes-hut), exact, barnes-hut or fft."),
         QStringLiteral("HOW"), QStringLiteral("auto")},
        {QStringLiteral("neighbours"),
         QStringLiteral("t-SNE neighbour search: auto (exact up to 20000 points, else approximate), exact or "
                        "approximate (HNSW)."),
         QStringLiteral("HOW"), QStringLiteral("auto")},
        {QStringLiteral("seed"), QStringLiteral("Seed of the sample (default 0)."), QStringLiteral("S")},
        {QStringLiteral("batch"), QStringLiteral("Images per forward pass (default: from the layer size)."),
         QStringLiteral("N")},
        {QStringLiteral("out"), QStringLiteral("Write x,y,label,prediction,image as CSV."), QStringLiteral("CSV")},
        {QStringLiteral("png"), QStringLiteral("Write the map as a scatter plot coloured by label."), QStringLiteral("PNG")},
        {QStringLiteral("size"), QStringLiteral("Side of --png in pixels (default 800)."), QStringLiteral("PX")},
        {QStringLiteral("cache"), QStringLiteral("Keep features here (default $XDG_CACHE_HOME/convscope/features)."),
         QStringLiteral("DIR")},
        {QStringLiteral("no-cache"), QStringLiteral("Neither read nor write cached features.")},
        {QStringLiteral("place"),
         QStringLiteral("t-SNE: place this image into the finished map without moving it (repeatable; an adversarial "
                        "example and its original, say)."),
         QStringLiteral("IMAGE")},
        {QStringLiteral("json"), QStringLiteral("Print N, KL divergence and seconds per phase as JSON.")},
    });
    QStringList args = parse(parser, arguments, 0, 2,
                             "tsne [MODEL] [DATASET] --layer NAME [--method tsne|pca] [--n N] [--perplexity P] "
                             "[--iters I] [--seed S] [--out emb.csv] [--png plot.png] [--place IMAGE]... [--json]");
    args = modelAndDataset(args);
    if (!parser.isSet(QStringLiteral("layer")))
        throw Error("give --layer NAME (run `convscope layers MODEL` for the names)");
    const QString method = parser.value(QStringLiteral("method"));
    if (method != QLatin1String("tsne") && method != QLatin1String("pca"))
        throw Error("unknown --method '" + method.toStdString() + "': use tsne or pca");
    const QStringList placed = parser.values(QStringLiteral("place"));
    if (!placed.isEmpty() && method != QLatin1String("tsne"))
        throw Error("--place puts images into a t-SNE map: leave out --method pca");
    FeatureOptions features;
    features.pooling = featurePoolingFromName(parser.value(QStringLiteral("pooling")).toStdString());
    if (parser.isSet(QStringLiteral("n")))
        features.samples = wholeOption(parser, QStringLiteral("n"), 2);
    if (parser.isSet(QStringLiteral("seed")))
        features.seed = static_cast<uint64_t>(wholeOption(parser, QStringLiteral("seed"), 0));
    if (parser.isSet(QStringLiteral("batch")))
        features.batchSize = wholeOption(parser, QStringLiteral("batch"), 1);
    features.cacheDir = cacheOption(parser, "features");
    TsneOptions tsneOptions;
    if (parser.isSet(QStringLiteral("perplexity")))
        tsneOptions.perplexity = numberOption(parser, QStringLiteral("perplexity"), 1);
    if (parser.isSet(QStringLiteral("iters")))
        tsneOptions.iterations = wholeOption(parser, QStringLiteral("iters"), 1);
    if (parser.isSet(QStringLiteral("pca-dims")))
        tsneOptions.pcaDimensions = wholeOption(parser, QStringLiteral("pca-dims"), 0);
    tsneOptions.repulsion = repulsionFromName(parser.value(QStringLiteral("repulsion")).toStdString());
    tsneOptions.neighbours = neighboursFromName(parser.value(QStringLiteral("neighbours")).toStdString());
    tsneOptions.reportEvery = 50; // progress and KL as often as scikit-learn checks it
    const int64_t side = parser.isSet(QStringLiteral("size")) ? wholeOption(parser, QStringLiteral("size"), 16) : 800;

    auto model = loadFromArguments(parser, args[0]);
    const int layer = model->layerIndex(parser.value(QStringLiteral("layer")).toStdString());
    const auto& in = model->info().input;
    auto dataset = io::openDataset(args[1].toStdString(), {in[0], in[1], in[2]});
    // Read first: a missing image should not wait for the map.
    std::vector<torch::Tensor> placedImages;
    for (const QString& path : placed)
        placedImages.push_back(io::readImage(path.toStdString(), in[0], in[1], in[2]));
    const ProgressFn progress = stderrProgress("tsne");

    auto start = std::chrono::steady_clock::now();
    const FeatureSet set = extractFeatures(*model, *dataset, layer, features, progress);
    const double featureSeconds = secondsSince(start);
    if (!dataset->skippedSummary().empty())
        std::cerr << "convscope tsne: note: " << dataset->skippedSummary() << '\n';
    const int64_t n = set.values.size(0);
    if (n < 2)
        throw Error("an embedding needs at least 2 images, and only " + std::to_string(n) + " could be read");

    Json out;
    out["model"] = model->info().name;
    out["dataset"] = dataset->description();
    out["layer"] = set.layer;
    out["pooling"] = featurePoolingName(set.pooling);
    out["method"] = method.toStdString();
    out["n"] = n;
    out["dims"] = set.values.size(1);
    out["features_cached"] = set.fromCache;
    torch::Tensor embedding;
    Json seconds = {{"features", featureSeconds}};
    start = std::chrono::steady_clock::now();
    if (method == QLatin1String("pca")) {
        const PcaResult p = pca(set.values, std::min<int64_t>(2, set.values.size(1)));
        embedding = p.projected.size(1) == 2 ? p.projected : torch::cat({p.projected, torch::zeros({n, 1})}, 1);
        out["explained_variance"] = p.explainedVariance;
        seconds["pca"] = secondsSince(start);
    } else {
        const TsneResult r = tsne(set.values, tsneOptions, {}, progress);
        embedding = r.embedding;
        if (!placed.isEmpty())
            out["placed"] = placeImages(*model, layer, set, r, placed, placedImages);
        out["perplexity"] = r.perplexity; // as used: clamped to (N - 1) / 3 for small N
        out["iterations"] = r.iterations;
        out["pca_dims"] = tsneOptions.pcaDimensions;
        out["kl"] = r.kl;
        out["repulsion"] = repulsionName(r.repulsion);
        out["neighbours"] = r.approximateNeighbours ? "approximate" : "exact";
        seconds["pca"] = r.secondsPca;
        seconds["neighbours"] = r.secondsNeighbours;
        seconds["affinities"] = r.secondsAffinities;
        seconds["optimization"] = r.secondsOptimization;
    }
    seconds["total"] = featureSeconds + secondsSince(start);
    out["seconds"] = seconds;

    if (parser.isSet(QStringLiteral("out"))) {
        writeEmbeddingCsv(parser.value(QStringLiteral("out")), toPoints(embedding), set.labels, set.predictions,
                          set.images);
        std::cerr << "convscope: wrote " << parser.value(QStringLiteral("out")).toStdString() << '\n';
    }
    if (parser.isSet(QStringLiteral("png"))) {
        const std::string path = parser.value(QStringLiteral("png")).toStdString();
        ScatterStyle style;
        style.width = style.height = side;
        style.radius = n > 20000 ? 1.0 : n > 2000 ? 1.8 : 3.0;
        io::writeImage(path, scatterPicture(embedding, colourClasses(dataset->labeled() ? set.labels : set.predictions), style));
        std::cerr << "convscope: wrote " << path << " (coloured by " << (dataset->labeled() ? "label" : "prediction")
                  << ")\n";
    }
    if (parser.isSet(QStringLiteral("json"))) {
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << method.toStdString() << " of " << set.layer << " (" << out["dims"].get<int64_t>() << " "
              << featurePoolingName(set.pooling) << " features) over " << n << " images of " << dataset->description()
              << '\n';
    if (out.contains("kl"))
        std::cout << "KL divergence " << std::setprecision(4) << out["kl"].get<double>() << " after "
                  << out["iterations"].get<int64_t>() << " iterations\n";
    else
    {
        std::cout << "explained variance";
        for (const auto& v : out["explained_variance"])
            std::cout << ' ' << std::setprecision(3) << 100 * v.get<double>() << " %";
        std::cout << '\n';
    }
    std::cout << "seconds: features " << std::setprecision(3) << featureSeconds << (set.fromCache ? " (cached)" : "")
              << ", total " << seconds["total"].get<double>() << '\n';
    if (out.contains("placed"))
        for (const auto& p : out["placed"])
            std::cout << "placed " << p["image"].get<std::string>() << " at (" << std::setprecision(4)
                      << p["x"].get<double>() << ", " << p["y"].get<double>() << "), predicted "
                      << p["prediction_label"].get<std::string>() << ", among " << p["near_label"].get<std::string>()
                      << " (" << p["near_count"].get<int>() << " of " << PlacedPairs::kNearest << " nearest)\n";
    return 0;
}

} // namespace convscope::cli
