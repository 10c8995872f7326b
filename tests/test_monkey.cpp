// A GUI monkey: a seeded random walk of user actions on the real window,
// offscreen — switch tabs, layers and input images, start jobs and cancel them
// at once, open good and broken models, nudge the controls. It passes when the
// window neither crashes nor hangs, every broken model gets its message, and
// memory does not grow over a long walk. scripts/monkey.sh runs 2000 actions
// under AddressSanitizer and UndefinedBehaviorSanitizer; ctest runs a short walk.
//
//   CONVSCOPE_MONKEY_SEED     the walk (default 1)
//   CONVSCOPE_MONKEY_ACTIONS  how many actions (default 300)
//
// Every action is printed as it starts, so that a crash or a sanitizer report
// comes right after the action that caused it. The same seed replays the same
// choices; which widget a choice lands on still depends on how far the jobs
// have got, so a replay is close but not always exact.

#include "app/shell/defaults.h"
#include "app/shell/job_runner.h"
#include "app/shell/main_window.h"
#include "app/shell/workspace.h"
#include "core/device.h"
#include "gui_test_support.h"
#include "memory_limit.h"

#include <QAbstractButton>
#include <QAbstractItemModel>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMap>
#include <QRegularExpression>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeView>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime; GCC ships no header for them.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" void __sanitizer_purge_allocator();
extern "C" void __sanitizer_print_memory_profile(size_t top_percent, size_t max_contexts);
extern "C" void __asan_print_accumulated_stats();
#endif

using namespace convscope;

namespace {

// Before QApplication and any thread, as the app's main() does: its malloc
// settings are part of what the walk measures.
[[maybe_unused]] const bool kTuned = (tuneAllocator(), true);

const QString kFixtures = QStringLiteral(CONVSCOPE_FIXTURE_DIR);
// A GUI thread that runs no event for this long is deadlocked.
constexpr int kStallLimitS = 30;
// The memory checkpoint: after the warm-up every cache has been filled once.
constexpr int kWarmUpActions = 200;

int envInt(const char* name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok ? value : fallback;
}

// VmRSS in KiB, before and after the memory malloc keeps for reuse is given
// back, as the window does after 2 s idle (Workspace::kIdleReleaseMs): kept
// memory is not growth. ASan's allocator keeps freed blocks in its quarantine
// instead, and gives them back on a purge.
//
// `ownKb` is what the walk's limit is checked on. In a plain build it is
// VmRSS after the release. Under ASan it leaves out the three stores the
// sanitizer keeps for itself and never gives back: its shadow (a byte for
// every 8 its heap ever used), its stack depot (every allocation and free
// stack it has seen) and its heap's free and quarantined blocks (the heap
// region's resident memory less the live heap).
struct Resident {
    qint64 keptKb = -1;
    qint64 releasedKb = -1;
    qint64 ownKb = -1;
};
QMap<QString, qint64> residentKbByRegion(QList<QPair<qint64, QByteArray>>* anonymous = nullptr);
[[maybe_unused]] qint64 printAsanStatistics();
Resident resident()
{
    Resident r;
    r.keptKb = test::residentBytes() / 1024;
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_purge_allocator();
#else
    releaseFreeMemory();
#endif
    r.releasedKb = test::residentBytes() / 1024;
    r.ownKb = r.releasedKb;
#if defined(__SANITIZE_ADDRESS__)
    const QMap<QString, qint64> regions = residentKbByRegion();
    const qint64 liveKb = static_cast<qint64>(__sanitizer_get_current_allocated_bytes() / 1024);
    // The depot lives in anonymous mappings; never count more of it than they hold.
    const qint64 depotKb = std::min(printAsanStatistics(), regions.value(QStringLiteral("other anonymous")));
    const qint64 shadowKb = regions.value(QStringLiteral("asan shadow"));
    const qint64 freeHeapKb = std::max<qint64>(0, regions.value(QStringLiteral("asan heap")) - liveKb);
    r.ownKb = r.releasedKb - shadowKb - std::max<qint64>(0, depotKb) - freeHeapKb;
    std::fprintf(stderr, "monkey: resident %lld KiB less ASan's shadow %lld, stack depot %lld and free heap %lld: %lld KiB\n",
                 r.releasedKb, shadowKb, depotKb, freeHeapKb, r.ownKb);
#endif
    return r;
}

// Under ASan, RSS also holds the quarantine of freed blocks; the live heap
// tells a leak from a full quarantine.
QString heapNote()
{
#if defined(__SANITIZE_ADDRESS__)
    return QStringLiteral(", live heap %1 MiB").arg(__sanitizer_get_current_allocated_bytes() >> 20);
#else
    return {};
#endif
}

// Resident memory by kind of mapping, from /proc/self/smaps, in KiB:
// ASan's heap (its allocator's fixed range on x86-64), ASan's shadow, other
// anonymous memory (thread stacks, JIT code, ASan's stack depot), files
// (libraries). `anonymous` gets the size and range of each "other anonymous".
QMap<QString, qint64> residentKbByRegion(QList<QPair<qint64, QByteArray>>* anonymous)
{
    QMap<QString, qint64> kb;
    QFile smaps(QStringLiteral("/proc/self/smaps"));
    if (!smaps.open(QIODevice::ReadOnly | QIODevice::Text))
        return kb;
    QString kind;
    QByteArray range;
    for (const QByteArray& line : smaps.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() >= 5 && fields[0].contains('-') && !fields[0].endsWith(':')) {
            const quint64 start = fields[0].split('-')[0].toULongLong(nullptr, 16);
            const QByteArray path = fields.size() >= 6 ? fields[5] : QByteArray();
            if (start >= 0x600000000000ull && start < 0x640000000000ull)
                kind = QStringLiteral("asan heap");
            else if (start >= 0x7fff8000ull && start < 0x10007fff8000ull)
                kind = QStringLiteral("asan shadow");
            else if (path.startsWith('/'))
                kind = QStringLiteral("files");
            else
                kind = QStringLiteral("other anonymous");
            range = fields[0] + ' ' + fields[1] + ' ' + path;
        } else if (fields.size() >= 2 && fields[0] == "Rss:") {
            kb[kind] += fields[1].toLongLong();
            if (anonymous && kind == QStringLiteral("other anonymous"))
                anonymous->append({fields[1].toLongLong(), range});
        }
    }
    return kb;
}

// The same in MiB, with the largest anonymous mappings and the thread count.
QString residentByRegion()
{
    QList<QPair<qint64, QByteArray>> anonymous;
    const QMap<QString, qint64> kb = residentKbByRegion(&anonymous);
    QStringList parts;
    for (auto it = kb.cbegin(); it != kb.cend(); ++it)
        parts << QStringLiteral("%1 %2").arg(it.key()).arg(it.value() >> 10);
    std::sort(anonymous.begin(), anonymous.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    parts << QStringLiteral("in %1 anonymous mappings, the largest (KiB):").arg(anonymous.size());
    for (int i = 0; i < std::min<int>(6, anonymous.size()); ++i)
        parts << QStringLiteral("%1 %2").arg(anonymous[i].first).arg(QString::fromLatin1(anonymous[i].second));
    parts << QStringLiteral("threads %1").arg(test::statusBytes("Threads:") / 1024);
    return parts.join(QStringLiteral(", "));
}

// Prints ASan's statistics (its allocator, quarantine and stack depot) and
// returns its stack depot's size in KiB, read from them: ASan has no call
// that tells it. -1 without ASan, or if the line is not found.
[[maybe_unused]] qint64 printAsanStatistics()
{
#if defined(__SANITIZE_ADDRESS__)
    std::fflush(stderr);
    FILE* capture = std::tmpfile();
    if (!capture)
        return -1;
    // ASan prints straight to file descriptor 2.
    const int saved = dup(2);
    dup2(fileno(capture), 2);
    __asan_print_accumulated_stats();
    dup2(saved, 2);
    close(saved);
    std::rewind(capture);
    QByteArray text;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, capture)) > 0;)
        text.append(buffer, static_cast<qsizetype>(n));
    std::fclose(capture);
    std::fprintf(stderr, "monkey: ASan statistics:\n%s", text.constData());
    // "Stats: StackDepot: 1287055 ids; 189M allocated"
    const QRegularExpressionMatch match
        = QRegularExpression(QStringLiteral("StackDepot: \\d+ ids; (\\d+)M allocated")).match(QString::fromLatin1(text));
    return match.hasMatch() ? match.captured(1).toLongLong() * 1024 : -1;
#else
    return -1;
#endif
}

// At each checkpoint a walk prints its resident memory by region (and,
// sanitized, resident() prints ASan's statistics): cheap, and what tells
// memory of ours from the sanitizer's. With
// CONVSCOPE_MONKEY_HEAP_PROFILE set, a sanitized walk also prints the
// allocation stacks that hold 90 % of its live heap (symbolizing them takes
// memory of its own, after the first checkpoint's figures). With
// CONVSCOPE_MONKEY_SMAPS_DIR set, it copies every mapping there, to match
// against a trace of mmap calls.
void printMemoryReport(const char* when)
{
    std::fprintf(stderr, "monkey: resident MiB %s: %s\n", when, qPrintable(residentByRegion()));
    const QString dir = qEnvironmentVariable("CONVSCOPE_MONKEY_SMAPS_DIR");
    if (!dir.isEmpty()) {
        const QString name = QString::fromLatin1(when).replace(QLatin1Char(' '), QLatin1Char('-'));
        // Read, not QFile::copy: /proc files report a size of 0.
        QFile smaps(QStringLiteral("/proc/self/smaps"));
        QFile copy(dir + QStringLiteral("/smaps-") + name);
        if (smaps.open(QIODevice::ReadOnly) && copy.open(QIODevice::WriteOnly | QIODevice::Truncate))
            copy.write(smaps.readAll());
    }
#if defined(__SANITIZE_ADDRESS__)
    if (qEnvironmentVariableIsSet("CONVSCOPE_MONKEY_HEAP_PROFILE")) {
        std::fprintf(stderr, "monkey: live heap %s:\n", when);
        __sanitizer_print_memory_profile(90, 40);
    }
#endif
}

// Aborts the process, naming the action, when the GUI thread stops running
// its event loop for kStallLimitS: a deadlock would otherwise hang ctest.
class Watchdog
{
public:
    Watchdog()
    {
        m_heartbeat.setInterval(100);
        QObject::connect(&m_heartbeat, &QTimer::timeout, [this] { beat(); });
        m_heartbeat.start();
        beat();
        m_thread = std::thread([this] { watch(); });
    }
    ~Watchdog()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_done = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }
    // `name` must outlive the action: a string literal.
    void enter(int index, const char* name)
    {
        m_index = index;
        m_name = name;
        beat();
    }

private:
    using Clock = std::chrono::steady_clock;

    void beat() { m_last = Clock::now().time_since_epoch().count(); }
    void watch()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (!m_wake.wait_for(lock, std::chrono::seconds(1), [this] { return m_done; })) {
            const auto last = Clock::time_point(Clock::duration(m_last.load()));
            if (Clock::now() - last < std::chrono::seconds(kStallLimitS))
                continue;
            std::fprintf(stderr, "monkey: DEADLOCK: the GUI thread ran no event for %d s during action #%d %s\n",
                         kStallLimitS, m_index.load(), m_name.load());
            std::fflush(stderr);
            std::abort();
        }
    }

    QTimer m_heartbeat;
    std::atomic<Clock::rep> m_last{0};
    std::atomic<int> m_index{-1};
    std::atomic<const char*> m_name{"start"};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread;
};

// Closes every dialog as soon as it shows, even one run by exec() inside an
// action, so that no dialog can block the walk; remembers what it closed.
class DialogCloser
{
public:
    DialogCloser()
    {
        m_timer.setInterval(50);
        QObject::connect(&m_timer, &QTimer::timeout, [this] { closeAll(); });
        m_timer.start();
    }
    void closeAll()
    {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            auto* dialog = qobject_cast<QDialog*>(widget);
            if (!dialog || !dialog->isVisible())
                continue;
            ++closed[dialog->objectName().isEmpty() ? dialog->windowTitle() : dialog->objectName()];
            dialog->reject();
        }
    }
    QMap<QString, int> closed; // by object name, else title

private:
    QTimer m_timer;
};

QStringList existing(const QStringList& paths)
{
    QStringList found;
    for (const QString& path : paths)
        if (QFile::exists(path))
            found << path;
    return found;
}

// Good models of different shapes: the shipped LeNet (1 channel, 28×28),
// small torchvision networks, a linear template classifier and a model
// without metadata.
QStringList goodModels()
{
    return QStringList{defaultModelPath()} +
           existing({kFixtures + QStringLiteral("/squeezenet1_0_scripted.pt"),
                     kFixtures + QStringLiteral("/resnet18_traced.pt"),
                     kFixtures + QStringLiteral("/mobilenet_v2_traced.pt"),
                     kFixtures + QStringLiteral("/pixel_templates.pt"),
                     kFixtures + QStringLiteral("/squeezenet_nometa.pt")});
}

// Every broken file but those made to hang or to exhaust the process that
// reads them: the app opens those in a child first (ModelValidator), which
// this test, like the other GUI tests, leaves off; in-process the first would
// hold the model's worker for ever and the second take 8 GiB.
QStringList badModels()
{
    static const QStringList needChild{QStringLiteral("never_ends.pt"), QStringLiteral("memory_hog.pt")};
    const QDir bad(kFixtures + QStringLiteral("/bad"));
    QStringList paths;
    for (const QString& name : bad.entryList(QDir::Files, QDir::Name))
        if (!needChild.contains(name))
            paths << bad.filePath(name);
    return paths;
}

// The buttons that start a tab's job, and those that stop it.
const QStringList kRunButtons{QStringLiteral("saliencyCompute"), QStringLiteral("ascentRun"),
                              QStringLiteral("ascentWholeLayer"), QStringLiteral("attackRun"),
                              QStringLiteral("robustnessRun"), QStringLiteral("embeddingRun"),
                              QStringLiteral("analyseSize")};
const QStringList kStopButtons{QStringLiteral("saliencyStop"), QStringLiteral("ascentStop"),
                               QStringLiteral("attackStop"), QStringLiteral("embeddingStop"),
                               QStringLiteral("jobCancel")};
// The input size reloads the model at that size, where LeNet's linear layers
// no longer fit: a failed load there is right but would read as a finding.
const QStringList kUntouchedControls{QStringLiteral("inputHeight"), QStringLiteral("inputWidth")};

bool usable(const QWidget* widget)
{
    return widget->isVisible() && widget->isEnabled();
}

// The random walk. Each action is a small function that may wait on the
// event loop for a bounded time; none waits for a job to finish.
class Monkey
{
public:
    Monkey(MainWindow& window, quint32 seed)
        : m_window(window)
        , m_rng(seed)
        , m_goodModels(goodModels())
        , m_badModels(badModels())
    {
        m_connections << QObject::connect(&window, &MainWindow::loadFailed,
                                          [this](const QString& message) { onLoadFailed(message); });
        m_connections << QObject::connect(&window, &MainWindow::modelLoaded, [this](const QString& name) {
            if (m_badPending) // every file in fixtures/bad must fail to load
                unexpected << QStringLiteral("a broken model loaded as %1").arg(name);
        });
    }
    ~Monkey()
    {
        for (const QMetaObject::Connection& connection : m_connections)
            QObject::disconnect(connection);
    }

    // One random action, then the event loop for up to 50 ms.
    void step(int index, Watchdog& watchdog)
    {
        const Action& action = pickAction();
        watchdog.enter(index, action.name);
        std::fprintf(stderr, "monkey #%d %s", index, action.name);
        (this->*action.run)();
        std::fprintf(stderr, "\n");
        ++counts[QString::fromLatin1(action.name)];
        QTest::qWait(uniform(0, 50));
    }

    // Stops every job, returns to LeNet on the first digit with the Summary
    // tab, and waits for that to settle: the same state at every memory
    // checkpoint, whatever the walk had open.
    bool settleOnLeNet()
    {
        cancelAll();
        openModel(defaultModelPath());
        m_window.openInput(defaultDatasetSpec());
        m_window.setCurrentTab(QStringLiteral("summary"));
        return QTest::qWaitFor([this] { return m_window.isSettled() && m_window.workspace()->input(); }, 120000);
    }

    void cancelAll()
    {
        m_window.workspace()->jobs()->cancel();
        m_window.workspace()->drawing()->cancel();
    }

    QString summary() const
    {
        QStringList parts;
        for (auto it = counts.begin(); it != counts.end(); ++it)
            parts << QStringLiteral("%1 %2").arg(it.key()).arg(it.value());
        return parts.join(QStringLiteral(", "));
    }

    // Every broken model opened got its message, unless a later open
    // superseded it before the load failed.
    int badOpened = 0, badReported = 0, badSuperseded = 0;
    QStringList unexpected; // good models that failed, broken ones that loaded
    int sizesRefused = 0;   // Analyse at an input size the model cannot take
    QMap<QString, int> counts;

private:
    struct Action {
        const char* name;
        void (Monkey::*run)();
        int weight;
    };

    const Action& pickAction()
    {
        static const Action actions[] = {
            {"tab", &Monkey::switchTab, 14},          {"layer", &Monkey::switchLayer, 18},
            {"stepInput", &Monkey::stepInput, 14},    {"seekInput", &Monkey::seekInput, 8},
            {"runCancel", &Monkey::runAndCancel, 16}, {"control", &Monkey::changeControl, 18},
            {"goodModel", &Monkey::openGoodModel, 6}, {"badModel", &Monkey::openBadModel, 6},
        };
        int total = 0;
        for (const Action& action : actions)
            total += action.weight;
        int pick = uniform(0, total - 1);
        for (const Action& action : actions) {
            if (pick < action.weight)
                return action;
            pick -= action.weight;
        }
        return actions[0];
    }

    int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(m_rng); }
    template <typename T>
    T* pick(const QList<T*>& items)
    {
        return items.isEmpty() ? nullptr : items[uniform(0, int(items.size()) - 1)];
    }
    void note(const QString& what) { std::fprintf(stderr, " %s", qPrintable(what)); }
    QWidget* currentTab() const { return m_window.tab(m_window.currentTabKey()); }

    void switchTab()
    {
        static const QStringList keys{QStringLiteral("summary"),  QStringLiteral("filters"),
                                      QStringLiteral("activations"), QStringLiteral("patches"),
                                      QStringLiteral("saliency"), QStringLiteral("ascent"),
                                      QStringLiteral("adversarial"), QStringLiteral("embedding")};
        const QString key = keys[uniform(0, int(keys.size()) - 1)];
        note(key);
        QVERIFY(m_window.setCurrentTab(key));
    }

    // A random row anywhere in the Layers dock's tree, as a click would.
    void switchLayer()
    {
        auto* view = m_window.findChild<QTreeView*>(QStringLiteral("layerView"));
        QVERIFY(view);
        QList<QModelIndex> rows;
        collectRows(view->model(), {}, rows);
        if (rows.isEmpty())
            return;
        const QModelIndex row = rows[uniform(0, int(rows.size()) - 1)];
        note(row.data().toString());
        view->setCurrentIndex(row);
    }
    // `parent` by value: it must not point into `rows`, which grows (and
    // moves) under the recursion.
    static void collectRows(const QAbstractItemModel* model, const QModelIndex parent, QList<QModelIndex>& rows)
    {
        for (int row = 0; row < model->rowCount(parent); ++row) {
            const QModelIndex child = model->index(row, 0, parent);
            rows << child;
            collectRows(model, child, rows);
        }
    }

    // ◀ or ▶ in the Input dock.
    void stepInput()
    {
        const QString name = uniform(0, 1) ? QStringLiteral("nextInput") : QStringLiteral("previousInput");
        note(name);
        if (auto* button = m_window.findChild<QAbstractButton*>(name); button && usable(button))
            button->click();
    }

    // A random test image through the position box.
    void seekInput()
    {
        auto* position = m_window.findChild<QSpinBox*>(QStringLiteral("inputPosition"));
        if (!position || !usable(position))
            return;
        const int value = uniform(position->minimum(), position->maximum());
        note(QString::number(value));
        position->setValue(value);
    }

    // The tab's Run (if it has one; Patches and the drawing views start on
    // their own), then Stop or the status bar's Cancel 0–300 ms later.
    void runAndCancel()
    {
        QList<QAbstractButton*> runs;
        for (const QString& name : kRunButtons)
            if (auto* button = currentTab()->findChild<QAbstractButton*>(name); button && usable(button))
                runs << button;
        if (QAbstractButton* run = pick(runs)) {
            note(run->objectName());
            // The Summary tab's Analyse reloads the model at the size its
            // boxes say: one it cannot take (8 x 6 for SqueezeNet) is refused
            // with the forward pass's error, as it should be.
            if (run->objectName() == QLatin1String("analyseSize"))
                m_sizePending = true;
            run->click();
        }
        const int delay = uniform(0, 300);
        note(QStringLiteral("wait %1 ms").arg(delay));
        QTest::qWait(delay);
        QList<QAbstractButton*> stops;
        for (const QString& name : kStopButtons)
            if (auto* button = m_window.findChild<QAbstractButton*>(name); button && usable(button))
                stops << button;
        if (QAbstractButton* stop = pick(stops)) {
            note(stop->objectName());
            stop->click();
        }
    }

    // One visible control of the tab, a step or two from where it is, so
    // that jobs stay the size a user would ask for.
    void changeControl()
    {
        QList<QWidget*> controls;
        for (QWidget* widget : currentTab()->findChildren<QWidget*>())
            if (usable(widget) && !kUntouchedControls.contains(widget->objectName()) &&
                (qobject_cast<QAbstractSpinBox*>(widget) || qobject_cast<QSlider*>(widget) ||
                 qobject_cast<QComboBox*>(widget) || qobject_cast<QCheckBox*>(widget)))
                controls << widget;
        QWidget* control = pick(controls);
        if (!control) {
            note(QStringLiteral("(none on this tab)"));
            return;
        }
        note(control->objectName().isEmpty() ? QString::fromLatin1(control->metaObject()->className())
                                             : control->objectName());
        nudge(control);
    }
    void nudge(QWidget* control)
    {
        const int steps = uniform(0, 1) ? uniform(1, 3) : -uniform(1, 3);
        if (auto* spin = qobject_cast<QAbstractSpinBox*>(control))
            spin->stepBy(steps);
        else if (auto* slider = qobject_cast<QSlider*>(control))
            slider->setValue(slider->value() + steps * slider->pageStep());
        else if (auto* combo = qobject_cast<QComboBox*>(control); combo && combo->count() > 0)
            combo->setCurrentIndex(uniform(0, combo->count() - 1));
        else if (auto* check = qobject_cast<QCheckBox*>(control))
            check->toggle();
    }

    void openGoodModel()
    {
        const QString path = m_goodModels[uniform(0, int(m_goodModels.size()) - 1)];
        note(QFileInfo(path).fileName());
        openModel(path);
    }

    // A broken file: its message must come (the DialogCloser closes it) and
    // the window go on with the model it had. The load waits behind the job
    // running, so this waits for the message a while but not for ever.
    void openBadModel()
    {
        if (m_badModels.isEmpty())
            return;
        const QString path = m_badModels[uniform(0, int(m_badModels.size()) - 1)];
        note(QFileInfo(path).fileName());
        openModel(path);
        ++badOpened;
        m_badPending = true;
        if (!QTest::qWaitFor([this] { return !m_badPending; }, 20000))
            note(QStringLiteral("(no message yet: the load waits behind a job)"));
    }

    void openModel(const QString& path)
    {
        if (m_badPending) {
            ++badSuperseded; // this load replaces the broken one before it failed
            m_badPending = false;
        }
        m_window.openModel(path);
    }

    void onLoadFailed(const QString& message)
    {
        if (m_badPending) {
            ++badReported;
            m_badPending = false;
        } else if (m_sizePending && message.startsWith(QLatin1String("forward() fails on a "))) {
            ++sizesRefused;
            m_sizePending = false;
        } else {
            unexpected << message;
            std::fprintf(stderr, " [load failed: %s]", qPrintable(message));
        }
    }

    MainWindow& m_window;
    std::mt19937 m_rng;
    QStringList m_goodModels, m_badModels;
    bool m_badPending = false;
    bool m_sizePending = false; // an Analyse of another input size may be refused
    QList<QMetaObject::Connection> m_connections;
};

} // namespace

namespace {
// Qt's warnings that mean a bug in our code rather than in the environment
// (a format string with too few arguments, a connection to nothing, painting
// outside paintEvent): collected through the walk and failed on at its end.
QStringList& codeWarnings()
{
    static QStringList seen;
    return seen;
}
QtMessageHandler previousHandler = nullptr;
void collectCodeWarnings(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    static const QStringList signs{QStringLiteral("QString::arg: "), QStringLiteral("QObject::connect: "),
        QStringLiteral("QObject::disconnect: "), QStringLiteral("QPainter::")};
    if (type == QtWarningMsg)
        for (const QString& sign : signs)
            if (message.startsWith(sign) && codeWarnings().size() < 20)
                codeWarnings() << message;
    if (previousHandler)
        previousHandler(type, context, message);
}
} // namespace

class TestMonkey : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void randomWalk();

private:
    QTemporaryDir m_settings;
};

void TestMonkey::initTestCase()
{
    QVERIFY(m_settings.isValid());
    test::useOwnSettings(m_settings.path()); // settings and top-k scans
}

void TestMonkey::randomWalk()
{
    const auto seed = static_cast<quint32>(envInt("CONVSCOPE_MONKEY_SEED", 1));
    const int actions = envInt("CONVSCOPE_MONKEY_ACTIONS", 300);
    std::fprintf(stderr, "monkey: seed %u, %d actions\n", seed, actions);
    QElapsedTimer clock;
    clock.start();

    previousHandler = qInstallMessageHandler(collectCodeWarnings);
    Watchdog watchdog;
    DialogCloser dialogs;
    MainWindow window;
    QVERIFY(test::openDigitsTab(window, QStringLiteral("summary")));
    Monkey monkey(window, seed);

    qint64 warmKb = -1;
    qint64 warmOwnKb = -1;
    for (int i = 0; i < actions; ++i) {
        monkey.step(i, watchdog);
        if (QTest::currentTestFailed())
            QFAIL(qPrintable(QStringLiteral("action #%1 failed (seed %2)").arg(i).arg(seed)));
        if (i + 1 == kWarmUpActions) {
            watchdog.enter(i, "checkpoint");
            QVERIFY2(monkey.settleOnLeNet(), "jobs still running 120 s after the warm-up's cancel");
            const Resident warm = resident();
            warmKb = warm.releasedKb;
            warmOwnKb = warm.ownKb;
            std::fprintf(stderr, "monkey: RSS after %d actions: %lld KiB (%lld before the release)%s\n",
                         kWarmUpActions, warmKb, warm.keptKb, qPrintable(heapNote()));
            printMemoryReport("after the warm-up");
        }
    }
    watchdog.enter(actions, "end");
    QVERIFY2(monkey.settleOnLeNet(), "jobs still running 120 s after the final cancel");
    const Resident end = resident();
    const qint64 endKb = end.releasedKb;
    printMemoryReport("at the end");
    dialogs.closeAll();

    QStringList closed;
    for (auto it = dialogs.closed.begin(); it != dialogs.closed.end(); ++it)
        closed << QStringLiteral("%1 %2").arg(it.key()).arg(it.value());
    std::fprintf(stderr, "monkey: seed %u, %d actions in %.1f s: %s\n", seed, actions, clock.elapsed() / 1000.0,
                 qPrintable(monkey.summary()));
    std::fprintf(stderr,
        "monkey: broken models %d opened, %d reported, %d superseded; input sizes refused %d; dialogs closed: %s\n",
        monkey.badOpened, monkey.badReported, monkey.badSuperseded, monkey.sizesRefused, qPrintable(closed.join(", ")));
    std::fprintf(stderr, "monkey: RSS at end %lld KiB (%lld before the release)%s", endKb, end.keptKb,
                 qPrintable(heapNote()));
    if (warmKb > 0)
        std::fprintf(stderr, ", %.3f × after %d actions", double(endKb) / warmKb, kWarmUpActions);
    std::fprintf(stderr, "\n");
#if defined(__SANITIZE_ADDRESS__)
    if (warmOwnKb > 0)
        std::fprintf(stderr, "monkey: less ASan's own stores: %lld KiB at end, %.3f × after %d actions\n", end.ownKb,
                     double(end.ownKb) / warmOwnKb, kWarmUpActions);
#endif

    qInstallMessageHandler(previousHandler);
    QVERIFY2(monkey.unexpected.isEmpty(), qPrintable(monkey.unexpected.join('\n')));
    QVERIFY2(codeWarnings().isEmpty(), qPrintable(codeWarnings().join('\n')));
    QCOMPARE(monkey.badReported + monkey.badSuperseded, monkey.badOpened);
    // Too short a walk says nothing about growth: ctest's only prints it.
    if (actions >= 1000 && warmOwnKb > 0)
        QVERIFY2(end.ownKb <= warmOwnKb * 12 / 10, "resident memory grew more than 20 % after the warm-up");
    watchdog.enter(actions + 1, "teardown"); // the window's destructor waits for its workers
}

QTEST_MAIN(TestMonkey)
#include "test_monkey.moc"
