#pragma once

// Internal to the CLI: helpers the subcommands share.

#include <QCommandLineParser>
#include <QSize>
#include <QStringList>

#include <torch/script.h>

#include "app/shell/number_text.h"
#include "core/progress.h"

#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <string>

namespace convscope {
class Dataset;
class Model;
struct TrainOptions;
}

namespace convscope::cli {

// Parses the subcommand's options; prints help and throws HelpShown for
// --help; throws Error for bad options. Returns the positional arguments
// after the subcommand, checked to number between min and max.
QStringList parse(QCommandLineParser& parser, const QStringList& arguments, int min, int max, const char* usage);
struct HelpShown {};

std::string pad(const std::string& s, size_t width);

// Runs the event loop until `done` holds (the drawing commands: render,
// lesson); throws "timed out waiting for WHAT" after timeoutMs.
void waitFor(const std::function<bool()>& done, qint64 timeoutMs, const char* what);

// MODEL, or the default model when the command was given none.
QString modelArgument(const QStringList& args);
// What a command does with its model: feeds it images (the default: read
// into its format, run, drawn), or reads only its structure and weights
// (layers, summary, filters), which any input shape allows.
enum class ModelUse { Images, Structure };
// Loads with the shared model options (addModelOptions) and prints the
// model's notes on stderr, so that stdout stays machine-readable. For
// ModelUse::Images, a model whose input is not an image is refused in one
// line (notAnImageMessage), before any note.
std::unique_ptr<Model> loadFromArguments(QCommandLineParser& parser, const QString& path,
                                         ModelUse use = ModelUse::Images);
// Whether a path names a TorchScript file (.pt, .pth, .ptl) rather than an image or dataset.
bool looksLikeModel(const QString& path);
// Loads the model again with the dataset's class names when it has only
// numbers (core/lent_class_names), with a note on stderr.
void lendClassNames(const QCommandLineParser& parser, std::unique_ptr<Model>& model, const Dataset& dataset);
// $XDG_CACHE_HOME/convscope/KIND (or ~/.cache/...); empty without a home.
std::string defaultCacheDir(const char* kind);
// Progress lines on stderr, "convscope COMMAND: stage" (with " (N %)" when
// `percent`): the first at once, so a user sees the work has started however
// fast the machine, then about once a second.
ProgressFn stderrProgress(const std::string& command, bool percent = false);
// Only the notes (kNote) of the above, for commands that show no progress:
// "convscope COMMAND: note: out of memory with a batch of 64; going on with 32".
ProgressFn stderrNotes(const std::string& command);
// The model's label of class `index`, or the number when it has none.
std::string labelName(const Model& model, int64_t index);
// [MODEL] [DATASET] with the defaults filled in: one argument is the model
// when it looks like one, else the dataset.
QStringList modelAndDataset(QStringList args);
// --cache DIR / --no-cache (Error for both) / the default folder for KIND:
// empty means no cache.
std::string cacheOption(const QCommandLineParser& parser, const char* kind);
// --size WxH, each side between `smallest`'s and 8000; Error naming the bounds otherwise.
QSize sizeOption(const QCommandLineParser& parser, QSize smallest);
// An integer option that must lie in [0, count); Error saying so otherwise.
int64_t indexOption(const QCommandLineParser& parser, const QString& name, int64_t count);
// A whole number >= min; Error naming the option otherwise.
int64_t wholeOption(const QCommandLineParser& parser, const QString& name, int64_t min);
// numberText of the option's value, >= min.
double numberOption(const QCommandLineParser& parser, const QString& name,
                    double min = -std::numeric_limits<double>::infinity());

// Commands that run one input: [MODEL] [IMAGE], or a test image of --data.
void addInputOptions(QCommandLineParser& parser);
// One argument is the image when it looks like one (the default model runs it).
QStringList withDefaultModel(QStringList args);
struct Input {
    torch::Tensor pixels; // [1, C, H, W] in [0, 1], the model's format
    std::string source;   // the image path or the dataset item's name
    torch::Tensor labelMap; // [H, W] per-pixel labels when the dataset has them (digit canvases)
};
// args[1] if given, else test image --index of --data.
// From a dataset, a model with only numbers takes the dataset's class names
// (lendClassNames), so `model` may be loaded again.
Input readInput(const QCommandLineParser& parser, const QStringList& args, std::unique_ptr<Model>& model);

// Segmentation models: what saliency, occlusion and attack explain or
// change. --region x0,y0,x1,y1 (input pixels) or --mask-class C (the pixels
// predicted as C); by default the predicted mask of the target class. The
// target defaults to --mask-class, else the class other than 0 (background in
// VOC and the digit canvases) with the most predicted pixels.
void addRegionOptions(QCommandLineParser& parser);
struct RegionChoice {
    torch::Tensor mask;  // [h, w] at the output's resolution; undefined for a classifier
    int64_t target = -1; // resolved for a segmentation model, else as given
    std::string text;    // "box 10,10,40,40" or "predicted mask of 7"
    int64_t pixels = 0;  // output pixels in the region
};
// `target` from --target (-1: none). Error for --region or --mask-class on a classifier.
RegionChoice regionChoice(const QCommandLineParser& parser, Model& model, const torch::Tensor& pixels, int64_t target);

int layersCommand(QCommandLineParser& parser, const QStringList& arguments);
int summaryCommand(QCommandLineParser& parser, const QStringList& arguments);
int activationsCommand(QCommandLineParser& parser, const QStringList& arguments);
int predictCommand(QCommandLineParser& parser, const QStringList& arguments);
int segmentCommand(QCommandLineParser& parser, const QStringList& arguments);
int trainCommand(QCommandLineParser& parser, const QStringList& arguments);
// train's segmentation branch (unet-small, fcn-small on digit canvases), options parsed.
int trainSegmentationCommand(const TrainOptions& options, int64_t canvases, bool json, CancelFlag& interrupted);
int filtersCommand(QCommandLineParser& parser, const QStringList& arguments);
// Needs a QApplication: main() makes one (offscreen) for `render`.
int renderCommand(QCommandLineParser& parser, const QStringList& arguments);
int lessonCommand(QCommandLineParser& parser, const QStringList& arguments);
int occlusionCommand(QCommandLineParser& parser, const QStringList& arguments);
int saliencyCommand(QCommandLineParser& parser, const QStringList& arguments);
int sanityCommand(QCommandLineParser& parser, const QStringList& arguments);
int ascentCommand(QCommandLineParser& parser, const QStringList& arguments);
int attackCommand(QCommandLineParser& parser, const QStringList& arguments);
int tsneCommand(QCommandLineParser& parser, const QStringList& arguments);
int topkCommand(QCommandLineParser& parser, const QStringList& arguments);
int topkMergeCommand(QCommandLineParser& parser, const QStringList& arguments);
// --out needs a QGuiApplication: main() makes one (offscreen) for `unit` as for `render`.
int unitCommand(QCommandLineParser& parser, const QStringList& arguments);

} // namespace convscope::cli
