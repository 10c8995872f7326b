#pragma once

#include <QByteArray>
#include <QFont>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QRect>

class QLabel;
class QWidget;

namespace convscope {

class LessonPlayer;
class MainWindow;

// Presenter mode: the window full screen with one view, no docks, menus or
// tab bar, larger fonts, and the step's title and notes as a caption bar.
// ←/→ and a clicker's PageUp/PageDown go to the previous and next step, Esc
// leaves. With a second screen, that screen shows the notes and what comes next.
class Presenter final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Presenter)
public:
    Presenter(MainWindow* window, LessonPlayer* player);
    ~Presenter() override;

    void start(int step);
    void stop();
    bool isActive() const { return m_active; }
    // Fonts in presenter mode are the application's times this (1.0 to 3.0).
    void setScale(double scale);
    double scale() const { return m_scale; }
    // The notes window on the second screen, while presenting (null without one).
    QWidget* notesWindow() const;

Q_SIGNALS:
    void activeChanged(bool active);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void showCaption(int index);
    void step(int delta);

    QPointer<MainWindow> m_window;
    LessonPlayer* m_player;
    bool m_active = false;
    double m_scale = 1.25;
    // What presenter mode hides, to give back on leaving.
    QByteArray m_state;
    QRect m_geometry;
    Qt::WindowStates m_windowState;
    QFont m_font;
    QList<QPointer<QWidget>> m_hidden;
    QPointer<QWidget> m_notes;
    QPointer<QLabel> m_notesText;
};

} // namespace convscope
