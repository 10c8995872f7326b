#include "app/views/unit/tab.h"

#include "app/shell/atomic_save.h"
#include "app/shell/defaults.h"
#include "app/shell/frames.h"
#include "app/shell/gui_post.h"
#include "app/shell/input_controller.h"
#include "app/shell/job_runner.h"
#include "app/shell/workspace.h"
#include "app/views/unit/page.h"
#include "app/views/unit/run.h"
#include "core/dataset.h"
#include "core/model.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHash>
#include <QSet>
#include <QKeyEvent>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace convscope {

namespace {

// Pages kept per kind; walking a layer back and forth stays within it.
constexpr int kKept = 256;

template <typename V> void keep(QHash<QString, V>& cache, const QString& key, const V& value)
{
    if (cache.size() >= kKept)
        cache.clear(); // rare, and the disk caches keep the expensive parts
    cache.insert(key, value);
}

} // namespace

struct UnitTab::Private {
    InputController* input = nullptr;
    UnitPage* page = nullptr;
    UnitPage* dockPage = nullptr; // null until the window gives it one
    QSpinBox* channel = nullptr;
    QLabel* of = nullptr;
    QRadioButton* guided = nullptr;
    QRadioButton* deconv = nullptr;
    QComboBox* preset = nullptr; // the gradient ascent's
    int ascentSteps = 0;         // 0: the preset's
    QPushButton* make = nullptr;
    QPushButton* stop = nullptr;

    QHash<QString, std::shared_ptr<const UnitInputPanels>> inputs;
    QHash<QString, std::shared_ptr<const UnitScan>> scans;
    QHash<QString, std::shared_ptr<const UnitDatasetPanels>> datasets;
    QHash<QString, QImage> ascents;
    QString wantedInput, wantedDataset, scanningKey, ascentRunning;
    // Keys with a job on its way (its result or its end not back yet): a key
    // asked for again waits for that job instead of queueing a twin.
    QSet<QString> inputsInFlight, datasetsInFlight;
    bool inputPending = false, datasetPending = false;
    std::string modelHash;
    quint64 hashedModel = 0;

    ReluGradient relu() const { return deconv->isChecked() ? ReluGradient::Deconvnet : ReluGradient::Guided; }
    // Both pages show the same thing.
    std::vector<UnitPage*> pages() const
    {
        return dockPage ? std::vector<UnitPage*>{page, dockPage} : std::vector<UnitPage*>{page};
    }
};

UnitTab::UnitTab(Workspace* workspace, InputController* input, QWidget* parent)
    : ViewTab(workspace, parent), d(std::make_unique<Private>())
{
    d->input = input;
    setFocusPolicy(Qt::StrongFocus);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Channel"), this));
    d->channel = new QSpinBox(this);
    d->channel->setFocusPolicy(Qt::ClickFocus);
    d->of = new QLabel(this);
    d->guided = new QRadioButton(tr("&Guided backprop"), this);
    d->deconv = new QRadioButton(tr("&Deconvnet"), this);
    d->guided->setChecked(true);
    d->make = new QPushButton(tr("Make &ascent image"), this);
    d->preset = new QComboBox(this);
    for (const char* name : {"lucid", "yosinski", "plain"})
        d->preset->addItem(QString::fromLatin1(name).replace(0, 1, QString::fromLatin1(name).at(0).toUpper()),
                           QString::fromLatin1(name));
    d->preset->setToolTip(tr("The gradient ascent's preset: each is its own image, kept apart"));
    d->stop = new QPushButton(tr("Stop"), this);
    d->stop->setEnabled(false);
    for (QWidget* w : std::initializer_list<QWidget*>{d->guided, d->deconv, d->make, d->preset, d->stop})
        w->setFocusPolicy(Qt::NoFocus); // the keys are the page's (Space, arrows)
    auto* keys = new QLabel(tr("←/→ channel · ↑/↓ layer · B/D backprop · Space freeze · A ascent"), this);
    keys->setEnabled(false);
    // A hint, not a control: it gives way before the controls do at 1280 x 720.
    keys->setMinimumWidth(0);
    keys->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    bar->addWidget(d->channel);
    bar->addWidget(d->of);
    bar->addSpacing(12);
    bar->addWidget(d->guided);
    bar->addWidget(d->deconv);
    bar->addSpacing(12);
    bar->addWidget(d->make);
    bar->addWidget(d->preset);
    bar->addWidget(d->stop);
    bar->addStretch(1);
    bar->addWidget(keys);
    layout->addLayout(bar);
    d->page = new UnitPage(this);
    layout->addWidget(d->page, 1);

    connect(d->channel, &QSpinBox::valueChanged, this, &UnitTab::follow);
    connect(d->channel, &QSpinBox::editingFinished, this, [this] { setFocus(); });
    connect(d->deconv, &QRadioButton::toggled, this, &UnitTab::follow);
    connect(d->make, &QPushButton::clicked, this, &UnitTab::makeAscent);
    connect(d->preset, &QComboBox::currentIndexChanged, this, &UnitTab::showAscent);
    connect(d->stop, &QPushButton::clicked, this, &UnitTab::stop);
    connect(workspace, &Workspace::modelChanged, this, [this] {
        d->inputs.clear();
        d->scans.clear();
        d->datasets.clear();
        d->ascents.clear();
        d->modelHash.clear();
        // The old model's scan and ascent would only keep the worker from the new one.
        this->workspace()->jobs()->cancel(QStringLiteral("unit-scan"));
        this->workspace()->jobs()->cancel(QStringLiteral("unit-ascent"));
        follow();
    });
    connect(workspace, &Workspace::inputChanged, this, &UnitTab::follow);
    connect(workspace, &Workspace::layerChanged, this, &UnitTab::follow);
    if (input)
        connect(input, &InputController::opened, this, &UnitTab::follow);
}

UnitTab::~UnitTab() = default;

UnitPage* UnitTab::page() const
{
    return d->page;
}

void UnitTab::setDockPage(UnitPage* page)
{
    d->dockPage = page;
}

bool UnitTab::dockShown() const
{
    return d->dockPage && d->dockPage->isVisible();
}

void UnitTab::follow()
{
    if (!isVisible() && dockShown())
        refresh();
    else
        invalidate();
}

QString UnitTab::ascentCacheDir()
{
    return cacheDir(QStringLiteral("unit-ascent"));
}

int UnitTab::channel() const
{
    return d->channel->value();
}

void UnitTab::setChannel(int channel)
{
    d->channel->setValue(channel);
}

void UnitTab::showUnit(int layer, int channel)
{
    // The channel is set quietly first (the range follows the layer at the
    // refresh), so that no refresh clamps it to the old layer's count.
    {
        const QSignalBlocker quiet(d->channel);
        d->channel->setMaximum(std::max(d->channel->maximum(), channel));
        d->channel->setValue(channel);
    }
    workspace()->setLayer(layer);
    follow();
}

bool UnitTab::ascentRunning() const
{
    return !d->ascentRunning.isEmpty();
}

void UnitTab::setDeconvnet(bool deconvnet)
{
    (deconvnet ? d->deconv : d->guided)->setChecked(true);
}

bool UnitTab::deconvnet() const
{
    return d->deconv->isChecked();
}

QImage UnitTab::exportImage()
{
    return d->page->grab().toImage();
}

void UnitTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    settings->setValue(QStringLiteral("deconvnet"), deconvnet());
    settings->setValue(QStringLiteral("preset"), d->preset->currentData());
}

void UnitTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    setDeconvnet(settings->value(QStringLiteral("deconvnet"), false).toBool());
    const int preset = d->preset->findData(settings->value(QStringLiteral("preset"), QStringLiteral("lucid")));
    d->preset->setCurrentIndex(std::max(preset, 0));
}

void UnitTab::refresh()
{
    auto model = workspace()->model();
    const int layer = workspace()->layer();
    // Only the request made now is waited for: results of earlier ones are
    // kept in the caches when they come, not shown.
    d->wantedInput.clear();
    d->wantedDataset.clear();
    d->inputPending = d->datasetPending = false;
    const auto nothing = [this](const QString& why) {
        for (UnitPage* p : d->pages()) {
            p->setHeading({}, {}, -1, 0);
            p->clearInputPanels(why);
            p->setDatasetMessage({});
            p->setAscentMessage({});
        }
        checkComplete();
    };
    if (!model)
        return nothing(tr("Open a model (File ▸ Open Model…)."));
    // The tab itself shows this over everything (ViewTab); the Unit Page dock is refreshed directly.
    if (!takesImages(model->info()))
        return nothing(QString::fromStdString(notAnImageMessage(model->info())));
    if (layer < 0)
        return nothing(tr("Select a layer in the layer list."));
    const LayerInfo& info = model->layers()[static_cast<size_t>(layer)];
    if (info.shape.size() != 3 && info.shape.size() != 1)
        return nothing(tr("%1 has no channels: pick a layer of channel maps or of units (↑/↓).")
                           .arg(QString::fromStdString(info.name)));
    const int channels = static_cast<int>(info.shape[0]);
    {
        const QSignalBlocker block(d->channel);
        d->channel->setRange(0, channels - 1);
    }
    d->of->setText(tr("of %1").arg(channels));
    for (UnitPage* p : d->pages())
        p->setHeading(QString::fromStdString(model->info().name), QString::fromStdString(info.name), channel(), channels);
    requestInputPanels();
    requestDatasetPanels();
    showAscent();
    checkComplete();
}

// A job the runner drops (replaced by a newer one, or cancelled) never calls
// back: this tells the tab, so that it does not wait for it. The runner drops
// jobs on the GUI thread, inside submit() and cancel(): the key leaves the
// in-flight set there and then, before anyone can ask for it again and be
// told to wait for a job that will never come.
std::shared_ptr<void> UnitTab::endNotice(const QPointer<UnitTab>& self, const QString& key, bool dataset)
{
    const auto ended = [key, dataset](UnitTab* tab) {
        // Its result (or error) has already said so when it took the key out.
        if (!(dataset ? tab->d->datasetsInFlight : tab->d->inputsInFlight).remove(key))
            return;
        bool& pending = dataset ? tab->d->datasetPending : tab->d->inputPending;
        if (pending && key == (dataset ? tab->d->wantedDataset : tab->d->wantedInput)) {
            pending = false;
            const QString why = tr("Stopped: move to another unit and back to compute it.");
            for (UnitPage* p : tab->d->pages()) {
                if (dataset)
                    p->setDatasetMessage(why);
                else
                    p->clearInputPanels(why);
            }
            tab->checkComplete();
        }
    };
    return std::shared_ptr<void>(nullptr, [self, ended](void*) {
        if (QThread::currentThread() == QCoreApplication::instance()->thread()) {
            if (self)
                ended(self.data());
        } else {
            postTo(self, ended);
        }
    });
}

void UnitTab::requestInputPanels()
{
    auto model = workspace()->model();
    auto frame = workspace()->input();
    const int layer = workspace()->layer();
    if (!frame) {
        for (UnitPage* p : d->pages())
            p->clearInputPanels(tr("Open an image, a dataset or a camera in the Input dock."));
        return;
    }
    const QString key = QStringLiteral("%1/%2/%3/%4/%5")
                            .arg(model->id())
                            .arg(frame->serial)
                            .arg(layer)
                            .arg(channel())
                            .arg(static_cast<int>(d->relu()));
    d->wantedInput = key;
    if (auto cached = d->inputs.value(key)) {
        for (UnitPage* p : d->pages())
            p->setInputPanels(*cached);
        d->inputPending = false;
        return;
    }
    d->inputPending = true;
    setBusy(true);
    if (d->inputsInFlight.contains(key))
        return;
    d->inputsInFlight.insert(key);
    const int64_t unit = channel();
    const ReluGradient relu = d->relu();
    const bool needHash = d->hashedModel != model->id();
    const quint64 modelId = model->id();
    QPointer<UnitTab> self(this);
    struct Done {
        std::shared_ptr<const UnitInputPanels> panels;
        std::string hash;
    };
    workspace()->jobs()->submit(
        QStringLiteral("unit-input"), {},
        [self, model, frame, layer, unit, relu, key, needHash, modelId, notice = endNotice(self, key, false)](
            JobContext&) -> JobRunner::Done {
            auto done = std::make_shared<Done>();
            done->panels = std::make_shared<const UnitInputPanels>(
                computeInputPanels(*model, frame->pixels, layer, unit, relu));
            if (needHash)
                done->hash = fileSha256(model->info().path);
            return [self, done, key, modelId] {
                if (!self)
                    return;
                self->d->inputsInFlight.remove(key);
                auto current = self->workspace()->model();
                if (!done->hash.empty() && current && current->id() == modelId) {
                    self->d->modelHash = done->hash;
                    self->d->hashedModel = modelId;
                }
                keep(self->d->inputs, key, done->panels);
                if (key != self->d->wantedInput)
                    return;
                for (UnitPage* p : self->d->pages())
                    p->setInputPanels(*done->panels);
                self->d->inputPending = false;
                self->showAscent();
                self->checkComplete();
            };
        },
        [self, key](const QString& message) {
            if (!self)
                return;
            self->d->inputsInFlight.remove(key);
            if (key != self->d->wantedInput)
                return;
            for (UnitPage* p : self->d->pages())
                p->clearInputPanels(message);
            self->d->inputPending = false;
            self->checkComplete();
        });
}

void UnitTab::requestDatasetPanels()
{
    auto model = workspace()->model();
    const int layer = workspace()->layer();
    auto dataset = d->input ? d->input->dataset() : nullptr;
    if (!dataset) {
        d->datasetPending = false;
        d->wantedDataset.clear();
        for (UnitPage* p : d->pages())
            p->setDatasetMessage(tr("Open a dataset in the Input dock (File ▸ Open Dataset…) for the top-9 "
                                      "patches and the statistics."));
        return;
    }
    const QString scanKey = QStringLiteral("%1/%2/%3")
                                .arg(model->id())
                                .arg(QString::fromStdString(dataset->identity()))
                                .arg(layer);
    const QString key = QStringLiteral("%1/%2/%3").arg(scanKey).arg(channel()).arg(static_cast<int>(d->relu()));
    d->wantedDataset = key;
    if (auto cached = d->datasets.value(key)) {
        for (UnitPage* p : d->pages())
            p->setDatasetPanels(*cached);
        d->datasetPending = false;
        return;
    }
    QPointer<UnitTab> self(this);
    auto scan = d->scans.value(scanKey);
    d->datasetPending = true;
    setBusy(true);
    if (!scan) {
        for (UnitPage* p : d->pages())
            p->setDatasetMessage(tr("Scanning %1 images of %2 for %3… (Stop ends it)")
                                     .arg(dataset->size())
                                     .arg(QString::fromStdString(dataset->name()))
                                     .arg(QString::fromStdString(model->layers()[static_cast<size_t>(layer)].name)));
        if (d->scanningKey == scanKey)
            return;
        d->scanningKey = scanKey;
        d->stop->setEnabled(true);
        const std::string topkCache = cacheDir(QStringLiteral("topk")).toStdString();
        const std::string scoresCache = cacheDir(QStringLiteral("unit")).toStdString();
        // A scan that stops or fails speaks only for the page still waiting on it.
        const auto ended = [scanKey](UnitTab* tab, const QString& why) {
            if (tab->d->scanningKey != scanKey)
                return;
            tab->d->scanningKey.clear();
            tab->d->stop->setEnabled(!tab->d->ascentRunning.isEmpty());
            if (tab->d->wantedDataset.startsWith(scanKey + QLatin1Char('/'))) {
                tab->d->datasetPending = false;
                for (UnitPage* p : tab->d->pages())
                    p->setDatasetMessage(why);
            }
            tab->checkComplete();
        };
        auto notice = jobEndNotice(self, [ended](UnitTab* tab) {
            ended(tab, tr("The scan stopped; pick the layer again to scan it."));
        });
        workspace()->jobs()->submit(
            QStringLiteral("unit-scan"), tr("Scanning the dataset for the Unit page"),
            [self, model, dataset, layer, scanKey, topkCache, scoresCache, notice](JobContext& job) -> JobRunner::Done {
                auto result = scanForUnits(*model, dataset, layer, topkCache, scoresCache, job.progress, job.cancel);
                return [self, result, scanKey] {
                    if (!self)
                        return;
                    // A scan holds two [images, channels] tables: a few layers' worth are kept.
                    if (self->d->scans.size() >= 8)
                        self->d->scans.clear();
                    self->d->scans.insert(scanKey, result);
                    if (self->d->scanningKey == scanKey)
                        self->d->scanningKey.clear();
                    self->d->stop->setEnabled(!self->d->ascentRunning.isEmpty());
                    self->follow(); // the unit may have moved on meanwhile
                };
            },
            [self, ended](const QString& message) {
                if (self)
                    ended(self.data(), tr("Cannot scan the dataset: %1").arg(message));
            });
        return;
    }
    if (d->datasetsInFlight.contains(key))
        return;
    d->datasetsInFlight.insert(key);
    const int64_t unit = channel();
    const ReluGradient relu = d->relu();
    workspace()->jobs()->submit(
        QStringLiteral("unit-dataset"), {},
        [self, model, scan, unit, relu, key, notice = endNotice(self, key, true)](JobContext&) -> JobRunner::Done {
            auto panels = std::make_shared<const UnitDatasetPanels>(computeDatasetPanels(*model, *scan, unit, relu));
            return [self, panels, key] {
                if (!self)
                    return;
                self->d->datasetsInFlight.remove(key);
                keep(self->d->datasets, key, panels);
                if (key != self->d->wantedDataset)
                    return;
                for (UnitPage* p : self->d->pages())
                    p->setDatasetPanels(*panels);
                self->d->datasetPending = false;
                self->checkComplete();
            };
        },
        [self, key](const QString& message) {
            if (!self)
                return;
            self->d->datasetsInFlight.remove(key);
            if (key != self->d->wantedDataset)
                return;
            self->d->datasetPending = false;
            for (UnitPage* p : self->d->pages())
                p->setDatasetMessage(message);
            self->checkComplete();
        });
}

UnitAscentSettings UnitTab::ascentSettings() const
{
    UnitAscentSettings settings; // the preset's steps, seed 0
    settings.preset = ascentPresetFromName(d->preset->currentData().toString().toStdString());
    settings.steps = d->ascentSteps;
    return settings;
}

void UnitTab::setAscentSteps(int steps)
{
    d->ascentSteps = std::max(0, steps);
    showAscent();
}

QString UnitTab::lessonWork() const
{
    return page()->filledPanels().contains(QStringLiteral("ascent")) ? QStringLiteral("ascent") : QString();
}

void UnitTab::prefetchLesson(int layer, const QJsonObject&)
{
    auto model = workspace()->model();
    auto dataset = d->input->dataset();
    if (!model || !dataset || layer < 0 || layer >= static_cast<int>(model->layers().size())
        || model->layers()[static_cast<size_t>(layer)].shape.size() != 3)
        return;
    const std::string topkCache = cacheDir(QStringLiteral("topk")).toStdString();
    const std::string scoresCache = cacheDir(QStringLiteral("unit")).toStdString();
    if (topkCache.empty() || scoresCache.empty())
        return;
    // Quiet: the page's own scan reads both caches when the step comes.
    workspace()->jobs()->submit(QStringLiteral("unit-prefetch"), QString(),
                                [model, dataset, layer, topkCache, scoresCache](JobContext& job) -> JobRunner::Done {
                                    scanForUnits(*model, dataset, layer, topkCache, scoresCache, job.progress, job.cancel);
                                    return [] {};
                                });
}

void UnitTab::startLessonWork(const QString& work)
{
    if (work == QLatin1String("ascent"))
        makeAscent();
}

void UnitTab::showAscent()
{
    auto model = workspace()->model();
    const int layer = workspace()->layer();
    if (!model || layer < 0 || d->modelHash.empty() || d->hashedModel != model->id())
        return;
    const QString layerName = QString::fromStdString(model->layers()[static_cast<size_t>(layer)].name);
    const QString key = ascentKey(d->modelHash, layerName, channel(), ascentSettings());
    QImage image = d->ascents.value(key);
    if (image.isNull()) {
        const QString file = ascentFile(ascentCacheDir(), key);
        if (QFileInfo::exists(file) && image.load(file))
            keep(d->ascents, key, image);
    }
    if (!image.isNull())
        for (UnitPage* p : d->pages())
            p->setAscent(image, tr("maximizes the channel's mean (%1 preset)").arg(d->preset->currentText()));
    else if (d->ascentRunning == key)
        for (UnitPage* p : d->pages())
            p->setAscentMessage(tr("Making the image… (Stop ends it)"));
    else
        for (UnitPage* p : d->pages())
            p->setAscentMessage(tr("Not made yet: press A (or Make ascent image)."));
}

void UnitTab::makeAscent()
{
    auto model = workspace()->model();
    const int layer = workspace()->layer();
    if (!model || layer < 0 || d->modelHash.empty() || d->hashedModel != model->id())
        return;
    const auto& shape = model->layers()[static_cast<size_t>(layer)].shape;
    if (shape.size() != 3 && shape.size() != 1)
        return;
    const QString layerName = QString::fromStdString(model->layers()[static_cast<size_t>(layer)].name);
    const QString key = ascentKey(d->modelHash, layerName, channel(), ascentSettings());
    showAscent(); // reads the disk cache into the page's
    if (d->ascents.contains(key) || d->ascentRunning == key)
        return;
    d->ascentRunning = key;
    d->stop->setEnabled(true);
    showAscent();
    const int64_t unit = channel();
    const QString file = ascentFile(ascentCacheDir(), key);
    const UnitAscentSettings settings = ascentSettings();
    QPointer<UnitTab> self(this);
    auto notice = jobEndNotice(self, [key](UnitTab* tab) {
        if (tab->d->ascentRunning != key)
            return;
        tab->d->ascentRunning.clear();
        tab->d->stop->setEnabled(!tab->d->scanningKey.isEmpty());
        tab->showAscent();
    });
    workspace()->jobs()->submit(
        QStringLiteral("unit-ascent"), tr("Gradient ascent of %1 channel %2").arg(layerName).arg(unit),
        [self, model, layer, unit, key, file, settings, notice](JobContext& job) -> JobRunner::Done {
            const QImage image = computeUnitAscent(*model, layer, unit, settings, job.progress, job.cancel);
            QDir().mkpath(QFileInfo(file).path());
            savePngAtomically(image, file); // a cache that cannot be written is only slower next time
            return [self, image, key] {
                if (!self)
                    return;
                keep(self->d->ascents, key, image);
                if (self->d->ascentRunning == key)
                    self->d->ascentRunning.clear();
                self->d->stop->setEnabled(!self->d->scanningKey.isEmpty() || !self->d->ascentRunning.isEmpty());
                self->showAscent();
            };
        },
        [self, key](const QString& message) {
            if (!self || self->d->ascentRunning != key)
                return;
            self->d->ascentRunning.clear();
            self->d->stop->setEnabled(!self->d->scanningKey.isEmpty());
            for (UnitPage* p : self->d->pages())
                p->setAscentMessage(tr("Cannot make the image: %1").arg(message));
        });
}

void UnitTab::stop()
{
    workspace()->jobs()->cancel(QStringLiteral("unit-scan"));
    workspace()->jobs()->cancel(QStringLiteral("unit-ascent"));
}

bool UnitTab::complete() const
{
    // A scan for this page keeps datasetPending; one for a layer left behind
    // goes on in the background (the status bar shows it) without holding the page.
    return !d->inputPending && !d->datasetPending;
}

void UnitTab::checkComplete()
{
    setBusy(!complete());
}

void UnitTab::stepLayer(int delta)
{
    auto model = workspace()->model();
    if (!model)
        return;
    const auto& layers = model->layers();
    for (int i = workspace()->layer() + delta; i >= 0 && i < static_cast<int>(layers.size()); i += delta) {
        const auto& shape = layers[static_cast<size_t>(i)].shape;
        if (shape.size() == 3 || shape.size() == 1) {
            workspace()->setLayer(i);
            return;
        }
    }
}

void UnitTab::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Left:
        setChannel(std::max(0, channel() - 1));
        break;
    case Qt::Key_Right:
        setChannel(std::min(d->channel->maximum(), channel() + 1));
        break;
    case Qt::Key_Up:
        stepLayer(-1);
        break;
    case Qt::Key_Down:
        stepLayer(1);
        break;
    case Qt::Key_B:
        setDeconvnet(false);
        break;
    case Qt::Key_D:
        setDeconvnet(true);
        break;
    case Qt::Key_A:
        makeAscent();
        break;
    case Qt::Key_Escape:
        stop();
        break;
    case Qt::Key_Space:
        if (d->input && (d->input->kind() == InputController::Live || d->input->kind() == InputController::Video)) {
            d->input->play(!d->input->playing());
            Q_EMIT message(d->input->playing() ? tr("Input running") : tr("Input frozen (Space runs it again)"));
        } else {
            Q_EMIT message(tr("Space freezes live video: this input is a still"));
        }
        break;
    default:
        ViewTab::keyPressEvent(event);
        return;
    }
    event->accept();
}

} // namespace convscope
