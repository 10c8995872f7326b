#include "app/cli/common.h"

#include "app/cli/json_matrix.h"

#include "app/cli/options.h"
#include "app/shell/defaults.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/lent_class_names.h"
#include "core/model.h"
#include "core/model_report.h"
#include "core/segmentation.h"
#include "io/datasets.h"
#include "io/image_io.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <QFileInfo>

#include <chrono>
#include <cmath>
#include <iostream>

namespace convscope {

std::string cli::pad(const std::string& s, size_t width)
{
    return padRight(s, width);
}

void cli::waitFor(const std::function<bool()>& done, qint64 timeoutMs, const char* what)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            throw Error(std::string("timed out waiting for ") + what);
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
}

QString cli::modelArgument(const QStringList& args)
{
    return args.isEmpty() ? defaultModelPath() : args[0];
}

std::unique_ptr<Model> cli::loadFromArguments(QCommandLineParser& parser, const QString& path, ModelUse use)
{
    LoadOptions options = modelOptions(parser);
    auto model = Model::load(path.toStdString(), options);
    if (use == ModelUse::Images && !takesImages(model->info()))
        throw Error(notAnImageMessage(model->info()));
    for (const auto& note : model->info().notes)
        std::cerr << "convscope: note: " << note << '\n';
    return model;
}

void cli::lendClassNames(const QCommandLineParser& parser, std::unique_ptr<Model>& model, const Dataset& dataset)
{
    std::vector<std::string> names = lentClassNames(model->info(), dataset);
    if (names.empty())
        return;
    LoadOptions options = modelOptions(parser);
    options.overrides.labels = std::move(names);
    model = Model::load(model->info().path, options);
    std::cerr << "convscope: note: " << lentClassNamesNote(dataset) << '\n';
}

void cli::addInputOptions(QCommandLineParser& parser)
{
    parser.addOptions({
        {QStringLiteral("data"), QStringLiteral("Without IMAGE: take the input from this dataset's test split (default: digits)."),
         QStringLiteral("DATASET"), defaultDatasetSpec()},
        {QStringLiteral("index"), QStringLiteral("Which test image of --data (default 0)."), QStringLiteral("N"), QStringLiteral("0")},
    });
}

QStringList cli::withDefaultModel(QStringList args)
{
    if (args.size() == 1 && io::isImageFileName(args[0].toStdString()))
        args.prepend(defaultModelPath());
    return args;
}

cli::Input cli::readInput(const QCommandLineParser& parser, const QStringList& args, std::unique_ptr<Model>& model)
{
    const auto in = model->info().input;
    Input input;
    if (args.size() == 2) {
        input.source = args[1].toStdString();
        input.pixels = io::readImage(input.source, in[0], in[1], in[2]);
        return input;
    }
    // No image: a test image of the dataset, in the model's format.
    auto dataset = io::openDataset(parser.value(QStringLiteral("data")).toStdString(), {in[0], in[1], in[2]});
    lendClassNames(parser, model, *dataset);
    const std::vector<int64_t> items = walkedItems(*dataset); // as the GUI walks it
    const int64_t index = indexOption(parser, QStringLiteral("index"), static_cast<int64_t>(items.size()));
    const int64_t item = items[static_cast<size_t>(index)];
    input.pixels = dataset->image(item).unsqueeze(0);
    input.source = dataset->itemName(item);
    input.labelMap = dataset->labelMap(item);
    return input;
}

bool cli::looksLikeModel(const QString& path)
{
    return path.endsWith(QLatin1String(".pt")) || path.endsWith(QLatin1String(".pth"))
        || path.endsWith(QLatin1String(".ptl"));
}

std::string cli::defaultCacheDir(const char* kind)
{
    return cacheDir(QString::fromLatin1(kind)).toStdString();
}

ProgressFn cli::stderrProgress(const std::string& command, bool percent)
{
    auto last = std::make_shared<std::optional<std::chrono::steady_clock::time_point>>();
    return [command, percent, last](double fraction, const std::string& stage) {
        if (fraction == kNote) {
            std::cerr << "convscope " << command << ": note: " << stage << '\n';
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (*last && std::chrono::duration<double>(now - **last).count() < 1)
            return;
        std::cerr << "convscope " << command << ": " << stage;
        if (percent)
            std::cerr << " (" << std::lround(100 * fraction) << " %)";
        std::cerr << '\n';
        *last = now;
    };
}

ProgressFn cli::stderrNotes(const std::string& command)
{
    const ProgressFn print = stderrProgress(command);
    return [print](double fraction, const std::string& stage) {
        if (fraction == kNote)
            print(fraction, stage);
    };
}

std::string cli::labelName(const Model& model, int64_t index)
{
    const auto& labels = model.info().labels;
    return index >= 0 && index < static_cast<int64_t>(labels.size()) ? labels[static_cast<size_t>(index)]
                                                                      : std::to_string(index);
}

QStringList cli::modelAndDataset(QStringList args)
{
    if (args.size() == 1 && looksLikeModel(args[0]))
        args.append(defaultDatasetSpec());
    if (args.size() == 1)
        args.prepend(defaultModelPath());
    if (args.isEmpty())
        args = {defaultModelPath(), defaultDatasetSpec()};
    return args;
}

QSize cli::sizeOption(const QCommandLineParser& parser, QSize smallest)
{
    const QString text = parser.value(QStringLiteral("size"));
    const QStringList parts = text.toLower().split(QLatin1Char('x'));
    bool okW = false, okH = false;
    const int w = parts.value(0).toInt(&okW), h = parts.value(1).toInt(&okH);
    if (parts.size() != 2 || !okW || !okH || w < smallest.width() || h < smallest.height() || w > 8000 || h > 8000)
        throw Error("--size wants WIDTHxHEIGHT between " + std::to_string(smallest.width()) + "x"
                    + std::to_string(smallest.height()) + " and 8000x8000, not '" + text.toStdString() + "'");
    return {w, h};
}

std::string cli::cacheOption(const QCommandLineParser& parser, const char* kind)
{
    if (parser.isSet(QStringLiteral("cache")) && parser.isSet(QStringLiteral("no-cache")))
        throw Error("give either --cache DIR or --no-cache");
    if (parser.isSet(QStringLiteral("no-cache")))
        return {};
    return parser.isSet(QStringLiteral("cache")) ? parser.value(QStringLiteral("cache")).toStdString()
                                                 : defaultCacheDir(kind);
}

nlohmann::ordered_json cli::jsonIntMatrix(const torch::Tensor& t)
{
    const torch::Tensor m = t.to(torch::kCPU, torch::kLong).contiguous();
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (int64_t r = 0; r < m.size(0); ++r) {
        const int64_t* row = m[r].data_ptr<int64_t>();
        rows.push_back(std::vector<int64_t>(row, row + m.size(1)));
    }
    return rows;
}

nlohmann::ordered_json cli::namedValues(const std::vector<double>& values, const std::vector<std::string>& names)
{
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (size_t i = 0; i < values.size(); ++i)
        out[names.at(i)] = std::isnan(values[i]) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(values[i]);
    return out;
}

nlohmann::ordered_json cli::jsonMatrix(const torch::Tensor& t)
{
    const torch::Tensor m = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (int64_t r = 0; r < m.size(0); ++r) {
        const double* row = m[r].data_ptr<double>();
        rows.push_back(std::vector<double>(row, row + m.size(1)));
    }
    return rows;
}


void cli::addRegionOptions(QCommandLineParser& parser)
{
    parser.addOptions({
        {QStringLiteral("region"), QStringLiteral("Segmentation models: explain the box x0,y0,x1,y1 (input pixels)."),
         QStringLiteral("BOX")},
        {QStringLiteral("mask-class"),
         QStringLiteral("Segmentation models: explain the pixels predicted as class C (default: the target's)."),
         QStringLiteral("C")},
    });
}

cli::RegionChoice cli::regionChoice(const QCommandLineParser& parser, Model& model, const torch::Tensor& pixels,
                                    int64_t target)
{
    const bool box = parser.isSet(QStringLiteral("region")), byClass = parser.isSet(QStringLiteral("mask-class"));
    RegionChoice choice;
    choice.target = target;
    if (!isSegmentation(model.info())) {
        if (box || byClass)
            throw Error("--region and --mask-class are for segmentation models; " + model.info().name
                        + " is a classifier (one score per class)");
        return choice;
    }
    if (box && byClass)
        throw Error("--region and --mask-class: give one");
    Region region;
    if (box)
        region.box = parseRegionBox(parser.value(QStringLiteral("region")).toStdString());
    if (byClass)
        region.maskClass = indexOption(parser, QStringLiteral("mask-class"), model.info().outputs);
    const SegmentationMap map = segmentImage(model, pixels);
    if (choice.target < 0)
        choice.target = byClass ? region.maskClass : largestForegroundClass(map.classes, model.info().outputs);
    choice.mask = regionMask(model, region, map.classes, choice.target);
    choice.pixels = static_cast<int64_t>(choice.mask.sum().item<double>());
    if (box) {
        const auto b = *region.box;
        choice.text = "box " + std::to_string(b[0]) + "," + std::to_string(b[1]) + "," + std::to_string(b[2]) + ","
                      + std::to_string(b[3]);
    } else {
        const int64_t c = byClass ? region.maskClass : choice.target;
        choice.text = "predicted mask of " + labelName(model, c);
    }
    return choice;
}

} // namespace convscope
