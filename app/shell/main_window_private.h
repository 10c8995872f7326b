#pragma once

// Shared between main_window.cpp (layout, loading, views) and
// main_window_actions.cpp (menus, files, settings).

#include "app/shell/main_window.h"
#include "core/model_metadata.h"

#include <QList>
#include <QString>

class QAction;
class QDockWidget;
class QActionGroup;
class QLabel;
class QMenu;
class QProgressBar;
class QSortFilterProxyModel;
class QTabWidget;
class QToolButton;
class QTreeView;

namespace convscope {

class InputController;
class InputPanel;
class KeptModels;
class LessonController;
class ModelValidator;
class ModuleTreeModel;
class SummaryTab;
class UnitTab;
class ViewTab;
class Workspace;

struct MainWindow::Private {
    Workspace* workspace = nullptr;
    ModelValidator* validator = nullptr;
    InputController* input = nullptr;
    QTabWidget* tabs = nullptr;
    QLabel* caption = nullptr; // over the tabs, in presenter mode
    LessonController* lessons = nullptr;
    KeptModels* kept = nullptr;
    QList<ViewTab*> views;
    SummaryTab* summary = nullptr;
    UnitTab* unit = nullptr;

    ModuleTreeModel* tree = nullptr;
    QSortFilterProxyModel* treeFilter = nullptr;
    QTreeView* treeView = nullptr;
    InputPanel* inputPanel = nullptr;
    QDockWidget* layersDock = nullptr;
    QDockWidget* inputDock = nullptr;
    QDockWidget* unitDock = nullptr;

    QLabel* modelLabel = nullptr;
    QLabel* deviceLabel = nullptr;
    QLabel* forwardLabel = nullptr;
    QProgressBar* progress = nullptr;
    QToolButton* cancel = nullptr;

    QAction* settingsAction = nullptr;
    QAction* realtimeAction = nullptr;
    QActionGroup* deviceGroup = nullptr;
    QMenu* recentModels = nullptr;
    QMenu* recentInputs = nullptr;

    QString modelPath;          // the model shown (or being loaded)
    bool loading = false;
    int loadGeneration = 0;
    QString device = QStringLiteral("auto");
    ModelMetadata overrides;    // what the user set in Model Settings, for this file
    QString pendingLayer;       // restored once the model is loaded
    QString restoredModel;      // the last session's model, while it is being reopened
    QString fallbackNote;       // why the shipped model opened instead; shown once it has
    QString lentNote;           // whose class names the model is being loaded with
    QString stickyMessage;      // a status message that the input's "opened" must not replace
    bool persistent = false;
    bool layoutRestored = false; // restoreLayout() found a saved window state
    bool stackedDocks = false;   // both docks on the left (narrow screens)
};

} // namespace convscope
