#include "app/cli/options.h"

#include "app/cli/common.h"

#include "core/device.h"
#include "core/error.h"

#include <cmath>
#include <iostream>
#include <sstream>

namespace convscope {

void addModelOptions(QCommandLineParser& parser)
{
    parser.addOptions({
        {QStringLiteral("device"), QStringLiteral("cpu, cuda, cuda:N or auto (default)."), QStringLiteral("DEVICE"),
         QStringLiteral("auto")},
        {QStringLiteral("threads"), QStringLiteral("CPU threads (default: every core)."), QStringLiteral("N"),
         QStringLiteral("0")},
        {QStringLiteral("input"), QStringLiteral("Input shape C,H,W (overrides the metadata)."), QStringLiteral("C,H,W")},
        {QStringLiteral("mean"), QStringLiteral("Per-channel mean after scaling to [0,1]."), QStringLiteral("M1,M2,..")},
        {QStringLiteral("std"), QStringLiteral("Per-channel std after scaling to [0,1]."), QStringLiteral("S1,S2,..")},
        {QStringLiteral("labels"), QStringLiteral("Labels file, one per line."), QStringLiteral("FILE")},
        {QStringLiteral("name"), QStringLiteral("Display name of the model."), QStringLiteral("NAME")},
    });
}

int threadsOption(const QCommandLineParser& parser)
{
    bool ok = false;
    const int threads = parser.value(QStringLiteral("threads")).toInt(&ok);
    // A bound well past any machine's cores: LibTorch would start every thread asked for.
    if (!ok || threads < 0 || threads > kMaxThreads)
        throw Error("bad --threads '" + parser.value(QStringLiteral("threads")).toStdString()
                    + "': expected a count from 0 (every core) to " + std::to_string(kMaxThreads));
    return threads;
}

LoadOptions modelOptions(const QCommandLineParser& parser)
{
    setThreads(threadsOption(parser));
    return loadOptions(parser);
}

LoadOptions loadOptions(const QCommandLineParser& parser)
{
    LoadOptions options;
    options.device = parser.value(QStringLiteral("device")).toStdString();
    ModelMetadata& o = options.overrides;
    if (parser.isSet(QStringLiteral("input")))
        o.input = parseInputShape(parser.value(QStringLiteral("input")).toStdString());
    if (parser.isSet(QStringLiteral("mean")))
        o.mean = parseNumberList(parser.value(QStringLiteral("mean")).toStdString(), "--mean");
    if (parser.isSet(QStringLiteral("std"))) {
        o.std = parseNumberList(parser.value(QStringLiteral("std")).toStdString(), "--std");
        for (double s : *o.std)
            if (!(s > 0))
                throw Error("--std values must be positive");
    }
    if (parser.isSet(QStringLiteral("labels")))
        o.labels = readLabelsFile(parser.value(QStringLiteral("labels")).toStdString());
    if (parser.isSet(QStringLiteral("name")))
        o.name = parser.value(QStringLiteral("name")).toStdString();
    return options;
}

QStringList cli::parse(QCommandLineParser& parser, const QStringList& arguments, int min, int max, const char* usage)
{
    parser.addHelpOption();
    if (!parser.parse(arguments))
        throw Error(parser.errorText().toStdString());
    if (parser.isSet(QStringLiteral("help"))) {
        std::cout << parser.helpText().toStdString();
        throw HelpShown();
    }
    QStringList args = parser.positionalArguments();
    args.removeFirst(); // the subcommand
    if (args.size() < min || args.size() > max)
        throw Error(std::string("usage: convscope ") + usage);
    return args;
}

int64_t cli::indexOption(const QCommandLineParser& parser, const QString& name, int64_t count)
{
    bool ok = false;
    const int64_t index = parser.value(name).toLongLong(&ok);
    if (!ok || index < 0 || index >= count)
        throw Error("--" + name.toStdString() + " must lie between 0 and " + std::to_string(count - 1));
    return index;
}

int64_t cli::wholeOption(const QCommandLineParser& parser, const QString& name, int64_t min)
{
    bool ok = false;
    const int64_t value = parser.value(name).toLongLong(&ok);
    if (!ok || value < min)
        throw Error("--" + name.toStdString() + " must be a whole number of at least " + std::to_string(min));
    return value;
}

double cli::numberOption(const QCommandLineParser& parser, const QString& name, double min)
{
    const double value = numberText(parser.value(name), name);
    if (value < min) {
        std::ostringstream bound;
        bound << min;
        throw Error("--" + name.toStdString() + " must be a number of at least " + bound.str());
    }
    return value;
}

} // namespace convscope
