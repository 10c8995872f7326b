// convscope-core: the headless commands that need neither Qt nor OpenCV, for
// machines that have only LibTorch (a CUDA box with an upstream LibTorch 2.x).
// Its output is the full `convscope` CLI's, from the same core functions
// (core/model_report); tests/test_core_cli.py compares the two.

#include "cli_core/command_line.h"
#include "core/command_run.h"
#include "core/device.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_report.h"
#include "core/model_summary.h"

#include <torch/version.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>

namespace convscope {
namespace {

struct HelpShown {};

// What the full CLI's addModelOptions offers, parsed by the same core functions.
void addModelOptions(CommandLine& line)
{
    line.addOption({"device", "cpu, cuda, cuda:N or auto (default).", "DEVICE", "auto"});
    line.addOption({"threads", "CPU threads (default: every core).", "N", "0"});
    line.addOption({"input", "Input shape C,H,W (overrides the metadata).", "C,H,W", ""});
    line.addOption({"mean", "Per-channel mean after scaling to [0,1].", "M1,M2,..", ""});
    line.addOption({"std", "Per-channel std after scaling to [0,1].", "S1,S2,..", ""});
    line.addOption({"labels", "Labels file, one per line.", "FILE", ""});
    line.addOption({"name", "Display name of the model.", "NAME", ""});
}

int threadCount(const std::string& text)
{
    // The same bound and words as the full CLI (app/cli/options.cpp).
    constexpr int maxThreads = 1024;
    size_t used = 0;
    int threads = -1;
    try {
        threads = std::stoi(text, &used);
    } catch (const std::exception&) {
    }
    if (text.empty() || used != text.size() || threads < 0 || threads > maxThreads)
        throw Error("bad --threads '" + text + "': expected a count from 0 (every core) to "
                    + std::to_string(maxThreads));
    return threads;
}

LoadOptions loadOptions(const CommandLine& line)
{
    LoadOptions options;
    options.device = line.value("device");
    ModelMetadata& o = options.overrides;
    if (auto v = line.given("input"))
        o.input = parseInputShape(*v);
    if (auto v = line.given("mean"))
        o.mean = parseNumberList(*v, "--mean");
    if (auto v = line.given("std"))
        o.std = parseNumberList(*v, "--std"); // Model::load refuses values <= 0
    if (auto v = line.given("labels"))
        o.labels = readLabelsFile(*v);
    o.name = line.given("name");
    return options;
}

// As app/shell/defaults.cpp: $CONVSCOPE_DEFAULT_MODEL, an installed copy beside
// the binary, then the source tree this was built from.
std::string defaultModelPath()
{
    namespace fs = std::filesystem;
    if (const char* path = std::getenv("CONVSCOPE_DEFAULT_MODEL"); path && *path)
        return path;
    std::error_code error;
    const fs::path installed
        = fs::read_symlink("/proc/self/exe", error).parent_path() / "../share/convscope/lenet5_digits.pt";
    if (!error && fs::exists(installed, error))
        return fs::canonical(installed, error).string();
    return CONVSCOPE_SOURCE_DIR "/models/lenet5_digits.pt";
}

// Parses the command's options; prints help and throws HelpShown for --help.
void parseCommand(CommandLine& line, const std::vector<std::string>& arguments, const char* usage,
                  const char* summary)
{
    line.parse(arguments);
    if (line.isSet("help")) {
        std::cout << line.helpText(usage, summary);
        throw HelpShown();
    }
    if (line.positional().size() > 1)
        throw Error(std::string("usage: convscope-core ") + usage);
}

// Loads MODEL (or the default model) with the model options, printing the
// model's notes on stderr so that stdout stays machine-readable.
std::unique_ptr<Model> loadModel(const CommandLine& line)
{
    setThreads(threadCount(line.value("threads")));
    const std::string path = line.positional().empty() ? defaultModelPath() : line.positional()[0];
    auto model = Model::load(path, loadOptions(line));
    for (const auto& note : model->info().notes)
        std::cerr << "convscope-core: note: " << note << '\n';
    return model;
}

const char* kLayersSummary = "List the layers a model's forward() runs, with op and output shape.";
const char* kSummarySummary = "Per-layer memory, parameters, FLOPs and receptive field.";

int layersCommand(const std::vector<std::string>& arguments)
{
    CommandLine line;
    addModelOptions(line);
    line.addOption({"json", "Print JSON.", "", ""});
    parseCommand(line, arguments, "layers [MODEL] [--input C,H,W] [--json]", kLayersSummary);
    auto model = loadModel(line);
    if (line.isSet("json"))
        std::cout << layersJson(*model) << '\n';
    else
        std::cout << layersText(*model);
    return 0;
}

int summaryCommand(const std::vector<std::string>& arguments)
{
    CommandLine line;
    addModelOptions(line);
    line.addOption({"json", "Print JSON.", "", ""});
    line.addOption({"csv", "Print CSV.", "", ""});
    parseCommand(line, arguments, "summary [MODEL] [--input C,H,W] [--json|--csv]", kSummarySummary);
    if (line.isSet("json") && line.isSet("csv"))
        throw Error("give either --json or --csv");
    auto model = loadModel(line);
    const ModelSummary summary = summarize(*model);
    if (line.isSet("csv"))
        std::cout << summaryCsv(summary);
    else if (line.isSet("json"))
        std::cout << summaryJson(*model, summary) << '\n';
    else
        std::cout << summaryText(*model, summary);
    return 0;
}

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const std::vector<std::string>& arguments);
};

const Command kCommands[] = {
    {"layers", kLayersSummary, layersCommand},
    {"summary", kSummarySummary, summaryCommand},
};

// The full CLI's other commands, and why this build cannot run them.
struct Missing {
    const char* name;
    const char* reason;
};

const Missing kMissing[] = {
    {"activations", "built without OpenCV: it reads an image or a dataset"},
    {"filters", "built without OpenCV: it writes PNG pictures"},
    {"train", "built without OpenCV: it reads an image dataset"},
    {"segment", "built without OpenCV: it reads an image and writes PNG masks"},
    {"topk", "built without OpenCV: it reads an image dataset"},
    {"topk-merge", "built without OpenCV: its results name dataset images"},
    {"occlusion", "built without OpenCV: it reads an image"},
    {"saliency", "built without OpenCV: it reads an image"},
    {"ascent", "built without OpenCV: it writes PNG pictures"},
    {"attack", "built without OpenCV: it reads an image or a dataset"},
    {"tsne", "built without OpenCV: it reads an image dataset"},
    {"render", "built without Qt and OpenCV: it draws the window"},
};

void printUsage(std::ostream& out)
{
    out << "usage: convscope-core COMMAND [options] ...\n\n"
           "The commands of `convscope` that need no image decoding, built with LibTorch alone.\n\ncommands:\n";
    for (const auto& c : kCommands)
        out << "  " << padRight(c.name, 14) << c.summary << '\n';
    out << "\nNot in this build (use the full `convscope`): ";
    for (size_t i = 0; i < std::size(kMissing); ++i)
        out << (i ? ", " : "") << kMissing[i].name;
    out << ".\n`convscope-core COMMAND --help` lists a command's options.\n";
}

int run(int argc, char** argv)
{
    const std::string first = argc > 1 ? argv[1] : "";
    if (first == "--version") {
        std::cout << "convscope-core " << CONVSCOPE_VERSION << " (LibTorch " << TORCH_VERSION << ")\n";
        return 0;
    }
    const std::vector<std::string> arguments(argv + std::min(argc, 2), argv + argc);
    for (const auto& c : kCommands) {
        if (first != c.name)
            continue;
        return runCommand(std::string("convscope-core ") + c.name, [&] {
            try {
                return c.run(arguments);
            } catch (const HelpShown&) {
                return 0;
            }
        });
    }
    for (const auto& m : kMissing) {
        if (first == m.name) {
            std::cerr << "convscope-core " << m.name << ": " << m.reason << "; use the full `convscope` (a build with "
                      << "CONVSCOPE_BUILD_GUI=ON)\n";
            return 2;
        }
    }
    const bool asked = first == "--help" || first == "-h" || first == "help";
    printUsage(asked ? std::cout : std::cerr);
    return asked ? 0 : 2;
}

} // namespace
} // namespace convscope

int main(int argc, char** argv)
{
    convscope::tuneAllocator();
    return convscope::run(argc, argv);
}
