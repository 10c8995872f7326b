#pragma once

#include "core/model.h"

#include <QCommandLineParser>
#include <QStringList>

namespace convscope {

// Options every model-taking command shares: device, threads and metadata
// overrides (the same fields the GUI's model settings edit).
void addModelOptions(QCommandLineParser& parser);
// Applies --threads and collects the rest into LoadOptions; throws Error on a bad value.
LoadOptions modelOptions(const QCommandLineParser& parser);

} // namespace convscope
