#include "app/lesson/lesson.h"

#include "app/shell/atomic_save.h"
#include "app/shell/defaults.h"
#include "core/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace convscope {

namespace {

const QString kShipped = QStringLiteral("shipped:");

[[noreturn]] void fail(const QString& origin, const QString& why)
{
    throw Error((origin + QStringLiteral(": ") + why).toStdString());
}

QString text(const QJsonObject& object, const QString& key, const QString& origin, bool required = false)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined() && !required)
        return {};
    if (!value.isString())
        fail(origin, QStringLiteral("'%1' must be a string").arg(key));
    return value.toString();
}

int whole(const QJsonObject& object, const QString& key, int fallback, int lowest, const QString& origin)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return fallback;
    const double number = value.toDouble(-1e300);
    if (!value.isDouble() || number != static_cast<int>(number) || number < lowest)
        fail(origin, QStringLiteral("'%1' must be a whole number of at least %2").arg(key).arg(lowest));
    return static_cast<int>(number);
}

QString lessonDir(const QString& lessonPath)
{
    return lessonPath.isEmpty() ? QDir::currentPath() : QFileInfo(lessonPath).absolutePath();
}

// Relative when the file is in the lesson's folder tree or one folder up
// (a lesson beside its models), so that the folder can be moved whole.
QString relativeTo(const QString& path, const QString& lessonPath)
{
    if (lessonPath.isEmpty() || !QFileInfo(path).isAbsolute())
        return path;
    const QString relative = QDir(lessonDir(lessonPath)).relativeFilePath(path);
    return relative.startsWith(QLatin1String("../../")) ? path : relative;
}

QString resolveFile(const QString& path, const QString& lessonPath)
{
    if (path.isEmpty() || QFileInfo(path).isAbsolute())
        return path;
    const QString inLesson = QDir(lessonDir(lessonPath)).absoluteFilePath(path);
    return QFileInfo::exists(inLesson) ? QDir::cleanPath(inLesson) : path;
}

} // namespace

QJsonObject toJson(const Lesson& lesson)
{
    QJsonArray steps;
    for (const LessonStep& s : lesson.steps) {
        QJsonObject step{{QStringLiteral("title"), s.title},       {QStringLiteral("notes"), s.notes},
                         {QStringLiteral("model"), s.model},       {QStringLiteral("input"), s.input},
                         {QStringLiteral("position"), s.position}, {QStringLiteral("view"), s.view}};
        if (s.walkAll)
            step.insert(QStringLiteral("walk_all"), true);
        if (!s.layer.isEmpty())
            step.insert(QStringLiteral("layer"), s.layer);
        if (s.channel >= 0)
            step.insert(QStringLiteral("channel"), s.channel);
        if (!s.work.isEmpty())
            step.insert(QStringLiteral("work"), s.work);
        if (!s.settings.isEmpty())
            step.insert(QStringLiteral("settings"), s.settings);
        steps.append(step);
    }
    return {{QStringLiteral("convscope_lesson"), Lesson::kVersion},
            {QStringLiteral("title"), lesson.title},
            {QStringLiteral("steps"), steps}};
}

Lesson lessonFromJson(const QJsonObject& json, const QString& origin)
{
    const QJsonValue version = json.value(QStringLiteral("convscope_lesson"));
    if (!version.isDouble())
        fail(origin, QStringLiteral("not a ConvScope lesson (no \"convscope_lesson\": 1)"));
    if (version.toInt() != Lesson::kVersion)
        fail(origin, QStringLiteral("lesson version %1; this ConvScope reads version %2")
                         .arg(version.toDouble())
                         .arg(Lesson::kVersion));
    Lesson lesson;
    lesson.title = text(json, QStringLiteral("title"), origin);
    const QJsonValue steps = json.value(QStringLiteral("steps"));
    if (!steps.isArray())
        fail(origin, QStringLiteral("'steps' must be a list"));
    int number = 0;
    for (const QJsonValue& value : steps.toArray()) {
        const QString where = origin + QStringLiteral(": step %1").arg(++number);
        if (!value.isObject())
            fail(where, QStringLiteral("must be an object"));
        const QJsonObject o = value.toObject();
        LessonStep s;
        s.title = text(o, QStringLiteral("title"), where);
        s.notes = text(o, QStringLiteral("notes"), where);
        s.model = text(o, QStringLiteral("model"), where, true);
        s.input = text(o, QStringLiteral("input"), where);
        s.position = whole(o, QStringLiteral("position"), 0, 0, where);
        s.walkAll = o.value(QStringLiteral("walk_all")).toBool(false);
        s.view = text(o, QStringLiteral("view"), where, true);
        s.layer = text(o, QStringLiteral("layer"), where);
        s.channel = whole(o, QStringLiteral("channel"), -1, -1, where);
        s.work = text(o, QStringLiteral("work"), where);
        const QJsonValue settings = o.value(QStringLiteral("settings"));
        if (!settings.isUndefined() && !settings.isObject())
            fail(where, QStringLiteral("'settings' must be an object"));
        s.settings = settings.toObject();
        lesson.steps.append(s);
    }
    return lesson;
}

Lesson readLesson(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        fail(path, file.exists() ? file.errorString() : QStringLiteral("no such file"));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        fail(path, QStringLiteral("invalid JSON at offset %1: %2").arg(error.offset).arg(error.errorString()));
    if (!doc.isObject())
        fail(path, QStringLiteral("must be a JSON object"));
    return lessonFromJson(doc.object(), path);
}

QString writeLesson(const Lesson& lesson, const QString& path)
{
    return saveBytesAtomically(QJsonDocument(toJson(lesson)).toJson(QJsonDocument::Indented), path);
}

QString resolveModel(const QString& model, const QString& lessonPath)
{
    if (model.startsWith(kShipped))
        return shippedModelPath(model.mid(kShipped.size()));
    return resolveFile(model, lessonPath);
}

QString resolveInput(const QString& input, const QString& lessonPath)
{
    return resolveFile(input, lessonPath);
}

QString absoluteModel(const QString& model, const QString& lessonPath)
{
    if (model.startsWith(kShipped) || model.isEmpty() || QFileInfo(model).isAbsolute() || lessonPath.isEmpty())
        return model;
    return QDir::cleanPath(QDir(lessonDir(lessonPath)).absoluteFilePath(model));
}

QString absoluteInput(const QString& input, const QString& lessonPath)
{
    // A name that is no file here ("digits", "camera:0", "rtsp://…") stays a name.
    const QString inLesson = absoluteModel(input, lessonPath);
    return input.isEmpty() || QFileInfo(input).isAbsolute() || input.contains(QLatin1Char(':'))
                   || (!QFileInfo::exists(inLesson) && !input.contains(QLatin1Char('/')))
               ? input
               : inLesson;
}

QString relativeModel(const QString& path, const QString& lessonPath)
{
    if (path.startsWith(kShipped))
        return path;
    const QString name = QFileInfo(path).fileName();
    const QString shipped = QFileInfo(shippedModelPath(name)).canonicalFilePath();
    if (!name.isEmpty() && !shipped.isEmpty() && shipped == QFileInfo(path).canonicalFilePath())
        return kShipped + name;
    return relativeTo(path, lessonPath);
}

QString relativeInput(const QString& spec, const QString& lessonPath)
{
    if (QFileInfo::exists(spec) || QFileInfo(spec).isAbsolute())
        return relativeTo(QFileInfo(spec).absoluteFilePath(), lessonPath);
    return spec;
}

} // namespace convscope
