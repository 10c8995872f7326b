#pragma once

// Attack budgets and robustness curves as text, the same for `convscope
// attack` and the Adversarial tab: a CSV written by one reads like the other's.

#include "core/attack.h"

#include <QString>

#include <functional>
#include <string>
#include <vector>

namespace convscope
{

// "0,1/255,8/255" -> {0, 1/255., 8/255.}; Error naming --eps for a bad or negative value.
std::vector<double> epsList(const QString& text);
// The budgets a robustness curve tries by default: L-infinity 0 … 16/255, L2 0 … 4.
QString defaultEpsList(bool l2);
// "0.0314 (8/255)" for L-infinity budgets that are whole 8-bit levels.
std::string epsText(double eps, bool l2);

// The curve as CSV: the header and one row per budget
// (method,norm,eps,accuracy,correct,samples).
QString robustnessCsvHeader();
QString robustnessCsvRows(const RobustnessResult& result);

// The confusion matrices under attack as CSV, one row per non-zero cell:
// method,norm,eps,true_class,true_label,attacked_class,attacked_label,count
// (rows of a class × class matrix: a thousand ImageNet classes stay short).
// `eps` < 0: every budget, else the one nearest it. Names are quoted when
// they hold a comma or a quote ("tench, Tinca tinca").
QString confusionCsvHeader();
QString confusionCsvRows(const RobustnessResult& result, const std::function<QString(int64_t)>& className,
                         double eps = -1);
// The point of `result` whose budget is nearest `eps` (nullptr when none).
const RobustnessPoint* nearestPoint(const RobustnessResult& result, double eps);

} // namespace convscope
