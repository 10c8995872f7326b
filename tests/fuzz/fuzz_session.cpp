// The settings file the last session left (Qt's INI format), as ConvScope
// reads it at start-up: the damaged-file check, then the session and the
// recent-file lists.

#include "app/shell/session_state.h"
#include "tests/fuzz/fuzz_support.h"

#include <QCoreApplication>
#include <QSettings>

using namespace convscope;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    static QCoreApplication app(*argc, *argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto file = fuzz::scratch("session") / "ConvScope.conf";
    fuzz::writeFile(file, std::string(reinterpret_cast<const char*>(data), size));
    QSettings settings(QString::fromStdString(file.string()), QSettings::IniFormat);
    setAsideDamagedSettings(settings);
    const SessionState session = readSession(settings);
    if (session.position < 0 || session.recentModels.size() > 10 || session.recentInputs.size() > 10)
        std::abort();
    return 0;
}
