// `convscope filters`: a conv or linear layer's weights as image tiles.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "core/error.h"
#include "core/filters.h"
#include "core/model.h"
#include "core/model_summary.h"
#include "core/tensor_grid.h"
#include "io/image_io.h"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace convscope::cli {

namespace {

// Past this many slices a grid is a wall of noise (and gigabytes): one filter
// at a time says more.
constexpr int64_t kMaxSlices = 65536;

enum class Mode { Colour, Slices, Filter };

Mode modeOption(const QCommandLineParser& parser, bool colour)
{
    if (!parser.isSet(QStringLiteral("mode")))
        return colour ? Mode::Colour : Mode::Slices;
    const QString mode = parser.value(QStringLiteral("mode"));
    if (mode == QLatin1String("colour") || mode == QLatin1String("color"))
        return Mode::Colour;
    if (mode == QLatin1String("slices"))
        return Mode::Slices;
    if (mode == QLatin1String("filter"))
        return Mode::Filter;
    throw Error("unknown --mode '" + mode.toStdString() + "': use colour, slices or filter");
}

const char* modeName(Mode mode)
{
    return mode == Mode::Colour ? "colour" : mode == Mode::Slices ? "slices" : "filter";
}

FilterRange rangeOption(const QCommandLineParser& parser)
{
    const QString range = parser.value(QStringLiteral("range"));
    if (range == QLatin1String("filter"))
        return FilterRange::PerFilter;
    if (range == QLatin1String("shared"))
        return FilterRange::Shared;
    throw Error("unknown --range '" + range.toStdString() + "': use filter or shared");
}

} // namespace

int filtersCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("layer"), QStringLiteral("The conv or linear layer whose weights to draw."),
         QStringLiteral("NAME")},
        {QStringLiteral("mode"),
         QStringLiteral("colour: one RGB tile per filter (the default for 3 input channels); slices: one gray tile per "
                        "filter and input channel, a row per filter (the default otherwise); filter: one filter's "
                        "slices."),
         QStringLiteral("MODE")},
        {QStringLiteral("filter"), QStringLiteral("The filter --mode filter draws (default 0)."), QStringLiteral("N"),
         QStringLiteral("0")},
        {QStringLiteral("range"),
         QStringLiteral("filter: each filter scaled to its own min..max (default); shared: one range for the layer, "
                        "so that magnitudes compare."),
         QStringLiteral("RANGE"), QStringLiteral("filter")},
        {QStringLiteral("out"), QStringLiteral("Write the tiles as a grid PNG."), QStringLiteral("PNG")},
        {QStringLiteral("json"), QStringLiteral("Print JSON.")},
    });
    const QStringList args = parse(parser, arguments, 0, 1,
                                   "filters [MODEL] --layer NAME [--mode colour|slices|filter] [--filter N] "
                                   "[--range filter|shared] [--out PNG] [--json]");
    if (!parser.isSet(QStringLiteral("layer")))
        throw Error("give --layer NAME (run `convscope layers MODEL` for the names)");
    const FilterRange range = rangeOption(parser);
    modeOption(parser, false); // a misspelt mode fails before the model loads
    auto model = loadFromArguments(parser, modelArgument(args), ModelUse::Structure);
    const FilterSet set = filterWeights(*model, model->layerIndex(parser.value(QStringLiteral("layer")).toStdString()));
    const Mode mode = modeOption(parser, set.colour);
    const int64_t filters = set.weights.size(0), channels = set.weights.size(1);

    torch::Tensor tiles;
    int64_t columns = 0;
    int64_t filter = -1;
    switch (mode) {
    case Mode::Colour:
        tiles = colourTiles(set, range);
        break;
    case Mode::Slices:
        if (filters * channels > kMaxSlices)
            throw Error("layer '" + set.layer + "' has " + std::to_string(filters) + " filters of "
                        + std::to_string(channels) + " channels: too many slices to draw; pick one with --mode filter "
                        + "--filter N");
        tiles = sliceTiles(set, range);
        columns = channels > 1 ? channels : 0; // a row per filter
        break;
    case Mode::Filter:
        filter = indexOption(parser, QStringLiteral("filter"), filters);
        tiles = oneFilterTiles(set, filter, range);
        break;
    }

    const torch::Tensor& w = set.weights;
    const double low = w.min().item<double>(), high = w.max().item<double>();
    const double meanAbs = w.abs().mean().item<double>();
    std::string png;
    if (parser.isSet(QStringLiteral("out"))) {
        png = parser.value(QStringLiteral("out")).toStdString();
        io::writeImage(png, tileGrid(tiles, columns));
    }
    const std::vector<int64_t> tileShape(tiles.sizes().begin() + 1, tiles.sizes().end());

    if (parser.isSet(QStringLiteral("json"))) {
        nlohmann::ordered_json out;
        out["layer"] = set.layer;
        out["op"] = set.op;
        out["weight_shape"] = w.sizes().vec();
        out["from_linear"] = set.fromLinear;
        out["mode"] = modeName(mode);
        if (filter >= 0)
            out["filter"] = filter;
        out["tile_shape"] = tileShape;
        out["tiles"] = tiles.size(0);
        out["min"] = low;
        out["max"] = high;
        out["mean_abs"] = meanAbs;
        out["png"] = png.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(png);
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    std::cout << "layer    " << set.layer << " (" << set.op << ")\n";
    std::cout << "weights  " << dimsText(w.sizes().vec());
    if (set.fromLinear)
        std::cout << " (each row of the linear layer as a " << dimsText({w.size(1), w.size(2), w.size(3)}) << " image)";
    std::cout << "\nvalues   min " << std::setprecision(4) << low << ", max " << high << ", mean |w| " << meanAbs
              << '\n';
    std::cout << "tiles    " << tiles.size(0) << " of " << dimsText(tileShape) << ", " << modeName(mode)
              << (filter >= 0 ? " " + std::to_string(filter) : std::string()) << ", "
              << (range == FilterRange::Shared ? "one range for the layer" : "each filter on its own range") << '\n';
    if (!png.empty())
        std::cout << "png      " << png << '\n';
    return 0;
}

} // namespace convscope::cli
