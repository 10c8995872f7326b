#pragma once

#include "widgets/class_map.h"

// Tensors to QImages, for views. Safe on any thread (QImage is not QPixmap).

#include "widgets/tile_grid_view.h"

#include <torch/script.h>

#include <QImage>
#include <QStringList>
#include <QVector>

namespace convscope {

// [1 or 3, H, W] (or [H, W]) values in [0, 1] → Grayscale8 or RGB888.
QImage toQImage(const torch::Tensor& image);
// [N, 1 or 3, h, w] → one tile per image, captioned from `captions` if given.
QVector<Tile> toTiles(const torch::Tensor& images, const QStringList& captions = {});

struct ForwardResult;
struct ModelInfo;
// A forward pass's class probabilities [C, h, w] as the input dock draws
// them; empty for a classifier.
ClassMap classMapOf(const ForwardResult& forward, const ModelInfo& info);

} // namespace convscope
