// `convscope topk` and `convscope topk-merge`: the images (and patches of
// them) that make each channel fire most, over a dataset or shards of it.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "app/shell/defaults.h"
#include "core/error.h"
#include "core/model.h"
#include "core/tensor_grid.h"
#include "core/topk.h"
#include "io/datasets.h"
#include "io/image_io.h"

#include <QDir>

#include <chrono>
#include <climits>
#include <cmath>
#include <csignal>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>

namespace convscope::cli {

namespace {

// A mosaic of every channel's k patches stays a picture one can open.
constexpr int64_t kMaxMosaicValues = int64_t(1) << 25;

CancelFlag g_interrupted{false};

extern "C" void onTopkInterrupt(int)
{
    g_interrupted = true; // the scan saves what it has, so the same command resumes
}

int64_t positiveOption(const QCommandLineParser& parser, const char* name)
{
    bool ok = false;
    const QString text = parser.value(QString::fromLatin1(name));
    const int64_t v = text.toLongLong(&ok);
    if (!ok || v < 1)
        throw Error(std::string("--") + name + " must be a positive whole number, not '" + text.toStdString() + "'");
    return v;
}

void shardOption(const QCommandLineParser& parser, TopkOptions& options)
{
    if (!parser.isSet(QStringLiteral("shard")))
        return;
    const QString text = parser.value(QStringLiteral("shard"));
    const QStringList parts = text.split(QLatin1Char('/'));
    bool okShard = false, okShards = false;
    if (parts.size() == 2) {
        options.shard = parts[0].toInt(&okShard);
        options.shards = parts[1].toInt(&okShards);
    }
    if (!okShard || !okShards || options.shards < 1 || options.shard < 0 || options.shard >= options.shards)
        throw Error("bad --shard '" + text.toStdString() + "': expected i/n with 0 <= i < n, such as 0/4");
}


// "layer1.0.relu#2" as a file name; shards get their own files so that every
// shard of a scan can write into one shared folder.
std::string baseName(const TopkResult& result)
{
    QString safe = QString::fromStdString(result.layer);
    safe.replace(QLatin1Char('/'), QLatin1Char('_')).replace(QLatin1Char('#'), QLatin1Char('_'));
    if (result.shards > 1)
        safe += QStringLiteral(".shard-%1-of-%2").arg(result.shard).arg(result.shards);
    return safe.toStdString();
}

// A row per channel, its k patches resized to one size (the largest patch,
// shrunk if the mosaic would be huge); blank where a channel has fewer hits.
torch::Tensor patchMosaic(const TopkResult& result, Dataset& dataset, int64_t channels)
{
    int64_t height = 1, width = 1;
    // Each image read once for all its patches, then dropped: a strong image
    // tops many channels, and thousands of 224x224 images would not fit.
    std::map<int64_t, std::vector<std::pair<int64_t, const TopkHit*>>> cellsOf;
    for (size_t c = 0; c < result.channels.size(); ++c)
        for (size_t j = 0; j < result.channels[c].size(); ++j) {
            const TopkHit& hit = result.channels[c][j];
            height = std::max(height, hit.box[2] - hit.box[0]);
            width = std::max(width, hit.box[3] - hit.box[1]);
            cellsOf[hit.image].push_back({static_cast<int64_t>(c) * result.k + static_cast<int64_t>(j), &hit});
        }
    const auto cells = std::max<int64_t>(1, static_cast<int64_t>(result.channels.size()) * result.k);
    const double shrink = std::sqrt(static_cast<double>(kMaxMosaicValues)
                                    / static_cast<double>(cells * channels * height * width));
    if (shrink < 1) {
        height = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(height) * shrink));
        width = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(width) * shrink));
    }
    torch::Tensor tiles = torch::ones({cells, channels, height, width});
    for (const auto& [index, hits] : cellsOf) {
        const torch::Tensor image = dataset.image(index);
        for (const auto& [cell, hit] : hits) {
            torch::Tensor patch = cropBox(image, hit->box).unsqueeze(0);
            if (patch.size(2) != height || patch.size(3) != width)
                patch = torch::upsample_bilinear2d(patch, {height, width}, false);
            tiles[cell].copy_(patch[0]);
        }
    }
    // Shrunk tiles stay shrunk: enlarging them again would undo the limit.
    return tileGrid(tiles, result.k, 1, shrink < 1 ? 1 : 32);
}

void printSummary(const TopkResult& r)
{
    std::cout << r.layer << ": " << r.channels.size() << " channels, top " << r.k << " by "
              << (r.score == TopkScore::Max ? "max" : "mean") << " of " << r.total << " images";
    if (r.shards > 1)
        std::cout << " (shard " << r.shard << "/" << r.shards << ")";
    std::cout << '\n';
    for (size_t c = 0; c < r.channels.size(); ++c) {
        std::cout << "  " << pad(std::to_string(c), 5);
        for (const auto& hit : r.channels[c])
            std::cout << ' ' << hit.image << " (" << std::setprecision(4) << hit.score << ")";
        std::cout << '\n';
    }
}

void printJson(const std::vector<TopkResult>& results)
{
    if (results.size() == 1) {
        std::cout << topkJson(results[0]) << '\n';
        return;
    }
    std::cout << "[\n";
    for (size_t i = 0; i < results.size(); ++i)
        std::cout << topkJson(results[i]) << (i + 1 < results.size() ? ",\n" : "\n");
    std::cout << "]\n";
}

} // namespace

int topkCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("layer"), QStringLiteral("Layer to scan (repeatable)."), QStringLiteral("NAME")},
        {QStringLiteral("k"), QStringLiteral("Images kept per channel (default 9)."), QStringLiteral("K"),
         QStringLiteral("9")},
        {QStringLiteral("score"),
         QStringLiteral("max (of the channel's map, default) or mean; a fully connected unit is its own score."),
         QStringLiteral("SCORE"), QStringLiteral("max")},
        {QStringLiteral("out"),
         QStringLiteral("Write DIR/<layer>.json and DIR/<layer>.png (a row of patches per channel); a shard's files "
                        "are named <layer>.shard-i-of-n."),
         QStringLiteral("DIR")},
        {QStringLiteral("shard"), QStringLiteral("Scan only images i with i % n == s (for topk-merge)."),
         QStringLiteral("s/n")},
        {QStringLiteral("batch"), QStringLiteral("Images per forward pass (default: from the layer sizes)."),
         QStringLiteral("N")},
        {QStringLiteral("cache"),
         QStringLiteral("Keep results and interrupted scans here (default $XDG_CACHE_HOME/convscope/topk)."),
         QStringLiteral("DIR")},
        {QStringLiteral("no-cache"), QStringLiteral("Neither read nor write the cache.")},
        {QStringLiteral("json"), QStringLiteral("Print the results as JSON (an array for several layers).")},
    });
    QStringList args = parse(parser, arguments, 0, 2,
                             "topk [MODEL] [DATASET] --layer NAME [--layer NAME ...] [--k 9] [--score max|mean] "
                             "[--out DIR] [--shard i/n] [--json] [--cache DIR|--no-cache]");
    args = modelAndDataset(args);
    const QStringList names = parser.values(QStringLiteral("layer"));
    if (names.isEmpty())
        throw Error("give at least one --layer NAME (run `convscope layers MODEL` for the names)");
    TopkOptions options;
    options.k = positiveOption(parser, "k");
    const QString score = parser.value(QStringLiteral("score"));
    if (score != QLatin1String("max") && score != QLatin1String("mean"))
        throw Error("unknown --score '" + score.toStdString() + "': use max or mean");
    options.score = score == QLatin1String("max") ? TopkScore::Max : TopkScore::Mean;
    shardOption(parser, options);
    if (parser.isSet(QStringLiteral("batch")))
        options.batchSize = positiveOption(parser, "batch");
    options.cacheDir = cacheOption(parser, "topk");

    auto model = loadFromArguments(parser, args[0]);
    std::vector<int> layers;
    for (const auto& name : names)
        layers.push_back(model->layerIndex(name.toStdString()));
    const auto& in = model->info().input;
    auto dataset = io::openDataset(args[1].toStdString(), {in[0], in[1], in[2]});

    // The first batch reports at once (so a user sees the scan has started and
    // how big it is, however fast the machine), then about once a second.
    const ProgressFn report = stderrProgress("topk");
    g_interrupted = false;
    auto previous = std::signal(SIGINT, onTopkInterrupt);
    std::vector<TopkResult> results;
    try {
        results = topkScan(*model, *dataset, layers, options, report, &g_interrupted);
    } catch (const Cancelled&) {
        std::signal(SIGINT, previous);
        std::cerr << "convscope topk: interrupted"
                  << (options.cacheDir.empty() ? std::string(": nothing kept (--no-cache)")
                                               : "; run the same command again to resume")
                  << '\n';
        return 130;
    } catch (...) {
        std::signal(SIGINT, previous);
        throw;
    }
    std::signal(SIGINT, previous);
    if (!dataset->skippedSummary().empty())
        std::cerr << "convscope topk: note: " << dataset->skippedSummary() << '\n';

    if (parser.isSet(QStringLiteral("out"))) {
        const QString dir = parser.value(QStringLiteral("out"));
        if (!QDir().mkpath(dir))
            throw Error("cannot create " + dir.toStdString());
        for (const auto& result : results) {
            const std::string base = dir.toStdString() + "/" + baseName(result);
            writeTopkFile(base + ".json", result);
            io::writeImage(base + ".png", patchMosaic(result, *dataset, in[0]));
            std::cerr << "convscope: wrote " << base << ".json and .png\n";
        }
    }
    if (parser.isSet(QStringLiteral("json")))
        printJson(results);
    else
        for (const auto& result : results)
            printSummary(result);
    return 0;
}

int topkMergeCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    parser.addOptions({
        {QStringLiteral("out"), QStringLiteral("Write the merged result here."), QStringLiteral("JSON")},
        {QStringLiteral("json"), QStringLiteral("Print the merged result as JSON.")},
    });
    const QStringList files
        = parse(parser, arguments, 1, INT_MAX, "topk-merge SHARD.json [SHARD.json ...] [--out merged.json] [--json]");
    std::vector<TopkResult> shards;
    for (const auto& file : files)
        shards.push_back(readTopkFile(file.toStdString()));
    const TopkResult merged = mergeTopk(shards);
    if (parser.isSet(QStringLiteral("out"))) {
        writeTopkFile(parser.value(QStringLiteral("out")).toStdString(), merged);
        std::cerr << "convscope: wrote " << parser.value(QStringLiteral("out")).toStdString() << '\n';
    }
    if (parser.isSet(QStringLiteral("json")))
        std::cout << topkJson(merged) << '\n';
    else
        printSummary(merged);
    return 0;
}

} // namespace convscope::cli
