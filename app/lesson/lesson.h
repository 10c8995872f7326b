#pragma once

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace convscope {

// A lecture ConvScope replays: an ordered list of steps, each the state of
// the window when it was recorded (docs/LESSONS.md is the schema).
struct LessonStep {
    QString title;
    QString notes;
    QString model;      // as written: relative to the lesson, "shipped:FILE", or absolute
    QString input;      // an image, a dataset ("digits", a folder, an idx file), a video
    int position = 0;   // the item of the dataset walked (its test split unless walkAll)
    bool walkAll = false;
    QString view;       // the tab's key ("activations")
    QString layer;      // empty: the model's first convolution
    int channel = -1;   // the view's channel, where it has one
    QString work;       // what the view ran when asked (ViewTab::lessonWork)
    QJsonObject settings; // the view's settings (ViewTab::captureSettings)
};

struct Lesson {
    static constexpr int kVersion = 1;
    QString title;
    QVector<LessonStep> steps;
};

// Reads a lesson file; throws Error with one line naming the file and what is wrong.
Lesson readLesson(const QString& path);
// Writes it atomically; empty on success, else why not.
QString writeLesson(const Lesson& lesson, const QString& path);

QJsonObject toJson(const Lesson& lesson);
Lesson lessonFromJson(const QJsonObject& json, const QString& origin);

// A step's model or input as a path to open: relative ones are taken from the
// lesson's folder, "shipped:FILE" is a model the project ships; names that are
// no file ("digits", "fashion-mnist-test", "camera:0") stay as they are.
QString resolveModel(const QString& model, const QString& lessonPath);
QString resolveInput(const QString& input, const QString& lessonPath);
// The other way, when a step is recorded into a lesson saved at `lessonPath`:
// a file in the lesson's folder or next to it is written relative to it, a
// shipped model as "shipped:FILE", anything else as it is.
QString relativeModel(const QString& path, const QString& lessonPath);
// A step's paths made absolute against the lesson's folder, whether or not
// the files are there (for Save As to another folder).
QString absoluteModel(const QString& model, const QString& lessonPath);
QString absoluteInput(const QString& input, const QString& lessonPath);
QString relativeInput(const QString& spec, const QString& lessonPath);

} // namespace convscope
