// `convscope layers` and `convscope summary`: the Summary view's tables.

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_report.h"
#include "core/model_summary.h"

#include <QCommandLineParser>

#include <iostream>

namespace convscope::cli {

// The tables and JSON live in core/model_report, shared with the Qt-free
// convscope-core (cli_core/), which must print the same.
int layersCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    const QStringList args = parse(parser, arguments, 0, 1, "layers [MODEL] [--input C,H,W] [--json]");
    auto model = loadFromArguments(parser, modelArgument(args), ModelUse::Structure);
    if (parser.isSet(QStringLiteral("json")))
        std::cout << layersJson(*model) << '\n';
    else
        std::cout << layersText(*model);
    return 0;
}

int summaryCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    addModelOptions(parser);
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    parser.addOption({QStringLiteral("csv"), QStringLiteral("Print CSV.")});
    const QStringList args = parse(parser, arguments, 0, 1, "summary [MODEL] [--input C,H,W] [--json|--csv]");
    if (parser.isSet(QStringLiteral("json")) && parser.isSet(QStringLiteral("csv")))
        throw Error("give either --json or --csv");
    auto model = loadFromArguments(parser, modelArgument(args), ModelUse::Structure);
    const ModelSummary summary = summarize(*model);
    if (parser.isSet(QStringLiteral("csv")))
        std::cout << summaryCsv(summary);
    else if (parser.isSet(QStringLiteral("json")))
        std::cout << summaryJson(*model, summary) << '\n';
    else
        std::cout << summaryText(*model, summary);
    return 0;
}

} // namespace convscope::cli
