#include "app/views/ascent/tab.h"

#include "app/shell/frames.h"
#include "app/shell/gui_post.h"
#include "app/shell/job_runner.h"
#include "app/shell/slide_picture.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "app/views/ascent/chart.h"
#include "app/views/ascent/controls.h"
#include "app/views/ascent/request.h"
#include "app/views/ascent/run.h"
#include "core/error.h"
#include "core/model.h"
#include "widgets/image_view.h"
#include "widgets/tile_grid_view.h"

#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QScrollBar>
#include <QSettings>
#include <QVBoxLayout>

#include <algorithm>

namespace convscope {

namespace {

const QString kChannel = QStringLiteral("ascent");
// More images than this in one batch would ask for more memory than a desktop has.
constexpr size_t kMaxBatch = 256;

// "class 3 logit" -> "Class 3 logit", for a title.
QString sentence(QString text)
{
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

} // namespace

struct AscentTab::Private {
    AscentControls* controls = nullptr;
    QLabel* info = nullptr;
    QLabel* imageTitle = nullptr;
    ImageView* image = nullptr;
    QLabel* values = nullptr;
    AscentChart* chart = nullptr;
    TileGridView* grid = nullptr;
    QLabel* caption = nullptr;
    QWidget* picture = nullptr; // the title, the image and its values
    QGridLayout* results = nullptr;

    std::shared_ptr<const AscentShown> shown;
    AscentRequest running; // the request on its way (valid while isRunning)
    QVector<QImage> previewImages;
    bool isRunning = false;
    int generation = 0;
    int selected = 0;
    int layer = -1; // the workspace's layer the controls show
};

AscentTab::AscentTab(Workspace* workspace, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("ascentTab"));
    d->controls = new AscentControls;
    d->info = new QLabel;
    d->info->setObjectName(QStringLiteral("ascentInfo"));
    d->info->setWordWrap(true);
    d->imageTitle = new QLabel;
    d->imageTitle->setAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    d->imageTitle->setWordWrap(true);
    QFont bold = d->imageTitle->font();
    bold.setBold(true);
    d->imageTitle->setFont(bold);
    d->image = new ImageView;
    d->image->setObjectName(QStringLiteral("ascentImage"));
    d->image->setMinimumSize(160, 160);
    d->image->setPlaceholderText(tr("Run to see the image the objective wants"));
    d->values = new QLabel;
    d->values->setObjectName(QStringLiteral("ascentValues"));
    d->values->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    d->chart = new AscentChart;
    d->chart->setObjectName(QStringLiteral("ascentChart"));
    // Parented here: arrange() keeps it out of the layout until a whole-layer
    // run, and a widget without a parent would leak (and show as a window).
    d->grid = new TileGridView(this);
    d->grid->setObjectName(QStringLiteral("ascentGrid"));
    d->grid->setCaptionsVisible(true);
    d->grid->installEventFilter(this);
    d->caption = new QLabel;
    d->caption->setObjectName(QStringLiteral("ascentCaption"));
    d->caption->setWordWrap(true);
    d->caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    d->chart->hide();

    d->picture = new QWidget;
    auto* picture = new QVBoxLayout(d->picture);
    picture->setContentsMargins(0, 0, 0, 0);
    picture->addWidget(d->imageTitle);
    picture->addWidget(d->image, 1);
    picture->addWidget(d->values);
    d->results = new QGridLayout;
    d->results->setSpacing(12);
    arrange(false);
    auto* right = new QVBoxLayout;
    right->addWidget(d->info);
    right->addLayout(d->results, 1);
    right->addWidget(d->caption);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(d->controls, 0, Qt::AlignTop);
    layout->addSpacing(8);
    layout->addLayout(right, 1);

    connect(d->controls, &AscentControls::runClicked, this, &AscentTab::run);
    connect(d->controls, &AscentControls::wholeLayerClicked, this, &AscentTab::runWholeLayer);
    connect(d->controls, &AscentControls::stopClicked, this, &AscentTab::stop);
    connect(d->grid, &TileGridView::tileClicked, this, &AscentTab::showImage);
    // A double-clicked cell opens its unit on the Unit page (a class: the last layer's).
    connect(d->grid, &TileGridView::tileActivated, this, [this](int index) {
        auto model = this->workspace()->model();
        if (!d->shown || !d->shown->request.wholeLayer || !model || index >= static_cast<int>(d->shown->request.units.size()))
            return;
        const int layer = d->shown->request.objective.layer >= 0 ? d->shown->request.objective.layer
                                                                 : static_cast<int>(model->layers().size()) - 1;
        this->workspace()->pickUnit(layer, static_cast<int>(d->shown->request.units[static_cast<size_t>(index)]));
    });
    connect(workspace, &Workspace::modelChanged, this, [this] {
        abandon();
        d->layer = this->workspace()->layer();
        if (auto model = this->workspace()->model())
            d->controls->setModel(*model, d->layer);
        clearResults({});
        invalidate();
    });
    connect(workspace, &Workspace::layerChanged, this, [this] {
        // The layer as it is now: a new model's layerChanged(-1) can come after
        // the window has already selected its first layer.
        auto model = this->workspace()->model();
        const int layer = this->workspace()->layer();
        if (!model || layer == d->layer)
            return;
        d->layer = layer;
        d->controls->setLayer(*model, layer);
        // Images of another layer's channels would answer a question no longer asked.
        const bool layerRun = d->isRunning && d->running.objective.layer >= 0;
        const bool layerShown = d->shown && d->shown->request.objective.layer >= 0;
        if (layerRun || layerShown) {
            abandon();
            clearResults({});
            invalidate();
        }
    });
}

AscentTab::~AscentTab() = default;

AscentControls* AscentTab::controls() const
{
    return d->controls;
}

void AscentTab::run()
{
    start(false);
}

void AscentTab::runWholeLayer()
{
    start(true);
}

void AscentTab::stop()
{
    workspace()->jobs()->cancel(kChannel);
}

bool AscentTab::isRunning() const
{
    return d->isRunning;
}

ImageView* AscentTab::imageView() const
{
    return d->image;
}

TileGridView* AscentTab::grid() const
{
    return d->grid;
}

AscentChart* AscentTab::chart() const
{
    return d->chart;
}

QString AscentTab::infoText() const
{
    return d->info->text();
}

QString AscentTab::captionText() const
{
    return d->caption->text();
}

QString AscentTab::valuesText() const
{
    return d->values->text();
}

QVector<double> AscentTab::startValues() const
{
    return d->shown ? d->shown->start : QVector<double>();
}

QVector<double> AscentTab::endValues() const
{
    return d->shown ? d->shown->end : QVector<double>();
}

void AscentTab::setLessonChannel(int channel)
{
    if (channel < 0)
        return;
    d->selected = channel; // shown once the images are there
    showImage(d->selected);
}

QString AscentTab::lessonWork() const
{
    if (!d->shown)
        return {};
    return d->shown->request.wholeLayer ? QStringLiteral("whole-layer") : QStringLiteral("image");
}

void AscentTab::startLessonWork(const QString& work)
{
    if (work != QLatin1String("image") && work != QLatin1String("whole-layer"))
        return;
    const int selected = d->selected; // the step's image, shown large when they come
    start(work == QLatin1String("whole-layer"));
    d->selected = selected;
}

int AscentTab::shownIndex() const
{
    return d->selected;
}

void AscentTab::refresh()
{
    if (!workspace()->model())
        d->info->setText(tr("Open a model."));
    else if (!d->shown && !d->isRunning && d->info->text().isEmpty())
        d->info->setText(tr("Run optimizes one image for the objective; Whole layer one for every channel, unit or "
                            "class of the target, as one batch."));
}

void AscentTab::start(bool wholeLayer)
{
    auto model = workspace()->model();
    if (!model) {
        d->info->setText(tr("Open a model."));
        return;
    }
    if (showsNotAnImage())
        return; // asked by a caller (a lesson, render): the tab already says why not
    AscentRequest request;
    try {
        request = d->controls->request(wholeLayer);
        if (request.units.size() > kMaxBatch)
            throw Error("a whole layer of " + std::to_string(request.units.size())
                + " images is too many for one batch (at most " + std::to_string(kMaxBatch)
                + "): run single channels or units instead");
        if (request.fromInput) {
            auto frame = workspace()->input();
            if (!frame || !frame->pixels.defined())
                throw Error(
                    "there is no input to start from: open an image or untick \"Start from the current input\"");
            request.options.start = frame->pixels;
        }
    } catch (const Error& e) {
        abandon();
        clearResults(tr("Cannot run gradient ascent: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    abandon();
    const int64_t steps = request.options.steps;
    // At most ~128 points on the chart while it runs; the whole curve comes at the end.
    request.options.previewEvery = std::max<int64_t>(1, steps / 128);
    const int generation = ++d->generation;
    d->isRunning = true;
    d->running = request;
    d->shown.reset();
    d->selected = 0;
    d->previewImages.clear();
    d->grid->clear();
    arrange(wholeLayer);
    d->image->setImage({});
    d->values->clear();
    d->caption->clear();
    d->imageTitle->setText(wholeLayer ? QString() : sentence(request.what));
    d->chart->reset(static_cast<int>(request.units.size()), static_cast<int>(steps), tr("objective"));
    d->chart->show();
    d->info->setText(tr("Optimizing %1 (%2 steps)…").arg(request.what).arg(steps));
    d->controls->setRunning(true);
    setBusy(true);

    QPointer<AscentTab> self(this);
    auto notice = jobEndNotice(self, [generation](AscentTab* tab) { tab->jobGone(generation); });
    workspace()->jobs()->submit(
        kChannel, tr("Gradient ascent"),
        [self, model, request, generation, notice](JobContext& job) -> JobRunner::Done {
            auto shown = runAscent(*model, request, job, [self, generation](AscentFrame frame) {
                postTo(
                    self, [generation, frame = std::move(frame)](AscentTab* tab) { tab->preview(generation, frame); });
            });
            // Straight to the tab, not as the job's continuation: JobRunner drops
            // the continuation of a cancelled job, and Stop keeps these images.
            postTo(self, [generation, shown](AscentTab* tab) { tab->finish(generation, shown); });
            return {};
        },
        [self, generation](const QString& error) {
            if (self)
                self->fail(generation, error);
        });
}

void AscentTab::preview(int generation, const AscentFrame& frame)
{
    if (generation != d->generation || !d->isRunning)
        return;
    const QVector<QImage>& images = frame.images;
    d->chart->append(frame.points);
    d->previewImages = images;
    if (d->running.wholeLayer) {
        setGridImages(images, d->running.unitCaptions);
    }
    const int i = std::clamp(d->selected, 0, static_cast<int>(images.size()) - 1);
    if (i >= 0) {
        d->image->setSmooth(std::min(images[i].width(), images[i].height()) >= 96);
        d->image->setImage(images[i]);
        d->values->setText(tr("step %1 of %2: %3")
                               .arg(frame.step)
                               .arg(d->running.options.steps)
                               .arg(ascentValue(frame.values.value(i))));
    }
}

void AscentTab::finish(int generation, const std::shared_ptr<const AscentShown>& shown)
{
    if (generation != d->generation || !d->isRunning)
        return;
    d->isRunning = false;
    d->controls->setRunning(false);
    d->shown = shown;
    d->chart->setPoints(shown->curve);
    if (shown->request.wholeLayer) {
        setGridImages(shown->images, shown->request.unitCaptions);
    }
    d->caption->setText(ascentCaption(*shown, false));
    QString info;
    if (shown->cancelled && shown->endStep == shown->steps)
        info = tr("Stopped after %1 of %2 steps; the images are as they were then.")
                   .arg(shown->steps)
                   .arg(shown->request.options.steps);
    else if (shown->cancelled)
        info = tr("Stopped after %1 of %2 steps; the images are as they were then, the values as they were a step "
                  "before.")
                   .arg(shown->steps)
                   .arg(shown->request.options.steps);
    d->info->setText(info);
    showImage(std::clamp(d->selected, 0, std::max(0, static_cast<int>(shown->images.size()) - 1)));
    setBusy(false);
}

void AscentTab::arrange(bool wholeLayer)
{
    // The image and the chart side by side; a whole layer's grid under them,
    // as wide as the tab (the docks leave the tab narrow and tall).
    for (QWidget* w : {static_cast<QWidget*>(d->grid), d->picture, static_cast<QWidget*>(d->chart)})
        d->results->removeWidget(w);
    d->grid->setVisible(wholeLayer);
    d->results->addWidget(d->picture, 0, 0);
    d->results->addWidget(d->chart, 0, 1);
    if (wholeLayer)
        d->results->addWidget(d->grid, 1, 0, 1, 2);
    d->results->setColumnStretch(0, 1);
    d->results->setColumnStretch(1, 1);
    d->results->setRowStretch(0, 2);
    d->results->setRowStretch(1, wholeLayer ? 3 : 0);
}

void AscentTab::setGridImages(const QVector<QImage>& images, const QStringList& captions)
{
    QVector<Tile> tiles;
    for (int i = 0; i < images.size(); ++i)
        tiles.append({images[i], captions.value(i)});
    const bool first = d->grid->tileCount() == 0;
    d->grid->setTiles(tiles);
    if (first)
        fitGrid();
    d->grid->setSelectedTile(d->selected);
}

void AscentTab::fitGrid()
{
    // Every tile in view if it can be: Lucid's 112 px tiles shrink rather than scroll.
    for (int side = 160; side >= 32; side -= 8) {
        d->grid->fitToViewport(24, side);
        if (d->grid->verticalScrollBar()->maximum() == 0)
            break;
    }
}

bool AscentTab::eventFilter(QObject* watched, QEvent* event)
{
    // The grid's size settles only after the layout has run (and follows the window).
    if (watched == d->grid && event->type() == QEvent::Resize && d->grid->tileCount() > 0)
        fitGrid();
    return ViewTab::eventFilter(watched, event);
}

void AscentTab::showImage(int index)
{
    if (!d->shown || index < 0 || index >= d->shown->images.size()) {
        if (d->isRunning && index >= 0 && index < d->previewImages.size())
            d->selected = index; // the next preview shows it
        return;
    }
    d->selected = index;
    const AscentRequest& r = d->shown->request;
    const QImage& image = d->shown->images[index];
    d->image->setSmooth(std::min(image.width(), image.height()) >= 96);
    d->image->setImage(image);
    d->grid->setSelectedTile(r.wholeLayer ? index : -1);
    QString title = sentence(r.what);
    if (r.wholeLayer) {
        auto model = workspace()->model();
        const QString caption = r.unitCaptions.value(index);
        if (r.objective.layer < 0)
            title = tr("Class %1 logit").arg(caption);
        else if (model && model->layers()[static_cast<size_t>(r.objective.layer)].shape.size() == 1)
            title = tr("Unit %1 of %2").arg(caption, r.target);
        else
            title = tr("Channel %1 of %2").arg(caption, r.target);
    }
    d->imageTitle->setText(title);
    if (index < d->shown->start.size() && index < d->shown->end.size())
        d->values->setText(tr("objective %1 → %2")
                               .arg(ascentValue(d->shown->start[index]), ascentValue(d->shown->end[index])));
    else
        d->values->setText(tr("objective not measured: stopped before the first step"));
}

void AscentTab::fail(int generation, const QString& message)
{
    if (generation != d->generation || !d->isRunning)
        return;
    d->isRunning = false;
    clearResults(tr("Cannot run gradient ascent: %1").arg(message));
    setBusy(false);
}

void AscentTab::jobGone(int generation)
{
    if (generation != d->generation || !d->isRunning)
        return; // answered, failed, or superseded
    // Stopped before its first step (or the status bar's Cancel while it waited).
    d->isRunning = false;
    clearResults(tr("Stopped before the first step."));
    setBusy(false);
}

void AscentTab::abandon()
{
    if (!d->isRunning)
        return;
    ++d->generation;
    d->isRunning = false;
    stop();
    d->controls->setRunning(false);
    setBusy(false);
}

void AscentTab::clearResults(const QString& info)
{
    d->controls->setRunning(d->isRunning);
    d->shown.reset();
    d->selected = 0;
    d->previewImages.clear();
    d->image->setImage({});
    d->imageTitle->clear();
    d->values->clear();
    d->caption->clear();
    d->grid->clear();
    arrange(false);
    d->chart->reset(1, 100, QString());
    d->chart->hide(); // until there is a run to chart
    d->info->setText(info);
}

QImage AscentTab::exportImage()
{
    if (!d->shown)
        return ViewTab::exportImage();
    const AscentShown& shown = *d->shown;
    SlidePicture picture;
    if (shown.request.wholeLayer)
        picture.panels.append({shown.request.what, d->grid->renderAll(), {}, {}});
    else
        picture.panels.append({d->imageTitle->text(), d->image->image(), {}, {}});
    picture.panels.append({tr("Objective against the step"), d->chart->image(), {}, {}});
    if (auto model = workspace()->model())
        picture.heading = QString::fromStdString(model->info().name);
    picture.caption = ascentCaption(shown, true);
    return picture.render(shown.request.wholeLayer ? 480 : 360);
}

void AscentTab::saveSettings(const QString& group) const
{
    d->controls->save(*settingsAt(group));
}

void AscentTab::restoreSettings(const QString& group)
{
    d->controls->restore(*settingsAt(group));
}

} // namespace convscope
