// `convscope occlusion` and `convscope saliency`: which pixels matter to a
// class, by hiding them or by gradients.

#include "app/cli/common.h"
#include "app/cli/json_matrix.h"
#include "app/cli/options.h"
#include "core/error.h"
#include "core/heatmap.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "core/saliency.h"
#include "io/image_io.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

void addPictureOptions(QCommandLineParser& parser)
{
    parser.addOptions({
        {QStringLiteral("target"), QStringLiteral("Class to explain (default: the predicted one)."), QStringLiteral("C")},
        {QStringLiteral("out"), QStringLiteral("Write the heatmap, coloured, as a PNG."), QStringLiteral("PNG")},
        {QStringLiteral("overlay"), QStringLiteral("Write the heatmap over the input image as a PNG."), QStringLiteral("PNG")},
        {QStringLiteral("colormap"), QStringLiteral("inferno (default), viridis, jet or gray."), QStringLiteral("NAME"),
         QStringLiteral("inferno")},
        {QStringLiteral("alpha"), QStringLiteral("Opacity of the heatmap in --overlay, 0..1 (default 0.5)."),
         QStringLiteral("A"), QStringLiteral("0.5")},
        {QStringLiteral("json"), QStringLiteral("Print JSON (the heatmap as H rows of W numbers).")},
    });
    addInputOptions(parser);
    addRegionOptions(parser);
}

// The shared tail: pictures, then JSON or a few lines of text.
void writePictures(const QCommandLineParser& parser, const torch::Tensor& heatmap, const torch::Tensor& input)
{
    const Colormap colormap = colormapFromName(parser.value(QStringLiteral("colormap")).toStdString());
    const double alpha = parser.value(QStringLiteral("alpha")).toDouble();
    if (parser.isSet(QStringLiteral("out"))) {
        const std::string path = parser.value(QStringLiteral("out")).toStdString();
        io::writeImage(path, heatmapImage(heatmap, colormap));
        std::cerr << "convscope: wrote " << path << '\n';
    }
    if (parser.isSet(QStringLiteral("overlay"))) {
        const std::string path = parser.value(QStringLiteral("overlay")).toStdString();
        io::writeImage(path, heatmapOverlay(heatmap, input, colormap, alpha));
        std::cerr << "convscope: wrote " << path << '\n';
    }
}

int64_t targetOption(const QCommandLineParser& parser, const Model& model)
{
    return parser.isSet(QStringLiteral("target")) ? indexOption(parser, QStringLiteral("target"), model.info().outputs) : -1;
}

// A segmentation model's region, for --json.
void addRegionJson(Json& out, const RegionChoice& region)
{
    if (region.mask.defined())
        out["region"] = {{"what", region.text}, {"pixels", region.pixels}};
}

// Where the heatmap is hottest, as "row, col".
std::string hottest(const torch::Tensor& heatmap)
{
    const int64_t at = heatmap.argmax().item<int64_t>();
    return "(" + std::to_string(at / heatmap.size(1)) + ", " + std::to_string(at % heatmap.size(1)) + ")";
}

} // namespace

int occlusionCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("window"), QStringLiteral("Side of the occluding square in pixels (default: 1/8 of the input side)."),
         QStringLiteral("W")},
        {QStringLiteral("stride"), QStringLiteral("Step between windows (default: half the window)."), QStringLiteral("S")},
        {QStringLiteral("baseline"), QStringLiteral("What fills the window: gray (default), zero, mean or blur."),
         QStringLiteral("FILL"), QStringLiteral("gray")},
        {QStringLiteral("score"), QStringLiteral("prob (softmax probability, default) or logit."), QStringLiteral("SCORE"),
         QStringLiteral("prob")},
        {QStringLiteral("batch"), QStringLiteral("Occluded copies per forward pass (default: what 1 GiB of activations holds)."),
         QStringLiteral("N")},
        {QStringLiteral("classes"), QStringLiteral("Write the class predicted under each window position as a PNG."),
         QStringLiteral("PNG")},
    });
    addPictureOptions(parser);
    const QStringList args = withDefaultModel(parse(parser, arguments, 0, 2,
        "occlusion [MODEL] [IMAGE] [--window W] [--stride S] [--baseline gray|zero|mean|blur] [--target C] "
        "[--score prob|logit] [--batch N] [--out heat.png] [--overlay PNG] [--classes PNG] [--region x0,y0,x1,y1 | --mask-class C] [--json]"));
    OcclusionOptions options;
    if (parser.isSet(QStringLiteral("window")))
        options.window = wholeOption(parser, QStringLiteral("window"), 1);
    if (parser.isSet(QStringLiteral("stride")))
        options.stride = wholeOption(parser, QStringLiteral("stride"), 1);
    if (parser.isSet(QStringLiteral("batch")))
        options.batch = wholeOption(parser, QStringLiteral("batch"), 1);
    options.baseline = baselineFromName(parser.value(QStringLiteral("baseline")).toStdString());
    options.score = scoreFromName(parser.value(QStringLiteral("score")).toStdString());
    colormapFromName(parser.value(QStringLiteral("colormap")).toStdString()); // fail before the long run

    auto model = loadFromArguments(parser, modelArgument(args));
    const Input input = readInput(parser, args, model);
    const RegionChoice region = regionChoice(parser, *model, input.pixels, targetOption(parser, *model));
    options.target = region.target;
    options.region = region.mask;
    const auto start = std::chrono::steady_clock::now();
    const OcclusionResult result = occlusion(*model, input.pixels, options, stderrNotes("occlusion"));
    const double seconds = secondsSince(start);

    writePictures(parser, result.heatmap, input.pixels[0]);
    const ClassMapPicture classes = classMapPicture(result.classes);
    if (parser.isSet(QStringLiteral("classes"))) {
        const std::string path = parser.value(QStringLiteral("classes")).toStdString();
        io::writeImage(path, classes.image);
        std::cerr << "convscope: wrote " << path << " (one pixel per window position)\n";
    }
    const int64_t count = static_cast<int64_t>(result.rows.size() * result.cols.size());
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model->info().name;
        out["image"] = input.source;
        out["target"] = result.target;
        out["target_label"] = labelName(*model, result.target);
        out["predicted"] = result.predicted;
        addRegionJson(out, region);
        out["score"] = scoreName(options.score);
        out["base_score"] = result.baseScore;
        out["window"] = result.window;
        out["stride"] = result.stride;
        out["baseline"] = baselineName(options.baseline);
        out["windows"] = count;
        out["rows"] = result.rows;
        out["cols"] = result.cols;
        out["batch"] = result.batch;
        out["seconds"] = seconds;
        out["drops"] = jsonMatrix(result.drops);
        out["classes"] = jsonIntMatrix(result.classes);
        out["class_counts"] = Json::array();
        for (size_t i = 0; i < classes.classes.size(); ++i)
            out["class_counts"].push_back({{"class", classes.classes[i]},
                                           {"label", labelName(*model, classes.classes[i])},
                                           {"windows", classes.counts[i]}});
        out["heatmap"] = jsonMatrix(result.heatmap);
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << "target " << result.target << " (" << labelName(*model, result.target) << "), " << scoreName(options.score)
              << (region.mask.defined() ? " over the " + region.text : std::string()) << " " << std::setprecision(4)
              << result.baseScore << " unoccluded\n";
    std::cout << count << " windows of " << result.window << " px, stride " << result.stride << ", filled with "
              << baselineName(options.baseline) << ", " << result.batch << " per batch, " << std::setprecision(3) << seconds
              << " s\n";
    std::cout << "largest drop " << std::setprecision(4) << result.drops.max().item<double>() << "; hottest pixel "
              << hottest(result.heatmap) << '\n';
    std::cout << "predicted with a window hidden:";
    for (size_t i = 0; i < classes.classes.size() && i < 5; ++i)
        std::cout << (i ? ", " : " ") << labelName(*model, classes.classes[i]) << " (" << classes.counts[i] << ")";
    std::cout << '\n';
    return 0;
}

int saliencyCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("method"),
         QStringLiteral("gradient (default), smoothgrad, ig (Integrated Gradients), gradcam, guided (guided "
                        "backpropagation), guided-gradcam, gradcam++, scorecam or deconvnet."),
         QStringLiteral("METHOD"), QStringLiteral("gradient")},
        {QStringLiteral("layer"),
         QStringLiteral("Layer of gradcam, guided-gradcam, gradcam++ and scorecam (default: the last convolutional "
                        "feature map)."),
         QStringLiteral("NAME")},
        {QStringLiteral("score"), QStringLiteral("logit (default) or prob."), QStringLiteral("SCORE"), QStringLiteral("logit")},
        {QStringLiteral("samples"), QStringLiteral("SmoothGrad: noisy copies (default 25)."), QStringLiteral("N"),
         QStringLiteral("25")},
        {QStringLiteral("noise"), QStringLiteral("SmoothGrad: noise sigma as a fraction of the input's range (default 0.15)."),
         QStringLiteral("F"), QStringLiteral("0.15")},
        {QStringLiteral("seed"), QStringLiteral("SmoothGrad: seed of the noise (default 0)."), QStringLiteral("S"),
         QStringLiteral("0")},
        {QStringLiteral("steps"), QStringLiteral("Integrated Gradients: points on the path (default 50)."), QStringLiteral("N"),
         QStringLiteral("50")},
        {QStringLiteral("baseline"), QStringLiteral("Integrated Gradients: path start, zero (default), gray, mean or blur."),
         QStringLiteral("FILL"), QStringLiteral("zero")},
        {QStringLiteral("batch"),
         QStringLiteral("Copies per backward pass (default: what 1 GiB holds, at most 64); scorecam: masked copies per "
                        "forward pass (default: what 1 GiB holds and, on the CPU, keeps each activation under 32 MiB)."),
         QStringLiteral("N")},
        {QStringLiteral("with-attribution"), QStringLiteral("Add the signed per-channel attribution (C x H x W) to --json.")},
    });
    addPictureOptions(parser);
    const QStringList args = withDefaultModel(parse(parser, arguments, 0, 2,
        "saliency [MODEL] [IMAGE] --method gradient|smoothgrad|ig|gradcam|guided|guided-gradcam|gradcam++|scorecam|"
        "deconvnet [--layer NAME] [--target C] [--score logit|prob] [--batch N] [--out heat.png] [--overlay PNG] "
        "[--region x0,y0,x1,y1 | --mask-class C] [--json]"));
    SaliencyOptions options;
    options.method = saliencyMethodFromName(parser.value(QStringLiteral("method")).toStdString());
    options.score = scoreFromName(parser.value(QStringLiteral("score")).toStdString());
    options.samples = wholeOption(parser, QStringLiteral("samples"), 1);
    options.noise = numberOption(parser, QStringLiteral("noise"), 0);
    options.seed = static_cast<uint64_t>(wholeOption(parser, QStringLiteral("seed"), 0));
    options.steps = wholeOption(parser, QStringLiteral("steps"), 1);
    options.baseline = baselineFromName(parser.value(QStringLiteral("baseline")).toStdString());
    if (parser.isSet(QStringLiteral("batch")))
        options.batch = wholeOption(parser, QStringLiteral("batch"), 1);
    if (parser.isSet(QStringLiteral("layer")) && !usesCamLayer(options.method))
        throw Error("--layer is the CAM methods' layer: use it with --method gradcam, guided-gradcam, gradcam++ or "
                    "scorecam");
    colormapFromName(parser.value(QStringLiteral("colormap")).toStdString());

    auto model = loadFromArguments(parser, modelArgument(args));
    if (parser.isSet(QStringLiteral("layer")))
        options.layer = model->layerIndex(parser.value(QStringLiteral("layer")).toStdString());
    const Input input = readInput(parser, args, model);
    const RegionChoice region = regionChoice(parser, *model, input.pixels, targetOption(parser, *model));
    options.target = region.target;
    options.region = region.mask;
    const auto start = std::chrono::steady_clock::now();
    // Score-CAM runs a forward pass per channel: minutes on a large model.
    const ProgressFn progress = options.method == SaliencyMethod::ScoreCam ? stderrProgress("saliency", true)
                                                                          : stderrNotes("saliency");
    const SaliencyResult result = saliency(*model, input.pixels, options, progress);
    const double seconds = secondsSince(start);
    writePictures(parser, result.heatmap, input.pixels[0]);

    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model->info().name;
        out["image"] = input.source;
        out["method"] = saliencyMethodName(options.method);
        out["target"] = result.target;
        out["target_label"] = labelName(*model, result.target);
        out["predicted"] = result.predicted;
        addRegionJson(out, region);
        out["score"] = scoreName(options.score);
        out["target_score"] = result.score;
        if (!result.layer.empty())
            out["layer"] = result.layer;
        if (options.method == SaliencyMethod::SmoothGrad)
            out["smoothgrad"] = {{"samples", options.samples}, {"noise", options.noise}, {"seed", options.seed}};
        if (options.method == SaliencyMethod::IntegratedGradients)
            out["ig"] = {{"steps", options.steps},
                         {"baseline", baselineName(options.baseline)},
                         {"attribution_sum", result.attributionSum},
                         {"score_delta", result.scoreDelta}};
        if (options.method == SaliencyMethod::ScoreCam)
            out["scorecam"] = {{"channels", result.copies}, {"batch", result.batch}};
        out["seconds"] = seconds;
        if (result.cam.defined())
            out["cam"] = jsonMatrix(result.cam);
        out["heatmap"] = jsonMatrix(result.heatmap);
        if (parser.isSet(QStringLiteral("with-attribution")) && result.attribution.defined()) {
            out["attribution"] = Json::array();
            for (int64_t c = 0; c < result.attribution.size(0); ++c)
                out["attribution"].push_back(jsonMatrix(result.attribution[c]));
        }
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << saliencyMethodName(options.method) << " for target " << result.target << " ("
              << labelName(*model, result.target) << ")"
              << (region.mask.defined() ? " over the " + region.text : std::string()) << ", " << scoreName(options.score) << " " << std::setprecision(4)
              << result.score << (result.layer.empty() ? "" : ", layer " + result.layer) << ", " << std::setprecision(3)
              << seconds << " s\n";
    std::cout << "heatmap max " << std::setprecision(4) << result.heatmap.max().item<double>() << " at "
              << hottest(result.heatmap) << '\n';
    if (options.method == SaliencyMethod::ScoreCam)
        std::cout << result.copies << " masked copies, " << result.batch << " per forward pass\n";
    if (options.method == SaliencyMethod::IntegratedGradients)
        std::cout << "completeness: attributions sum to " << result.attributionSum << ", score - baseline score = "
                  << result.scoreDelta << '\n';
    return 0;
}

} // namespace convscope::cli
