#pragma once

#include <QWidget>

class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

namespace convscope {

class LessonPlayer;

// The Lesson dock: the steps in order; Record adds the window's state after
// the selected step, Up/Down reorder, Delete removes, a double-click (or
// Enter) replays; the selected step's title and notes are edited below.
class LessonDock final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LessonDock)
public:
    explicit LessonDock(LessonPlayer* player, QWidget* parent = nullptr);
    int selectedStep() const;

Q_SIGNALS:
    void presentRequested(int step);

private:
    void reload();
    void selectionChanged();
    void editStep();
    void move(int delta);

    LessonPlayer* m_player;
    QListWidget* m_steps = nullptr;
    QLineEdit* m_title = nullptr;
    QPlainTextEdit* m_notes = nullptr;
    QPushButton* m_up = nullptr;
    QPushButton* m_down = nullptr;
    QPushButton* m_delete = nullptr;
    bool m_reloading = false;
};

} // namespace convscope
