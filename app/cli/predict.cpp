// `convscope predict`: the classes a model gives each image, best first (the
// window's top-5 list, for any number of images and any k).

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "app/shell/class_text.h"
#include "app/shell/defaults.h"
#include "core/error.h"
#include "core/model.h"
#include "io/image_io.h"

#include <QCommandLineParser>
#include <QFile>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

struct Guess {
    int64_t index = 0;
    std::string label;
    double probability = 0;
    double logit = 0;
};

struct Prediction {
    std::string image;
    std::vector<Guess> top;
};

// A TorchScript file is a zip archive; an image never starts like one. So a
// model without the usual extension is still taken for the model.
bool isModelFile(const QString& path)
{
    if (looksLikeModel(path))
        return true;
    QFile file(path);
    return file.open(QIODevice::ReadOnly) && file.read(4) == QByteArrayLiteral("PK\x03\x04");
}

Prediction predict(Model& model, const std::string& image, int64_t k)
{
    const auto& in = model.info().input;
    const torch::Tensor pixels = io::readImage(image, in[0], in[1], in[2]);
    torch::Tensor logits;
    {
        torch::NoGradGuard noGrad;
        logits = model.logits(pixels)[0].to(torch::kCPU, torch::kFloat32);
    }
    // The window's top-5 list (app/shell/class_text), with k classes.
    QVector<qint64> indices;
    const auto classes = topClasses(torch::softmax(logits, 0), model.info().labels, k, &indices);
    Prediction prediction{image, {}};
    for (int i = 0; i < classes.size(); ++i)
        prediction.top.push_back({indices[i], classes[i].first.toStdString(), classes[i].second,
                                  logits[indices[i]].item<double>()});
    return prediction;
}

// The label beside the number, or nothing where the label is the number.
std::string shownLabel(const Guess& guess)
{
    return guess.label == std::to_string(guess.index) ? std::string() : guess.label;
}

// "  <0.01 %" rather than a probability that rounds to nothing.
std::string percentText(double probability)
{
    char text[32];
    if (probability > 0 && probability < 0.00005)
        std::snprintf(text, sizeof text, "%7s %%", "<0.01");
    else
        std::snprintf(text, sizeof text, "%7.2f %%", 100 * probability);
    return text;
}

// Per image, its path and a row per class: number, label, probability,
// logit, in columns as wide as the widest shown (labels at most 32).
void printText(const std::vector<Prediction>& predictions)
{
    size_t indexWidth = 1, labelWidth = 0;
    for (const auto& p : predictions)
        for (const auto& g : p.top) {
            indexWidth = std::max(indexWidth, std::to_string(g.index).size());
            labelWidth = std::max(labelWidth, shownLabel(g).size());
        }
    labelWidth = std::min<size_t>(labelWidth, 32);
    for (size_t i = 0; i < predictions.size(); ++i) {
        if (i > 0)
            std::cout << '\n';
        std::cout << predictions[i].image << '\n';
        for (const auto& g : predictions[i].top) {
            const std::string index = std::to_string(g.index);
            char logit[32];
            std::snprintf(logit, sizeof logit, "   logit %8.3f", g.logit);
            std::cout << "  " << std::string(indexWidth - index.size(), ' ') << index << "  "
                      << (labelWidth > 0 ? pad(shownLabel(g), labelWidth + 1) : std::string())
                      << percentText(g.probability) << logit << '\n';
        }
    }
}

Json toJson(const std::vector<Prediction>& predictions, const Model& model)
{
    Json list = Json::array();
    for (const auto& p : predictions) {
        Json top = Json::array();
        for (const auto& g : p.top)
            top.push_back({{"index", g.index}, {"label", g.label}, {"prob", g.probability}, {"logit", g.logit}});
        list.push_back({{"image", p.image}, {"model", model.info().name}, {"top", top}});
    }
    return list;
}

} // namespace

int predictCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("top"), QStringLiteral("How many classes to list per image (default 5; at most the model's)."),
         QStringLiteral("K"), QStringLiteral("5")},
        {QStringLiteral("json"), QStringLiteral("Print JSON: a list with one object per image.")},
    });
    QStringList args = parse(parser, arguments, 1, std::numeric_limits<int>::max(),
                             "predict [MODEL] IMAGE [IMAGE ...] [--top K] [--json]");
    const int64_t k = wholeOption(parser, QStringLiteral("top"), 1);
    const QString modelPath = isModelFile(args[0]) ? args.takeFirst() : defaultModelPath();
    if (args.isEmpty())
        throw Error("give at least one IMAGE after the model");
    auto model = loadFromArguments(parser, modelPath);
    // Every image is read before anything is printed: one that cannot be
    // read fails the command with its line and no half list.
    std::vector<Prediction> predictions;
    for (const QString& image : args)
        predictions.push_back(predict(*model, image.toStdString(), k));
    if (parser.isSet(QStringLiteral("json")))
        std::cout << toJson(predictions, *model).dump(2) << '\n';
    else
        printText(predictions);
    return 0;
}

} // namespace convscope::cli
