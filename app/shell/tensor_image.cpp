#include "app/shell/tensor_image.h"

#include "app/shell/frames.h"
#include "core/model.h"

namespace convscope {

QImage toQImage(const torch::Tensor& image)
{
    torch::Tensor t = image.detach().to(torch::kCPU, torch::kFloat);
    if (t.dim() == 2)
        t = t.unsqueeze(0);
    t = (t.clamp(0, 1) * 255).round().to(torch::kUInt8);
    const int h = static_cast<int>(t.size(1)), w = static_cast<int>(t.size(2));
    if (t.size(0) == 3) {
        t = t.permute({1, 2, 0}).contiguous();
        return QImage(t.data_ptr<uint8_t>(), w, h, 3 * w, QImage::Format_RGB888).copy();
    }
    t = t[0].contiguous();
    return QImage(t.data_ptr<uint8_t>(), w, h, w, QImage::Format_Grayscale8).copy();
}

QVector<Tile> toTiles(const torch::Tensor& images, const QStringList& captions)
{
    // One conversion for the whole batch; each tile then copies its slice.
    torch::Tensor t = (images.detach().to(torch::kCPU, torch::kFloat).clamp(0, 1) * 255).round().to(torch::kUInt8);
    const int64_t n = t.size(0), c = t.size(1);
    const int h = static_cast<int>(t.size(2)), w = static_cast<int>(t.size(3));
    const bool rgb = c == 3;
    t = rgb ? t.permute({0, 2, 3, 1}).contiguous() : t.select(1, 0).contiguous();
    const int64_t stride = static_cast<int64_t>(h) * w * (rgb ? 3 : 1);
    const uint8_t* data = t.data_ptr<uint8_t>();
    QVector<Tile> tiles;
    tiles.reserve(static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i) {
        QImage image(data + i * stride, w, h, rgb ? 3 * w : w, rgb ? QImage::Format_RGB888 : QImage::Format_Grayscale8);
        tiles.append({image.copy(), i < captions.size() ? captions[static_cast<int>(i)] : QString()});
    }
    return tiles;
}

ClassMap classMapOf(const ForwardResult& forward, const ModelInfo& info)
{
    ClassMap map;
    const torch::Tensor& p = forward.segmentation;
    if (!p.defined() || p.dim() != 3)
        return map;
    map.classes = static_cast<int>(p.size(0));
    map.height = static_cast<int>(p.size(1));
    map.width = static_cast<int>(p.size(2));
    const torch::Tensor probabilities = p.contiguous();
    map.probabilities = QVector<float>(probabilities.data_ptr<float>(), probabilities.data_ptr<float>() + probabilities.numel());
    const torch::Tensor classes = p.argmax(0).to(torch::kInt).contiguous();
    map.map = QVector<int>(classes.data_ptr<int>(), classes.data_ptr<int>() + classes.numel());
    for (const auto& rgb : info.palette)
        map.palette << QColor(rgb[0], rgb[1], rgb[2]);
    for (const auto& label : info.labels)
        map.labels << QString::fromStdString(label);
    return map;
}

} // namespace convscope
