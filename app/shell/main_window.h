#pragma once

#include <QMainWindow>

#include <functional>
#include <memory>

namespace convscope {

struct ModelMetadata;
class InputController;
class KeptModels;
class LessonController;
class ModelValidator;
class ViewTab;
class Workspace;

// The application window: a layer dock (module tree), an input dock, one
// central tab per visualization, menus, a toolbar and a status bar with job
// progress. All model work runs on the workspace's worker threads.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);
    // An image, a dataset (folder, idx file, "digits"), a video file or
    // "camera:N"; read in the model's format once a model is loaded.
    void openInput(const QString& spec, int position = 0);
    // Kept for callers that name the kind.
    void openDataset(const QString& spec) { openInput(spec); }
    void openImage(const QString& path) { openInput(path); }
    // Test image `index` of the current dataset.
    void showTestImage(int index);
    // cpu, cuda, cuda:N or auto, for the next model opened.
    void setDevice(const QString& device);
    QString device() const;
    // Reloads the current model with these metadata overrides added.
    void reloadWith(const ModelMetadata& overrides, const QString& device);

    // Selects a layer by name or alias; false if the model has none such.
    bool selectLayer(const QString& name);
    QString currentLayerName() const;
    // Tabs by key ("summary", "filters", "activations").
    bool setCurrentTab(const QString& key);
    QString currentTabKey() const;
    ViewTab* tab(const QString& key) const;
    // Later visualizations add their tab here.
    void addViewTab(ViewTab* tab);

    // Help ▸ Keyboard: every key the window and the Unit tab take.
    QString keyboardHelpText() const;
    void showKeyboardHelp();

    QString modelName() const;
    // The model file shown, or being opened.
    QString modelPath() const;
    bool isLoading() const;
    // A caption bar over the views (a lesson step's title and notes in
    // presenter mode); hidden when both are empty.
    void setCaption(const QString& title, const QString& notes);
    // Lesson ▸ …: the lesson open, its dock, presenter mode and slides.
    LessonController* lessons() const;
    // Models kept loaded for a lesson; openModel() takes them at once.
    KeptModels* keptModels() const;
    QString inputCaption() const;
    QStringList predictionTexts() const;
    Workspace* workspace() const;
    InputController* inputController() const;

    // No job running or waiting, no model loading, and the visible tab shows
    // the current state: what `convscope render` waits for before grabbing.
    bool isSettled() const;

    // Settings and the last session go to QSettings only when persistent
    // (the app; not `render` or tests that do not ask for it).
    void setPersistent(bool persistent);
    // Window layout, the last tab and each view's settings from last time.
    void restoreLayout();
    // View → Reset Layout: the docks back in place at their first widths; in a
    // window narrower than kWideScreen, the Input dock under the Layers dock,
    // so that the nine tabs and the Summary table keep the width they need.
    void resetLayout();
    // Before the first show: a window that fits `available` (the screen less
    // its panels). Below 1280x800 (a 1280x720 projector) it opens maximized,
    // else up to kWideScreen x 960; a restored size that does not fit gives way.
    // A first start then lays out the docks as resetLayout() does.
    void fitToScreen(const QRect& available);
    static constexpr int kWideScreen = 1600;
    // restoreLayout(), then the last session's model, input and layer; false
    // if there was none. A model that is gone or fails to open gives way to
    // the shipped one (defaultModelPath()), and the status bar says so.
    bool restoreSession();
    void saveSession() const;
    // A note for the user that is not an error (a damaged settings file set
    // aside): an information box that does not block, and the status bar.
    void showNote(const QString& note);

    // Models are first opened by this checker in a child process (the app
    // sets it to its own executable; tests may); without one they load at once.
    ModelValidator* modelValidator() const;

Q_SIGNALS:
    void modelLoaded(const QString& name);
    void loadFailed(const QString& message);
    void inputChanged(const QString& caption);
    void predictionsReady();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createTabs();
    void createDocks();
    void createActions();
    void createStatusBar();
    void placeDocks();
    void onModelReady();
    // A dataset's class names for a model that has only numbers (core/lent_class_names).
    void lendDatasetClassNames();
    void onLayerChanged(int layer);
    void showError(const QString& title, const QString& path, const QString& message);
    void fallBackToShippedModel(const QString& path, const QString& why);
    void submitLoad(const QString& path, const ModelMetadata& metadata, int generation,
                    const std::function<void(const QString&)>& failed);
    void editModelSettings();
    void exportView();
    void addRecent(const QString& key, const QString& path);
    void updateRecentMenus();
    void updateJobStatus();
    void setProgressText(const QString& text, bool percent);

protected:
    // Lets lists and trees keep digits for their type-to-search (the layer
    // tree's "conv2") instead of the digit shortcuts taking them.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
