#include "app/views/adversarial/layer_change.h"

#include "app/shell/tensor_image.h"
#include "core/colormap.h"
#include "core/model.h"
#include "core/tensor_grid.h"

#include <algorithm>
#include <cmath>

namespace convscope
{

namespace
{

// [C, H, W] as it is; [F] as one map of ceil(√F) columns, the tail padded
// with `fill`; anything else flattened to [F] first.
torch::Tensor asMaps(const torch::Tensor& activation, double fill)
{
    if (activation.dim() == 3)
        return activation;
    const torch::Tensor flat = activation.flatten();
    const int64_t f = flat.numel();
    const auto columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(f))));
    const int64_t rows = (f + columns - 1) / columns;
    torch::Tensor map = torch::full({rows * columns}, fill, flat.options());
    map.narrow(0, 0, f).copy_(flat);
    return map.view({1, rows, columns});
}

// Red for positive, blue for negative, white at 0: values in [-1, 1] as [.., 3, h, w].
torch::Tensor diverging(const torch::Tensor& t)
{
    const torch::Tensor up = t.clamp_min(0), down = (-t).clamp_min(0);
    return torch::stack({1 - down, 1 - t.abs(), 1 - up}, -3);
}

QImage grid(const torch::Tensor& tiles)
{
    return toQImage(tileGrid(tiles, 0, 1, 32));
}

} // namespace

torch::Tensor scaledTiles(const torch::Tensor& activation, double low, double high)
{
    const torch::Tensor maps = asMaps(activation, low);
    const double range = high > low ? high - low : 1;
    return ((maps - low) / range).clamp(0, 1).unsqueeze(1);
}

std::shared_ptr<const LayerChangeView> layerChangeView(
    Model& model, const torch::Tensor& clean, const torch::Tensor& adversarial, int layer)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor both = model.capture(torch::stack({ clean, adversarial }), { layer }, false)
                                   .layers[0]
                                   .to(torch::kCPU, torch::kFloat);
    auto view = std::make_shared<LayerChangeView>();
    view->layer = layer;
    view->name = QString::fromStdString(model.layers()[static_cast<size_t>(layer)].name);
    const torch::Tensor a = both[0], b = both[1];
    view->channelMaps = a.dim() == 3;
    view->channels = channelChanges(a, b);
    view->low = std::min(a.min().item<double>(), b.min().item<double>());
    view->high = std::max(a.max().item<double>(), b.max().item<double>());
    view->clean = grid(applyColormap(scaledTiles(a, view->low, view->high), Colormap::Viridis).squeeze(1));
    view->adversarial = grid(applyColormap(scaledTiles(b, view->low, view->high), Colormap::Viridis).squeeze(1));
    const torch::Tensor d = b - a;
    view->largestChange = d.abs().max().item<double>();
    const double scale = view->largestChange > 0 ? view->largestChange : 1;
    // The padding of a vector layer's map is 0 in both: white.
    view->difference = grid(diverging(asMaps(d, 0) / scale));
    return view;
}

} // namespace convscope
