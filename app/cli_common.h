#pragma once

// Internal to the CLI: helpers the subcommands share.

#include <QCommandLineParser>
#include <QStringList>

#include <string>

namespace convscope::cli {

// Parses the subcommand's options; prints help and throws HelpShown for
// --help; throws Error for bad options. Returns the positional arguments
// after the subcommand, checked to number between min and max.
QStringList parse(QCommandLineParser& parser, const QStringList& arguments, int min, int max, const char* usage);
struct HelpShown {};

std::string pad(const std::string& s, size_t width);

int trainCommand(QCommandLineParser& parser, const QStringList& arguments);

} // namespace convscope::cli
