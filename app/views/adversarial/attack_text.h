#pragma once

// Attack budgets and robustness curves as text, the same for `convscope
// attack` and the Adversarial tab: a CSV written by one reads like the other's.

#include "core/attack.h"

#include <QString>

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

} // namespace convscope
