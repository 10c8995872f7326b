#include "core/filters.h"

#include "core/error.h"
#include "core/model.h"

#include <numeric>

namespace convscope {

namespace {

std::string describe(const LayerInfo& info)
{
    return "layer '" + info.name + "' (" + info.op + ")";
}

void checkSet(const FilterSet& set)
{
    if (!set.weights.defined() || set.weights.dim() != 4 || set.weights.size(0) == 0)
        throw Error("layer '" + set.layer + "' has no filters loaded");
}

// A filter (or, shared, a whole layer) whose weights are all equal has no
// contrast to show: it becomes 0.5 gray rather than black, which would read as
// "all at the minimum" next to filters that have one.
torch::Tensor scaled(const torch::Tensor& filters, const torch::Tensor& low, const torch::Tensor& high)
{
    auto span = high - low;
    return torch::where(span > 0, (filters - low) / span.clamp_min(1e-30), torch::full({}, 0.5));
}

// Filters [n, in, kh, kw] in [0, 1]; all of them, or only filter `index`.
torch::Tensor displayFilters(const FilterSet& set, FilterRange range, int64_t index = -1)
{
    checkSet(set);
    torch::NoGradGuard noGrad;
    const torch::Tensor& w = set.weights;
    const torch::Tensor chosen = index < 0 ? w : w.narrow(0, index, 1);
    if (range == FilterRange::Shared)
        return scaled(chosen, w.min(), w.max());
    auto flat = chosen.reshape({chosen.size(0), -1});
    return scaled(chosen, flat.amin(1).view({-1, 1, 1, 1}), flat.amax(1).view({-1, 1, 1, 1}));
}

} // namespace

FilterSet filterWeights(Model& model, int layer)
{
    const auto& layers = model.layers();
    if (layer < 0 || layer >= static_cast<int>(layers.size()))
        throw Error("no layer number " + std::to_string(layer));
    const LayerInfo& info = layers[static_cast<size_t>(layer)];
    torch::Tensor weight = model.graph().weight(layer);
    if (!weight.defined())
        throw Error(describe(info) + " has no weights to show");
    torch::NoGradGuard noGrad;
    // A copy, not a view of the parameter: training the model later must not
    // change what was shown.
    weight = weight.detach().to(torch::kCPU, torch::kFloat32).clone();

    FilterSet set;
    set.layer = info.name;
    set.op = info.op;
    if (info.category == "linear") {
        // Each row of a linear layer that reads a (flattened) image is a
        // template over that image's channels and pixels.
        const auto image = model.graph().imageInputShape(layer);
        const int64_t pixels = std::accumulate(image.begin(), image.end(), int64_t(1), std::multiplies<>());
        if (image.size() != 3 || weight.dim() != 2 || pixels != weight.size(1))
            throw Error(describe(info) + ": its input has no image shape");
        weight = weight.view({weight.size(0), image[0], image[1], image[2]});
        set.fromLinear = true;
    } else if (weight.dim() == 3) {
        weight = weight.unsqueeze(2); // a 1-D kernel as a one-row image
    } else if (weight.dim() != 4) {
        throw Error(describe(info) + ": " + std::to_string(weight.dim() - 2) + "-D kernels cannot be shown as images");
    }
    // Grouped and depthwise convolutions keep [out, in / groups, kh, kw]: each
    // filter sees only its group's channels, and that is what it holds.
    set.weights = weight;
    set.colour = weight.size(1) == 3;
    return set;
}

torch::Tensor colourTiles(const FilterSet& set, FilterRange range)
{
    checkSet(set);
    if (!set.colour)
        throw Error("layer '" + set.layer + "' has " + std::to_string(set.weights.size(1)) + " input channel"
                    + (set.weights.size(1) == 1 ? "" : "s") + " per filter: only 3 can be shown in colour");
    return displayFilters(set, range);
}

torch::Tensor sliceTiles(const FilterSet& set, FilterRange range)
{
    const auto tiles = displayFilters(set, range);
    return tiles.reshape({tiles.size(0) * tiles.size(1), 1, tiles.size(2), tiles.size(3)});
}

torch::Tensor oneFilterTiles(const FilterSet& set, int64_t index, FilterRange range)
{
    checkSet(set);
    const int64_t count = set.weights.size(0);
    if (index < 0 || index >= count)
        throw Error("layer '" + set.layer + "' has " + std::to_string(count) + " filters: no filter "
                    + std::to_string(index));
    return displayFilters(set, range, index)[0].unsqueeze(1);
}

} // namespace convscope
