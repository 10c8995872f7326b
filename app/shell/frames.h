#pragma once

// The values the workspace hands to its views. Not seen by moc: views include
// this from their .cpp files only.

#include <torch/script.h>

#include <QPair>
#include <QString>
#include <QVector>

namespace convscope {

// One input image in the model's format, and where it came from.
struct InputFrame {
    torch::Tensor pixels; // [C, H, W] in [0, 1], CPU; [1, 0, 0] when the model takes no images (caption says so)
    QString caption;
    QString source;       // file path, dataset spec or video spec
    int index = -1;       // position in the dataset walk or video, -1 for a single image
    qint64 serial = 0;    // increases with every new input
};

// One forward pass over the current input: the predictions and the selected
// layer's output.
struct ForwardResult {
    std::shared_ptr<const InputFrame> frame;
    QVector<QPair<QString, double>> top; // label, probability; best first
    QVector<qint64> topClasses;          // their class indices (labels may repeat: ImageNet's two "crane")
    int layer = -1;
    torch::Tensor activation;            // [C, H, W] or [F] for one image, CPU; undefined if no layer
    double forwardMs = 0;
    torch::Tensor segmentation;          // segmentation models: [C, h, w] class probabilities, CPU
};

} // namespace convscope
