#pragma once

#include <QImage>
#include <QObject>
#include <QPointer>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QVector>

namespace convscope {

class LessonPlayer;
class MainWindow;

struct SlideOptions {
    QSize size{1920, 1080};
    bool title = true;
    bool notes = true;
};

// One slide: the step's title in a band at the top, the view as drawn fitted
// below it, the notes under the view; on white.
QImage composeSlide(const QImage& view, const QString& title, const QString& notes, const SlideOptions& options);

// One page per slide, each page the slide's shape; written atomically. "" or why not.
QString writeSlidesPdf(const QVector<QImage>& slides, const QString& path);

// Walks a lesson step by step, replaying each in the window and writing it as
// DIR/NN-title.png (and, at the end, one PDF): the export the Lesson menu and
// `convscope lesson --export` share. Stops at the first step that fails, or
// when stop() is called; the slides written so far stay.
class SlideExport final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SlideExport)
public:
    SlideExport(MainWindow* window, LessonPlayer* player, QObject* parent = nullptr);
    // `dir` may be empty (PDF only); `pdf` may be empty (PNGs only).
    void start(const QString& dir, const QString& pdf, const SlideOptions& options);
    void stop();
    bool isRunning() const { return m_running; }
    QStringList written() const { return m_written; }
    QString error() const { return m_error; }

Q_SIGNALS:
    void progressed(int done, int total, const QString& title);
    void finished(bool ok);

private:
    void shown(int index);
    void end(const QString& error);

    QPointer<MainWindow> m_window;
    LessonPlayer* m_player;
    QString m_dir, m_pdf;
    SlideOptions m_options;
    QVector<QImage> m_slides;
    QStringList m_written;
    QString m_error;
    bool m_running = false;
};

// "03-activations-conv1.png": the step's number and title, safe as a file name.
QString slideFileName(int index, const QString& title);

} // namespace convscope
