#include "app/cli_options.h"

#include "core/device.h"
#include "core/error.h"

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

LoadOptions modelOptions(const QCommandLineParser& parser)
{
    bool ok = false;
    const int threads = parser.value(QStringLiteral("threads")).toInt(&ok);
    if (!ok || threads < 0)
        throw Error("bad --threads '" + parser.value(QStringLiteral("threads")).toStdString() + "': expected a count");
    setThreads(threads);

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

} // namespace convscope
