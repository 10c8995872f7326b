// `convscope lesson LESSON.json --export DIR [--pdf FILE]`: every step of a
// lesson replayed in the real window, offscreen, and written as a 1920x1080
// slide; what the Lesson menu's Export Slides does, without a display.

#include "app/cli/common.h"
#include "app/lesson/controller.h"
#include "app/lesson/player.h"
#include "app/lesson/slides.h"
#include "app/shell/main_window.h"
#include "core/error.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QToolBar>

#include <iostream>
#include <limits>

namespace convscope {

int cli::lessonCommand(QCommandLineParser& parser, const QStringList& arguments)
{
    parser.addOption({QStringLiteral("export"), QStringLiteral("Folder for the slides, one PNG per step (NN-title.png)."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("pdf"), QStringLiteral("Also every slide as one page of this PDF."), QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("size"), QStringLiteral("Slide size (default 1920x1080)."), QStringLiteral("WxH"),
                      QStringLiteral("1920x1080")});
    parser.addOption({QStringLiteral("scale"),
                      QStringLiteral("Fonts of the views, times the usual size, as presenter mode has them (default 1.25)."),
                      QStringLiteral("F"), QStringLiteral("1.25")});
    parser.addOption({QStringLiteral("no-title"), QStringLiteral("Slides without the step's title.")});
    parser.addOption({QStringLiteral("no-notes"), QStringLiteral("Slides without the step's notes.")});
    parser.addOption({QStringLiteral("step-timeout"), QStringLiteral("Seconds a step may take (default 600)."),
                      QStringLiteral("S"), QStringLiteral("600")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print the steps and files written as JSON.")});
    const QStringList args = parse(parser, arguments, 1, 1, "lesson LESSON.json --export DIR [--pdf FILE]");
    if (!qobject_cast<QApplication*>(QCoreApplication::instance()))
        throw Error("lesson needs the GUI libraries (run it as `convscope lesson ...`)");
    const QString dir = parser.value(QStringLiteral("export"));
    const QString pdf = parser.value(QStringLiteral("pdf"));
    if (dir.isEmpty() && pdf.isEmpty())
        throw Error("--export DIR or --pdf FILE is required");
    SlideOptions options;
    options.size = sizeOption(parser, QSize(320, 180));
    options.title = !parser.isSet(QStringLiteral("no-title"));
    options.notes = !parser.isSet(QStringLiteral("no-notes"));
    const int64_t timeout = wholeOption(parser, QStringLiteral("step-timeout"), 1);
    bool scaleOk = false;
    const double scale = parser.value(QStringLiteral("scale")).toDouble(&scaleOk);
    if (!scaleOk || scale < 1.0 || scale > 3.0)
        throw Error("--scale must be a number from 1 to 3");
    const Lesson lesson = readLesson(args[0]); // one line for a bad file

    MainWindow window;
    window.setPersistent(false);
    // The views as presenter mode shows them: no docks or toolbars, the
    // window of the slide's size.
    for (auto* dock : window.findChildren<QDockWidget*>())
        dock->hide();
    for (auto* bar : window.findChildren<QToolBar*>())
        bar->hide();
    QFont font = window.font();
    font.setPointSizeF(font.pointSizeF() * scale);
    window.setFont(font);
    window.resize(options.size);
    window.show();
    LessonPlayer* player = window.lessons()->player();
    player->setLesson(lesson, QFileInfo(args[0]).absoluteFilePath());

    bool done = false;
    QElapsedTimer stepTimer, total;
    total.start();
    QJsonArray steps;
    QObject::connect(player, &LessonPlayer::stepStarted, [&](int index) {
        stepTimer.start();
        std::cout << "step " << index + 1 << "/" << lesson.steps.size() << ": "
                  << lesson.steps[index].title.toStdString() << " (" << lesson.steps[index].view.toStdString() << ")"
                  << std::flush;
    });
    QObject::connect(player, &LessonPlayer::stepShown, [&](int index) {
        const double seconds = stepTimer.elapsed() / 1000.0;
        std::cout << " drawn in " << seconds << " s\n";
        steps.append(QJsonObject{{QStringLiteral("step"), index + 1},
                                 {QStringLiteral("title"), lesson.steps[index].title},
                                 {QStringLiteral("view"), lesson.steps[index].view},
                                 {QStringLiteral("layer"), window.currentLayerName()},
                                 {QStringLiteral("model"), window.modelName()},
                                 {QStringLiteral("seconds"), seconds}});
    });
    SlideExport exporter(&window, player); // after the lines above: they speak of a step before the next starts
    QObject::connect(&exporter, &SlideExport::finished, [&done] { done = true; });
    exporter.start(dir, pdf, options);
    // The limit is a step's, not the lesson's.
    waitFor([&] {
        if (player->isPlaying() && stepTimer.isValid() && stepTimer.elapsed() > timeout * 1000) {
            exporter.stop();
            throw Error("step " + std::to_string(player->current() + 1) + " took more than "
                        + std::to_string(timeout) + " s");
        }
        return done;
    }, std::numeric_limits<qint64>::max(), "the slides");
    if (!exporter.error().isEmpty()) {
        std::cout << '\n';
        throw Error(exporter.error().toStdString());
    }
    if (parser.isSet(QStringLiteral("json"))) {
        const QJsonObject out{{QStringLiteral("lesson"), lesson.title},
                              {QStringLiteral("steps"), steps},
                              {QStringLiteral("files"), QJsonArray::fromStringList(exporter.written())},
                              {QStringLiteral("seconds"), total.elapsed() / 1000.0}};
        std::cout << QJsonDocument(out).toJson(QJsonDocument::Indented).toStdString();
    } else {
        std::cout << "wrote " << exporter.written().size() << " files in " << total.elapsed() / 1000.0 << " s";
        if (!exporter.written().isEmpty())
            std::cout << ", the first " << exporter.written().front().toStdString();
        std::cout << '\n';
    }
    return 0;
}

} // namespace convscope
