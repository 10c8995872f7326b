#include "app/shell/session_state.h"

#include <QDateTime>
#include <QFile>
#include <QSettings>

namespace convscope {

namespace {

constexpr int kMaxPathLength = 4096;
constexpr int kMaxRecent = 10;

// A single string value, else empty: QSettings gives lists and byte arrays
// for keys a user or another program wrote by hand.
QString stringValue(const QSettings& settings, const QString& key, const QString& fallback = {})
{
    const QVariant value = settings.value(key);
    if (value.typeId() != QMetaType::QString)
        return fallback;
    const QString text = value.toString();
    return text.size() > kMaxPathLength || text.contains(QChar(0)) ? fallback : text;
}

QStringList pathList(const QSettings& settings, const QString& key)
{
    QStringList paths;
    const QVariant value = settings.value(key);
    const QStringList list = value.typeId() == QMetaType::QStringList ? value.toStringList()
        : value.typeId() == QMetaType::QString                        ? QStringList{value.toString()}
                                                                      : QStringList{};
    for (const QString& path : list)
        if (!path.isEmpty() && path.size() <= kMaxPathLength && !path.contains(QChar(0)) && !paths.contains(path)
            && paths.size() < kMaxRecent)
            paths << path;
    return paths;
}

bool isDeviceName(const QString& device)
{
    if (device == QLatin1String("auto") || device == QLatin1String("cpu") || device == QLatin1String("cuda"))
        return true;
    bool ok = false;
    return device.startsWith(QLatin1String("cuda:")) && device.mid(5).toInt(&ok) >= 0 && ok;
}

} // namespace

SessionState readSession(const QSettings& settings)
{
    SessionState s;
    s.model = stringValue(settings, QStringLiteral("session/model"));
    const QString device = stringValue(settings, QStringLiteral("session/device"), s.device);
    s.device = isDeviceName(device) ? device : QStringLiteral("auto");
    s.input = stringValue(settings, QStringLiteral("session/input"));
    bool ok = false;
    const qint64 position = settings.value(QStringLiteral("session/position")).toLongLong(&ok);
    s.position = ok && position >= 0 ? position : 0;
    s.walkAll = settings.value(QStringLiteral("session/walkAll")).toString() == QLatin1String("true");
    s.layer = stringValue(settings, QStringLiteral("session/layer"));
    s.tab = stringValue(settings, QStringLiteral("session/tab"));
    s.recentModels = pathList(settings, QStringLiteral("recent/models"));
    s.recentInputs = pathList(settings, QStringLiteral("recent/inputs"));
    return s;
}

QString setAsideDamagedSettings(QSettings& settings)
{
    if (settings.status() != QSettings::FormatError)
        return {};
    const QString file = settings.fileName();
    const QString kept = file + QStringLiteral(".damaged-")
        + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const bool moved = QFile::rename(file, kept);
    settings.clear(); // what Qt read of it is not trusted either
    settings.sync();
    return moved ? QStringLiteral("The settings file %1 was damaged: it is kept as %2 and ConvScope started "
                                  "with default settings.")
                       .arg(file, kept)
                 : QStringLiteral("The settings file %1 is damaged and could not be moved aside: ConvScope "
                                  "started with default settings.")
                       .arg(file);
}

} // namespace convscope
