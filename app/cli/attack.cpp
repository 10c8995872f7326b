// `convscope attack`: adversarial examples for one image, or accuracy
// against the attack's budget over a dataset.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "app/shell/atomic_save.h"
#include "app/shell/defaults.h"
#include "app/views/adversarial/attack_text.h"
#include "app/views/embedding/placement.h"
#include "core/attack.h"
#include "core/attack_trace.h"
#include "core/features.h"
#include "core/tsne.h"
#include "core/tsne_transform.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "io/datasets.h"
#include "io/image_io.h"


#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

namespace convscope::cli {

namespace {

using Json = nlohmann::ordered_json;

AttackOptions attackOptions(const QCommandLineParser& parser)
{
    const auto set = [&](const char* name) { return parser.isSet(QString::fromLatin1(name)); };
    AttackOptions o = attackDefaults(attackMethodFromName(parser.value(QStringLiteral("method")).toStdString()));
    if (set("alpha")) {
        o.alpha = numberOption(parser, QStringLiteral("alpha"), 0);
        if (o.alpha == 0)
            throw Error("--alpha must be more than 0");
    }
    if (set("steps"))
        o.steps = wholeOption(parser, QStringLiteral("steps"), 1);
    if (set("restarts"))
        o.restarts = wholeOption(parser, QStringLiteral("restarts"), 1);
    if (set("seed"))
        o.seed = static_cast<uint64_t>(wholeOption(parser, QStringLiteral("seed"), 0));
    o.earlyStop = !set("no-early-stop");
    o.randomStart = !set("no-random-start");
    if (set("overshoot"))
        o.overshoot = numberOption(parser, QStringLiteral("overshoot"), 0);
    if (set("candidates"))
        o.candidates = wholeOption(parser, QStringLiteral("candidates"), 1);
    if (set("c"))
        o.c = numberOption(parser, QStringLiteral("c"), 0);
    if (set("kappa"))
        o.kappa = numberOption(parser, QStringLiteral("kappa"), 0);
    if (set("lr"))
        o.learningRate = numberOption(parser, QStringLiteral("lr"), 0);
    if (set("binary-steps"))
        o.binarySteps = wholeOption(parser, QStringLiteral("binary-steps"), 1);
    if (!attackUsesEps(o.method) && (set("alpha") || set("restarts")))
        throw Error("--alpha and --restarts belong to fgsm, bim, pgd and pgd-l2, not " + attackMethodName(o.method));
    return o;
}

Json sampleJson(const Model& model, const AttackResult& r, size_t i)
{
    Json s;
    s["label"] = r.labels[i];
    s["label_name"] = labelName(model, r.labels[i]);
    s["before"] = {{"class", r.before[i]}, {"label", labelName(model, r.before[i])}, {"probability", r.beforeProbability[i]}};
    s["after"] = {{"class", r.after[i]}, {"label", labelName(model, r.after[i])}, {"probability", r.afterProbability[i]}};
    s["success"] = static_cast<bool>(r.success[i]);
    s["tracked_before"] = r.trackedBefore[i];
    s["tracked_after"] = r.trackedAfter[i];
    s["linf"] = r.linf[i];
    s["l2"] = r.l2[i];
    s["l0"] = r.l0[i];
    s["steps"] = r.steps[i];
    Json curve = Json::array();
    for (const auto& point : r.curve)
        curve.push_back(point[i]);
    s["curve"] = curve;
    return s;
}

// `--compare MODEL`: the second model, on the first one's device, taking its input size.
std::unique_ptr<Model> comparedModel(const QCommandLineParser& parser, const Model& model)
{
    if (!parser.isSet(QStringLiteral("compare")))
        return nullptr;
    LoadOptions options;
    options.device = modelOptions(parser).device;
    auto other = Model::load(parser.value(QStringLiteral("compare")).toStdString(), options);
    const auto& a = model.info().input;
    const auto& b = other->info().input;
    if (a != b)
        throw Error("--compare: " + other->info().name + " takes " + std::to_string(b[0]) + "x" + std::to_string(b[1])
                    + "x" + std::to_string(b[2]) + " images and " + model.info().name + " " + std::to_string(a[0])
                    + "x" + std::to_string(a[1]) + "x" + std::to_string(a[2]) + ": compare models of one input size");
    return other;
}

// Infinite ratios (a silent clean layer that woke) are JSON nulls.
Json finiteOrNull(double value)
{
    return std::isfinite(value) ? Json(value) : Json(nullptr);
}

Json traceJson(const AttackTrace& trace)
{
    Json layers = Json::array();
    for (const LayerChange& l : trace.layers)
        layers.push_back({{"name", l.name}, {"relative_change", finiteOrNull(l.relativeChange)},
                          {"noise_relative_change", finiteOrNull(l.noiseRelativeChange)}});
    return layers;
}

void printTrace(const AttackTrace& trace)
{
    std::cout << "relative change per layer, ||a_adv - a|| / ||a|| (noise: "
              << (trace.l2 ? "Gaussian of the same L2" : "random signs of the same Linf") << ", seed " << trace.seed
              << ")\n"
              << pad("layer", 24) << pad("attack", 12) << "noise\n";
    const auto text = [](double value) {
        std::ostringstream s;
        s << std::setprecision(4) << value;
        return s.str();
    };
    for (const LayerChange& l : trace.layers)
        std::cout << pad(l.name, 24) << pad(text(l.relativeChange), 12) << text(l.noiseRelativeChange) << '\n';
}

int attackImage(const QCommandLineParser& parser, const QStringList& args, std::unique_ptr<Model>& loaded,
                AttackOptions o)
{
    if (parser.isSet(QStringLiteral("eps")) && !attackUsesEps(o.method))
        throw Error(attackMethodName(o.method) + " finds the smallest perturbation itself: --eps is for fgsm, bim, pgd "
                    "and pgd-l2 (or, on a dataset, the L2 budgets of the accuracy curve)");
    if (parser.isSet(QStringLiteral("eps"))) {
        const std::vector<double> eps = epsList(parser.value(QStringLiteral("eps")));
        if (eps.size() != 1)
            throw Error("a list of --eps values is for a dataset; give one for an image");
        o.eps = eps[0];
    }
    if (parser.isSet(QStringLiteral("samples")) || parser.isSet(QStringLiteral("csv"))
        || parser.isSet(QStringLiteral("confusion")) || parser.isSet(QStringLiteral("embed")))
        throw Error("--samples, --csv, --confusion and --embed are for a dataset, not an image (for one image: "
                    "convscope tsne --place)");
    const Input input = readInput(parser, args, loaded);
    Model& model = *loaded; // after readInput, which may lend it a dataset's class names
    std::vector<int64_t> labels;
    if (parser.isSet(QStringLiteral("label")))
        labels = {indexOption(parser, QStringLiteral("label"), model.info().outputs)};
    const AttackResult r = attack(model, input.pixels, labels, o);
    const torch::Tensor clean = input.pixels[0].cpu();
    const torch::Tensor adv = r.adversarial[0];

    // What survives being saved: the PNG holds 8-bit values.
    const torch::Tensor rounded = (adv * 255).round() / 255;
    int64_t roundedClass = 0;
    {
        torch::NoGradGuard noGrad;
        roundedClass = model.logits(rounded.unsqueeze(0)).argmax(1).item<int64_t>();
    }
    const bool targeted = o.target >= 0;
    const bool roundedSuccess = targeted ? roundedClass == o.target : roundedClass != r.labels[0];

    if (parser.isSet(QStringLiteral("out"))) {
        const std::string path = parser.value(QStringLiteral("out")).toStdString();
        io::writeImage(path, adv);
        std::cerr << "convscope: wrote " << path << '\n';
    }
    const double scale = numberOption(parser, QStringLiteral("diff-scale"), 0);
    if (parser.isSet(QStringLiteral("diff"))) {
        const std::string path = parser.value(QStringLiteral("diff")).toStdString();
        io::writeImage(path, perturbationImage(clean, adv, scale));
        std::cerr << "convscope: wrote " << path << " (0.5 + " << scale << " x difference)\n";
    }

    const bool l2 = attackIsL2(o.method);
    // The same attack on a second model, from the same image.
    const std::unique_ptr<Model> other = comparedModel(parser, model);
    std::optional<AttackResult> otherResult;
    std::optional<AttackTrace> otherTrace;
    if (other) {
        checkAttackOptions(*other, o);
        otherResult = attack(*other, input.pixels, labels, o);
        if (parser.isSet(QStringLiteral("trace")))
            otherTrace = traceAttack(*other, input.pixels.narrow(0, 0, 1), otherResult->adversarial.narrow(0, 0, 1), l2,
                                     o.seed);
    }
    std::optional<AttackTrace> trace;
    if (parser.isSet(QStringLiteral("trace"))) {
        trace = traceAttack(model, input.pixels.narrow(0, 0, 1), r.adversarial.narrow(0, 0, 1), l2, o.seed);
        if (parser.isSet(QStringLiteral("noise"))) {
            const std::string path = parser.value(QStringLiteral("noise")).toStdString();
            io::writeImage(path, trace->noisy[0]);
            std::cerr << "convscope: wrote " << path << " (the noise baseline's image)\n";
        }
    } else if (parser.isSet(QStringLiteral("noise")))
        throw Error("--noise writes the noise baseline of --trace: add --trace");
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model.info().name;
        out["image"] = input.source;
        out["method"] = attackMethodName(o.method);
        out["norm"] = l2 ? "l2" : "linf";
        if (attackUsesEps(o.method)) {
            out["eps"] = o.eps;
            out["alpha"] = attackStepSize(o);
        }
        out["max_steps"] = o.method == AttackMethod::Fgsm ? 1 : o.steps;
        if (o.method == AttackMethod::Pgd || o.method == AttackMethod::PgdL2) {
            out["restarts"] = o.randomStart ? o.restarts : 1;
            out["random_start"] = o.randomStart;
            out["seed"] = o.seed;
        }
        if (o.method == AttackMethod::DeepFool)
            out["deepfool"] = {{"overshoot", o.overshoot}, {"candidates", o.candidates}};
        if (o.method == AttackMethod::CarliniWagner)
            out["cw"] = {{"c", o.c}, {"kappa", o.kappa}, {"lr", o.learningRate}, {"binary_steps", o.binarySteps}};
        out["early_stop"] = o.earlyStop;
        out["target"] = targeted ? Json(o.target) : Json(nullptr);
        if (targeted)
            out["target_label"] = labelName(model, o.target);
        const Json sample = sampleJson(model, r, 0); // not a temporary: items() refers to it
        for (const auto& [key, value] : sample.items())
            out[key] = value;
        out["saved_class"] = roundedClass;
        out["saved_success"] = roundedSuccess;
        out["cancelled"] = r.cancelled;
        out["seconds"] = r.seconds;
        if (trace) {
            out["trace"] = traceJson(*trace);
            const torch::Tensor noise = (trace->noisy[0] - clean).to(torch::kDouble);
            out["noise"] = {{"kind", l2 ? "gaussian" : "sign"}, {"seed", o.seed},
                            {"linf", noise.abs().max().item<double>()}, {"l2", noise.norm().item<double>()}};
        }
        if (other) {
            Json compared = sampleJson(*other, *otherResult, 0);
            compared["model"] = other->info().name;
            compared["file"] = parser.value(QStringLiteral("compare")).toStdString();
            if (otherTrace)
                compared["trace"] = traceJson(*otherTrace);
            out["compare"] = compared;
        }
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << attackMethodName(o.method);
    if (attackUsesEps(o.method))
        std::cout << " (" << (l2 ? "L2" : "Linf") << " eps " << epsText(o.eps, l2) << ", step " << std::setprecision(4)
                  << attackStepSize(o) << ")";
    std::cout << (targeted ? " towards " + labelName(model, o.target) : " away from " + labelName(model, r.labels[0]))
              << " on " << input.source << '\n';
    std::cout << std::fixed << std::setprecision(1);
    std::cout << "before: " << labelName(model, r.before[0]) << " (" << 100 * r.beforeProbability[0] << " %)\n";
    std::cout << "after:  " << labelName(model, r.after[0]) << " (" << 100 * r.afterProbability[0] << " %), "
              << (r.success[0] ? "fooled" : "not fooled") << " after " << r.steps[0] << " step"
              << (r.steps[0] == 1 ? "" : "s") << (roundedSuccess == static_cast<bool>(r.success[0])
                                                        ? ""
                                                        : (roundedSuccess ? "; the saved 8-bit image fools it"
                                                                          : "; the saved 8-bit image does not fool it"))
              << '\n';
    std::cout << std::defaultfloat << std::setprecision(4) << "perturbation: Linf " << r.linf[0] << " ("
              << std::setprecision(3) << r.linf[0] * 255 << "/255), L2 " << std::setprecision(4) << r.l2[0] << ", L0 "
              << r.l0[0] << " of " << clean.numel() << " values; " << std::setprecision(3) << r.seconds << " s\n";
    if (trace)
        printTrace(*trace);
    if (other) {
        const AttackResult& c = *otherResult;
        std::cout << std::fixed << std::setprecision(1) << "compared with "
                  << QFileInfo(parser.value(QStringLiteral("compare"))).fileName().toStdString() << ": "
                  << labelName(*other, c.before[0]) << " (" << 100 * c.beforeProbability[0] << " %) -> "
                  << labelName(*other, c.after[0]) << " (" << 100 * c.afterProbability[0] << " %), "
                  << (c.success[0] ? "fooled" : "not fooled") << std::defaultfloat << std::setprecision(4)
                  << "; Linf " << c.linf[0] << ", L2 " << c.l2[0] << '\n';
        if (otherTrace)
            printTrace(*otherTrace);
    }
    return 0;
}

// `--embed LAYER`: a t-SNE map of the dataset's features at LAYER (a seeded
// sample of --embed-n images), and every attacked image placed into it beside
// its clean one, per budget: where each lands, the commonest class around
// both ends, and the flow between the clusters.
Json embedAttacked(Model& model, Dataset& dataset, const QCommandLineParser& parser, const RobustnessResult& r)
{
    if (!r.clean.defined() || r.adversarial.size() != r.points.size())
        throw Error("--embed: the attacked images do not fit in memory; use fewer --samples");
    const int layer = model.layerIndex(parser.value(QStringLiteral("embed")).toStdString());
    FeatureOptions features;
    features.samples = parser.isSet(QStringLiteral("embed-n")) ? wholeOption(parser, QStringLiteral("embed-n"), 10) : 1000;
    const FeatureSet set = extractFeatures(model, dataset, layer, features);
    TsneOptions options;
    options.reportEvery = 0;
    const TsneResult map = tsne(set.values, options);
    const TsneMap fixed = tsneMap(set.values, map);
    Json out = {{"layer", set.layer}, {"map_points", set.values.size(0)}, {"perplexity", map.perplexity}};
    Json budgets = Json::array();
    const int64_t n = r.clean.size(0);
    for (size_t e = 0; e < r.points.size(); ++e) {
        const PlacedPairs pairs = placeImagePairs(model, fixed, layer, set.pooling, set.labels, set.predictions,
                                                  r.clean, r.adversarial[e]);
        Json list = Json::array();
        for (int64_t i = 0; i < n; ++i) {
            const PlacedImage& from = pairs.clean[static_cast<int>(i)];
            const PlacedImage& to = pairs.adversarial[static_cast<int>(i)];
            const auto k = static_cast<size_t>(i);
            list.push_back({{"image", r.images[k]}, {"label", r.labels[k]}, {"before", from.prediction},
                            {"after", to.prediction}, {"clean", {from.at.x(), from.at.y()}},
                            {"adversarial", {to.at.x(), to.at.y()}}, {"near_clean", from.nearClass},
                            {"near_adversarial", to.nearClass}});
        }
        Json flow = Json::array();
        for (const ClusterFlow& f : clusterFlow(pairs))
            flow.push_back({f.from, f.to, f.count});
        budgets.push_back({{"eps", r.points[e].eps}, {"flow", flow}, {"pairs", list}});
    }
    out["budgets"] = budgets;
    return out;
}

// Per budget: eps, accuracy, correct and the non-zero confusion cells [true class, class under attack, count].
Json accuracyJson(const RobustnessResult& r)
{
    Json points = Json::array();
    for (const auto& p : r.points) {
        Json cells = Json::array();
        for (int64_t t = 0; t < p.classes; ++t)
            for (int64_t a = 0; a < p.classes; ++a)
                if (const int64_t n = p.confusion[static_cast<size_t>(t * p.classes + a)])
                    cells.push_back({t, a, n});
        points.push_back({{"eps", p.eps}, {"accuracy", p.accuracy}, {"correct", p.correct}, {"confusion", cells}});
    }
    return points;
}

int attackDataset(const QCommandLineParser& parser, const QString& spec, Model& model, const AttackOptions& o)
{
    if (parser.isSet(QStringLiteral("out")) || parser.isSet(QStringLiteral("diff")) || parser.isSet(QStringLiteral("label"))
        || parser.isSet(QStringLiteral("trace")) || parser.isSet(QStringLiteral("noise")))
        throw Error("--out, --diff, --label, --trace and --noise are for one image; on a dataset use --json or --csv");
    if (parser.isSet(QStringLiteral("embed-n")) && !parser.isSet(QStringLiteral("embed")))
        throw Error("--embed-n sizes the map of --embed LAYER: add --embed");
    RobustnessOptions options;
    const bool l2 = attackIsL2(o.method);
    options.epsilons = epsList(parser.isSet(QStringLiteral("eps")) ? parser.value(QStringLiteral("eps")) : defaultEpsList(l2));
    if (parser.isSet(QStringLiteral("samples")))
        options.samples = wholeOption(parser, QStringLiteral("samples"), 1);
    if (parser.isSet(QStringLiteral("batch")))
        options.batch = wholeOption(parser, QStringLiteral("batch"), 1);
    const auto& in = model.info().input;
    auto dataset = io::openDataset(spec.toStdString(), {in[0], in[1], in[2]});

    const ProgressFn report = stderrProgress("attack", true);
    const std::unique_ptr<Model> other = comparedModel(parser, model);
    if (other)
        checkAttackOptions(*other, o);
    if (parser.isSet(QStringLiteral("embed"))) {
        model.layerIndex(parser.value(QStringLiteral("embed")).toStdString()); // a wrong name fails before the attacks
        options.keepImages = true;
        options.keepBytes = int64_t(2) << 30;
    }
    const RobustnessResult r = robustness(model, *dataset, o, options, report);
    const std::optional<Json> embedding
        = parser.isSet(QStringLiteral("embed")) ? std::optional<Json>(embedAttacked(model, *dataset, parser, r)) : std::nullopt;
    std::optional<RobustnessResult> otherResult;
    if (other)
        otherResult = robustness(*other, *dataset, o, options, report);
    if (!dataset->skippedSummary().empty())
        std::cerr << "convscope attack: note: " << dataset->skippedSummary() << '\n';
    if (!r.labeled)
        std::cerr << "convscope attack: note: the dataset has no labels; accuracy means agreeing with the clean "
                     "predictions\n";

    if (parser.isSet(QStringLiteral("csv"))) {
        const QString path = parser.value(QStringLiteral("csv"));
        const QString text = robustnessCsvHeader() + robustnessCsvRows(r);
        if (const QString error = saveBytesAtomically(text.toUtf8(), path); !error.isEmpty())
            throw Error("cannot write " + path.toStdString() + ": " + error.toStdString());
        std::cerr << "convscope: wrote " << path.toStdString() << '\n';
    }
    if (parser.isSet(QStringLiteral("confusion"))) {
        const QString path = parser.value(QStringLiteral("confusion"));
        const QString text = confusionCsvHeader()
            + confusionCsvRows(r, [&](int64_t c) { return QString::fromStdString(labelName(model, c)); });
        if (const QString error = saveBytesAtomically(text.toUtf8(), path); !error.isEmpty())
            throw Error("cannot write " + path.toStdString() + ": " + error.toStdString());
        std::cerr << "convscope: wrote " << path.toStdString() << '\n';
    }
    if (parser.isSet(QStringLiteral("json"))) {
        Json out;
        out["model"] = model.info().name;
        out["dataset"] = dataset->description();
        out["method"] = attackMethodName(o.method);
        out["norm"] = l2 ? "l2" : "linf";
        out["samples"] = r.samples;
        out["labeled"] = r.labeled;
        out["clean_accuracy"] = r.cleanAccuracy;
        if (attackUsesEps(o.method)) {
            out["max_steps"] = o.method == AttackMethod::Fgsm ? 1 : o.steps;
            if (o.alpha > 0)
                out["alpha"] = o.alpha;
        } else {
            out["success_rate"] = r.successRate;
            out["median_l2"] = r.medianL2;
        }
        out["target"] = o.target >= 0 ? Json(o.target) : Json(nullptr);
        out["seconds"] = r.seconds;
        out["accuracy"] = accuracyJson(r);
        if (embedding)
            out["embedding"] = *embedding;
        if (otherResult)
            out["compare"] = {{"model", other->info().name}, {"file", parser.value(QStringLiteral("compare")).toStdString()},
                              {"clean_accuracy", otherResult->cleanAccuracy},
                              {"accuracy", accuracyJson(*otherResult)}};
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cout << attackMethodName(o.method) << " on " << r.samples << " images of " << dataset->description() << ", "
              << std::setprecision(3) << r.seconds << " s\n";
    std::cout << pad(l2 ? "L2 eps" : "Linf eps", 18) << "accuracy"
              << (otherResult ? "            " + QFileInfo(parser.value(QStringLiteral("compare"))).fileName().toStdString()
                              : std::string())
              << '\n';
    for (size_t i = 0; i < r.points.size(); ++i) {
        const RobustnessPoint& p = r.points[i];
        std::ostringstream line;
        line << std::fixed << std::setprecision(1) << 100 * p.accuracy << " %  (" << p.correct << "/" << r.samples << ")";
        std::cout << pad(epsText(p.eps, l2), 18) << (otherResult ? pad(line.str(), 20) : line.str());
        if (otherResult && i < otherResult->points.size())
            std::cout << std::fixed << std::setprecision(1) << 100 * otherResult->points[i].accuracy << " %  ("
                      << otherResult->points[i].correct << "/" << otherResult->samples << ")";
        std::cout << std::defaultfloat << '\n';
    }
    if (!attackUsesEps(o.method))
        std::cout << "fooled " << std::setprecision(3) << 100 * r.successRate << " % of the correctly classified, median L2 "
                  << r.medianL2 << '\n';
    if (embedding) {
        std::cout << "placed into a t-SNE map of " << (*embedding)["map_points"].get<int64_t>() << " images at "
                  << (*embedding)["layer"].get<std::string>() << "; moved between clusters (class around the clean "
                  << "image -> around the adversarial one):\n";
        for (const auto& b : (*embedding)["budgets"]) {
            std::cout << pad(epsText(b["eps"].get<double>(), l2), 18);
            int shown = 0;
            for (const auto& f : b["flow"]) {
                if (shown++ == 5)
                    break;
                std::cout << (shown > 1 ? ", " : "") << labelName(model, f[0].get<int64_t>()) << " -> "
                          << labelName(model, f[1].get<int64_t>()) << " (" << f[2].get<int64_t>() << ")";
            }
            std::cout << (shown == 0 ? "none" : "") << '\n';
        }
    }
    return 0;
}

} // namespace

int attackCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("method"), QStringLiteral("fgsm (default), bim, pgd, pgd-l2, deepfool or cw."), QStringLiteral("METHOD"),
         QStringLiteral("fgsm")},
        {QStringLiteral("eps"),
         QStringLiteral("Budget in pixels (0..1): Linf for fgsm/bim/pgd (default 8/255), L2 for pgd-l2 (default 0.5). On a "
                        "dataset a list, such as 0,2/255,8/255 (also for deepfool/cw, as L2)."),
         QStringLiteral("EPS")},
        {QStringLiteral("alpha"), QStringLiteral("Step size (default 2.5 eps / steps)."), QStringLiteral("A")},
        {QStringLiteral("steps"), QStringLiteral("Steps: bim/pgd 10, deepfool at most 50, cw 100 per c."), QStringLiteral("N")},
        {QStringLiteral("target"), QStringLiteral("Class to push towards (default: untargeted)."), QStringLiteral("C")},
        {QStringLiteral("label"), QStringLiteral("The image's true class (default: the clean prediction)."), QStringLiteral("C")},
        {QStringLiteral("restarts"), QStringLiteral("pgd, pgd-l2: random starts (default 1)."), QStringLiteral("R")},
        {QStringLiteral("seed"), QStringLiteral("Seed of the random starts (default 0)."), QStringLiteral("S")},
        {QStringLiteral("no-random-start"), QStringLiteral("pgd, pgd-l2: start from the image itself.")},
        {QStringLiteral("no-early-stop"), QStringLiteral("Keep stepping samples that are already fooled.")},
        {QStringLiteral("overshoot"), QStringLiteral("deepfool: overshoot (default 0.02)."), QStringLiteral("F")},
        {QStringLiteral("candidates"), QStringLiteral("deepfool: top classes tried (default 10)."), QStringLiteral("K")},
        {QStringLiteral("c"), QStringLiteral("cw: first c (default 1)."), QStringLiteral("C")},
        {QStringLiteral("kappa"), QStringLiteral("cw: logit margin (default 0)."), QStringLiteral("K")},
        {QStringLiteral("lr"), QStringLiteral("cw: Adam's learning rate (default 0.05)."), QStringLiteral("LR")},
        {QStringLiteral("binary-steps"), QStringLiteral("cw: rounds of the search over c (default 5)."), QStringLiteral("N")},
        {QStringLiteral("out"), QStringLiteral("Write the adversarial image (8-bit PNG)."), QStringLiteral("PNG")},
        {QStringLiteral("diff"), QStringLiteral("Write the difference, 0.5 + scale x (adversarial - image)."), QStringLiteral("PNG")},
        {QStringLiteral("diff-scale"), QStringLiteral("Scale of --diff (default 10)."), QStringLiteral("S"), QStringLiteral("10")},
        {QStringLiteral("trace"),
         QStringLiteral("Relative change of every layer's activations, against random noise of the same norm (seeded "
                        "by --seed).")},
        {QStringLiteral("noise"), QStringLiteral("With --trace: write the noise baseline's image (PNG)."), QStringLiteral("PNG")},
        {QStringLiteral("compare"),
         QStringLiteral("Run the same attack on this second model too (an adversarially trained one, say)."),
         QStringLiteral("MODEL")},
        {QStringLiteral("embed"),
         QStringLiteral("Dataset: place every attacked image and its clean one into a t-SNE map of this layer's "
                        "features (the flow between clusters)."),
         QStringLiteral("LAYER")},
        {QStringLiteral("embed-n"), QStringLiteral("Dataset, --embed: images in the map (default 1000)."),
         QStringLiteral("N")},
        {QStringLiteral("samples"), QStringLiteral("Dataset: images attacked, a seeded sample (default 500)."), QStringLiteral("N")},
        {QStringLiteral("batch"), QStringLiteral("Dataset: images per batch (default: what 512 MiB holds, at most 128)."),
         QStringLiteral("N")},
        {QStringLiteral("csv"), QStringLiteral("Dataset: write accuracy per eps as CSV."), QStringLiteral("FILE")},
        {QStringLiteral("confusion"),
         QStringLiteral("Dataset: write the confusion matrix under attack per eps as CSV (true class, class after the "
                        "attack, count)."),
         QStringLiteral("FILE")},
        {QStringLiteral("json"), QStringLiteral("Print JSON.")},
    });
    addInputOptions(parser);
    QStringList args = parse(parser, arguments, 0, 2,
        "attack [MODEL] [IMAGE|DATASET] --method fgsm|bim|pgd|pgd-l2|deepfool|cw [--eps 8/255] [--alpha A] [--steps N] "
        "[--target C] [--restarts R] [--seed S] [--out adv.png] [--diff diff.png] [--trace] [--compare MODEL] [--json]");
    const AttackOptions base = attackOptions(parser);
    // One argument: an image or a model (then the image is --data/--index),
    // else a dataset for the default model.
    if (args.size() == 1 && !io::isImageFileName(args[0].toStdString()) && !looksLikeModel(args[0]))
        args.prepend(defaultModelPath());
    args = withDefaultModel(args);
    if (args.isEmpty())
        args = {defaultModelPath()};
    auto model = loadFromArguments(parser, args[0]);
    AttackOptions o = base;
    if (parser.isSet(QStringLiteral("target")))
        o.target = indexOption(parser, QStringLiteral("target"), model->info().outputs);
    if (args.size() == 2 && !io::isImageFileName(args[1].toStdString()))
        return attackDataset(parser, args[1], *model, o);
    return attackImage(parser, args, model, o);
}

} // namespace convscope::cli
