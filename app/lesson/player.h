#pragma once

#include "app/lesson/lesson.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

class QTimer;

namespace convscope {

class MainWindow;

// Records the window's state as lesson steps and replays them: the model and
// input (opened only when they differ from what is open), the layer, the
// view, its settings and channel, and the work it had run. A step is shown
// once the window has settled; the next play() abandons a step on its way.
class LessonPlayer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LessonPlayer)
public:
    explicit LessonPlayer(MainWindow* window);

    const Lesson& lesson() const { return m_lesson; }
    // The file the lesson was read from or saved to ("" for a new one).
    QString path() const { return m_path; }
    void setLesson(const Lesson& lesson, const QString& path);
    // Saves to `path`, rewriting the steps' files relative to it; "" or why not.
    QString save(const QString& path);
    bool isModified() const { return m_modified; }

    // The window as a step (titled after the view and layer).
    LessonStep capture() const;
    // Inserts the window's state after the current step; returns its index.
    int record();
    void setStep(int index, const LessonStep& step);
    void removeStep(int index);
    void moveStep(int from, int to);

    int current() const { return m_current; }
    void play(int index);
    bool isPlaying() const { return m_stage != Stage::Idle; }
    // What went wrong with the last step played, or "".
    QString error() const { return m_error; }

Q_SIGNALS:
    void changed();               // steps added, edited, moved or removed; a lesson opened
    void stepStarted(int index);  // play() began it: its caption can go up
    void stepShown(int index);    // drawn, the window settled
    void stepFailed(int index, const QString& message);

private:
    enum class Stage { Idle, Model, Input, Work, Settle };
    void advance();
    void fail(const QString& message);
    void setModified();
    void stopPlaying();
    // The lesson's models stay loaded while it is open; the next step's
    // loads in the background while this one is shown.
    void keepModels();
    void preloadNext();

    QPointer<MainWindow> m_window;
    Lesson m_lesson;
    QString m_path;
    bool m_modified = false;
    int m_current = -1;
    Stage m_stage = Stage::Idle;
    QString m_model, m_input; // the step's, resolved
    QString m_error;
    QElapsedTimer m_settled;
    QTimer* m_poll = nullptr;
};

} // namespace convscope
