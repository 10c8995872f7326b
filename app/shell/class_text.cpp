#include "app/shell/class_text.h"

#include "core/model.h"

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

} // namespace convscope
