#pragma once

#include <QStringList>

namespace convscope {

// True if argv names a headless subcommand (layers, summary, ...), asks
// for command-line help, or starts with a bare word that names no file (a
// mistyped command, which runCli answers), in which case no window is opened.
bool isCliInvocation(const QStringList& arguments);

// Runs one subcommand; returns the process exit code. Errors are printed as
// one line on stderr ("convscope: <message>") with a non-zero code.
int runCli(const QStringList& arguments);

} // namespace convscope
