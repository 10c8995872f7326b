#include "core/class_colours.h"

#include <algorithm>
#include <map>
#include <utility>

namespace convscope
{

const std::array<std::array<float, 3>, 20>& tab20()
{
    // Four to a line, as matplotlib lists them.
    // clang-format off
    static const std::array<std::array<float, 3>, 20> colours = {{
        {0.122f, 0.467f, 0.706f}, {0.682f, 0.780f, 0.910f}, {1.000f, 0.498f, 0.055f}, {1.000f, 0.733f, 0.471f},
        {0.173f, 0.627f, 0.173f}, {0.596f, 0.875f, 0.541f}, {0.839f, 0.153f, 0.157f}, {1.000f, 0.596f, 0.588f},
        {0.580f, 0.404f, 0.741f}, {0.773f, 0.690f, 0.835f}, {0.549f, 0.337f, 0.294f}, {0.769f, 0.612f, 0.580f},
        {0.890f, 0.467f, 0.761f}, {0.969f, 0.714f, 0.824f}, {0.498f, 0.498f, 0.498f}, {0.780f, 0.780f, 0.780f},
        {0.737f, 0.741f, 0.133f}, {0.859f, 0.859f, 0.553f}, {0.090f, 0.745f, 0.812f}, {0.620f, 0.855f, 0.898f},
    }};
    // clang-format on
    return colours;
}

std::array<float, 3> classColour(int64_t index)
{
    if (index >= 0 && index < 10)
        return tab20()[static_cast<size_t>(2 * index)];
    if (index >= 10 && index < 20)
        return tab20()[static_cast<size_t>(2 * (index - 10) + 1)];
    return { 0.5f, 0.5f, 0.5f };
}

std::vector<int64_t> colourClasses(const std::vector<int64_t>& classes)
{
    if (std::all_of(classes.begin(), classes.end(), [](int64_t c) { return c >= -1 && c < 20; }))
        return classes;
    std::map<int64_t, int64_t> counts;
    for (int64_t c : classes)
        if (c >= 0)
            ++counts[c];
    std::vector<std::pair<int64_t, int64_t>> ranked(counts.begin(), counts.end()); // class, count
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::map<int64_t, int64_t> slot;
    for (size_t i = 0; i < ranked.size() && i < 20; ++i)
        slot[ranked[i].first] = static_cast<int64_t>(i);
    std::vector<int64_t> colours;
    colours.reserve(classes.size());
    for (int64_t c : classes) {
        const auto it = slot.find(c);
        colours.push_back(it == slot.end() ? -1 : it->second);
    }
    return colours;
}

} // namespace convscope
