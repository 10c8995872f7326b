#include "app/shell/defaults.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace convscope {

QString defaultModelPath()
{
    const QString fromEnvironment = qEnvironmentVariable("CONVSCOPE_DEFAULT_MODEL");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return shippedModelPath(QStringLiteral("lenet5_digits.pt"));
}

QString shippedModelPath(const QString& file)
{
    // An installed copy beside the binary first, then the source tree it was built from.
    const QString installed = QCoreApplication::applicationDirPath() + QStringLiteral("/../share/convscope/") + file;
    if (QFileInfo::exists(installed))
        return QFileInfo(installed).canonicalFilePath();
    return QStringLiteral(CONVSCOPE_SOURCE_DIR "/models/") + file;
}

QString cacheDir(const QString& kind)
{
    const QString xdg = qEnvironmentVariable("XDG_CACHE_HOME");
    const QString base = !xdg.isEmpty() ? xdg : qEnvironmentVariable("HOME") + QStringLiteral("/.cache");
    if (base == QLatin1String("/.cache"))
        return {};
    return base + QStringLiteral("/convscope/") + kind;
}

QString defaultDatasetSpec()
{
    return QStringLiteral("digits");
}

} // namespace convscope
