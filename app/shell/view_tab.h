#pragma once

#include <QImage>
#include <QJsonObject>
#include <QString>
#include <QWidget>

#include <memory>

class QLabel;
class QSettings;
class QTimer;

namespace convscope {

class Workspace;

// One central tab: a visualization of the workspace's model, input and layer.
// A tab does its work only while it is visible: changes that arrive while it
// is hidden mark it stale, and it refreshes when shown. Later tabs (patches,
// saliency, gradient ascent, adversarial, embeddings) derive from this too.
class ViewTab : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ViewTab)
public:
    ViewTab(Workspace* workspace, QWidget* parent = nullptr);

    // Stable key for settings and `convscope render --tab` ("summary").
    virtual QString key() const = 0;
    virtual QString title() const = 0;
    // What "Export view as PNG" saves: by default the tab as drawn.
    virtual QImage exportImage();
    // Whether the view reads, runs or draws images. For a model whose input is
    // not one (core takesImages(): a block taking 192x28x28 feature maps) such
    // a view shows notAnImageMessage() instead of its content, is disabled and
    // is never asked to refresh(). Summary and Filters need none.
    virtual bool needsImage() const { return true; }
    // True while the view shows that message.
    bool showsNotAnImage() const;
    // True once the view shows the current state (no job on its way).
    bool isReady() const { return !m_stale && !m_busy; }
    // Whether the "updating…" badge is up: a job has been on its way for a
    // moment, so what is shown was computed for an earlier model, input or layer.
    bool showsUpdating() const;

    // Settings of the view (colormap, zoom, ...) under `group`.
    virtual void saveSettings(const QString& group) const;
    virtual void restoreSettings(const QString& group);
    // The same settings as JSON, for a lesson step (app/lesson): what
    // saveSettings() writes, with its types kept, and put back through
    // restoreSettings(); the application's settings are not touched.
    QJsonObject captureSettings() const;
    void applySettings(const QJsonObject& settings);

    // What a lesson step records beyond the settings, and replays. The
    // channel the view is on, or -1 where it has none; for Saliency and
    // Adversarial, the target class (-1: the predicted one, untargeted).
    virtual int lessonChannel() const { return -1; }
    virtual void setLessonChannel(int channel);
    // The work the view does only when asked ("image", "whole-layer",
    // "attack", "embed", "ascent"), or "" while none is shown; replay starts
    // it again with the restored settings.
    virtual QString lessonWork() const { return {}; }
    virtual void startLessonWork(const QString& work);
    virtual bool lessonWorkRunning() const { return false; }
    // The long work a coming step of this view will need on the model and
    // dataset open now (a patch scan), done in the background into the disk
    // caches while the current step is shown; nothing is drawn.
    virtual void prefetchLesson(int layer, const QJsonObject& settings);

Q_SIGNALS:
    // The view has caught up with the workspace.
    void ready();
    // A one-line message for the status bar.
    void message(const QString& text);

protected:
    Workspace* workspace() const { return m_workspace; }
    // Recompute for the current state. Called only while visible.
    virtual void refresh() = 0;
    // QSettings open at `group`, for saveSettings() and restoreSettings().
    static std::unique_ptr<QSettings> settingsAt(const QString& group);
    // Call when something the view shows has changed.
    void invalidate();
    // Bracket background work so that isReady() and ready() are honest.
    void setBusy(bool busy);

    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void placeBadge();
    // Shows or hides the not-an-image message for the current model; true if shown.
    bool coverIfNotImage();

    Workspace* m_workspace;
    bool m_stale = true;
    bool m_busy = false;
    QLabel* m_updating = nullptr; // the badge
    QLabel* m_notAnImage = nullptr; // over the whole view, for a model that takes no images
    QTimer* m_updatingDelay = nullptr;
};

} // namespace convscope
