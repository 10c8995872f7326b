#include "app/views/patches/tab.h"

#include "app/shell/defaults.h"
#include "app/shell/frames.h"
#include "app/shell/gui_post.h"
#include "app/shell/input_controller.h"
#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "core/activation_maps.h"
#include "core/dataset.h"
#include "core/filters.h"
#include "core/model.h"
#include "core/tensor_grid.h"
#include "core/topk.h"
#include "widgets/image_view.h"
#include "widgets/tile_grid_view.h"


#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPointer>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <map>

namespace convscope {

namespace {
// Overview patches are shrunk to this many pixels at most: 512 channels x 9
// patches of a 200-pixel field would not fit in memory as images.
constexpr int64_t kOverviewPatch = 40;
constexpr int64_t kDetailPatch = 160;

// Decoded dataset images, each read once while patches are cut.
class ImageCache {
public:
    explicit ImageCache(Dataset& dataset)
        : m_dataset(dataset)
    {
    }
    const torch::Tensor& at(int64_t index)
    {
        auto it = m_images.find(index);
        if (it == m_images.end())
            it = m_images.emplace(index, m_dataset.image(index)).first;
        return it->second;
    }

private:
    Dataset& m_dataset;
    std::map<int64_t, torch::Tensor> m_images;
};
} // namespace

// A finished scan, with one mosaic tile per channel.
struct PatchesTab::Scan {
    TopkResult result;
    std::shared_ptr<Dataset> dataset;
    QVector<Tile> mosaics;
    QString layer;
    int layerIndex = -1;
};

// One channel in detail.
struct PatchesTab::Detail {
    int channel = 0;
    QVector<Tile> patches;
    QImage filter;     // null if the layer has no weights
    QImage activation; // the channel's map for the current input, null if none
};

struct PatchesTab::Private {
    InputController* input = nullptr;
    QSpinBox* k = nullptr;
    QComboBox* score = nullptr;
    QLabel* info = nullptr;
    TileGridView* channels = nullptr;
    QLabel* channelTitle = nullptr;
    ImageView* filter = nullptr;
    ImageView* activation = nullptr;
    TileGridView* patches = nullptr;
    ImageView* whole = nullptr;
    QLabel* wholeCaption = nullptr;
    QSplitter* splitter = nullptr;
    std::shared_ptr<const Scan> scan;
    int channel = 0;
    int generation = 0;
    int detailGeneration = 0;
    bool scanning = false; // a scan of `generation` has neither answered nor failed yet
    QString shownKey;
};

QString PatchesTab::cacheDir()
{
    return convscope::cacheDir(QStringLiteral("topk"));
}

PatchesTab::PatchesTab(Workspace* workspace, InputController* input, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("patchesTab"));
    d->input = input;
    d->k = new QSpinBox;
    d->k->setObjectName(QStringLiteral("topkK"));
    d->k->setRange(1, 64);
    d->k->setValue(9);
    d->k->setPrefix(tr("top "));
    d->score = new QComboBox;
    d->score->setObjectName(QStringLiteral("topkScore"));
    d->score->addItem(tr("Score: max over the map"));
    d->score->addItem(tr("Score: mean over the map"));
    d->channels = new TileGridView;
    d->channels->setObjectName(QStringLiteral("patchChannels"));
    d->channels->setCaptionsVisible(true);
    auto* controls = new QHBoxLayout;
    controls->addWidget(d->k);
    controls->addWidget(d->score);
    controls->addStretch();
    controls->addWidget(createZoomBar(d->channels));
    d->info = new QLabel(tr("Select a layer; the dataset is the one the Input dock walks."));
    d->info->setObjectName(QStringLiteral("patchInfo"));
    d->info->setWordWrap(true);

    d->channelTitle = new QLabel;
    d->channelTitle->setWordWrap(true);
    d->filter = new ImageView;
    d->filter->setPlaceholderText(tr("no filter"));
    d->filter->setMinimumSize(96, 96);
    d->filter->setToolTip(tr("The channel's filter"));
    d->activation = new ImageView;
    d->activation->setPlaceholderText(tr("no input"));
    d->activation->setMinimumSize(96, 96);
    d->activation->setToolTip(tr("The channel's map for the current input"));
    auto* pair = new QHBoxLayout;
    auto* filterBox = new QVBoxLayout;
    filterBox->addWidget(new QLabel(tr("Filter")));
    filterBox->addWidget(d->filter, 1);
    auto* activationBox = new QVBoxLayout;
    activationBox->addWidget(new QLabel(tr("Map for the current input")));
    activationBox->addWidget(d->activation, 1);
    pair->addLayout(filterBox);
    pair->addLayout(activationBox);
    d->patches = new TileGridView;
    d->patches->setObjectName(QStringLiteral("patchHits"));
    d->patches->setCaptionsVisible(true);
    d->whole = new ImageView;
    d->whole->setObjectName(QStringLiteral("patchImage"));
    d->whole->setPlaceholderText(tr("Click a patch: its whole image, with the receptive field"));
    d->whole->setMinimumSize(160, 160);
    d->wholeCaption = new QLabel;
    d->wholeCaption->setWordWrap(true);
    auto* detail = new QWidget;
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(d->channelTitle);
    detailLayout->addLayout(pair, 1);
    detailLayout->addWidget(d->patches, 2);
    detailLayout->addWidget(d->whole, 2);
    detailLayout->addWidget(d->wholeCaption);
    d->splitter = new QSplitter(Qt::Horizontal);
    d->splitter->addWidget(d->channels);
    d->splitter->addWidget(detail);
    d->splitter->setSizes({600, 400});

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(d->info);
    layout->addWidget(d->splitter, 1);

    connect(d->k, &QSpinBox::valueChanged, this, &PatchesTab::invalidate);
    connect(d->score, &QComboBox::currentIndexChanged, this, &PatchesTab::invalidate);
    connect(d->channels, &TileGridView::tileClicked, this, &PatchesTab::selectChannel);
    connect(d->channels, &TileGridView::tileActivated, this, [this](int tile) {
        if (d->scan)
            this->workspace()->pickUnit(d->scan->layerIndex, tile);
    });
    connect(d->patches, &TileGridView::tileClicked, this, &PatchesTab::openPatch);
    connect(workspace, &Workspace::modelChanged, this, &PatchesTab::invalidate);
    connect(workspace, &Workspace::layerChanged, this, [this] {
        d->channel = 0;
        invalidate();
    });
    // A new dataset in the Input dock: a new scan. A new input: a new map in the detail.
    connect(input, &InputController::opened, this, &PatchesTab::invalidate);
    connect(workspace, &Workspace::forwardReady, this, [this] {
        if (isVisible() && d->scan)
            requestDetail();
    });
}

PatchesTab::~PatchesTab() = default;

TileGridView* PatchesTab::channelGrid() const
{
    return d->channels;
}

TileGridView* PatchesTab::patchGrid() const
{
    return d->patches;
}

QString PatchesTab::infoText() const
{
    return d->info->text();
}

int PatchesTab::selectedChannel() const
{
    return d->channel;
}

void PatchesTab::setK(int k)
{
    d->k->setValue(k);
}

void PatchesTab::setMeanScore(bool mean)
{
    d->score->setCurrentIndex(mean ? 1 : 0);
}

void PatchesTab::refresh()
{
    auto model = workspace()->model();
    const int layer = workspace()->layer();
    auto dataset = d->input->dataset();
    if (!model || layer < 0) {
        d->info->setText(tr("Select a layer in the layer list."));
        return;
    }
    const LayerInfo& info = model->layers()[static_cast<size_t>(layer)];
    if (!dataset) {
        d->scan.reset();
        d->shownKey.clear();
        d->channels->clear();
        d->info->setText(tr("Open a dataset in the Input dock (File ▸ Open Dataset…, or Open Handwritten Digits): "
                            "its images are searched for the patches that excite each channel most."));
        return;
    }
    if (info.shape.size() != 3 && info.shape.size() != 1) {
        d->info->setText(tr("<b>%1</b> has shape %2: pick a layer of channel maps or of units.")
                             .arg(QString::fromStdString(info.name).toHtmlEscaped())
                             .arg(info.shape.size()));
        return;
    }
    TopkOptions options;
    options.k = d->k->value();
    options.score = d->score->currentIndex() == 1 ? TopkScore::Mean : TopkScore::Max;
    options.cacheDir = cacheDir().toStdString();
    const QString key = QStringLiteral("%1/%2/%3/%4/%5")
                            .arg(model->id()) // never reused, unlike an address
                            .arg(QString::fromStdString(dataset->identity()))
                            .arg(layer)
                            .arg(options.k)
                            .arg(static_cast<int>(options.score));
    if (key == d->shownKey) {
        requestDetail();
        return;
    }
    const int generation = ++d->generation;
    setBusy(true);
    d->scanning = true;
    d->info->setText(tr("Searching %1 images of %2 for the top %3 of each channel of <b>%4</b>…")
                         .arg(dataset->size())
                         .arg(QString::fromStdString(dataset->name()).toHtmlEscaped())
                         .arg(options.k)
                         .arg(QString::fromStdString(info.name).toHtmlEscaped()));
    QPointer<PatchesTab> self(this);
    const QString layerName = QString::fromStdString(info.name);
    auto finish = [self, generation](const QString& error) {
        if (!self || generation != self->d->generation)
            return;
        self->d->info->setText(error == QLatin1String("cancelled")
                                   ? tr("Scan cancelled; selecting the layer again resumes it.")
                                   : tr("Cannot search the dataset: %1").arg(error.toHtmlEscaped()));
        self->d->scanning = false;
        self->setBusy(false);
    };
    // JobRunner ends a cancelled job without a word: this tells the tab.
    auto notice = jobEndNotice(self, [finish](PatchesTab* tab) {
        if (tab->d->scanning)
            finish(QStringLiteral("cancelled"));
    });
    workspace()->jobs()->submit(
        QStringLiteral("topk"), tr("Searching top-%1 patches").arg(options.k),
        [self, model, dataset, layer, options, generation, layerName, key, notice](JobContext& job) -> JobRunner::Done {
            auto scan = std::make_shared<Scan>();
            scan->result = topkScan(*model, *dataset, {layer}, options, job.progress, job.cancel).at(0);
            scan->dataset = dataset;
            scan->layer = layerName;
            scan->layerIndex = layer;
            const auto& in = model->info().input;
            // One mosaic per channel: its k patches, near-square.
            ImageCache images(*dataset);
            QStringList captions;
            std::vector<torch::Tensor> mosaics;
            int64_t side = 1;
            for (const auto& hits : scan->result.channels)
                for (const auto& hit : hits)
                    side = std::max(side, std::max(hit.box[2] - hit.box[0], hit.box[3] - hit.box[1]));
            side = std::min(side, kOverviewPatch);
            for (size_t c = 0; c < scan->result.channels.size(); ++c) {
                throwIfCancelled(job.cancel);
                std::vector<torch::Tensor> tiles;
                for (const auto& hit : scan->result.channels[c]) {
                    torch::Tensor patch = fitPatch(cropBox(images.at(hit.image), hit.box), side);
                    // Pad to a common size so the mosaic is a grid; clipped patches show gray where the field left the image.
                    // A field cut at the top or left edge sits at the bottom or right of its tile.
                    torch::Tensor canvas = torch::full({in[0], side, side}, 0.5);
                    const int64_t top = hit.box[0] == 0 ? side - patch.size(1) : 0;
                    const int64_t left = hit.box[1] == 0 ? side - patch.size(2) : 0;
                    canvas.narrow(1, top, patch.size(1)).narrow(2, left, patch.size(2)).copy_(patch);
                    tiles.push_back(canvas);
                }
                while (static_cast<int64_t>(tiles.size()) < options.k)
                    tiles.push_back(torch::ones({in[0], side, side}));
                mosaics.push_back(tileGrid(torch::stack(tiles), 0, 1, 0));
                captions << tr("ch %1").arg(c);
                job.progress(0.95 + 0.05 * static_cast<double>(c) / static_cast<double>(scan->result.channels.size()),
                             "cutting patches");
            }
            scan->mosaics = toTiles(torch::stack(mosaics), captions);
            return [self, scan, generation, key] {
                if (!self || generation != self->d->generation)
                    return;
                self->d->shownKey = key;
                self->d->scanning = false;
                self->showScan(scan);
                self->setBusy(false);
            };
        },
        finish);
}

void PatchesTab::showScan(const std::shared_ptr<const Scan>& scan)
{
    d->scan = scan;
    const TopkResult& r = scan->result;
    d->channels->setTiles(scan->mosaics);
    d->channels->fitToViewport(48, 160);
    d->info->setText(tr("<b>%1</b>: the top %2 of %3 images of %4 for each of its %5 channels (score: %6). "
                        "Click a channel; click a patch to make its image the input.")
                         .arg(scan->layer.toHtmlEscaped())
                         .arg(r.k)
                         .arg(r.total)
                         .arg(QString::fromStdString(scan->dataset->name()).toHtmlEscaped())
                         .arg(r.channels.size())
                         .arg(r.score == TopkScore::Max ? tr("max over the map") : tr("mean over the map")));
    d->channel = std::clamp<int>(d->channel, 0, static_cast<int>(r.channels.size()) - 1);
    d->channels->setSelectedTile(d->channel);
    requestDetail();
}

void PatchesTab::selectChannel(int channel)
{
    if (!d->scan || channel < 0 || channel >= static_cast<int>(d->scan->result.channels.size()))
        return;
    d->channel = channel;
    d->channels->setSelectedTile(channel);
    requestDetail();
}

void PatchesTab::requestDetail()
{
    if (!d->scan)
        return;
    auto scan = d->scan;
    auto model = workspace()->model();
    auto forward = workspace()->forward();
    const int channel = d->channel;
    const int generation = ++d->detailGeneration;
    QPointer<PatchesTab> self(this);
    // The filter is read from the model: on the model's worker.
    workspace()->jobs()->submit(
        QStringLiteral("topk-detail"), QString(),
        [self, scan, model, forward, channel, generation](JobContext&) -> JobRunner::Done {
            auto detail = std::make_shared<Detail>();
            detail->channel = channel;
            ImageCache images(*scan->dataset);
            for (const auto& hit : scan->result.channels[static_cast<size_t>(channel)]) {
                detail->patches.append(
                    toTiles(fitPatch(cropBox(images.at(hit.image), hit.box), kDetailPatch).unsqueeze(0),
                            {tr("#%1  %2%3").arg(hit.image).arg(hit.score, 0, 'g', 3).arg(hit.clipped ? tr(" ✂") : QString())})
                        .first());
            }
            try {
                FilterSet set = filterWeights(*model, scan->layerIndex);
                torch::Tensor tile = set.colour ? colourTiles(set, FilterRange::PerFilter)[channel]
                                                : tileGrid(oneFilterTiles(set, channel, FilterRange::PerFilter), 0, 1, 0);
                detail->filter = toQImage(tile);
            } catch (const std::exception&) {
                // No weights (pooling, ReLU): the view says "no filter".
            }
            if (forward && forward->layer == scan->layerIndex && forward->activation.defined() &&
                forward->activation.dim() == 3)
                detail->activation =
                    toQImage(activationTiles(forward->activation.narrow(0, channel, 1), MapRange::PerChannel, Colormap::Gray)[0]);
            return [self, detail, generation] {
                if (self && generation == self->d->detailGeneration)
                    self->showDetail(detail);
            };
        },
        {});
}

void PatchesTab::showDetail(const std::shared_ptr<const Detail>& detail)
{
    if (!d->scan)
        return;
    const auto& hits = d->scan->result.channels[static_cast<size_t>(detail->channel)];
    d->channelTitle->setText(tr("<b>%1</b>, channel %2: best score %3")
                                 .arg(d->scan->layer.toHtmlEscaped())
                                 .arg(detail->channel)
                                 .arg(hits.empty() ? 0.0 : hits.front().score, 0, 'g', 4));
    d->patches->setTiles(detail->patches);
    d->patches->fitToViewport(84, 128); // room for the caption under each patch
    d->filter->setImage(detail->filter);
    d->activation->setImage(detail->activation);
}

void PatchesTab::openPatch(int index)
{
    if (!d->scan)
        return;
    const auto& hits = d->scan->result.channels[static_cast<size_t>(d->channel)];
    if (index < 0 || index >= static_cast<int>(hits.size()))
        return;
    const TopkHit hit = hits[static_cast<size_t>(index)];
    try {
        // The image with its receptive field drawn on it, at a size where the box reads.
        QImage image = toQImage(d->scan->dataset->image(hit.image)).convertToFormat(QImage::Format_RGB32);
        const int scale = std::max(1, 256 / std::max(image.width(), image.height()));
        image = image.scaled(image.size() * scale, Qt::KeepAspectRatio, Qt::FastTransformation);
        QPainter painter(&image);
        painter.setPen(QPen(hit.clipped ? QColor(255, 140, 0) : QColor(255, 40, 40), std::max(1, scale / 2)));
        painter.drawRect(QRect(QPoint(static_cast<int>(hit.box[1]) * scale, static_cast<int>(hit.box[0]) * scale),
                               QPoint(static_cast<int>(hit.box[3]) * scale - 1, static_cast<int>(hit.box[2]) * scale - 1)));
        painter.end();
        d->whole->setImage(image);
        d->wholeCaption->setText(tr("image %1 (%2), score %3, unit (%4, %5), field rows %6–%7, columns %8–%9%10")
                                     .arg(hit.image)
                                     .arg(QString::fromStdString(d->scan->dataset->itemName(hit.image)))
                                     .arg(hit.score, 0, 'g', 4)
                                     .arg(hit.y)
                                     .arg(hit.x)
                                     .arg(hit.box[0])
                                     .arg(hit.box[2] - 1)
                                     .arg(hit.box[1])
                                     .arg(hit.box[3] - 1)
                                     .arg(hit.clipped ? tr(" — clipped at the image border") : QString()));
    } catch (const std::exception& e) {
        d->wholeCaption->setText(QString::fromStdString(e.what()));
        return;
    }
    d->patches->setSelectedTile(index);
    d->input->showItem(hit.image);
}

QImage PatchesTab::exportImage()
{
    return d->channels->tileCount() > 0 ? d->channels->renderAll() : ViewTab::exportImage();
}

void PatchesTab::prefetchLesson(int layer, const QJsonObject& settings)
{
    auto model = workspace()->model();
    auto dataset = d->input->dataset();
    if (!model || !dataset || layer < 0 || layer >= static_cast<int>(model->layers().size()) || cacheDir().isEmpty())
        return;
    const size_t rank = model->layers()[static_cast<size_t>(layer)].shape.size();
    if (rank != 3 && rank != 1)
        return;
    TopkOptions options;
    options.k = settings.value(QStringLiteral("k")).toInt(9);
    options.score = settings.value(QStringLiteral("meanScore")).toBool(false) ? TopkScore::Mean : TopkScore::Max;
    options.cacheDir = cacheDir().toStdString();
    // Quiet (no title): the result goes to the cache the step's own scan reads.
    workspace()->jobs()->submit(QStringLiteral("topk-prefetch"), QString(),
                                [model, dataset, layer, options](JobContext& job) -> JobRunner::Done {
                                    topkScan(*model, *dataset, {layer}, options, job.progress, job.cancel);
                                    return [] {};
                                });
}

void PatchesTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    settings->setValue(QStringLiteral("k"), d->k->value());
    settings->setValue(QStringLiteral("meanScore"), d->score->currentIndex() == 1);
    settings->setValue(QStringLiteral("splitter"), d->splitter->saveState());
}

void PatchesTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    setK(settings->value(QStringLiteral("k"), 9).toInt());
    setMeanScore(settings->value(QStringLiteral("meanScore"), false).toBool());
    d->splitter->restoreState(settings->value(QStringLiteral("splitter")).toByteArray());
}

} // namespace convscope
