// `convscope sanity`: the model-parameter randomization test (Adebayo et
// al. 2018) — each saliency method's map on the trained model against its
// map as the model's layers are re-initialized, with the paper's figure.

#include "app/cli/common.h"
#include "app/cli/json_matrix.h"
#include "app/cli/options.h"
#include "app/shell/atomic_save.h"
#include "app/views/saliency/sanity_run.h"
#include "core/error.h"
#include "core/model.h"
#include "core/sanity.h"

#include <torch/script.h>

#include <QImage>

#include <nlohmann/json.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

std::vector<SaliencyMethod> methodsOption(const QCommandLineParser& parser)
{
    if (!parser.isSet(QStringLiteral("methods")))
        return allSanityMethods();
    std::vector<SaliencyMethod> methods;
    for (const QString& name : parser.value(QStringLiteral("methods")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const SaliencyMethod method = saliencyMethodFromName(name.trimmed().toStdString());
        if (std::find(methods.begin(), methods.end(), method) == methods.end())
            methods.push_back(method);
    }
    if (methods.empty())
        throw Error("--methods needs at least one method");
    return methods;
}

void write(const QString& error, const std::string& path)
{
    if (!error.isEmpty())
        throw Error("cannot write " + path + ": " + error.toStdString());
    std::cerr << "convscope: wrote " << path << '\n';
}

Json resultJson(const Model& model, const SanityResult& result, bool withMaps)
{
    Json methods = Json::object();
    for (size_t m = 0; m < result.methods.size(); ++m) {
        Json steps = Json::array();
        for (size_t s = 0; s < result.cells[m].size(); ++s) {
            const SanityCell& cell = result.cells[m][s];
            Json step = {{"step", result.steps[s]},
                         {"layer", result.stepNames[s]},
                         {"spearman_abs", cell.similarity.spearmanAbs},
                         {"spearman", cell.similarity.spearman},
                         {"ssim", cell.similarity.ssim},
                         {"hog", cell.similarity.hog}};
            if (withMaps) {
                step["absolute"] = jsonMatrix(cell.maps.absolute);
                step["signed"] = jsonMatrix(cell.maps.signedMap);
            }
            steps.push_back(step);
        }
        methods[saliencyMethodName(result.methods[m])] = steps;
    }
    Json out;
    out["target"] = result.target;
    out["target_label"] = labelName(model, result.target);
    out["predicted"] = result.predicted;
    if (!result.camLayer.empty())
        out["cam_layer"] = result.camLayer;
    out["methods"] = methods;
    return out;
}

} // namespace

int sanityCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("methods"),
         QStringLiteral("Comma-separated saliency methods (default: all of them): gradient, smoothgrad, ig, gradcam, "
                        "guided, guided-gradcam, gradcam++, scorecam, deconvnet."),
         QStringLiteral("LIST")},
        {QStringLiteral("mode"), QStringLiteral("cascading (default: re-initialize from the last layer backwards) or "
                                                "independent (one layer at a time)."),
         QStringLiteral("MODE"), QStringLiteral("cascading")},
        {QStringLiteral("seed"), QStringLiteral("Seed of the re-initialized weights (default 0)."), QStringLiteral("S"),
         QStringLiteral("0")},
        {QStringLiteral("steps"), QStringLiteral("Only the first N randomization steps (default: every layer)."),
         QStringLiteral("N")},
        {QStringLiteral("step"), QStringLiteral("Only step K (1 = the last layer)."), QStringLiteral("K")},
        {QStringLiteral("target"), QStringLiteral("Class to explain (default: the trained model's prediction)."),
         QStringLiteral("C")},
        {QStringLiteral("score"), QStringLiteral("logit (default) or prob."), QStringLiteral("SCORE"), QStringLiteral("logit")},
        {QStringLiteral("layer"), QStringLiteral("The CAM methods' layer (default: the last conv feature map)."),
         QStringLiteral("NAME")},
        {QStringLiteral("samples"), QStringLiteral("SmoothGrad: noisy copies (default 25)."), QStringLiteral("N"),
         QStringLiteral("25")},
        {QStringLiteral("noise"), QStringLiteral("SmoothGrad: noise sigma as a fraction of the input's range (default 0.15)."),
         QStringLiteral("F"), QStringLiteral("0.15")},
        {QStringLiteral("noise-seed"), QStringLiteral("SmoothGrad: seed of the noise (default 0)."), QStringLiteral("S"),
         QStringLiteral("0")},
        {QStringLiteral("ig-steps"), QStringLiteral("Integrated Gradients: points on the path (default 50)."),
         QStringLiteral("N"), QStringLiteral("50")},
        {QStringLiteral("baseline"), QStringLiteral("Integrated Gradients: path start, zero (default), gray, mean or blur."),
         QStringLiteral("FILL"), QStringLiteral("zero")},
        {QStringLiteral("batch"), QStringLiteral("Copies per pass for SmoothGrad, IG and Score-CAM (default: what 1 GiB holds)."),
         QStringLiteral("N")},
        {QStringLiteral("metric"), QStringLiteral("The figure's chart: spearman_abs (default), spearman, ssim or hog."),
         QStringLiteral("NAME"), QStringLiteral("spearman_abs")},
        {QStringLiteral("colormap"), QStringLiteral("The figure's maps: inferno (default), viridis, jet or gray."),
         QStringLiteral("NAME"), QStringLiteral("inferno")},
        {QStringLiteral("tile"), QStringLiteral("Pixels per map in the figure (default 96)."), QStringLiteral("PX"),
         QStringLiteral("96")},
        {QStringLiteral("out"), QStringLiteral("Write the figure (maps, and the similarity against the step) as a PNG."),
         QStringLiteral("PNG")},
        {QStringLiteral("csv"), QStringLiteral("Write method,step,layer and the four similarities as CSV."),
         QStringLiteral("FILE")},
        {QStringLiteral("save-model"), QStringLiteral("Save the randomized copy, as the last step left it, as TorchScript."),
         QStringLiteral("PT")},
        {QStringLiteral("json"), QStringLiteral("Print JSON: per method, per step, the layer randomized and the similarities.")},
        {QStringLiteral("with-maps"), QStringLiteral("Add each step's normalized maps (absolute, signed) to --json.")},
    });
    addInputOptions(parser);
    const QStringList args = withDefaultModel(parse(parser, arguments, 0, 2,
        "sanity [MODEL] [IMAGE] [--methods gradient,smoothgrad,ig,gradcam,guided,...] [--mode cascading|independent] "
        "[--seed S] [--steps N | --step K] [--out figure.png] [--csv FILE] [--json]"));
    SanityOptions options;
    options.methods = methodsOption(parser);
    options.mode = randomizationFromName(parser.value(QStringLiteral("mode")).toStdString());
    const auto seed = static_cast<uint64_t>(wholeOption(parser, QStringLiteral("seed"), 0));
    SaliencyOptions& saliency = options.saliency;
    saliency.score = scoreFromName(parser.value(QStringLiteral("score")).toStdString());
    saliency.samples = wholeOption(parser, QStringLiteral("samples"), 1);
    saliency.noise = numberOption(parser, QStringLiteral("noise"), 0);
    saliency.seed = static_cast<uint64_t>(wholeOption(parser, QStringLiteral("noise-seed"), 0));
    saliency.steps = wholeOption(parser, QStringLiteral("ig-steps"), 1);
    saliency.baseline = baselineFromName(parser.value(QStringLiteral("baseline")).toStdString());
    if (parser.isSet(QStringLiteral("batch")))
        saliency.batch = wholeOption(parser, QStringLiteral("batch"), 1);
    const std::string metric = parser.value(QStringLiteral("metric")).toStdString();
    checkSanityMetric(metric);
    const Colormap colormap = colormapFromName(parser.value(QStringLiteral("colormap")).toStdString());
    const int tile = static_cast<int>(wholeOption(parser, QStringLiteral("tile"), 16));
    if (parser.isSet(QStringLiteral("steps")) && parser.isSet(QStringLiteral("step")))
        throw Error("--steps and --step: give one");

    auto model = loadFromArguments(parser, modelArgument(args));
    if (parser.isSet(QStringLiteral("target")))
        saliency.target = indexOption(parser, QStringLiteral("target"), model->info().outputs);
    if (parser.isSet(QStringLiteral("layer")))
        saliency.layer = model->layerIndex(parser.value(QStringLiteral("layer")).toStdString());
    const Input input = readInput(parser, args, model);

    const auto start = std::chrono::steady_clock::now();
    RandomizedModel randomized(*model, seed);
    const int last = static_cast<int>(randomized.steps().size());
    if (parser.isSet(QStringLiteral("steps"))) {
        const int n = static_cast<int>(std::min<int64_t>(wholeOption(parser, QStringLiteral("steps"), 1), last));
        for (int k = 1; k <= n; ++k)
            options.steps.push_back(k);
    } else if (parser.isSet(QStringLiteral("step"))) {
        options.steps = {static_cast<int>(wholeOption(parser, QStringLiteral("step"), 1))};
    }
    const SanityResult result = sanityCheck(*model, randomized, input.pixels, options,
                                            stderrProgress("sanity", true));
    const double seconds = secondsSince(start);

    if (parser.isSet(QStringLiteral("out"))) {
        const QString path = parser.value(QStringLiteral("out"));
        const SanityFigure figure = sanityFigure(*model, result, input.pixels[0], colormap, metric, seed);
        write(savePngAtomically(composeSanityFigure(figure, tile), path), path.toStdString());
    }
    if (parser.isSet(QStringLiteral("csv"))) {
        const QString path = parser.value(QStringLiteral("csv"));
        write(saveBytesAtomically(sanityCsv(result), path), path.toStdString());
    }
    if (parser.isSet(QStringLiteral("save-model"))) {
        const std::string path = parser.value(QStringLiteral("save-model")).toStdString();
        const int step = result.steps.back();
        randomized.save(path, model->info().name + ", " + randomizationName(options.mode) + " randomization step "
                                  + std::to_string(step) + " of " + std::to_string(last) + ", seed "
                                  + std::to_string(seed));
        std::cerr << "convscope: wrote " << path << '\n';
    }

    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model->info().name;
        out["image"] = input.source;
        out["mode"] = randomizationName(options.mode);
        out["seed"] = seed;
        out["score"] = scoreName(saliency.score);
        out["steps"] = Json::array();
        for (size_t s = 0; s < result.steps.size(); ++s)
            out["steps"].push_back({{"step", result.steps[s]}, {"layer", result.stepNames[s]}});
        out["randomizable_steps"] = last;
        out.update(resultJson(*model, result, parser.isSet(QStringLiteral("with-maps"))));
        out["seconds"] = seconds;
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << randomizationName(options.mode) << " randomization of " << model->info().name << " (" << last
              << " steps, seed " << seed << "), class " << result.target << " (" << labelName(*model, result.target)
              << "), " << std::setprecision(3) << seconds << " s\n";
    std::cout << "Spearman rank correlation of absolute values with the original map:\n";
    std::cout << pad("step", 28);
    for (SaliencyMethod method : result.methods)
        std::cout << pad(saliencyMethodName(method), 16);
    std::cout << '\n' << std::fixed << std::setprecision(3);
    for (size_t s = 0; s < result.steps.size(); ++s) {
        std::cout << pad(std::to_string(result.steps[s]) + " " + result.stepNames[s], 28);
        for (size_t m = 0; m < result.methods.size(); ++m)
            std::cout << pad(std::to_string(result.cells[m][s].similarity.spearmanAbs).substr(0, 6), 16);
        std::cout << '\n';
    }
    return 0;
}

} // namespace convscope::cli
