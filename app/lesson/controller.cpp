#include "app/lesson/controller.h"

#include "app/lesson/dock.h"
#include "app/lesson/player.h"
#include "app/lesson/presenter.h"
#include "app/lesson/slides.h"
#include "app/shell/main_window.h"
#include "core/error.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSettings>
#include <QStatusBar>

namespace convscope {

LessonController::LessonController(MainWindow* window)
    : QObject(window)
    , m_window(window)
{
    m_player = new LessonPlayer(window);
    m_presenter = new Presenter(window, m_player);
    m_presenter->setScale(QSettings().value(QStringLiteral("presenter/scale"), 1.25).toDouble());
    m_export = new SlideExport(window, m_player, this);

    m_dock = new QDockWidget(tr("Lesson"), window);
    m_dock->setObjectName(QStringLiteral("lessonDock"));
    m_panel = new LessonDock(m_player);
    m_dock->setWidget(m_panel);
    // A tab beside the Input dock, so that it takes no width from the views
    // on a 1280-pixel projector.
    window->addDockWidget(Qt::RightDockWidgetArea, m_dock);
    if (auto* input = window->findChild<QDockWidget*>(QStringLiteral("inputDock")))
        window->tabifyDockWidget(input, m_dock);
    m_dock->hide(); // until a lesson is opened or a step recorded
    connect(m_panel, &LessonDock::presentRequested, m_presenter, &Presenter::start);
    connect(m_player, &LessonPlayer::changed, this, &LessonController::updateTitle);
    connect(m_player, &LessonPlayer::stepFailed, this, [this](int index, const QString& message) {
        m_window->statusBar()->showMessage(tr("Lesson step %1: %2").arg(index + 1).arg(message), 10000);
    });
    createMenu();
}

void LessonController::createMenu()
{
    // Before Help, where a menu bar's last menu belongs.
    QMenu* menu = new QMenu(tr("&Lesson"), m_window);
    menu->setObjectName(QStringLiteral("lessonMenu"));
    const QList<QAction*> menus = m_window->menuBar()->actions();
    m_window->menuBar()->insertMenu(menus.isEmpty() ? nullptr : menus.last(), menu);

    QAction* create = menu->addAction(tr("&New Lesson"));
    connect(create, &QAction::triggered, this, [this] {
        if (mayClose()) {
            m_player->setLesson({}, {});
            showDock();
        }
    });
    QAction* open = menu->addAction(tr("&Open Lesson…"));
    connect(open, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Open lesson"), QString(), tr("Lessons (*.json);;All files (*)"));
        if (!path.isEmpty() && mayClose())
            this->open(path);
    });
    QAction* save = menu->addAction(tr("&Save Lesson"));
    save->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(save, &QAction::triggered, this, [this] { this->save(false); });
    QAction* saveAs = menu->addAction(tr("Save Lesson &As…"));
    connect(saveAs, &QAction::triggered, this, [this] { this->save(true); });
    menu->addSeparator();
    QAction* record = menu->addAction(tr("&Record Step"));
    record->setObjectName(QStringLiteral("recordStep"));
    record->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    record->setToolTip(tr("Add the window as it is now to the lesson"));
    connect(record, &QAction::triggered, this, [this] {
        const int index = m_player->record();
        showDock();
        m_window->statusBar()->showMessage(tr("Recorded step %1: %2").arg(index + 1).arg(m_player->lesson().steps[index].title), 4000);
    });
    QAction* present = menu->addAction(tr("&Present"));
    present->setObjectName(QStringLiteral("present"));
    present->setShortcut(QKeySequence(Qt::Key_F5));
    present->setToolTip(tr("Full screen, one view, the step's title and notes; ←/→ or PageUp/PageDown, Esc leaves"));
    connect(present, &QAction::triggered, this, [this] {
        if (m_player->lesson().steps.isEmpty()) {
            m_window->statusBar()->showMessage(tr("The lesson has no steps: record one (Ctrl+R) or open a lesson."), 5000);
            return;
        }
        m_presenter->start(std::max(0, m_panel->selectedStep()));
    });
    QAction* scale = menu->addAction(tr("Presenter &Font Scale…"));
    connect(scale, &QAction::triggered, this, [this] {
        bool ok = false;
        const double value = QInputDialog::getDouble(m_window, tr("Presenter font scale"),
                                                     tr("Fonts in presenter mode, times the usual size:"),
                                                     m_presenter->scale(), 1.0, 3.0, 2, &ok, Qt::WindowFlags(), 0.25);
        if (!ok)
            return;
        m_presenter->setScale(value);
        QSettings().setValue(QStringLiteral("presenter/scale"), m_presenter->scale());
    });
    QAction* slides = menu->addAction(tr("&Export Slides…"));
    slides->setToolTip(tr("Every step as a 1920x1080 PNG, and one PDF"));
    connect(slides, &QAction::triggered, this, &LessonController::exportSlides);
    menu->addSeparator();
    QAction* toggle = m_dock->toggleViewAction();
    toggle->setText(tr("Lesson &Dock"));
    menu->addAction(toggle);
}

bool LessonController::open(const QString& path)
{
    try {
        m_player->setLesson(readLesson(path), QFileInfo(path).absoluteFilePath());
    } catch (const Error& e) {
        const QString message = QString::fromStdString(e.what());
        m_window->statusBar()->showMessage(message, 10000);
        if (m_window->isVisible())
            QMessageBox::warning(m_window, tr("Cannot open lesson"), message);
        return false;
    }
    showDock();
    m_window->statusBar()->showMessage(
        tr("Lesson: %1, %2 steps (double-click one, or F5 to present)").arg(m_player->lesson().title).arg(m_player->lesson().steps.size()), 8000);
    return true;
}

void LessonController::showDock()
{
    // Where the layout put it (a tab beside the Input dock), its tab in front.
    m_dock->show();
    m_dock->raise();
}

bool LessonController::save(bool choosePath)
{
    QString path = m_player->path();
    if (choosePath || path.isEmpty()) {
        path = QFileDialog::getSaveFileName(m_window, tr("Save lesson"), path.isEmpty() ? tr("lesson.json") : path,
                                            tr("Lessons (*.json)"));
        if (path.isEmpty())
            return false;
        if (QFileInfo(path).suffix().isEmpty())
            path += QStringLiteral(".json");
    }
    if (const QString error = m_player->save(path); !error.isEmpty()) {
        QMessageBox::warning(m_window, tr("Cannot save lesson"), tr("%1: %2").arg(path, error));
        return false;
    }
    m_window->statusBar()->showMessage(tr("Saved %1").arg(path), 4000);
    return true;
}

bool LessonController::mayClose()
{
    if (!m_player->isModified() || m_player->lesson().steps.isEmpty())
        return true;
    const auto answer = QMessageBox::question(m_window, tr("Lesson not saved"),
                                              tr("The lesson has steps that are not saved. Save them?"),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel)
        return false;
    return answer == QMessageBox::Discard || save(false);
}

void LessonController::updateTitle()
{
    const QString title = m_player->lesson().title.isEmpty() ? QFileInfo(m_player->path()).completeBaseName() : m_player->lesson().title;
    // Short: it shares a tab bar with the Input dock; the title is the tooltip.
    m_dock->setWindowTitle(m_player->isModified() ? tr("Lesson *") : tr("Lesson"));
    m_dock->setToolTip(title);
}

void LessonController::exportSlides()
{
    if (m_player->lesson().steps.isEmpty()) {
        m_window->statusBar()->showMessage(tr("The lesson has no steps to export."), 5000);
        return;
    }
    const QString dir = QFileDialog::getExistingDirectory(m_window, tr("Export slides to folder"));
    if (dir.isEmpty())
        return;
    const QString pdf = QDir(dir).filePath(QFileInfo(m_player->path()).completeBaseName().isEmpty()
                                               ? QStringLiteral("lesson.pdf")
                                               : QFileInfo(m_player->path()).completeBaseName() + QStringLiteral(".pdf"));
    auto* progress = new QProgressDialog(tr("Exporting slides…"), tr("Stop"), 0, static_cast<int>(m_player->lesson().steps.size()), m_window);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(0);
    connect(progress, &QProgressDialog::canceled, m_export, &SlideExport::stop);
    const auto connection = connect(m_export, &SlideExport::progressed, progress, [progress](int done, int, const QString& next) {
        progress->setValue(done);
        progress->setLabelText(next.isEmpty() ? tr("Writing the PDF…") : tr("Step %1: %2").arg(done + 1).arg(next));
    });
    connect(m_export, &SlideExport::finished, progress, [this, progress, connection, pdf](bool ok) {
        disconnect(connection);
        progress->deleteLater();
        if (ok)
            m_window->statusBar()->showMessage(tr("Wrote %1 slides and %2").arg(m_player->lesson().steps.size()).arg(pdf), 8000);
        else
            QMessageBox::warning(m_window, tr("Slides not finished"), m_export->error());
    }, Qt::SingleShotConnection);
    m_export->start(dir, pdf, SlideOptions{});
}

} // namespace convscope
