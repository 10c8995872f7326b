#pragma once

// One layer's activations for the clean and the adversarial image, drawn for
// the Adversarial tab's "Through the layers" panel: both on one colour scale,
// their difference on a diverging one, and the channels that moved most.
// Runs on the model's worker. Not seen by moc: included from .cpp files only.

#include "core/attack_trace.h"

#include <torch/script.h>

#include <QImage>
#include <QString>

#include <memory>
#include <vector>

namespace convscope
{

class Model;

struct LayerChangeView {
    int layer = -1;
    QString name;
    QImage clean, adversarial; // viridis over one min..max of both
    QImage difference;         // adversarial − clean: red up, blue down, white unchanged
    double low = 0, high = 0;  // the shared scale
    double largestChange = 0;  // max |adversarial − clean|: full red or blue
    std::vector<ChannelChange> channels; // largest change first
    bool channelMaps = true;   // false: a vector layer, each value a "channel"
};

// `clean` and `adversarial` are [C, H, W] pixel images in [0, 1].
std::shared_ptr<const LayerChangeView> layerChangeView(
    Model& model, const torch::Tensor& clean, const torch::Tensor& adversarial, int layer);

// An activation [C, H, W] or [F] (laid out as one near-square map) as grid
// tiles [C, 1, h, w] with values in [0, 1] on the scale low..high.
torch::Tensor scaledTiles(const torch::Tensor& activation, double low, double high);

} // namespace convscope
