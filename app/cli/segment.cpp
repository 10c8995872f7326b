// `convscope segment`: the class of every pixel, from a segmentation model
// (FCN, DeepLab, U-Net), with each class's share and, given labels, its IoU.

#include "app/cli/common.h"
#include "app/cli/json_matrix.h"
#include "app/cli/options.h"
#include "core/error.h"
#include "core/dataset.h"
#include "core/model.h"
#include "core/npy.h"
#include "core/segmentation.h"
#include "io/datasets.h"
#include "io/image_io.h"

#include <QCommandLineParser>
#include <QDir>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

// The label image in class indices, at the class map's size.
torch::Tensor readLabels(const std::string& path, const Model& model, const torch::Tensor& classMap)
{
    const torch::Tensor rgb = io::readImageNative(path, 3)[0] * 255.0;
    const torch::Tensor labels = labelsFromImage(rgb, model.info().palette);
    if (labels.size(0) == classMap.size(0) && labels.size(1) == classMap.size(1))
        return labels;
    const auto& in = model.info().input;
    if (labels.size(0) != in[1] || labels.size(1) != in[2])
        throw Error("the label image " + path + " is " + std::to_string(labels.size(1)) + "x" + std::to_string(labels.size(0))
                    + ": give it at the model's input size " + std::to_string(in[2]) + "x" + std::to_string(in[1])
                    + " or its output size " + std::to_string(classMap.size(1)) + "x" + std::to_string(classMap.size(0)));
    return classMapAtSize(labels, classMap.size(0), classMap.size(1));
}

// --all: the model over every labeled item of --data.
int segmentDataset(const QCommandLineParser& parser, const QStringList& args, Model& model)
{
    if (args.size() == 2)
        throw Error("--all scores the items of --data: give no IMAGE");
    const auto& in = model.info().input;
    auto dataset = io::openDataset(parser.value(QStringLiteral("data")).toStdString(), {in[0], in[1], in[2]});
    SegmentationScore score(model.info().outputs);
    std::vector<torch::Tensor> images, labels, predicted;
    const ProgressFn progress = stderrProgress("segment");
    for (int64_t i = 0; i < dataset->size(); ++i) {
        const torch::Tensor truth = dataset->labelMap(i);
        if (!truth.defined())
            throw Error(dataset->description() + " has no per-pixel labels: --all needs a dataset such as digit-canvas");
        const torch::Tensor image = dataset->image(i);
        const SegmentationMap map = segmentImage(model, image);
        score.add(map.classes, truth, 255);
        if (parser.isSet(QStringLiteral("save-arrays"))) {
            images.push_back(image);
            labels.push_back(truth.to(torch::kUInt8));
            predicted.push_back(map.classes.to(torch::kUInt8));
        }
        progress(static_cast<double>(i + 1) / static_cast<double>(dataset->size()), "segmenting");
    }
    if (parser.isSet(QStringLiteral("save-arrays"))) {
        const QString folder = parser.value(QStringLiteral("save-arrays"));
        if (!QDir().mkpath(folder))
            throw Error("cannot make the folder " + folder.toStdString());
        writeNpy(QDir(folder).filePath(QStringLiteral("images.npy")).toStdString(), torch::stack(images));
        writeNpy(QDir(folder).filePath(QStringLiteral("labels.npy")).toStdString(), torch::stack(labels));
        writeNpy(QDir(folder).filePath(QStringLiteral("predicted.npy")).toStdString(), torch::stack(predicted));
        std::cerr << "convscope: wrote images.npy, labels.npy and predicted.npy in " << folder.toStdString() << '\n';
    }
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model.info().name;
        out["dataset"] = dataset->identity();
        out["images"] = dataset->size();
        out["pixel_accuracy"] = score.pixelAccuracy();
        out["mean_iou"] = score.meanIoU();
        out["iou"] = namedValues(score.iou(), model.info().labels);
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << model.info().name << " on " << dataset->description() << ": pixel accuracy " << std::fixed
              << std::setprecision(2) << score.pixelAccuracy() * 100 << " %, mean IoU " << std::setprecision(4)
              << score.meanIoU() << '\n';
    const std::vector<double> values = score.iou();
    for (int64_t c = 0; c < model.info().outputs; ++c)
        if (!std::isnan(values[static_cast<size_t>(c)]))
            std::cout << "  IoU " << values[static_cast<size_t>(c)] << "  " << labelName(model, c) << '\n';
    return 0;
}

} // namespace

int segmentCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("out"), QStringLiteral("Write the class map in the model's palette as a PNG."), QStringLiteral("PNG")},
        {QStringLiteral("overlay"), QStringLiteral("Write the class colours over the input as a PNG."), QStringLiteral("PNG")},
        {QStringLiteral("opacity"), QStringLiteral("Opacity of the colours in --overlay, 0..1 (default 0.5)."),
         QStringLiteral("A"), QStringLiteral("0.5")},
        {QStringLiteral("labels-image"),
         QStringLiteral("True classes per pixel (gray values = class indices, or palette colours): IoU per class."),
         QStringLiteral("PNG")},
        {QStringLiteral("with-scores"), QStringLiteral("--json: add the model's scores per class and pixel.")},
        {QStringLiteral("all"),
         QStringLiteral("Every item of --data that has per-pixel labels (digit-canvas): pixel accuracy and IoU over them all.")},
        {QStringLiteral("save-arrays"),
         QStringLiteral("With --all: write images.npy, labels.npy and predicted.npy (NumPy) into this folder."),
         QStringLiteral("DIR")},
        {QStringLiteral("json"), QStringLiteral("Print JSON: each class's pixels, the class map, and IoU with labels.")},
    });
    addInputOptions(parser);
    const QStringList args = withDefaultModel(parse(parser, arguments, 0, 2,
        "segment [MODEL] [IMAGE] [--out mask.png] [--overlay over.png] [--opacity A] [--labels-image PNG] [--json]\n"
        "       segment [MODEL] --data digit-canvas --all [--save-arrays DIR] [--json]"));
    const double opacity = numberOption(parser, QStringLiteral("opacity"), 0);
    if (opacity > 1)
        throw Error("--opacity is between 0 and 1");
    auto model = loadFromArguments(parser, modelArgument(args));
    if (!isSegmentation(model->info()))
        throw Error(model->info().name + " is a classifier (its output is one score per class): segment needs a model "
                    "whose output is [N, C, H, W] scores per pixel, such as torchvision's FCN or models/unet_digits.pt");
    if (parser.isSet(QStringLiteral("all")))
        return segmentDataset(parser, args, *model);
    if (parser.isSet(QStringLiteral("save-arrays")))
        throw Error("--save-arrays goes with --all");
    const Input input = readInput(parser, args, model);
    const SegmentationMap map = segmentImage(*model, input.pixels);
    const ModelInfo& info = model->info();

    if (parser.isSet(QStringLiteral("out"))) {
        const std::string path = parser.value(QStringLiteral("out")).toStdString();
        io::writeImage(path, paintClassMap(map.classes, info.palette).permute({2, 0, 1}).to(torch::kFloat32) / 255.0);
        std::cerr << "convscope: wrote " << path << '\n';
    }
    if (parser.isSet(QStringLiteral("overlay"))) {
        const std::string path = parser.value(QStringLiteral("overlay")).toStdString();
        io::writeImage(path, classMapOverlay(map.classes, input.pixels[0], info.palette, opacity));
        std::cerr << "convscope: wrote " << path << '\n';
    }
    torch::Tensor labels = input.labelMap;
    if (parser.isSet(QStringLiteral("labels-image")))
        labels = readLabels(parser.value(QStringLiteral("labels-image")).toStdString(), *model, map.classes);
    std::optional<SegmentationScore> score;
    if (labels.defined()) {
        score.emplace(info.outputs);
        score->add(map.classes, labels.to(torch::kLong), 255);
    }

    const std::vector<int64_t> counts = classPixelCounts(map.classes, info.outputs);
    std::vector<int64_t> order;
    for (int64_t c = 0; c < info.outputs; ++c)
        if (counts[static_cast<size_t>(c)] > 0)
            order.push_back(c);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return counts[static_cast<size_t>(a)] > counts[static_cast<size_t>(b)];
    });
    const double total = static_cast<double>(map.classes.numel());
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = info.name;
        out["image"] = input.source;
        out["output_size"] = {map.classes.size(0), map.classes.size(1)};
        out["classes"] = Json::array();
        for (int64_t c : order)
            out["classes"].push_back({{"class", c},
                                      {"label", labelName(*model, c)},
                                      {"pixels", counts[static_cast<size_t>(c)]},
                                      {"share", static_cast<double>(counts[static_cast<size_t>(c)]) / total}});
        if (score) {
            out["pixel_accuracy"] = score->pixelAccuracy();
            out["mean_iou"] = score->meanIoU();
            out["iou"] = namedValues(score->iou(), info.labels);
        }
        out["class_map"] = jsonIntMatrix(map.classes);
        if (parser.isSet(QStringLiteral("with-scores"))) {
            out["scores"] = Json::array();
            for (int64_t c = 0; c < map.scores.size(0); ++c)
                out["scores"].push_back(jsonMatrix(map.scores[c]));
        }
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << info.name << " on " << input.source << ": " << map.classes.size(1) << "x" << map.classes.size(0)
              << " class map\n";
    for (int64_t c : order)
        std::cout << "  " << std::setw(5) << std::fixed << std::setprecision(1)
                  << 100.0 * static_cast<double>(counts[static_cast<size_t>(c)]) / total << " %  " << labelName(*model, c)
                  << " (" << counts[static_cast<size_t>(c)] << " px)\n";
    if (score) {
        std::cout << "pixel accuracy " << std::setprecision(2) << score->pixelAccuracy() * 100 << " %, mean IoU "
                  << std::setprecision(4) << score->meanIoU() << '\n';
        const std::vector<double> values = score->iou();
        for (int64_t c = 0; c < info.outputs; ++c)
            if (!std::isnan(values[static_cast<size_t>(c)]))
                std::cout << "  IoU " << std::setprecision(4) << values[static_cast<size_t>(c)] << "  "
                          << labelName(*model, c) << '\n';
    }
    return 0;
}

} // namespace convscope::cli
