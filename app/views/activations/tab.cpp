#include "app/views/activations/tab.h"

#include "app/shell/frames.h"
#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "core/activation_maps.h"
#include "core/colormap.h"
#include "core/model.h"
#include "widgets/image_view.h"
#include "widgets/tile_grid_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QVBoxLayout>

namespace convscope {

// One drawn frame: the tiles, the large view and what hover needs.
struct ActivationsTab::Drawn {
    std::shared_ptr<const ForwardResult> forward;
    QVector<Tile> tiles;
    QImage large;
    int channel = 0;
    QString layer;
    float lo = 0, hi = 0;     // the layer's value range
    double nonPositive = 0;   // share of values <= 0, in percent
};

struct ActivationsTab::Private {
    QComboBox* colormap = nullptr;
    QComboBox* range = nullptr;
    QCheckBox* overlay = nullptr;
    QSlider* opacity = nullptr;
    QLabel* info = nullptr;
    QLabel* hover = nullptr;
    TileGridView* grid = nullptr;
    ImageView* large = nullptr;
    QLabel* largeCaption = nullptr;
    QSplitter* splitter = nullptr;
    std::shared_ptr<const Drawn> drawn;
    int channel = 0;
    int generation = 0;
    qint64 framesDrawn = 0;
    QString fittedKey; // zoom is fitted once per model and layer, then left to the user
};

ActivationsTab::ActivationsTab(Workspace* workspace, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("activationsTab"));
    d->colormap = new QComboBox;
    d->colormap->setObjectName(QStringLiteral("colormap"));
    for (const auto& name : colormapNames())
        d->colormap->addItem(QString::fromStdString(name));
    d->range = new QComboBox;
    // Long item texts may elide rather than widen the window.
    d->range->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->range->setMinimumContentsLength(14);
    d->range->setObjectName(QStringLiteral("activationRange"));
    d->range->addItem(tr("Each channel its own range"));
    d->range->addItem(tr("One range for the layer"));
    d->overlay = new QCheckBox(tr("Overlay on input"));
    d->overlay->setObjectName(QStringLiteral("overlay"));
    d->opacity = new QSlider(Qt::Horizontal);
    d->opacity->setRange(0, 100);
    d->opacity->setValue(50);
    d->opacity->setMaximumWidth(120);
    d->opacity->setToolTip(tr("Opacity of the map over the input"));
    d->grid = new TileGridView;
    d->grid->setObjectName(QStringLiteral("activationGrid"));
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Colormap:")));
    controls->addWidget(d->colormap);
    controls->addWidget(d->range);
    controls->addStretch();
    controls->addWidget(d->overlay);
    controls->addWidget(d->opacity);

    d->info = new QLabel(tr("Select a layer and an input."));
    d->info->setObjectName(QStringLiteral("activationInfo"));
    d->info->setWordWrap(true);
    d->hover = new QLabel(QStringLiteral(" "));
    d->hover->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // long values must not widen the window
    d->hover->setObjectName(QStringLiteral("activationHover"));
    d->large = new ImageView;
    d->large->setObjectName(QStringLiteral("activationLarge"));
    d->large->setPlaceholderText(tr("Click a channel"));
    d->large->setMinimumSize(200, 200);
    d->largeCaption = new QLabel;
    d->largeCaption->setAlignment(Qt::AlignCenter);
    auto* largePanel = new QWidget;
    auto* largeLayout = new QVBoxLayout(largePanel);
    largeLayout->setContentsMargins(0, 0, 0, 0);
    largeLayout->addWidget(d->large, 1);
    largeLayout->addWidget(d->largeCaption);
    d->splitter = new QSplitter(Qt::Horizontal);
    d->splitter->setObjectName(QStringLiteral("activationSplitter"));
    d->splitter->addWidget(d->grid);
    d->splitter->addWidget(largePanel);
    d->splitter->setStretchFactor(0, 3);
    d->splitter->setStretchFactor(1, 2);
    d->splitter->setSizes({600, 400});

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(d->info);
    layout->addWidget(d->splitter, 1);
    // Values under the mouse, and the zoom, under the grid: the tool row stays narrow.
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(d->hover, 1);
    bottom->addWidget(createZoomBar(d->grid));
    layout->addLayout(bottom);

    connect(d->colormap, &QComboBox::currentIndexChanged, this, &ActivationsTab::invalidate);
    connect(d->range, &QComboBox::currentIndexChanged, this, &ActivationsTab::invalidate);
    connect(d->overlay, &QCheckBox::toggled, this, &ActivationsTab::invalidate);
    connect(d->opacity, &QSlider::valueChanged, this, [this] {
        if (d->overlay->isChecked())
            invalidate();
    });
    connect(d->grid, &TileGridView::tileClicked, this, &ActivationsTab::selectChannel);
    connect(d->grid, &TileGridView::tileActivated, this,
            [this](int tile) { this->workspace()->pickUnit(this->workspace()->layer(), tile); });
    connect(d->grid, &TileGridView::tileHovered, this, &ActivationsTab::showHover);
    connect(workspace, &Workspace::modelChanged, this, [this] {
        d->channel = 0;
        invalidate();
    });
    connect(workspace, &Workspace::layerChanged, this, [this] { d->channel = 0; });
    connect(workspace, &Workspace::forwardReady, this, &ActivationsTab::invalidate);
    connect(workspace, &Workspace::forwardFailed, this, [this](const QString& error) {
        d->info->setText(tr("Forward pass failed: %1").arg(error.toHtmlEscaped()));
        setBusy(false);
    });
}

ActivationsTab::~ActivationsTab() = default;

TileGridView* ActivationsTab::grid() const
{
    return d->grid;
}

ImageView* ActivationsTab::largeView() const
{
    return d->large;
}

QString ActivationsTab::infoText() const
{
    return d->info->text();
}

QString ActivationsTab::hoverText() const
{
    return d->hover->text();
}

qint64 ActivationsTab::framesDrawn() const
{
    return d->framesDrawn;
}

void ActivationsTab::setColormap(const QString& name)
{
    const int index = d->colormap->findText(name);
    if (index >= 0)
        d->colormap->setCurrentIndex(index);
}

void ActivationsTab::setSharedRange(bool shared)
{
    d->range->setCurrentIndex(shared ? 1 : 0);
}

void ActivationsTab::setOverlay(bool overlay)
{
    d->overlay->setChecked(overlay);
}

void ActivationsTab::selectChannel(int channel)
{
    if (channel < 0 || channel == d->channel)
        return;
    d->channel = channel;
    invalidate();
}

int ActivationsTab::selectedChannel() const
{
    return d->channel;
}

void ActivationsTab::refresh()
{
    auto forward = workspace()->forward();
    auto model = workspace()->model();
    if (!model || workspace()->layer() < 0) {
        d->drawn.reset();
        d->grid->clear();
        d->large->setImage({});
        d->info->setText(tr("Select a layer in the layer list."));
        return;
    }
    if (!forward || forward->layer != workspace()->layer() || !forward->activation.defined()) {
        if (!workspace()->input())
            d->info->setText(tr("Open an image, a dataset, a video or the camera to see activations."));
        else if (workspace()->forwardPending())
            setBusy(true); // the forward pass for this layer is on its way; forwardReady brings it here
        return;
    }
    const Colormap colormap = colormapFromName(d->colormap->currentText().toStdString());
    const MapRange range = d->range->currentIndex() == 1 ? MapRange::Shared : MapRange::PerChannel;
    const bool overlay = d->overlay->isChecked();
    const double alpha = d->opacity->value() / 100.0;
    const int channel = std::clamp<int>(d->channel, 0, static_cast<int>(forward->activation.size(0)) - 1);
    const QString layer = workspace()->layerName();
    const int generation = ++d->generation;
    setBusy(true);
    QPointer<ActivationsTab> self(this);
    // Drawing does not touch the model: it runs beside the next forward pass.
    workspace()->drawing()->submit(
        QStringLiteral("activations"), QString(),
        [self, forward, colormap, range, overlay, alpha, channel, layer, generation](JobContext&) -> JobRunner::Done {
            auto drawn = std::make_shared<Drawn>();
            drawn->forward = forward;
            drawn->channel = channel;
            drawn->layer = layer;
            const torch::Tensor& a = forward->activation;
            drawn->tiles = toTiles(activationTiles(a, range, colormap));
            // Summary numbers here, not on the GUI thread: this runs for every live frame.
            drawn->lo = a.min().item<float>();
            drawn->hi = a.max().item<float>();
            drawn->nonPositive = (a <= 0).to(torch::kFloat).mean().item<double>() * 100;
            const torch::Tensor map = a.dim() == 3 ? a[channel] : a.narrow(0, channel, 1).view({1, 1});
            if (overlay && a.dim() == 3)
                drawn->large = toQImage(overlayMap(map, forward->frame->pixels, colormap, alpha));
            else
                drawn->large = toQImage(activationTiles(map.unsqueeze(0), MapRange::PerChannel, colormap)[0]);
            return [self, drawn, generation] {
                if (!self)
                    return;
                self->show(drawn);
                if (generation == self->d->generation)
                    self->setBusy(false);
            };
        },
        [self, generation](const QString& error) {
            if (!self)
                return;
            self->d->info->setText(tr("Cannot draw the activations: %1").arg(error.toHtmlEscaped()));
            if (generation == self->d->generation)
                self->setBusy(false);
        });
}

void ActivationsTab::show(const std::shared_ptr<const Drawn>& drawn)
{
    d->drawn = drawn;
    ++d->framesDrawn;
    const torch::Tensor& a = drawn->forward->activation;
    const bool spatial = a.dim() == 3;
    d->grid->setTiles(drawn->tiles);
    const QString fitKey = QStringLiteral("%1/%2").arg(workspace()->model() ? workspace()->model()->id() : 0).arg(drawn->layer);
    if (fitKey != d->fittedKey) {
        d->fittedKey = fitKey;
        d->grid->fitToViewport(spatial ? 24 : 12, 160);
    }
    d->grid->setSelectedTile(drawn->channel);
    d->large->setImage(drawn->large);
    d->largeCaption->setText(tr("channel %1 of %2").arg(drawn->channel).arg(a.size(0)));
    const float lo = drawn->lo, hi = drawn->hi;
    const double zero = drawn->nonPositive;
    d->info->setText(spatial ? tr("<b>%1</b>: %2 channels of %3×%4 — values %5 … %6, %7% ≤ 0")
                                   .arg(drawn->layer.toHtmlEscaped())
                                   .arg(a.size(0))
                                   .arg(a.size(1))
                                   .arg(a.size(2))
                                   .arg(lo, 0, 'g', 3)
                                   .arg(hi, 0, 'g', 3)
                                   .arg(zero, 0, 'f', 0)
                             : tr("<b>%1</b>: %2 units (one tile each) — values %3 … %4")
                                   .arg(drawn->layer.toHtmlEscaped())
                                   .arg(a.size(0))
                                   .arg(lo, 0, 'g', 3)
                                   .arg(hi, 0, 'g', 3));
}

void ActivationsTab::showHover(int tile, QPoint pixel)
{
    if (!d->drawn || tile < 0) {
        d->hover->setText(QStringLiteral(" "));
        return;
    }
    const torch::Tensor& a = d->drawn->forward->activation;
    if (tile >= a.size(0))
        return;
    if (a.dim() == 3) {
        const int64_t y = std::clamp<int64_t>(pixel.y(), 0, a.size(1) - 1);
        const int64_t x = std::clamp<int64_t>(pixel.x(), 0, a.size(2) - 1);
        const torch::Tensor map = a[tile];
        d->hover->setText(tr("channel %1 at (%2, %3): %4   (channel min %5, max %6, mean %7)")
                              .arg(tile)
                              .arg(y)
                              .arg(x)
                              .arg(map[y][x].item<float>(), 0, 'g', 4)
                              .arg(map.min().item<float>(), 0, 'g', 4)
                              .arg(map.max().item<float>(), 0, 'g', 4)
                              .arg(map.mean().item<float>(), 0, 'g', 4));
    } else {
        d->hover->setText(tr("unit %1: %2").arg(tile).arg(a[tile].item<float>(), 0, 'g', 4));
    }
}

QImage ActivationsTab::exportImage()
{
    return d->grid->tileCount() > 0 ? d->grid->renderAll() : ViewTab::exportImage();
}

void ActivationsTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    settings->setValue(QStringLiteral("colormap"), d->colormap->currentText());
    settings->setValue(QStringLiteral("sharedRange"), d->range->currentIndex() == 1);
    settings->setValue(QStringLiteral("overlay"), d->overlay->isChecked());
    settings->setValue(QStringLiteral("opacity"), d->opacity->value());
    settings->setValue(QStringLiteral("splitter"), d->splitter->saveState());
}

void ActivationsTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    setColormap(settings->value(QStringLiteral("colormap"), QStringLiteral("gray")).toString());
    setSharedRange(settings->value(QStringLiteral("sharedRange"), false).toBool());
    setOverlay(settings->value(QStringLiteral("overlay"), false).toBool());
    d->opacity->setValue(settings->value(QStringLiteral("opacity"), 50).toInt());
    d->splitter->restoreState(settings->value(QStringLiteral("splitter")).toByteArray());
}

} // namespace convscope
