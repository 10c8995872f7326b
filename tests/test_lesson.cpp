// Lessons in the real window, offscreen: a step recorded in one window and
// replayed in a fresh one draws the same pixels, for every view; the lesson
// file round-trips, and its errors are one line; presenter mode hides and
// gives back the window's chrome and walks the steps with the keys; slides
// and their PDF have the sizes and pages asked for.

#include "app/lesson/controller.h"
#include "app/lesson/lesson.h"
#include "app/lesson/player.h"
#include "app/lesson/presenter.h"
#include "app/lesson/slides.h"
#include "app/shell/defaults.h"
#include "app/shell/input_controller.h"
#include "app/shell/kept_models.h"
#include "app/shell/main_window.h"
#include "app/shell/view_tab.h"
#include "app/shell/workspace.h"
#include "core/error.h"
#include "gui_test_support.h"
#include "widgets/tile_grid_view.h"

#include <QDockWidget>
#include <QElapsedTimer>
#include <QScreen>
#include <QFile>
#include <QJsonDocument>
#include <QAction>
#include <QLabel>
#include <QRegularExpression>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QMenuBar>
#include <QSignalSpy>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>


using namespace convscope;

namespace
{

const QSize kWindow(1280, 720);

// A window of the same size and layout for recording and for replaying.
void prepare(MainWindow& window)
{
    window.setPersistent(false);
    window.fitToScreen(QRect(QPoint(0, 0), kWindow));
    window.setWindowState(Qt::WindowNoState);
    window.resize(kWindow);
    window.show();
}

bool settle(MainWindow& window, ViewTab* view, int timeoutMs = 120000)
{
    QElapsedTimer settled;
    return QTest::qWaitFor([&] {
        if (!window.isSettled() || view->lessonWorkRunning()) {
            settled.invalidate();
            return false;
        }
        if (!settled.isValid())
            settled.start();
        return settled.elapsed() > 300;
    }, timeoutMs);
}

// Counts the pixels that differ (and keeps both pictures for a look when any do).
int differingPixels(const QImage& a, const QImage& b, const QString& name)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB32), y = b.convertToFormat(QImage::Format_RGB32);
    int differ = x.size() == y.size() ? 0 : x.width() * x.height();
    for (int row = 0; row < x.height() && x.size() == y.size(); ++row)
        for (int col = 0; col < x.width(); ++col)
            differ += x.pixel(col, row) != y.pixel(col, row);
    if (differ) {
        x.save(QDir::temp().filePath(name + QStringLiteral("-recorded.png")));
        y.save(QDir::temp().filePath(name + QStringLiteral("-replayed.png")));
    }
    return differ;
}

// The view as drawn, with the seconds a job took (which differ from run to
// run: "features 0.01" against "features 0.00 (cached)") masked the same way
// in both windows; every other pixel must match.
QImage picture(ViewTab* view)
{
    static const QRegularExpression seconds(QStringLiteral("\\d+\\.\\d+ s\\b"));
    static const QRegularExpression timing(QStringLiteral("\\d+\\.\\d+( \\(cached\\))?"));
    for (auto* label : view->findChildren<QLabel*>()) {
        QString text = label->text();
        if (text.contains(QStringLiteral("seconds")))
            text.replace(timing, QStringLiteral("#"));
        text.replace(seconds, QStringLiteral("# s"));
        label->setText(text);
    }
    // A long caption may have grown the window while the job ran: the same size again.
    view->window()->resize(kWindow);
    QTest::qWait(50); // the layouts the new texts and size ask for
    return view->grab().toImage();
}

} // namespace

class TestLesson : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void replayDrawsTheSamePixels_data();
    void replayDrawsTheSamePixels();
    void fileRoundTripsAndErrorsAreOneLine();
    void dockRecordsEditsAndReorders();
    void presenterWalksTheSteps();
    void nextModelLoadsWhileAStepIsShown();
    void presenterNotesGoToTheSecondScreen();
    void nextPatchScanRunsWhileAStepIsShown();
    void slidesAndPdf();

private:
    QTemporaryDir m_settings;
};

void TestLesson::initTestCase()
{
    QVERIFY(m_settings.isValid());
    test::useOwnSettings(m_settings.path());
}

void TestLesson::replayDrawsTheSamePixels_data()
{
    QTest::addColumn<QString>("view");
    QTest::addColumn<QString>("layer");
    QTest::addColumn<int>("channel");
    QTest::addColumn<QJsonObject>("settings");
    QTest::addColumn<QString>("work");
    // Each view away from its defaults, so that a replay that dropped the
    // settings or the channel would draw something else.
    QTest::newRow("summary") << "summary" << "conv1" << -1 << QJsonObject{} << "";
    QTest::newRow("filters") << "filters" << "conv2" << -1 << QJsonObject{{"sharedRange", true}} << "";
    QTest::newRow("activations") << "activations" << "conv2" << 3
                                 << QJsonObject{{"colormap", "viridis"}, {"overlay", true}, {"opacity", 70}} << "";
    QTest::newRow("patches") << "patches" << "conv2" << 2 << QJsonObject{{"k", 4}} << "";
    QTest::newRow("unit") << "unit" << "conv2" << 5 << QJsonObject{{"deconvnet", true}} << "";
    QTest::newRow("saliency") << "saliency" << "conv2" << -1
                              << QJsonObject{{"method", "smoothgrad"}, {"samples", 8}, {"colormap", "inferno"}} << "";
    QTest::newRow("ascent") << "ascent" << "conv2" << 2
                            << QJsonObject{{"target", "layer"}, {"steps", 24}, {"preset", "plain"}} << "whole-layer";
    QTest::newRow("adversarial") << "adversarial" << "conv2" << -1
                                 << QJsonObject{{"method", "pgd"}, {"steps", 8}, {"eps", 0.15}} << "attack";
    QTest::newRow("embedding") << "embedding" << "relu3" << -1
                               << QJsonObject{{"method", "tsne"}, {"samples", 150}, {"iterations", 250}} << "embed";
    QTest::newRow("training") << "training" << "conv1" << -1 << QJsonObject{{"epochs", 2}, {"batchNorm", true}} << "";
}

void TestLesson::replayDrawsTheSamePixels()
{
    QFETCH(QString, view);
    QFETCH(QString, layer);
    QFETCH(int, channel);
    QFETCH(QJsonObject, settings);
    QFETCH(QString, work);

    LessonStep step;
    QImage recorded;
    {
        MainWindow window;
        prepare(window);
        // Set up as a teacher would, before showing the view: a view shown
        // first with other settings may keep the layout they gave it (the
        // Saliency tab's panel titles keep a second line's height).
        QVERIFY(test::openDigitsTab(window, QStringLiteral("summary")));
        ViewTab* tab = window.tab(view);
        window.resize(kWindow);
        window.inputController()->seek(5);
        QVERIFY(window.selectLayer(layer));
        tab->applySettings(settings);
        QVERIFY(window.setCurrentTab(view));
        QVERIFY(settle(window, tab));
        if (channel >= 0)
            tab->setLessonChannel(channel);
        if (!work.isEmpty())
            tab->startLessonWork(work);
        QVERIFY(settle(window, tab));
        step = window.lessons()->player()->capture();
        recorded = picture(tab);
    }
    QCOMPARE(step.view, view);
    QCOMPARE(step.layer, layer);
    QCOMPARE(step.model, QStringLiteral("shipped:lenet5_digits.pt"));
    QCOMPARE(step.input, defaultDatasetSpec());
    QCOMPARE(step.position, 5);
    QCOMPARE(step.channel, channel);
    QCOMPARE(step.work, work);
    for (auto it = settings.begin(); it != settings.end(); ++it)
        QVERIFY2(step.settings.value(it.key()) == it.value(), qPrintable(it.key()));

    MainWindow fresh;
    prepare(fresh);
    LessonPlayer* player = fresh.lessons()->player();
    Lesson lesson;
    lesson.steps = {step};
    player->setLesson(lesson, {});
    QSignalSpy shown(player, &LessonPlayer::stepShown);
    QSignalSpy failed(player, &LessonPlayer::stepFailed);
    player->play(0);
    QVERIFY(QTest::qWaitFor([&] { return !shown.isEmpty() || !failed.isEmpty(); }, 180000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.front().at(1).toString()));
    QCOMPARE(fresh.currentTabKey(), view);
    QCOMPARE(fresh.currentLayerName(), layer);
    QCOMPARE(fresh.inputController()->position(), 5);
    const QImage replayed = picture(fresh.tab(view));
    QCOMPARE(differingPixels(recorded, replayed, QStringLiteral("lesson-") + view), 0);
}

void TestLesson::fileRoundTripsAndErrorsAreOneLine()
{
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("lecture/models"))));
    const QString modelFile = dir.filePath(QStringLiteral("lecture/models/m.pt"));
    QVERIFY(QFile::copy(defaultModelPath(), modelFile));
    const QString lessonFile = dir.filePath(QStringLiteral("lecture/lesson.json"));

    LessonStep a;
    a.title = QStringLiteral("Filters");
    a.notes = QStringLiteral("Six filters.\nSecond line.");
    a.model = relativeModel(modelFile, lessonFile);
    a.input = QStringLiteral("digits");
    a.position = 12;
    a.walkAll = true;
    a.view = QStringLiteral("filters");
    a.layer = QStringLiteral("conv1");
    a.channel = 4;
    a.work = QStringLiteral("image");
    a.settings = QJsonObject{{"sharedRange", true}, {"splitter", QJsonObject{{"base64", "AAAA"}}}, {"zoom", 2.5}};
    QCOMPARE(a.model, QStringLiteral("models/m.pt"));
    QCOMPARE(relativeModel(defaultModelPath(), lessonFile), QStringLiteral("shipped:lenet5_digits.pt"));
    Lesson lesson;
    lesson.title = QStringLiteral("Round trip");
    lesson.steps = {a, a};
    lesson.steps[1].title = QStringLiteral("Second");
    QCOMPARE(writeLesson(lesson, lessonFile), QString());
    const Lesson back = readLesson(lessonFile);
    QCOMPARE(back.title, lesson.title);
    QCOMPARE(back.steps.size(), 2);
    const LessonStep& b = back.steps[0];
    QCOMPARE(b.title, a.title);
    QCOMPARE(b.notes, a.notes);
    QCOMPARE(b.model, a.model);
    QCOMPARE(b.position, 12);
    QVERIFY(b.walkAll);
    QCOMPARE(b.channel, 4);
    QCOMPARE(b.work, a.work);
    QCOMPARE(b.settings, a.settings);
    QCOMPARE(back.steps[1].title, QStringLiteral("Second"));
    QCOMPARE(QFileInfo(resolveModel(b.model, lessonFile)).canonicalFilePath(), QFileInfo(modelFile).canonicalFilePath());
    // A model that is not there keeps its name (not "shipped:"), and Save As to
    // another folder keeps it pointing at the same place.
    QCOMPARE(relativeModel(dir.filePath(QStringLiteral("lecture/models/gone.pt")), lessonFile), QStringLiteral("models/gone.pt"));
    {
        MainWindow window;
        LessonPlayer* player = window.lessons()->player();
        Lesson moved;
        moved.steps = {a};
        moved.steps[0].model = QStringLiteral("models/gone.pt");
        moved.steps[0].input = QStringLiteral("digits");
        player->setLesson(moved, lessonFile);
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("elsewhere/deeper"))));
        const QString other = dir.filePath(QStringLiteral("elsewhere/deeper/copy.json"));
        QCOMPARE(player->save(other), QString());
        const Lesson copy = readLesson(other);
        QCOMPARE(copy.steps[0].model, QDir::cleanPath(dir.filePath(QStringLiteral("lecture/models/gone.pt"))));
        QCOMPARE(copy.steps[0].input, QStringLiteral("digits"));
    }
    QCOMPARE(resolveInput(QStringLiteral("digits"), lessonFile), QStringLiteral("digits"));

    const auto errorOf = [&](const QByteArray& text) {
        QFile file(dir.filePath(QStringLiteral("bad.json")));
        file.open(QIODevice::WriteOnly | QIODevice::Truncate);
        file.write(text);
        file.close();
        try {
            readLesson(file.fileName());
        } catch (const Error& e) {
            return QString::fromStdString(e.what()).mid(file.fileName().size() + 2);
        }
        return QStringLiteral("no error");
    };
    QCOMPARE(errorOf("{"), QStringLiteral("invalid JSON at offset 1: unterminated object"));
    QCOMPARE(errorOf("[]"), QStringLiteral("must be a JSON object"));
    QCOMPARE(errorOf("{\"steps\": []}"), QStringLiteral("not a ConvScope lesson (no \"convscope_lesson\": 1)"));
    QCOMPARE(errorOf("{\"convscope_lesson\": 2, \"steps\": []}"), QStringLiteral("lesson version 2; this ConvScope reads version 1"));
    QCOMPARE(errorOf("{\"convscope_lesson\": 1, \"steps\": [{\"view\": \"filters\"}]}"), QStringLiteral("step 1: 'model' must be a string"));
    QCOMPARE(errorOf("{\"convscope_lesson\": 1, \"steps\": [{\"model\": \"m.pt\", \"view\": \"filters\", \"position\": -2}]}"),
             QStringLiteral("step 1: 'position' must be a whole number of at least 0"));
    try {
        readLesson(dir.filePath(QStringLiteral("none.json")));
        QFAIL("a missing file was read");
    } catch (const Error& e) {
        QVERIFY(QString::fromStdString(e.what()).endsWith(QStringLiteral("none.json: no such file")));
    }

    // A step naming a model that is gone fails with one line, and the window stays.
    MainWindow window;
    prepare(window);
    Lesson missing;
    missing.steps = {a};
    missing.steps[0].model = QStringLiteral("gone.pt");
    LessonPlayer* player = window.lessons()->player();
    player->setLesson(missing, lessonFile);
    QSignalSpy failed(player, &LessonPlayer::stepFailed);
    player->play(0);
    QCOMPARE(failed.size(), 1);
    QVERIFY(failed.front().at(1).toString().startsWith(QStringLiteral("model not found: ")));
}

void TestLesson::dockRecordsEditsAndReorders()
{
    MainWindow window;
    prepare(window);
    QVERIFY(test::openDigitsTab(window, QStringLiteral("filters")));
    LessonPlayer* player = window.lessons()->player();
    auto* record = window.findChild<QAction*>(QStringLiteral("recordStep"));
    QVERIFY(record);
    record->trigger(); // Lesson ▸ Record Step
    QVERIFY(window.setCurrentTab(QStringLiteral("activations")));
    QVERIFY(window.selectLayer(QStringLiteral("conv2")));
    record->trigger();
    QCOMPARE(player->lesson().steps.size(), 2);
    QVERIFY(window.lessons()->dock()->isVisible());
    QCOMPARE(player->lesson().steps[0].title, QStringLiteral("Filters: conv1"));
    QCOMPARE(player->lesson().steps[1].title, QStringLiteral("Activations: conv2"));
    QVERIFY(player->isModified());

    auto* list = window.findChild<QListWidget*>(QStringLiteral("lessonSteps"));
    auto* title = window.findChild<QLineEdit*>(QStringLiteral("lessonStepTitle"));
    auto* notes = window.findChild<QPlainTextEdit*>(QStringLiteral("lessonStepNotes"));
    QVERIFY(list && title && notes);
    QCOMPARE(list->count(), 2);
    list->setCurrentRow(0);
    QCOMPARE(title->text(), QStringLiteral("Filters: conv1"));
    title->selectAll();
    QTest::keyClicks(title, QStringLiteral("Weights"));
    notes->setPlainText(QStringLiteral("What the first layer looks for."));
    QCOMPARE(player->lesson().steps[0].title, QStringLiteral("Weights"));
    QCOMPARE(player->lesson().steps[0].notes, QStringLiteral("What the first layer looks for."));
    QCOMPARE(list->item(0)->text(), QStringLiteral("1. Weights"));
    QCOMPARE(player->current(), 1); // the step recorded last
    player->moveStep(0, 1);
    QCOMPARE(list->item(1)->text(), QStringLiteral("2. Weights"));
    QCOMPARE(player->current(), 0); // the same step, one place up
    player->removeStep(0);
    QCOMPARE(list->count(), 1);
    QCOMPARE(player->lesson().steps[0].view, QStringLiteral("filters"));

    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("mine.json"));
    QCOMPARE(player->save(file), QString());
    QVERIFY(!player->isModified());
    QCOMPARE(readLesson(file).steps[0].notes, QStringLiteral("What the first layer looks for."));
}

void TestLesson::presenterWalksTheSteps()
{
    MainWindow window;
    prepare(window);
    QVERIFY(test::openDigitsTab(window, QStringLiteral("summary")));
    LessonPlayer* player = window.lessons()->player();
    player->record();
    QVERIFY(window.setCurrentTab(QStringLiteral("filters")));
    player->record();
    LessonStep second = player->lesson().steps[1];
    second.notes = QStringLiteral("Six 5x5 filters.");
    player->setStep(1, second);
    QVERIFY(window.setCurrentTab(QStringLiteral("activations")));

    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("viewTabs"));
    auto* caption = window.findChild<QLabel*>(QStringLiteral("lessonCaption"));
    auto* layers = window.findChild<QDockWidget*>(QStringLiteral("layersDock"));
    QVERIFY(tabs && caption && layers);
    QVERIFY(layers->isVisible());
    const QFont usual = window.font();
    Presenter* presenter = window.lessons()->presenter();
    presenter->setScale(2.0);
    QSignalSpy shown(player, &LessonPlayer::stepShown);
    presenter->start(0);
    QVERIFY(presenter->isActive());
    QVERIFY(!tabs->tabBar()->isVisible());
    QVERIFY(!layers->isVisible());
    QVERIFY(!window.menuBar()->isVisible());
    QVERIFY(caption->isVisible());
    QVERIFY(caption->text().contains(QStringLiteral("1 / 2")));
    QCOMPARE(window.font().pointSizeF(), usual.pointSizeF() * 2.0);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 1; }, 60000));
    QCOMPARE(window.currentTabKey(), QStringLiteral("summary"));

    // A clicker's PageDown, then → at the end stays; ← goes back.
    QTest::keyClick(tabs->currentWidget(), Qt::Key_PageDown);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 2; }, 60000));
    QCOMPARE(window.currentTabKey(), QStringLiteral("filters"));
    QVERIFY(caption->text().contains(QStringLiteral("Six 5x5 filters.")));
    QSignalSpy started(player, &LessonPlayer::stepStarted);
    QTest::keyClick(tabs->currentWidget(), Qt::Key_Right);
    QTest::qWait(100);
    QCOMPARE(player->current(), 1);
    QCOMPARE(started.size(), 0); // past the last step: nothing replayed
    QTest::keyClick(tabs->currentWidget(), Qt::Key_Left);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 3; }, 60000));
    QCOMPARE(window.currentTabKey(), QStringLiteral("summary"));

    QTest::keyClick(tabs->currentWidget(), Qt::Key_Escape);
    QVERIFY(!presenter->isActive());
    QVERIFY(tabs->tabBar()->isVisible());
    QVERIFY(layers->isVisible());
    QVERIFY(window.menuBar()->isVisible());
    QVERIFY(!caption->isVisible());
    QCOMPARE(window.font().pointSizeF(), usual.pointSizeF());
}

// ctest runs this with tests/screens_projector_laptop.json: a projector and a laptop.
void TestLesson::presenterNotesGoToTheSecondScreen()
{
    if (QGuiApplication::screens().size() < 2)
        QSKIP("one screen (ctest's lesson_two_screens runs this with two)");
    MainWindow window;
    window.setPersistent(false);
    window.setGeometry(QGuiApplication::screens()[0]->availableGeometry());
    window.show();
    QVERIFY(test::openDigitsTab(window, QStringLiteral("filters")));
    LessonPlayer* player = window.lessons()->player();
    player->record();
    player->record();
    LessonStep first = player->lesson().steps[0], second = player->lesson().steps[1];
    first.title = QStringLiteral("The filters");
    first.notes = QStringLiteral("Say what an edge detector is.");
    second.title = QStringLiteral("Again");
    player->setStep(0, first);
    player->setStep(1, second);
    Presenter* presenter = window.lessons()->presenter();
    presenter->start(0);
    QWidget* notes = presenter->notesWindow();
    QVERIFY(notes);
    QCOMPARE(notes->screen(), QGuiApplication::screens()[1]);
    QCOMPARE(window.screen(), QGuiApplication::screens()[0]);
    QCOMPARE(window.geometry(), QGuiApplication::screens()[0]->geometry());
    const QString text = notes->findChild<QLabel*>()->text();
    QVERIFY(text.contains(QStringLiteral("Say what an edge detector is.")));
    QVERIFY(text.contains(QStringLiteral("Next: Again")));
    // The clicker works while the notes window has the focus too.
    QSignalSpy shown(player, &LessonPlayer::stepShown);
    QTest::keyClick(notes, Qt::Key_PageDown);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() >= 1 && player->current() == 1; }, 60000));
    QVERIFY(!notes->findChild<QLabel*>()->text().contains(QStringLiteral("Next:")));
    QTest::keyClick(notes, Qt::Key_Escape);
    QVERIFY(!presenter->notesWindow());
}

void TestLesson::nextPatchScanRunsWhileAStepIsShown()
{
    MainWindow window;
    prepare(window);
    LessonStep filters;
    filters.model = QStringLiteral("shipped:lenet5_digits.pt");
    filters.input = defaultDatasetSpec();
    filters.view = QStringLiteral("filters");
    filters.layer = QStringLiteral("conv1");
    LessonStep patches = filters;
    patches.view = QStringLiteral("patches");
    patches.layer = QStringLiteral("pool1"); // a layer no other test scans
    Lesson lesson;
    lesson.steps = {filters, patches};
    LessonPlayer* player = window.lessons()->player();
    player->setLesson(lesson, {});
    const QDir cache(cacheDir(QStringLiteral("topk")));
    const auto scans = [&] { return cache.entryList({QStringLiteral("*pool1*")}, QDir::Files).size(); };
    QCOMPARE(scans(), 0);
    QSignalSpy shown(player, &LessonPlayer::stepShown);
    player->play(0);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 1; }, 60000));
    // Step 2's scan of the 5000 digits runs now, quietly, into the cache.
    QVERIFY(QTest::qWaitFor([&] { return window.isSettled() && scans() > 0; }, 60000));
    QElapsedTimer next;
    next.start();
    player->play(1);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 2; }, 60000));
    qInfo("next step with its patch scan done in the background: %lld ms", next.elapsed());
    auto* grid = window.findChild<TileGridView*>(QStringLiteral("patchChannels"));
    QVERIFY(!grid || grid->tileCount() == 6); // pool1's six channels
}

void TestLesson::nextModelLoadsWhileAStepIsShown()
{
    MainWindow window;
    prepare(window);
    // LESSON_NEXT_MODEL=models/lecture/vgg16.pt measures a large one.
    const QString resnet = qEnvironmentVariable("LESSON_NEXT_MODEL", QStringLiteral(CONVSCOPE_FIXTURE_DIR "/resnet18_traced.pt"));
    LessonStep lenet;
    lenet.model = QStringLiteral("shipped:lenet5_digits.pt");
    lenet.input = defaultDatasetSpec();
    lenet.view = QStringLiteral("summary");
    LessonStep other = lenet;
    other.model = resnet;
    Lesson lesson;
    lesson.steps = {lenet, other};
    LessonPlayer* player = window.lessons()->player();
    player->setLesson(lesson, {});
    QSignalSpy shown(player, &LessonPlayer::stepShown);
    player->play(0);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 1; }, 60000));
    KeptModels* kept = window.keptModels();
    // ResNet-18 loads while step 1 is shown, off the window's workers.
    QVERIFY(QTest::qWaitFor([&] { return !kept->preloading() && kept->find(resnet, window.device()); }, 60000));
    const auto preloaded = kept->find(resnet, window.device());
    QElapsedTimer next;
    next.start();
    player->play(1);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 2; }, 60000));
    qInfo("next step with its model loaded in the background: %lld ms (300 of them the settling wait)", next.elapsed());
    QCOMPARE(window.workspace()->model().get(), preloaded->model.get());
    // Back: LeNet-5 was kept when step 1 loaded it.
    const auto first = kept->find(defaultModelPath(), window.device());
    QVERIFY(first);
    player->play(0);
    QVERIFY(QTest::qWaitFor([&] { return shown.size() == 3; }, 60000));
    QCOMPARE(window.workspace()->model().get(), first->model.get());
    // A new lesson lets them go.
    player->setLesson({}, {});
    QCOMPARE(kept->count(), 0);
}

void TestLesson::slidesAndPdf()
{
    QImage view(400, 300, QImage::Format_RGB32);
    view.fill(Qt::red);
    const QImage slide = composeSlide(view, QStringLiteral("A title"), QStringLiteral("Notes"), SlideOptions{});
    QCOMPARE(slide.size(), QSize(1920, 1080));
    // The band at the top, the view in the middle, white at the sides.
    QCOMPARE(QColor(slide.pixel(5, 5)), QColor(0x26, 0x32, 0x38));
    QCOMPARE(QColor(slide.pixel(960, 540)), QColor(Qt::red));
    QCOMPARE(QColor(slide.pixel(5, 540)), QColor(Qt::white));
    SlideOptions bare;
    bare.title = false;
    bare.notes = false;
    bare.size = QSize(800, 450);
    const QImage plain = composeSlide(view, QStringLiteral("A title"), QStringLiteral("Notes"), bare);
    QCOMPARE(plain.size(), QSize(800, 450));
    QCOMPARE(QColor(plain.pixel(400, 10)), QColor(Qt::white)); // no band
    QCOMPARE(slideFileName(2, QStringLiteral("Activations: conv2!")), QStringLiteral("03-activations-conv2.png"));

    QTemporaryDir dir;
    const QString pdf = dir.filePath(QStringLiteral("s.pdf"));
    QCOMPARE(writeSlidesPdf({slide, slide, plain}, pdf), QString());
    QFile file(pdf);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(bytes.startsWith("%PDF-"));
    QCOMPARE(bytes.count("/Type /Page\n"), 3);
    // 1920x1080 pixels at 96 an inch: 1440x810 points.
    QVERIFY(bytes.contains("/MediaBox [0 0 1440.000000 810.000000]"));
    QVERIFY(!writeSlidesPdf({slide}, dir.filePath(QStringLiteral("no/such/dir/s.pdf"))).isEmpty());
}

QTEST_MAIN(TestLesson)
#include "test_lesson.moc"
