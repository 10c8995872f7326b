#pragma once

// A class as the views name it, for every tab and its pictures.

#include <QPair>
#include <QString>
#include <QVector>

#include <cstdint>
#include <string>
#include <vector>

namespace at
{
class Tensor;
}

namespace convscope
{

class Model;

// "281: tabby", or "3" where the label is only the number.
QString classText(const Model& model, int64_t index);

// The `k` most probable classes of `probabilities` [K], best first, each
// named by `labels` (its number where there is no label): the top-5 lists.
QVector<QPair<QString, double>> topClasses(const at::Tensor& probabilities, const std::vector<std::string>& labels, int64_t k = 5,
                                           QVector<qint64>* indices = nullptr);

} // namespace convscope
