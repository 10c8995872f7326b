#pragma once

#include <QString>

class QValueAxis;

namespace convscope
{

// A value axis for the tabs' small charts: titles and labels a little smaller
// than the chart's font, and numbers drawn whole (QtCharts gives each tick
// label the height of a tick's share of the axis less padding, and draws "..."
// for numbers only a little taller: every tick of a short chart).
QValueAxis* chartAxis(const QString& title, const QString& format);

} // namespace convscope
