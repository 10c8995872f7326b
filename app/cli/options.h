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

// The two halves of modelOptions, without side effects (the fuzz harness
// parses options without starting threads).
constexpr int kMaxThreads = 1024;
int threadsOption(const QCommandLineParser& parser);
LoadOptions loadOptions(const QCommandLineParser& parser);

} // namespace convscope
