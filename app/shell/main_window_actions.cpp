// Menus, toolbar, files in and out, and the session kept in QSettings.

#include "app/lesson/controller.h"
#include "app/lesson/presenter.h"
#include "app/shell/atomic_save.h"
#include "app/shell/dataset_dialog.h"
#include "app/shell/defaults.h"
#include "app/shell/input_controller.h"
#include "app/shell/main_window.h"
#include "app/shell/main_window_private.h"
#include "app/shell/model_settings_dialog.h"
#include "app/shell/session_state.h"
#include "app/shell/view_tab.h"
#include "app/shell/workspace.h"
#include "app/views/summary/tab.h"
#include "core/device.h"
#include "core/model.h"
#include "io/datasets.h"
#include "io/video_source.h"
#include "widgets/input_panel.h"

#include <torch/version.h>

#include <QAbstractItemView>
#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>

#include <climits>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>

namespace convscope {

namespace {
constexpr int kRecentCount = 8;

bool isModelFileName(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("pt") || suffix == QLatin1String("pth") || suffix == QLatin1String("ptl") ||
           suffix == QLatin1String("torchscript");
}
} // namespace

void MainWindow::createActions()
{
    QStyle* s = style();
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openModel = file->addAction(s->standardIcon(QStyle::SP_DialogOpenButton), tr("Open &Model…"));
    openModel->setShortcut(QKeySequence::Open);
    openModel->setToolTip(tr("Open a TorchScript model (traced or scripted)"));
    connect(openModel, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open TorchScript model"), QString(),
                                                          tr("TorchScript models (*.pt *.pth *.ptl *.torchscript);;All files (*)"));
        if (!path.isEmpty())
            this->openModel(path);
    });
    QAction* openImage = file->addAction(s->standardIcon(QStyle::SP_FileIcon), tr("Open &Image…"));
    openImage->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    connect(openImage, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open image"), QString(),
            tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp *.pgm *.ppm);;All files (*)"));
        if (!path.isEmpty())
            openInput(path);
    });
    QAction* openDataset = file->addAction(s->standardIcon(QStyle::SP_DirOpenIcon), tr("Open &Dataset…"));
    openDataset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    openDataset->setToolTip(
        tr("A folder of images (class subfolders give labels), an MNIST or Fashion-MNIST idx file, or a video"));
    connect(openDataset, &QAction::triggered, this, [this] {
        const QString path = DatasetDialog::choose(this);
        if (!path.isEmpty())
            openInput(path);
    });
    QAction* digits = file->addAction(tr("Open Handwritten Di&gits"));
    digits->setToolTip(tr("The 5000 digits Debian's opencv-doc ships"));
    connect(digits, &QAction::triggered, this, [this] { openInput(QStringLiteral("digits")); });
    // The models the project trains and ships, each with the data it learned.
    QMenu* examples = file->addMenu(tr("&Examples"));
    examples->setObjectName(QStringLiteral("examplesMenu"));
    const auto example = [this, examples](const QString& title, const QString& model, const QString& data) {
        QAction* action = examples->addAction(title);
        action->setObjectName(QStringLiteral("example_") + model.section(QLatin1Char('.'), 0, 0));
        connect(action, &QAction::triggered, this, [this, model, data] {
            this->openModel(shippedModelPath(model)); // not the action of that name above
            openInput(data);
        });
    };
    example(tr("LeNet-5 on Handwritten Digits"), QStringLiteral("lenet5_digits.pt"), defaultDatasetSpec());
    // The same LeNet-5 trained on PGD examples: Adversarial ▸ Compare with… sets it beside the standard one.
    example(tr("LeNet-5, Adversarially Trained (PGD)"), QStringLiteral("lenet5_digits_pgd.pt"), defaultDatasetSpec());
    example(tr("MiniVGG on Fashion-MNIST"), QStringLiteral("minivgg_fashion.pt"), QStringLiteral("fashion-mnist-test"));
    // Segmentation: a class per pixel, on canvases of digits with per-pixel labels.
    example(tr("U-Net Segmenting Digit Canvases"), QStringLiteral("unet_digits.pt"), QStringLiteral("digit-canvas"));
    // Its official test set: the images a model trained on the 60,000 never saw.
    QAction* fashion = file->addAction(tr("Open &Fashion-MNIST Test Set"));
    fashion->setObjectName(QStringLiteral("openFashionMnist"));
    fashion->setToolTip(tr("The 10,000 test images of Debian's dataset-fashion-mnist"));
    connect(fashion, &QAction::triggered, this, [this] { openInput(QStringLiteral("fashion-mnist-test")); });
    QAction* openVideo = file->addAction(s->standardIcon(QStyle::SP_MediaPlay), tr("Open &Video…"));
    connect(openVideo, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open video"), QString(),
                                                          tr("Videos (*.avi *.mp4 *.mkv *.mov *.webm *.mpg *.mpeg *.m4v);;All files (*)"));
        if (!path.isEmpty()) {
            openInput(path);
        }
    });
    QAction* camera = file->addAction(s->standardIcon(QStyle::SP_ComputerIcon), tr("&Camera"));
    camera->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    camera->setToolTip(tr("Live input from a webcam"));
    connect(camera, &QAction::triggered, this, [this] {
        bool ok = false;
        const int index = QInputDialog::getInt(this, tr("Camera"), tr("Camera number (0 is /dev/video0):"), 0, 0, 63, 1, &ok);
        if (ok)
            openInput(QStringLiteral("camera:%1").arg(index));
    });
    QAction* stream = file->addAction(tr("Open &Stream…"));
    stream->setToolTip(tr("Live input from a network camera or a GStreamer pipeline"));
    connect(stream, &QAction::triggered, this, [this] {
        bool ok = false;
        const QString spec = QInputDialog::getText(this, tr("Open stream"),
                                                   tr("A network camera's address (rtsp://…, http://…, udp://…)\n"
                                                      "or a GStreamer pipeline that ends in appsink (gst:… ! appsink):"),
                                                   QLineEdit::Normal, QString(), &ok)
                                 .trimmed();
        if (!ok || spec.isEmpty())
            return;
        if (!io::isLiveSpec(spec.toStdString())) {
            QStringList schemes;
            for (const std::string& scheme : io::streamSchemes())
                schemes << QString::fromStdString(scheme);
            showError(tr("Cannot open input"), spec,
                      tr("not a stream: start it with %1 or gst:").arg(schemes.join(QStringLiteral(", "))));
            return;
        }
        openInput(spec);
    });
    file->addSeparator();
    d->recentModels = file->addMenu(tr("Recent &Models"));
    d->recentInputs = file->addMenu(tr("Recent I&nputs"));
    file->addSeparator();
    QAction* exportView = file->addAction(s->standardIcon(QStyle::SP_DialogSaveButton), tr("&Export View as PNG…"));
    exportView->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    connect(exportView, &QAction::triggered, this, &MainWindow::exportView);
    QAction* copyCsv = file->addAction(tr("Copy Summary as &CSV"));
    connect(copyCsv, &QAction::triggered, d->summary, &SummaryTab::copyCsv);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* modelMenu = menuBar()->addMenu(tr("&Model"));
    d->settingsAction = modelMenu->addAction(tr("Model &Settings…"));
    d->settingsAction->setEnabled(false);
    connect(d->settingsAction, &QAction::triggered, this, &MainWindow::editModelSettings);
    QMenu* deviceMenu = modelMenu->addMenu(tr("&Device"));
    d->deviceGroup = new QActionGroup(this);
    const bool cuda = cudaAvailable();
    for (const auto& [name, key] : {std::pair{tr("CPU"), QStringLiteral("cpu")}, std::pair{tr("CUDA GPU"), QStringLiteral("cuda")}}) {
        QAction* action = deviceMenu->addAction(name);
        action->setData(key);
        action->setCheckable(true);
        action->setEnabled(key == QLatin1String("cpu") || cuda);
        if (key == QLatin1String("cuda") && !cuda)
            action->setToolTip(tr("No CUDA device (or this LibTorch was built without CUDA)"));
        d->deviceGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, key] {
            if (d->workspace->model())
                reloadWith({}, key);
            else
                d->device = key;
        });
    }

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());
    QAction* resetLayout = view->addAction(tr("Reset &Layout"));
    resetLayout->setObjectName(QStringLiteral("resetLayout"));
    resetLayout->setToolTip(tr("Both docks back in place at their first widths"));
    connect(resetLayout, &QAction::triggered, this, &MainWindow::resetLayout);
    view->addSeparator();
    // Ctrl+digit, or the digit alone as in DVT: 1 to 9, then 0 for the tenth.
    // A text field with focus keeps its digits (it takes the shortcut
    // override), so typing numbers never switches tabs.
    for (int i = 0; i < d->views.size() && i < 10; ++i) {
        QAction* action = view->addAction(d->views[i]->title());
        const auto digit = static_cast<Qt::Key>(i < 9 ? Qt::Key_1 + i : Qt::Key_0);
        action->setShortcuts({QKeySequence(Qt::CTRL | digit), QKeySequence(digit)});
        connect(action, &QAction::triggered, this, [this, i] { d->tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    d->realtimeAction = view->addAction(tr("Play Videos in &Real Time"));
    d->realtimeAction->setCheckable(true);
    d->realtimeAction->setChecked(true);
    d->realtimeAction->setToolTip(tr("Off: play as fast as the model goes, to see its throughput"));
    connect(d->realtimeAction, &QAction::toggled, d->input, &InputController::setRealtime);

    qApp->installEventFilter(this);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* keys = help->addAction(tr("&Keyboard"));
    keys->setObjectName(QStringLiteral("helpKeyboard"));
    connect(keys, &QAction::triggered, this, &MainWindow::showKeyboardHelp);
    QAction* about = help->addAction(tr("&About ConvScope"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About ConvScope"),
                           tr("<b>ConvScope %1</b><p>See what a convolutional network does: layers, complexity, "
                              "filters, activations and more, for any TorchScript model.</p>"
                              "<p>LibTorch %2 · Qt %3</p>")
                               .arg(QApplication::applicationVersion(), QString::fromLatin1(TORCH_VERSION), QString::fromLatin1(qVersion())));
    });

    QToolBar* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (QAction* action : {openModel, openImage, openDataset, openVideo, camera, exportView})
        toolbar->addAction(action);
    updateRecentMenus();
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::ShortcutOverride) {
        auto* key = static_cast<QKeyEvent*>(event);
        // Keypad digits carry KeypadModifier and still match the plain-digit shortcuts.
        const bool digit = key->key() >= Qt::Key_0 && key->key() <= Qt::Key_9
            && (key->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier;
        auto* widget = qobject_cast<QWidget*>(watched);
        if (digit && widget
            && (qobject_cast<QAbstractItemView*>(widget)
                || qobject_cast<QAbstractItemView*>(widget->parentWidget()))) {
            event->accept(); // the view gets the key as a key press
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

QString MainWindow::keyboardHelpText() const
{
    QString tabs;
    for (int i = 0; i < d->views.size() && i < 10; ++i)
        tabs += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(i < 9 ? i + 1 : 0).arg(d->views[i]->title());
    return tr("<h3>Everywhere</h3><table cellspacing=4>%1"
              "<tr><td><b>Ctrl+E</b></td><td>Export the view as a PNG</td></tr></table>"
              "<h3>Unit tab (as in the Deep Visualization Toolbox)</h3><table cellspacing=4>"
              "<tr><td><b>← / →</b></td><td>previous / next channel</td></tr>"
              "<tr><td><b>↑ / ↓</b></td><td>previous / next layer</td></tr>"
              "<tr><td><b>B / D</b></td><td>guided backprop / deconvnet</td></tr>"
              "<tr><td><b>Space</b></td><td>freeze / unfreeze the input (video, camera)</td></tr>"
              "<tr><td><b>A</b></td><td>make the gradient-ascent image</td></tr>"
              "<tr><td><b>Esc</b></td><td>stop the scan or the ascent</td></tr></table>"
              "<p>Double-click a tile in Filters, Activations, Patches or Gradient Ascent, or a class in the "
              "Input dock's top-5, to open that channel on the Unit page.</p>")
        .arg(tabs);
}

void MainWindow::showKeyboardHelp()
{
    QMessageBox box(QMessageBox::NoIcon, tr("Keyboard"), keyboardHelpText(), QMessageBox::Close, this);
    box.setObjectName(QStringLiteral("keyboardHelp"));
    box.exec();
}

void MainWindow::editModelSettings()
{
    auto model = d->workspace->model();
    if (!model)
        return;
    const ModelInfo& info = model->info();
    ModelSettingsDialog dialog({info.input, info.mean, info.std, info.name, d->device}, this);
    if (dialog.exec() == QDialog::Accepted)
        reloadWith(dialog.overrides(), dialog.device());
}

void MainWindow::exportView()
{
    auto* view = qobject_cast<ViewTab*>(d->tabs->currentWidget());
    if (!view)
        return;
    const QString suggested = QStringLiteral("%1-%2.png")
                                  .arg(modelName().isEmpty() ? QStringLiteral("convscope") : modelName(), view->key());
    const QString path = QFileDialog::getSaveFileName(this, tr("Export view as PNG"), suggested, tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    const QImage image = view->exportImage();
    if (const QString error = savePngAtomically(image, path); !error.isEmpty()) {
        showError(tr("Cannot export"), path, tr("Could not write %1: %2").arg(path, error));
        return;
    }
    statusBar()->showMessage(tr("Saved %1 (%2×%3)").arg(path).arg(image.width()).arg(image.height()), 5000);
}

void MainWindow::addRecent(const QString& key, const QString& path)
{
    if (!d->persistent || path.isEmpty())
        return;
    QSettings settings;
    const SessionState session = readSession(settings);
    QStringList list = key == QLatin1String("recent/models") ? session.recentModels : session.recentInputs;
    const QString entry = QFileInfo::exists(path) ? QFileInfo(path).absoluteFilePath() : path;
    list.removeAll(entry);
    list.prepend(entry);
    while (list.size() > kRecentCount)
        list.removeLast();
    settings.setValue(key, list);
    updateRecentMenus();
}

void MainWindow::updateRecentMenus()
{
    QSettings settings;
    for (auto [menu, key] : {std::pair{d->recentModels, QStringLiteral("recent/models")},
                             std::pair{d->recentInputs, QStringLiteral("recent/inputs")}}) {
        menu->clear();
        const SessionState session = readSession(settings);
        const QStringList list = !d->persistent                          ? QStringList()
            : key == QLatin1String("recent/models") ? session.recentModels
                                                    : session.recentInputs;
        for (const QString& path : list) {
            QAction* action = menu->addAction(inputDisplayName(path));
            action->setToolTip(path);
            const bool isModel = key == QLatin1String("recent/models");
            connect(action, &QAction::triggered, this, [this, path, isModel] {
                if (isModel)
                    this->openModel(path);
                else
                    openInput(path);
            });
        }
        menu->setEnabled(!list.isEmpty());
    }
}

void MainWindow::setPersistent(bool persistent)
{
    d->persistent = persistent;
    updateRecentMenus();
}

void MainWindow::saveSession() const
{
    if (!d->persistent)
        return;
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    // Only what opened: a file that failed to open would greet every later
    // start with the same error, no model and no input.
    if (auto model = d->workspace->model()) {
        settings.setValue(QStringLiteral("session/model"), QString::fromStdString(model->info().path));
        settings.setValue(QStringLiteral("session/device"), d->device);
    }
    if (!d->input->openedSpec().isEmpty()) {
        settings.setValue(QStringLiteral("session/input"), d->input->openedSpec());
        settings.setValue(QStringLiteral("session/position"), d->input->openedPosition());
        settings.setValue(QStringLiteral("session/walkAll"), d->input->walksAll());
    }
    settings.setValue(QStringLiteral("session/layer"), currentLayerName());
    settings.setValue(QStringLiteral("session/tab"), currentTabKey());
    settings.setValue(QStringLiteral("view/realtime"), d->realtimeAction->isChecked());
    for (ViewTab* view : d->views)
        view->saveSettings(QStringLiteral("tabs/") + view->key());
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    const bool geometry = restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    d->layoutRestored = restoreState(settings.value(QStringLiteral("window/state")).toByteArray()) && geometry;
    d->realtimeAction->setChecked(settings.value(QStringLiteral("view/realtime"), true).toBool());
    for (ViewTab* view : d->views)
        view->restoreSettings(QStringLiteral("tabs/") + view->key());
    setCurrentTab(readSession(settings).tab);
}

bool MainWindow::restoreSession()
{
    restoreLayout();
    const SessionState session = readSession(QSettings());
    if (session.model.isEmpty())
        return false;
    d->device = session.device;
    d->pendingLayer = session.layer;
    if (QFileInfo(session.model).isFile()) {
        d->restoredModel = session.model;
        openModel(session.model);
    } else {
        fallBackToShippedModel(session.model, tr("it is no longer there"));
    }
    // A camera or stream is not switched on unasked.
    d->input->setWalkAll(session.walkAll);
    if (!session.input.isEmpty() && !io::isLiveSpec(session.input.toStdString()))
        openInput(session.input, static_cast<int>(std::min<qint64>(session.position, INT_MAX)));
    return true;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    // A lesson with steps not saved is asked about first.
    if (d->persistent && !d->lessons->mayClose()) {
        event->ignore();
        return;
    }
    // The session keeps the window as it is without presenter mode.
    d->lessons->presenter()->stop();
    d->input->play(false);
    saveSession();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    // A model and an input may arrive together; the model goes first so the
    // input is read in its format.
    QString model, input;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile())
            continue;
        const QString path = url.toLocalFile();
        const std::string file = path.toStdString();
        if (isModelFileName(path))
            model = path;
        else if (QFileInfo(path).isDir() || io::isImageFileName(file) || io::isVideoFileName(file) ||
                 path.contains(QStringLiteral("idx")))
            input = path;
        else if (model.isEmpty())
            model = path; // unknown: let the model reader say what it is
    }
    if (!model.isEmpty())
        openModel(model);
    if (!input.isEmpty())
        openInput(input);
    event->acceptProposedAction();
}

} // namespace convscope
