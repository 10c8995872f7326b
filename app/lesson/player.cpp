#include "app/lesson/player.h"

#include "app/shell/input_controller.h"
#include "app/shell/kept_models.h"
#include "app/shell/model_validation.h"
#include "app/shell/main_window.h"
#include "app/shell/view_tab.h"
#include "app/shell/workspace.h"
#include "core/model.h"

#include <QFileInfo>
#include <QTimer>

namespace convscope {

namespace {
// The chain load → open input → read → forward → draw hands over between
// workers through the event loop: settled means settled for this long.
constexpr int kSettledMs = 300;

bool sameFile(const QString& a, const QString& b)
{
    const QString ca = QFileInfo(a).canonicalFilePath(), cb = QFileInfo(b).canonicalFilePath();
    return ca.isEmpty() || cb.isEmpty() ? a == b : ca == cb;
}
} // namespace

LessonPlayer::LessonPlayer(MainWindow* window)
    : QObject(window)
    , m_window(window)
{
    m_poll = new QTimer(this);
    m_poll->setInterval(20);
    connect(m_poll, &QTimer::timeout, this, &LessonPlayer::advance);
    connect(window, &MainWindow::loadFailed, this, [this](const QString& message) {
        if (m_stage == Stage::Model)
            fail(message);
    });
    connect(window->inputController(), &InputController::failed, this, [this](const QString&, const QString& message) {
        if (m_stage == Stage::Input)
            fail(message);
    });
}

void LessonPlayer::setLesson(const Lesson& lesson, const QString& path)
{
    m_lesson = lesson;
    m_path = path;
    keepModels();
    m_modified = false;
    m_current = -1;
    stopPlaying();
    Q_EMIT changed();
}

QString LessonPlayer::save(const QString& path)
{
    Lesson saved = m_lesson;
    for (LessonStep& step : saved.steps) {
        // Files that are not there keep their place relative to the old folder too.
        step.model = relativeModel(absoluteModel(step.model, m_path), path);
        step.input = relativeInput(absoluteInput(step.input, m_path), path);
    }
    if (const QString error = writeLesson(saved, path); !error.isEmpty())
        return error;
    m_lesson = saved;
    m_path = path;
    m_modified = false;
    Q_EMIT changed();
    return {};
}

void LessonPlayer::setModified()
{
    m_modified = true;
    keepModels();
    Q_EMIT changed();
}

void LessonPlayer::keepModels()
{
    QStringList models;
    for (const LessonStep& step : m_lesson.steps)
        models << resolveModel(step.model, m_path);
    m_window->keptModels()->keep(models);
}

void LessonPlayer::preloadNext()
{
    if (m_current + 1 >= m_lesson.steps.size())
        return;
    const LessonStep& next = m_lesson.steps[m_current + 1];
    const QString model = resolveModel(next.model, m_path);
    const QString input = resolveInput(next.input, m_path);
    m_window->keptModels()->preload(model, m_window->device(), m_window->modelValidator()->program());
    // Its long work too, where it runs on what is open now (most steps of a
    // lecture share a model and a dataset): into the caches its view reads.
    auto loaded = m_window->workspace()->model();
    ViewTab* view = m_window->tab(next.view);
    if (!view || !loaded || !sameFile(model, m_window->modelPath())
        || (!input.isEmpty() && input != m_window->inputController()->spec()))
        return;
    const int layer = next.layer.isEmpty() ? -1 : loaded->graph().find(next.layer.toStdString());
    if (layer >= 0)
        view->prefetchLesson(layer, next.settings);
}

LessonStep LessonPlayer::capture() const
{
    LessonStep s;
    ViewTab* view = m_window->tab(m_window->currentTabKey());
    InputController* input = m_window->inputController();
    s.view = m_window->currentTabKey();
    s.layer = m_window->currentLayerName();
    s.title = view ? view->title() : s.view;
    if (!s.layer.isEmpty())
        s.title += QStringLiteral(": ") + s.layer;
    s.model = relativeModel(QFileInfo(m_window->modelPath()).absoluteFilePath(), m_path);
    s.input = relativeInput(input->spec(), m_path);
    s.position = input->kind() == InputController::Dataset ? input->position() : 0;
    s.walkAll = input->kind() == InputController::Dataset && input->walksAll();
    if (view) {
        s.channel = view->lessonChannel();
        s.work = view->lessonWork();
        s.settings = view->captureSettings();
    }
    return s;
}

void LessonPlayer::stopPlaying()
{
    // A step on its way reads its step on every poll: edits end it first.
    m_stage = Stage::Idle;
    m_poll->stop();
}

int LessonPlayer::record()
{
    stopPlaying();
    const int at = m_current < 0 ? static_cast<int>(m_lesson.steps.size()) : m_current + 1;
    m_lesson.steps.insert(at, capture());
    m_current = at;
    setModified();
    return at;
}

void LessonPlayer::setStep(int index, const LessonStep& step)
{
    if (index < 0 || index >= m_lesson.steps.size())
        return;
    m_lesson.steps[index] = step;
    setModified();
}

void LessonPlayer::removeStep(int index)
{
    if (index < 0 || index >= m_lesson.steps.size())
        return;
    stopPlaying();
    m_lesson.steps.remove(index);
    if (m_current >= index)
        m_current = std::max(m_current - 1, m_lesson.steps.isEmpty() ? -1 : 0);
    setModified();
}

void LessonPlayer::moveStep(int from, int to)
{
    const int n = static_cast<int>(m_lesson.steps.size());
    if (from < 0 || from >= n || to < 0 || to >= n || from == to)
        return;
    stopPlaying();
    m_lesson.steps.move(from, to);
    if (m_current == from)
        m_current = to;
    else if (from < m_current && m_current <= to)
        --m_current;
    else if (to <= m_current && m_current < from)
        ++m_current;
    setModified();
}

void LessonPlayer::play(int index)
{
    if (index < 0 || index >= m_lesson.steps.size())
        return;
    m_current = index;
    m_error.clear();
    const LessonStep& step = m_lesson.steps[index];
    m_model = resolveModel(step.model, m_path);
    m_input = resolveInput(step.input, m_path);
    Q_EMIT stepStarted(index);
    if (!m_window->tab(step.view)) {
        fail(tr("no view '%1'").arg(step.view));
        return;
    }
    if (!QFileInfo::exists(m_model)) {
        fail(tr("model not found: %1").arg(m_model));
        return;
    }
    m_stage = Stage::Model;
    if (!sameFile(m_model, m_window->modelPath()) || !m_window->workspace()->model())
        m_window->openModel(m_model);
    m_poll->start();
}

void LessonPlayer::fail(const QString& message)
{
    stopPlaying();
    m_error = message;
    Q_EMIT stepFailed(m_current, message);
}

void LessonPlayer::advance()
{
    if (m_stage == Stage::Idle || m_current < 0 || m_current >= m_lesson.steps.size()) {
        stopPlaying();
        return;
    }
    const LessonStep& step = m_lesson.steps[m_current];
    InputController* input = m_window->inputController();
    ViewTab* view = m_window->tab(step.view);
    switch (m_stage) {
    case Stage::Idle: // ended above
        return;
    case Stage::Model:
        if (m_window->isLoading())
            return;
        if (!sameFile(m_model, m_window->modelPath()) || !m_window->workspace()->model()) {
            fail(tr("cannot open %1").arg(m_model));
            return;
        }
        if (!step.input.isEmpty()) {
            const bool dataset = input->kind() == InputController::Dataset;
            if (input->spec() != m_input || (dataset && input->walksAll() != step.walkAll)) {
                input->setWalkAll(step.walkAll);
                m_window->openInput(m_input, step.position);
            } else if (dataset && input->position() != step.position) {
                input->seek(step.position);
            }
        }
        m_stage = Stage::Input;
        return;
    case Stage::Input:
        if ((!step.input.isEmpty() && !m_window->workspace()->input()) || !m_window->isSettled())
            return;
        if (!step.layer.isEmpty() && !m_window->selectLayer(step.layer)) {
            fail(tr("the model has no layer '%1'").arg(step.layer));
            return;
        }
        view->applySettings(step.settings);
        view->setLessonChannel(step.channel);
        m_window->setCurrentTab(step.view);
        m_stage = Stage::Work;
        m_settled.invalidate();
        return;
    case Stage::Work:
        if (!m_window->isSettled())
            return;
        // Again now that the view has drawn: a grid picks a channel among its tiles.
        view->setLessonChannel(step.channel);
        if (!step.work.isEmpty())
            view->startLessonWork(step.work);
        m_stage = Stage::Settle;
        return;
    case Stage::Settle:
        // A camera or stream brings frames for ever: shown once its work is done.
        const bool live = input->kind() == InputController::Live;
        if ((!live && !m_window->isSettled()) || view->lessonWorkRunning()) {
            m_settled.invalidate();
            return;
        }
        if (!m_settled.isValid())
            m_settled.start();
        if (m_settled.elapsed() < kSettledMs)
            return;
        stopPlaying();
        preloadNext(); // while this one is shown
        Q_EMIT stepShown(m_current);
        return;
    }
}

} // namespace convscope
