#include "app/shell/atomic_save.h"
#include "app/views/embedding/tab.h"

#include "app/shell/class_text.h"
#include "app/shell/defaults.h"
#include "app/shell/form_widgets.h"
#include "app/shell/gui_post.h"
#include "app/shell/input_controller.h"
#include "app/shell/job_runner.h"
#include "app/shell/snapshot_scrubber.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "app/views/embedding/controls.h"
#include "app/views/embedding/placement.h"
#include "app/views/embedding/run.h"
#include "core/class_colours.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"
#include "widgets/scatter_paint.h"
#include "widgets/scatter_view.h"
#include "widgets/tile_grid_view.h"

#include <QHash>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QSettings>
#include <QSplitter>
#include <QVBoxLayout>

#include <map>

namespace convscope
{

namespace
{

const QString kChannel = QStringLiteral("embedding");
const QString kThumbnails = QStringLiteral("embedding-thumbnails");
constexpr int kMaxThumbnails = 300; // a selection lists this many images at most
constexpr int kCardCache = 4096; // hover pictures kept

} // namespace

struct EmbeddingTab::Private {
    SnapshotScrubber* scrubber = nullptr;
    InputController* input = nullptr;
    EmbeddingControls* controls = nullptr;
    ScatterView* view = nullptr;
    QLabel* info = nullptr;
    QLabel* selectionInfo = nullptr;
    QLabel* placement = nullptr;
    torch::Tensor pendingClean, pendingAdversarial; // pairs waiting for a map
    QString pendingCaption;
    bool placing = false;
    int placeGeneration = 0;
    TileGridView* thumbnails = nullptr;
    QSplitter* splitter = nullptr;

    std::shared_ptr<const Embedding> result;
    QVector<int> thumbnailPoints; // the point of each thumbnail
    QHash<int64_t, QImage> cardImages; // by dataset index
    bool running = false;
    int generation = 0;
    int shownGeneration = -1; // the run whose points the view holds
    int thumbnailGeneration = 0;
    qint64 frames = 0;

    ScatterView::Card card(const Model* model, int point);
};

ScatterView::Card EmbeddingTab::Private::card(const Model* model, int point)
{
    if (!result || !result->rows || point < 0 || point >= result->points.size())
        return {};
    const EmbeddingRows& rows = *result->rows;
    const auto row = static_cast<size_t>(point);
    const int64_t image = rows.images[row];
    auto name = [model](int64_t c) { return model ? classText(*model, c) : QString::number(c); };
    ScatterView::Card card;
    // "digit #1440" says it all; "cat.jpg" wants its index too.
    const QString item = QString::fromStdString(result->dataset->itemName(image));
    card.text = item.contains(QString::number(image)) ? item : EmbeddingTab::tr("image %1 (%2)").arg(image).arg(item);
    card.text += QLatin1Char('\n')
        + (rows.labels[row] >= 0
                ? EmbeddingTab::tr("label %1 / prediction %2").arg(name(rows.labels[row]), name(rows.predictions[row]))
                : EmbeddingTab::tr("prediction %1").arg(name(rows.predictions[row])));
    auto cached = cardImages.find(image);
    if (cached == cardImages.end()) {
        if (cardImages.size() >= kCardCache)
            cardImages.clear();
        QImage picture;
        try {
            // One small image, read on the GUI thread: a digit is a slice of memory, a file a few ms.
            picture = toQImage(result->dataset->image(image));
        } catch (const std::exception&) {
        }
        cached = cardImages.insert(image, picture);
    }
    card.image = cached.value();
    return card;
}

EmbeddingTab::EmbeddingTab(Workspace* workspace, InputController* input, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("embeddingTab"));
    d->input = input;
    d->controls = new EmbeddingControls;
    d->view = new ScatterView;
    d->view->setObjectName(QStringLiteral("embeddingView"));
    d->view->setCardFunction([this](int point) { return d->card(this->workspace()->model().get(), point); });
    d->info = infoLabel(QStringLiteral("embeddingInfo"));
    d->selectionInfo = infoLabel(QStringLiteral("embeddingSelectionInfo"));
    d->placement = infoLabel(QStringLiteral("embeddingPlacement"));
    d->thumbnails = new TileGridView;
    d->thumbnails->setObjectName(QStringLiteral("embeddingSelection"));
    d->thumbnails->setCaptionsVisible(true);

    auto* selectionPanel = new QWidget;
    auto* selectionLayout = new QVBoxLayout(selectionPanel);
    selectionLayout->setContentsMargins(0, 0, 0, 0);
    selectionLayout->addWidget(d->selectionInfo);
    selectionLayout->addWidget(d->thumbnails, 1);
    d->splitter = new QSplitter(Qt::Vertical);
    d->splitter->addWidget(d->view);
    d->splitter->addWidget(selectionPanel);
    d->splitter->setStretchFactor(0, 4);
    d->splitter->setStretchFactor(1, 1);
    d->splitter->setSizes({ 560, 170 });
    d->splitter->setChildrenCollapsible(false);
    d->scrubber = new SnapshotScrubber(workspace);
    auto* right = new QVBoxLayout;
    right->addWidget(d->scrubber);
    right->addWidget(d->info);
    right->addWidget(d->placement);
    right->addWidget(d->splitter, 1);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(d->controls);
    layout->addSpacing(6);
    layout->addLayout(right, 1);
    clearResult({});

    connect(d->controls, &EmbeddingControls::runClicked, this, &EmbeddingTab::run);
    connect(d->controls, &EmbeddingControls::stopClicked, this, &EmbeddingTab::stop);
    connect(d->controls, &EmbeddingControls::colourChanged, this, [this] { colourPoints(false); });
    connect(d->controls, &EmbeddingControls::marksToggled, d->view, &ScatterView::setMarksVisible);
    connect(d->controls, &EmbeddingControls::resetViewClicked, d->view, &ScatterView::resetView);
    connect(d->controls, &EmbeddingControls::savePngClicked, this, [this] { chooseExport(false); });
    connect(d->controls, &EmbeddingControls::saveCsvClicked, this, [this] { chooseExport(true); });
    connect(d->view, &ScatterView::pointClicked, this, &EmbeddingTab::openPoint);
    connect(d->view, &ScatterView::selectionChanged, this, &EmbeddingTab::showSelection);
    connect(d->thumbnails, &TileGridView::tileClicked, this, [this](int tile) {
        if (tile >= 0 && tile < d->thumbnailPoints.size()) {
            d->thumbnails->setSelectedTile(tile);
            openPoint(d->thumbnailPoints[tile]);
        }
    });
    connect(workspace, &Workspace::modelChanged, this, [this] {
        // The old model's layout answers a question no longer asked.
        if (d->running) {
            ++d->generation;
            this->workspace()->jobs()->cancel(kChannel);
            setRunning(false);
        }
        // The controls first: clearResult() names their layer, and until
        // setModel() that is an index into the old model's layers.
        if (auto model = this->workspace()->model()) {
            d->controls->setModel(*model);
            d->controls->setLayer(this->workspace()->layer());
        }
        clearResult({});
        invalidate();
    });
    connect(workspace, &Workspace::layerChanged, d->controls, &EmbeddingControls::setLayer);
    // Another dataset in the Input dock: the points name images of the old one.
    connect(input, &InputController::opened, this, [this] {
        if (d->result && d->result->dataset != d->input->dataset() && !d->running)
            clearResult(tr("The dataset has changed: Run lays out the new one."));
        invalidate();
    });
}

EmbeddingTab::~EmbeddingTab() = default;

EmbeddingControls* EmbeddingTab::controls() const
{
    return d->controls;
}
ScatterView* EmbeddingTab::view() const
{
    return d->view;
}
TileGridView* EmbeddingTab::selectionGrid() const
{
    return d->thumbnails;
}
std::shared_ptr<const Embedding> EmbeddingTab::result() const
{
    return d->result;
}
qint64 EmbeddingTab::framesShown() const
{
    return d->frames;
}
QString EmbeddingTab::infoText() const
{
    return d->info->text();
}
QString EmbeddingTab::selectionText() const
{
    return d->selectionInfo->text();
}
bool EmbeddingTab::isRunning() const
{
    return d->running;
}

void EmbeddingTab::refresh()
{
    if (d->running || d->result)
        return;
    auto model = workspace()->model();
    auto dataset = d->input->dataset();
    QString text;
    if (!model)
        text = tr("Open a model.");
    else if (!dataset)
        text = tr("Open a dataset in the Input dock (File ▸ Open Dataset…, or Open Handwritten Digits): "
                  "this tab lays out a layer's features over its images.");
    else if (d->controls->layer() < 0)
        text = tr("Select a layer in the layer list.");
    else
        text = tr("Run lays out the features of %1 over %2 (%3 images).")
                   .arg(QString::fromStdString(model->layers()[static_cast<size_t>(d->controls->layer())].name),
                       QString::fromStdString(dataset->name()))
                   .arg(dataset->size());
    d->info->setText(text);
}

void EmbeddingTab::run()
{
    auto model = workspace()->model();
    auto dataset = d->input->dataset();
    if (!model || !dataset || d->controls->layer() < 0) {
        refresh();
        if (model && !dataset)
            Q_EMIT message(tr("The Embedding tab needs a dataset: open one in the Input dock."));
        return;
    }
    EmbeddingRequest request = d->controls->request();
    request.features.cacheDir = cacheDir(QStringLiteral("features")).toStdString();
    if (d->running)
        workspace()->jobs()->cancel(kChannel);
    const int generation = ++d->generation;
    setRunning(true);
    const QString method = request.tsne ? tr("t-SNE") : tr("PCA");
    const QString layer = QString::fromStdString(model->layers()[static_cast<size_t>(request.layer)].name);
    d->info->setText(
        tr("%1 of %2: reading the features of %3…").arg(method, layer, QString::fromStdString(dataset->name())));

    QPointer<EmbeddingTab> self(this);
    auto notice = jobEndNotice(self, [generation](EmbeddingTab* tab) { tab->jobGone(generation); });
    workspace()->jobs()->submit(
        kChannel, tr("Embedding: %1 of %2").arg(method, layer),
        [self, model, dataset, request, generation, notice](JobContext& job) -> JobRunner::Done {
            auto frame = [self, generation](const std::shared_ptr<const Embedding>& shown) {
                postTo(self, [generation, shown](EmbeddingTab* tab) { tab->showFrame(generation, shown); });
            };
            auto result = runEmbedding(*model, dataset, request, job, frame);
            // Straight to the tab, not as the continuation: JobRunner drops that
            // of a cancelled job, and a stopped t-SNE keeps its layout.
            postTo(self, [generation, result](EmbeddingTab* tab) { tab->finish(generation, result); });
            return {};
        },
        [self, generation](const QString& error) {
            if (self)
                self->fail(generation, error);
        });
}

void EmbeddingTab::stop()
{
    workspace()->jobs()->cancel(kChannel);
}

void EmbeddingTab::setRunning(bool running)
{
    d->running = running;
    d->controls->setRunning(running);
    setBusy(running);
}

void EmbeddingTab::showFrame(int generation, const std::shared_ptr<const Embedding>& frame)
{
    if (generation != d->generation || !d->running)
        return;
    const bool samePoints = d->shownGeneration == generation && d->view->pointCount() == frame->points.size();
    d->result = frame;
    if (samePoints) {
        d->view->movePoints(frame->points);
    } else {
        d->shownGeneration = generation;
        showSelection({});
        colourPoints(true);
    }
    if (!frame->final)
        ++d->frames;
    d->controls->setHasResult(true);
    d->info->setText(embeddingSummary(*frame));
}

void EmbeddingTab::finish(int generation, const std::shared_ptr<const Embedding>& result)
{
    if (generation != d->generation || !d->running)
        return;
    showFrame(generation, result);
    setRunning(false);
    placePending();
    if (result->cancelled)
        d->info->setText(tr("Stopped after %1 iterations; the layout is as it was then. ").arg(result->iteration)
            + embeddingSummary(*result));
    Q_EMIT message(
        result->cancelled ? tr("Embedding stopped") : tr("Embedding done: %1 images").arg(result->points.size()));
}

void EmbeddingTab::fail(int generation, const QString& message)
{
    if (generation != d->generation || !d->running)
        return;
    setRunning(false);
    clearResult(tr("Cannot embed: %1").arg(message));
    Q_EMIT this->message(tr("Embedding failed: %1").arg(message));
}

void EmbeddingTab::jobGone(int generation)
{
    if (generation != d->generation || !d->running)
        return; // answered, failed, or superseded
    setRunning(false);
    if (d->shownGeneration == generation && d->result)
        d->info->setText(tr("Stopped; the layout is as it was then. ") + embeddingSummary(*d->result));
    else
        clearResult(tr("Stopped before the layout was ready."));
    Q_EMIT message(tr("Embedding stopped"));
}

void EmbeddingTab::clearResult(const QString& why)
{
    d->result.reset();
    d->shownGeneration = -1;
    d->cardImages.clear();
    d->view->clear();
    d->view->setPlaceholderText(tr("Run lays out the features of the selected layer over the dataset the Input dock "
                                   "walks: one dot per image."));
    showSelection({});
    d->controls->setHasResult(false);
    d->info->setText(why);
    if (why.isEmpty())
        refresh();
}

void EmbeddingTab::colourPoints(bool newPoints)
{
    if (!d->result || !d->result->rows)
        return;
    const EmbeddingRows& rows = *d->result->rows;
    const bool byPrediction = d->controls->colourByPrediction() || !rows.labeled;
    d->controls->setLabeled(rows.labeled);
    const std::vector<int64_t>& source = byPrediction ? rows.predictions : rows.labels;
    const std::vector<int64_t> colours = colourClasses(source);
    std::map<int64_t, int> colourOf; // class -> its colour
    QVector<int> classes(static_cast<int>(source.size()));
    QVector<bool> marked(static_cast<int>(source.size()));
    std::map<int64_t, int> counts;
    int misclassified = 0;
    for (size_t i = 0; i < source.size(); ++i) {
        classes[static_cast<int>(i)] = static_cast<int>(colours[i]);
        colourOf[source[i]] = static_cast<int>(colours[i]);
        marked[static_cast<int>(i)] = rows.misclassified(i);
        misclassified += rows.misclassified(i);
        ++counts[source[i]];
    }
    auto model = workspace()->model();
    QVector<ScatterView::LegendEntry> legend;
    for (const auto& [c, count] : counts)
        legend.append({ colourOf[c], model ? classText(*model, c) : QString::number(c), count });
    if (newPoints)
        d->view->setPoints(d->result->points, classes, marked);
    else
        d->view->setClasses(classes); // the selection stays
    d->view->setLegend(legend, byPrediction ? tr("prediction") : tr("label"));
    d->view->setMarkLegend(rows.labeled ? tr("label ≠ prediction (%1)").arg(misclassified) : QString());
    d->view->setMarksVisible(d->controls->marksVisible() && rows.labeled);
}

void EmbeddingTab::openPoint(int index)
{
    if (!d->result || index < 0 || index >= d->result->points.size())
        return;
    if (d->result->dataset != d->input->dataset()) {
        Q_EMIT message(tr("The dataset has changed: Run lays out the new one."));
        return;
    }
    const int64_t image = d->result->rows->images[static_cast<size_t>(index)];
    d->input->showItem(image);
    Q_EMIT message(tr("Input: image %1 of %2").arg(image).arg(d->result->datasetName));
}

void EmbeddingTab::showSelection(const QVector<int>& points)
{
    ++d->thumbnailGeneration;
    d->thumbnailPoints.clear();
    d->thumbnails->clear();
    if (points.isEmpty() || !d->result) {
        d->selectionInfo->setText(tr("Shift+drag selects the points in a box, Ctrl+drag in a lasso; "
                                     "click a point or a picture to make it the input. Drag pans, the wheel zooms."));
        return;
    }
    const int shown = std::min<int>(points.size(), kMaxThumbnails);
    d->selectionInfo->setText(points.size() > shown
            ? tr("%1 images selected; the first %2:").arg(points.size()).arg(shown)
            : points.size() == 1 ? tr("1 image selected:")
                                 : tr("%1 images selected:").arg(points.size()));
    d->thumbnailPoints = points.mid(0, shown);
    auto result = d->result;
    const QVector<int> wanted = d->thumbnailPoints;
    const int generation = d->thumbnailGeneration;
    QPointer<EmbeddingTab> self(this);
    // Reading images is not model work: the drawing worker, so a running t-SNE does not hold it up.
    workspace()->drawing()->submit(
        kThumbnails, QString(), [self, result, wanted, generation](JobContext& job) -> JobRunner::Done {
            QVector<Tile> tiles;
            for (int point : wanted) {
                throwIfCancelled(job.cancel);
                const auto row = static_cast<size_t>(point);
                const int64_t image = result->rows->images[row];
                QImage picture;
                try {
                    picture = toQImage(result->dataset->image(image));
                } catch (const std::exception&) {
                }
                tiles.append({ picture,
                    QStringLiteral("#%1%2").arg(image).arg(
                        result->rows->misclassified(row) ? QStringLiteral(" ✗") : QString()) });
            }
            return [self, tiles, generation] {
                if (!self || generation != self->d->thumbnailGeneration)
                    return;
                self->d->thumbnails->setTiles(tiles);
                self->d->thumbnails->fitToViewport(40, 72);
            };
        });
}

bool EmbeddingTab::exportCsv(const QString& path)
{
    if (!d->result)
        return false;
    try {
        const EmbeddingRows& rows = *d->result->rows;
        writeEmbeddingCsv(path, d->result->points, rows.labels, rows.predictions, rows.images);
    } catch (const Error& e) {
        Q_EMIT message(QString::fromStdString(e.what()));
        return false;
    }
    Q_EMIT message(tr("Wrote %1").arg(path));
    return true;
}

bool EmbeddingTab::exportPng(const QString& path)
{
    if (!d->result)
        return false;
    if (const QString error = savePngAtomically(d->view->image(), path); !error.isEmpty()) {
        Q_EMIT message(tr("Cannot write %1: %2").arg(path, error));
        return false;
    }
    Q_EMIT message(tr("Wrote %1").arg(path));
    return true;
}

void EmbeddingTab::chooseExport(bool csv)
{
    if (!d->result)
        return;
    const QString name = QStringLiteral("%1-%2").arg(
        d->result->request.tsne ? QStringLiteral("tsne") : QStringLiteral("pca"), d->result->layer);
    const QString path
        = askExportPath(this, csv, csv ? tr("Save the embedding as CSV") : tr("Save the plot as PNG"), name);
    if (!path.isEmpty())
        csv ? exportCsv(path) : exportPng(path);
}

QImage EmbeddingTab::exportImage()
{
    return d->result ? d->view->image() : ViewTab::exportImage();
}

void EmbeddingTab::startLessonWork(const QString& work)
{
    if (work == QLatin1String("embed"))
        run();
}

void EmbeddingTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    d->controls->save(*settings);
    settings->setValue(QStringLiteral("splitter"), d->splitter->saveState());
}

void EmbeddingTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    d->controls->restore(*settings);
    d->splitter->restoreState(settings->value(QStringLiteral("splitter")).toByteArray());
}

SnapshotScrubber* EmbeddingTab::scrubber() const
{
    return d->scrubber;
}

void EmbeddingTab::showPairs(const at::Tensor& clean, const at::Tensor& adversarial, const QString& caption)
{
    d->pendingClean = clean.to(torch::kCPU, torch::kFloat).clone();
    d->pendingAdversarial = adversarial.to(torch::kCPU, torch::kFloat).clone();
    d->pendingCaption = caption;
    if (d->result && d->result->map && !d->running) {
        placePending();
        return;
    }
    d->placement->setText(tr("%1: waiting for a t-SNE map to place it in…").arg(caption));
    if (!d->running) {
        d->controls->setMethod(QStringLiteral("tsne"));
        run();
    }
}

void EmbeddingTab::placePending()
{
    auto model = workspace()->model();
    auto shown = d->result;
    if (!d->pendingClean.defined() || !model)
        return;
    if (!shown || !shown->map) {
        d->placement->setText(tr("%1: no finished t-SNE map to place it in (PCA layouts and stopped runs have none).")
                                  .arg(d->pendingCaption));
        return;
    }
    const torch::Tensor clean = d->pendingClean, adversarial = d->pendingAdversarial;
    const QString caption = d->pendingCaption;
    d->pendingClean = d->pendingAdversarial = torch::Tensor();
    const int generation = ++d->placeGeneration;
    d->placing = true;
    d->placement->setText(tr("%1: placing into the map…").arg(caption));
    QPointer<EmbeddingTab> self(this);
    workspace()->jobs()->submit(QStringLiteral("embedding-place"), tr("Placing into the embedding"),
        [self, model, shown, clean, adversarial, caption, generation](JobContext& job) -> JobRunner::Done {
            auto pairs = placePairs(*model, *shown, clean, adversarial, job);
            return [self, model, shown, pairs, caption, generation] {
                if (!self || generation != self->d->placeGeneration || self->d->result != shown)
                    return;
                self->d->placing = false;
                auto name = [&](int64_t c) { return classText(*model, c); };
                QVector<ScatterView::Arrow> arrows;
                for (int i = 0; i < pairs->clean.size(); ++i) {
                    const PlacedImage& from = pairs->clean[i];
                    const PlacedImage& to = pairs->adversarial[i];
                    ScatterView::Arrow arrow;
                    arrow.from = from.at;
                    arrow.to = to.at;
                    // One pair in black (every cluster's colour is taken); a batch by the clean class.
                    arrow.colour = pairs->clean.size() == 1 ? QColor(20, 20, 20) : QColor(classRgb(static_cast<int>(from.prediction)));
                    arrow.fromLabel = tr("clean: %1").arg(name(from.prediction));
                    arrow.toLabel = tr("adversarial: %1").arg(name(to.prediction));
                    arrows.append(arrow);
                }
                self->d->view->setArrows(arrows);
                QString text;
                if (pairs->clean.size() == 1)
                    text = tr("%1: the clean image (%2) lands %3; the adversarial one (%4) lands %5 · placed in %6 ms")
                               .arg(caption, name(pairs->clean[0].prediction),
                                   nearText(pairs->clean[0], name(pairs->clean[0].nearClass)),
                                   name(pairs->adversarial[0].prediction),
                                   nearText(pairs->adversarial[0], name(pairs->adversarial[0].nearClass)))
                               .arg(1000 * pairs->seconds, 0, 'f', 0);
                else
                    text = tr("%1: %2 pairs placed in %3 ms, one arrow each, coloured by the clean prediction%4")
                               .arg(caption)
                               .arg(pairs->clean.size())
                               .arg(1000 * pairs->seconds, 0, 'f', 0)
                               .arg(flowText(*pairs, name));
                self->d->placement->setText(text);
            };
        },
        [self, generation](const QString& error) {
            if (!self || generation != self->d->placeGeneration)
                return;
            self->d->placing = false;
            self->d->placement->setText(tr("Cannot place the images: %1").arg(error));
        });
}

bool EmbeddingTab::isPlacing() const
{
    return d->placing || d->pendingClean.defined();
}

QString EmbeddingTab::placementText() const
{
    return d->placement->text();
}

} // namespace convscope
