#pragma once

#include <QObject>
#include <QPointer>

class QDockWidget;
class QProgressDialog;

namespace convscope {

class LessonDock;
class LessonPlayer;
class MainWindow;
class Presenter;
class SlideExport;

// The Lesson menu and what it drives: the lesson open (LessonPlayer), its
// dock, presenter mode and the slide export.
class LessonController final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LessonController)
public:
    explicit LessonController(MainWindow* window);

    LessonPlayer* player() const { return m_player; }
    Presenter* presenter() const { return m_presenter; }
    QDockWidget* dock() const { return m_dock; }

    // Opens a lesson file; false, with the reason on the status bar and in a box, if it cannot.
    bool open(const QString& path);
    // Closing the window with steps not saved asks first; false: the user chose to stay.
    bool mayClose();

private:
    void createMenu();
    void showDock();
    bool save(bool choosePath);
    void exportSlides();
    void updateTitle();

    QPointer<MainWindow> m_window;
    LessonPlayer* m_player = nullptr;
    Presenter* m_presenter = nullptr;
    SlideExport* m_export = nullptr;
    QDockWidget* m_dock = nullptr;
    LessonDock* m_panel = nullptr;
};

} // namespace convscope
