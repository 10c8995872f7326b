#pragma once

// Internal to the CLI: helpers the subcommands share.

#include <QCommandLineParser>
#include <QStringList>

#include <memory>
#include <string>

namespace convscope {
class Model;
}

namespace convscope::cli {

// Parses the subcommand's options; prints help and throws HelpShown for
// --help; throws Error for bad options. Returns the positional arguments
// after the subcommand, checked to number between min and max.
QStringList parse(QCommandLineParser& parser, const QStringList& arguments, int min, int max, const char* usage);
struct HelpShown {};

std::string pad(const std::string& s, size_t width);

// MODEL, or the default model when the command was given none.
QString modelArgument(const QStringList& args);
// Loads with the shared model options (addModelOptions) and prints the
// model's notes on stderr, so that stdout stays machine-readable.
std::unique_ptr<Model> loadFromArguments(QCommandLineParser& parser, const QString& path);
// An integer option that must lie in [0, count); Error saying so otherwise.
int64_t indexOption(const QCommandLineParser& parser, const QString& name, int64_t count);

int trainCommand(QCommandLineParser& parser, const QStringList& arguments);
int filtersCommand(QCommandLineParser& parser, const QStringList& arguments);
// Needs a QApplication: main() makes one (offscreen) for `render`.
int renderCommand(QCommandLineParser& parser, const QStringList& arguments);

} // namespace convscope::cli
