#include "app/lesson/presenter.h"

#include "app/lesson/player.h"
#include "app/shell/main_window.h"

#include <QApplication>
#include <QDockWidget>
#include <QAbstractSpinBox>
#include <QKeyEvent>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTextEdit>
#include <QLabel>
#include <QMenuBar>
#include <QScreen>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>

namespace convscope {

Presenter::Presenter(MainWindow* window, LessonPlayer* player)
    : QObject(window)
    , m_window(window)
    , m_player(player)
{
    connect(player, &LessonPlayer::stepStarted, this, [this](int index) {
        if (m_active)
            showCaption(index);
    });
    connect(player, &LessonPlayer::stepShown, this, [this](int index) {
        if (m_active)
            showCaption(index);
    });
    connect(player, &LessonPlayer::stepFailed, this, [this](int index, const QString& message) {
        if (m_active)
            m_window->setCaption(m_player->lesson().steps.value(index).title, tr("Cannot show this step: %1").arg(message));
    });
}

Presenter::~Presenter()
{
    delete m_notes;
}

void Presenter::setScale(double scale)
{
    m_scale = std::clamp(scale, 1.0, 3.0);
    if (m_active) {
        QFont font = m_font;
        font.setPointSizeF(m_font.pointSizeF() * m_scale);
        m_window->setFont(font);
    }
}

QWidget* Presenter::notesWindow() const
{
    return m_notes;
}

void Presenter::start(int step)
{
    if (m_player->lesson().steps.isEmpty())
        return;
    if (!m_active) {
        m_active = true;
        m_state = m_window->saveState();
        m_geometry = m_window->geometry();
        m_windowState = m_window->windowState();
        m_font = m_window->font();
        m_hidden.clear();
        QList<QWidget*> chrome{m_window->menuBar(), m_window->statusBar()};
        for (auto* bar : m_window->findChildren<QToolBar*>())
            chrome << bar;
        for (auto* dock : m_window->findChildren<QDockWidget*>())
            chrome << dock;
        if (auto* tabs = m_window->findChild<QTabWidget*>(QStringLiteral("viewTabs")))
            chrome << tabs->tabBar();
        for (QWidget* w : chrome)
            if (w->isVisible()) {
                m_hidden << w;
                w->hide();
            }
        setScale(m_scale);
        // The whole screen also where no window manager honours full screen (a bare X server).
        m_window->setGeometry(m_window->screen()->geometry());
        m_window->showFullScreen();
        qApp->installEventFilter(this);
        // The notes go to a second screen, where there is one.
        const QList<QScreen*> screens = QGuiApplication::screens();
        QScreen* here = m_window->screen();
        auto other = std::find_if(screens.begin(), screens.end(), [here](QScreen* s) { return s != here; });
        if (other != screens.end()) {
            m_notes = new QWidget(nullptr, Qt::Window);
            m_notes->setObjectName(QStringLiteral("presenterNotes"));
            m_notes->setAttribute(Qt::WA_QuitOnClose, false);
            m_notes->setWindowTitle(tr("ConvScope — notes"));
            auto* layout = new QVBoxLayout(m_notes);
            m_notesText = new QLabel;
            m_notesText->setWordWrap(true);
            m_notesText->setTextFormat(Qt::RichText);
            m_notesText->setAlignment(Qt::AlignTop | Qt::AlignLeft);
            QFont big = m_font;
            big.setPointSizeF(m_font.pointSizeF() * 1.6);
            m_notesText->setFont(big);
            layout->addWidget(m_notesText);
            m_notes->setGeometry((*other)->availableGeometry());
            m_notes->showFullScreen();
        }
        Q_EMIT activeChanged(true);
    }
    m_player->play(std::clamp(step, 0, static_cast<int>(m_player->lesson().steps.size()) - 1)); // its caption on stepStarted
}

void Presenter::stop()
{
    if (!m_active)
        return;
    m_active = false;
    qApp->removeEventFilter(this);
    delete m_notes;
    m_notesText = nullptr;
    m_window->setCaption({}, {});
    m_window->setFont(m_font);
    for (const auto& w : m_hidden)
        if (w)
            w->show();
    m_hidden.clear();
    m_window->setWindowState(m_windowState);
    if (!(m_windowState & (Qt::WindowMaximized | Qt::WindowFullScreen)))
        m_window->setGeometry(m_geometry);
    m_window->restoreState(m_state);
    Q_EMIT activeChanged(false);
}

void Presenter::showCaption(int index)
{
    const auto& steps = m_player->lesson().steps;
    if (index < 0 || index >= steps.size())
        return;
    const LessonStep& s = steps[index];
    // The window grows to fit the docks it had when presenting began (there
    // is no window manager to hold it on a bare X server): the screen again.
    if (m_window->geometry() != m_window->screen()->geometry())
        m_window->setGeometry(m_window->screen()->geometry());
    m_window->setCaption(QStringLiteral("%1 / %2 · %3").arg(index + 1).arg(steps.size()).arg(s.title), s.notes);
    if (m_notesText) {
        QString html = QStringLiteral("<h2>%1 / %2 · %3</h2><p>%4</p>")
                           .arg(index + 1)
                           .arg(steps.size())
                           .arg(s.title.toHtmlEscaped(), s.notes.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
        if (index + 1 < steps.size())
            html += tr("<p style='color: gray'>Next: %1</p>").arg(steps[index + 1].title.toHtmlEscaped());
        m_notesText->setText(html);
    }
}

void Presenter::step(int delta)
{
    const int n = static_cast<int>(m_player->lesson().steps.size());
    if (n == 0)
        return;
    const int next = std::clamp(m_player->current() + delta, 0, n - 1);
    if (next != m_player->current() || m_player->error().size())
        start(next);
}

bool Presenter::eventFilter(QObject* watched, QEvent* event)
{
    if (!m_active || event->type() != QEvent::KeyPress)
        return QObject::eventFilter(watched, event);
    // Only keys meant for the window: a dialog keeps its own.
    auto* widget = qobject_cast<QWidget*>(watched);
    if (!widget || (widget->window() != m_window && widget->window() != m_notes))
        return QObject::eventFilter(watched, event);
    // A field being typed in keeps its arrows (the clicker's keys still go).
    const int key = static_cast<QKeyEvent*>(event)->key();
    if ((key == Qt::Key_Left || key == Qt::Key_Right)
        && (qobject_cast<QLineEdit*>(widget) || qobject_cast<QAbstractSpinBox*>(widget)
            || qobject_cast<QPlainTextEdit*>(widget) || qobject_cast<QTextEdit*>(widget)))
        return QObject::eventFilter(watched, event);
    switch (static_cast<QKeyEvent*>(event)->key()) {
    case Qt::Key_Right:
    case Qt::Key_PageDown:
        step(1);
        return true;
    case Qt::Key_Left:
    case Qt::Key_PageUp:
        step(-1);
        return true;
    case Qt::Key_Escape:
        stop();
        return true;
    default:
        return QObject::eventFilter(watched, event);
    }
}

} // namespace convscope
