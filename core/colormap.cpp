#include "core/colormap.h"

#include "core/colormap_tables.h"
#include "core/error.h"

#include <algorithm>
#include <array>

namespace convscope {

namespace {

constexpr int kEntries = 256;

struct Anchor {
    double x, y;
};

// matplotlib's piecewise-linear channel of a LinearSegmentedColormap at x.
double segment(std::initializer_list<Anchor> anchors, double x)
{
    const Anchor* previous = anchors.begin();
    for (const Anchor* a = anchors.begin() + 1; a != anchors.end(); previous = a, ++a)
        if (x <= a->x)
            return previous->y + (a->y - previous->y) * (x - previous->x) / (a->x - previous->x);
    return previous->y;
}

// Each map as the 256-entry table matplotlib builds for it (LinearSegmentedColormap
// samples its segments at i / 255), [256, 3].
torch::Tensor buildTable(Colormap map)
{
    auto table = torch::empty({kEntries, 3});
    auto t = table.accessor<float, 2>();
    for (int i = 0; i < kEntries; ++i) {
        const double x = i / double(kEntries - 1);
        std::array<double, 3> rgb{};
        switch (map) {
        case Colormap::Gray:
            rgb = {x, x, x};
            break;
        case Colormap::Viridis:
            rgb = {detail::kViridis[i][0], detail::kViridis[i][1], detail::kViridis[i][2]};
            break;
        case Colormap::Inferno:
            rgb = {detail::kInferno[i][0], detail::kInferno[i][1], detail::kInferno[i][2]};
            break;
        case Colormap::Jet: // matplotlib's _jet_data
            rgb = {segment({{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}}, x),
                   segment({{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}}, x),
                   segment({{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}}, x)};
            break;
        }
        for (int c = 0; c < 3; ++c)
            t[i][c] = static_cast<float>(rgb[static_cast<size_t>(c)]);
    }
    return table;
}

const torch::Tensor& table(Colormap map)
{
    // Built once; function-local statics are initialized thread-safely.
    static const std::array<torch::Tensor, 4> tables = {buildTable(Colormap::Gray), buildTable(Colormap::Viridis),
                                                        buildTable(Colormap::Inferno), buildTable(Colormap::Jet)};
    return tables[static_cast<size_t>(map)];
}

const std::array<std::pair<Colormap, const char*>, 4> kNames = {
    {{Colormap::Gray, "gray"}, {Colormap::Viridis, "viridis"}, {Colormap::Inferno, "inferno"}, {Colormap::Jet, "jet"}}};

} // namespace

Colormap colormapFromName(const std::string& name)
{
    for (const auto& [map, text] : kNames)
        if (name == text)
            return map;
    throw Error("unknown colormap '" + name + "': use gray, viridis, inferno or jet");
}

std::string colormapName(Colormap map)
{
    return kNames.at(static_cast<size_t>(map)).second;
}

std::vector<std::string> colormapNames()
{
    std::vector<std::string> names;
    for (const auto& entry : kNames)
        names.emplace_back(entry.second);
    return names;
}

torch::Tensor applyColormap(const torch::Tensor& values, Colormap map)
{
    if (values.dim() < 2)
        throw Error("a colormap needs [..., H, W] values, not a " + std::to_string(values.dim()) + "-D tensor");
    torch::NoGradGuard noGrad;
    // Entry floor(x * 256), the last for x = 1: what matplotlib's cmap(x) picks
    // rather than interpolating, so that our pictures and a notebook's agree.
    auto x = torch::nan_to_num(values.detach().to(torch::kCPU, torch::kFloat32), 0.0).clamp(0.0, 1.0);
    auto index = (x * kEntries).floor().clamp_max(kEntries - 1).to(torch::kLong);
    auto rgb = table(map).index_select(0, index.flatten());
    auto sizes = values.sizes().vec();
    sizes.push_back(3);
    return rgb.view(sizes).movedim(-1, -3).contiguous();
}

} // namespace convscope
