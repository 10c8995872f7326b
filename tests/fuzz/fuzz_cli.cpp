// Command-line arguments, one per line of input: Qt's parser with the
// options every model command shares, then ConvScope's own readers of
// option values (threads, shape, mean/std, labels, numbers, fractions,
// counts, indices).

#include "app/cli/common.h"
#include "app/cli/options.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_support.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <unistd.h>

using namespace convscope;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    static QCoreApplication app(*argc, *argv);
    // --labels names files: relative ones resolve in our scratch folder, which
    // holds one good labels file.
    const auto dir = fuzz::scratch("cli");
    fuzz::writeFile(dir / "labels.txt", "zero\none\ntwo\n");
    return chdir(dir.c_str());
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    QStringList arguments{QStringLiteral("convscope"), QStringLiteral("attack")};
    const QStringList lines = QString::fromUtf8(reinterpret_cast<const char*>(data), static_cast<int>(size))
                                  .split(QLatin1Char('\n'));
    for (int i = 0; i < std::min<int>(lines.size(), 32); ++i)
        arguments << lines[i];

    QCommandLineParser parser;
    addModelOptions(parser);
    parser.addOptions({
        {QStringLiteral("eps"), QString(), QStringLiteral("E"), QStringLiteral("8/255")},
        {QStringLiteral("steps"), QString(), QStringLiteral("N"), QStringLiteral("10")},
        {QStringLiteral("index"), QString(), QStringLiteral("N"), QStringLiteral("0")},
        {QStringLiteral("json"), QString()},
    });
    try {
        cli::parse(parser, arguments, 0, 2, "attack [MODEL] [IMAGE]");
        threadsOption(parser);
        // Only files in the scratch folder: reading arbitrary paths is not this parser's business.
        if (!parser.value(QStringLiteral("labels")).contains(QLatin1Char('/')))
            loadOptions(parser);
        cli::numberOption(parser, QStringLiteral("eps"), 0);
        cli::wholeOption(parser, QStringLiteral("steps"), 1);
        cli::indexOption(parser, QStringLiteral("index"), 10);
    } catch (const cli::HelpShown&) {
    } catch (const Error&) {
    }
    return 0;
}
