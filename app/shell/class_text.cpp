#include "app/shell/class_text.h"

#include "core/model.h"

#include <algorithm>

namespace convscope
{

QString classText(const Model& model, int64_t index)
{
    const auto& labels = model.info().labels;
    const QString label = index >= 0 && index < static_cast<int64_t>(labels.size())
        ? QString::fromStdString(labels[static_cast<size_t>(index)])
        : QString();
    return label.isEmpty() || label == QString::number(index) ? QString::number(index)
                                                              : QStringLiteral("%1: %2").arg(index).arg(label);
}

QVector<QPair<QString, double>> topClasses(const at::Tensor& probabilities, const std::vector<std::string>& labels, int64_t k,
                                           QVector<qint64>* classes)
{
    auto best = probabilities.topk(std::min<int64_t>(k, probabilities.size(0)));
    auto values = std::get<0>(best).contiguous();
    auto indices = std::get<1>(best).contiguous();
    QVector<QPair<QString, double>> top;
    for (int64_t i = 0; i < values.size(0); ++i) {
        const auto index = static_cast<size_t>(indices[i].item<int64_t>());
        const QString label = index < labels.size() ? QString::fromStdString(labels[index]) : QString::number(index);
        top.append({label, values[i].item<double>()});
        if (classes)
            classes->append(static_cast<qint64>(index));
    }
    return top;
}

} // namespace convscope
