#include "app/views/adversarial/trace_panel.h"

#include "app/shell/gui_post.h"
#include "app/shell/job_end_notice.h"
#include "app/shell/job_runner.h"
#include "app/shell/workspace.h"
#include "app/views/adversarial/amplification_chart.h"
#include "app/views/adversarial/layer_change.h"
#include "app/views/adversarial/run.h"
#include "core/model.h"
#include "widgets/image_view.h"

#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPointer>
#include <QVBoxLayout>

#include <cmath>

namespace convscope
{

namespace
{

const QString kChannel = QStringLiteral("adversarial-layer");
constexpr int kChannelsListed = 12;

QString changeText(const ChannelChange& c, bool channelMaps)
{
    // Short: the list is narrow beside three pictures at 1280 pixels.
    const QString what = channelMaps ? TracePanel::tr("ch %1") : TracePanel::tr("unit %1");
    const QString relative = std::isfinite(c.relativeChange)
        ? TracePanel::tr("%1×").arg(c.relativeChange, 0, 'g', 2)
        : TracePanel::tr("was silent");
    return TracePanel::tr("%1: ‖Δ‖ %2 (%3)").arg(what.arg(c.channel)).arg(c.change, 0, 'g', 3).arg(relative);
}

} // namespace

AmplificationCurves curvesOf(const AdversarialRun& run, const QString& model)
{
    AmplificationCurves curves;
    curves.model = model;
    for (const LayerChange& l : run.trace.layers) {
        curves.layers << QString::fromStdString(l.name);
        curves.attack << l.relativeChange;
        curves.noise << l.noiseRelativeChange;
    }
    return curves;
}

struct TracePanel::Private {
    Workspace* workspace = nullptr;
    AmplificationChart* chart = nullptr;
    QLabel* layer = nullptr;
    QLabel* titles[3] = {};
    ImageView* pictures[3] = {};
    QListWidget* channels = nullptr;
    std::shared_ptr<const AdversarialRun> run;
    std::shared_ptr<const LayerChangeView> shown;
    int generation = 0;
};

TracePanel::TracePanel(Workspace* workspace, QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->workspace = workspace;
    d->chart = new AmplificationChart;
    d->chart->setObjectName(QStringLiteral("amplificationChart"));
    d->layer = new QLabel(tr("Click a layer on the chart: its activations, clean and adversarial, appear here."));
    d->layer->setObjectName(QStringLiteral("traceLayerInfo"));
    d->layer->setWordWrap(true);
    auto* pictures = new QGridLayout;
    const QString names[3] = { tr("Clean"), tr("Adversarial"), tr("Difference (red +, blue −)") };
    for (int i = 0; i < 3; ++i) {
        d->titles[i] = new QLabel(names[i]);
        d->titles[i]->setAlignment(Qt::AlignCenter);
        d->pictures[i] = new ImageView;
        d->pictures[i]->setObjectName(QStringLiteral("traceActivation%1").arg(i));
        d->pictures[i]->setMinimumSize(80, 80);
        pictures->addWidget(d->titles[i], 0, i);
        pictures->addWidget(d->pictures[i], 1, i);
        pictures->setColumnStretch(i, 1);
    }
    d->channels = new QListWidget;
    d->channels->setObjectName(QStringLiteral("traceChannels"));
    d->channels->setToolTip(tr("The channels whose activations changed most: ‖Δ‖ and, in brackets, ‖Δ‖ over the "
                               "clean channel's size; click one to open it in the Unit view"));
    d->channels->setMinimumWidth(140);
    auto* listColumn = new QVBoxLayout;
    listColumn->addWidget(new QLabel(tr("Changed most (click: Unit view)")));
    listColumn->addWidget(d->channels, 1);
    pictures->addLayout(listColumn, 0, 3, 2, 1);
    pictures->setRowStretch(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->chart, 3);
    layout->addWidget(d->layer);
    layout->addLayout(pictures, 2);

    connect(d->chart, &AmplificationChart::layerClicked, this, &TracePanel::showLayer);
    connect(d->channels, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        if (d->shown && d->shown->channelMaps)
            d->workspace->pickUnit(d->shown->layer, item->data(Qt::UserRole).toInt());
    });
}

TracePanel::~TracePanel() = default;

AmplificationChart* TracePanel::chart() const
{
    return d->chart;
}
ImageView* TracePanel::picture(int index) const
{
    return d->pictures[index];
}
QListWidget* TracePanel::channelList() const
{
    return d->channels;
}
QString TracePanel::layerText() const
{
    return d->layer->text();
}

void TracePanel::setRun(const std::shared_ptr<const AdversarialRun>& run, const AmplificationCurves* compared)
{
    d->run = run;
    if (!run || run->trace.layers.empty()) {
        clear();
        return;
    }
    QVector<AmplificationCurves> curves{ curvesOf(*run, compared ? tr("this model") : QString()) };
    if (compared)
        curves.append(*compared);
    d->chart->setCurves(curves);
    // The layer looked at stays in view as the attack changes (the live slider).
    if (d->chart->marked() >= 0)
        showLayer(d->chart->marked());
}

void TracePanel::clear()
{
    ++d->generation;
    d->run.reset();
    d->shown.reset();
    d->chart->clear();
    for (ImageView* view : d->pictures)
        view->setImage({});
    d->channels->clear();
    d->layer->setText(tr("Click a layer on the chart: its activations, clean and adversarial, appear here."));
}

void TracePanel::showLayer(int layer)
{
    auto model = d->workspace->model();
    if (!d->run || !model || layer < 0 || layer >= static_cast<int>(model->layers().size()))
        return;
    d->chart->setMarked(layer);
    const int generation = ++d->generation;
    auto run = d->run;
    QPointer<TracePanel> self(this);
    d->workspace->jobs()->submit(kChannel, QString(),
        [self, model, run, layer, generation](JobContext&) -> JobRunner::Done {
            auto view = layerChangeView(*model, run->clean, run->adversarial, layer);
            return [self, view, generation] {
                if (!self || generation != self->d->generation)
                    return;
                self->d->shown = view;
                self->d->pictures[0]->setImage(view->clean);
                self->d->pictures[1]->setImage(view->adversarial);
                self->d->pictures[2]->setImage(view->difference);
                self->d->channels->clear();
                for (size_t i = 0; i < view->channels.size() && i < kChannelsListed; ++i) {
                    auto* item = new QListWidgetItem(changeText(view->channels[i], view->channelMaps));
                    item->setData(Qt::UserRole, static_cast<int>(view->channels[i].channel));
                    self->d->channels->addItem(item);
                }
                const LayerChange& change = self->d->run && view->layer < static_cast<int>(self->d->run->trace.layers.size())
                    ? self->d->run->trace.layers[static_cast<size_t>(view->layer)]
                    : LayerChange{};
                self->d->layer->setText(tr("%1: relative change %2 (noise %3) · clean and adversarial on one scale "
                                           "%4 … %5 · difference up to ±%6")
                                            .arg(view->name)
                                            .arg(change.relativeChange, 0, 'g', 3)
                                            .arg(change.noiseRelativeChange, 0, 'g', 3)
                                            .arg(view->low, 0, 'g', 3)
                                            .arg(view->high, 0, 'g', 3)
                                            .arg(view->largestChange, 0, 'g', 3));
            };
        },
        [self, generation](const QString& error) {
            if (self && generation == self->d->generation)
                self->d->layer->setText(tr("Cannot show the layer: %1").arg(error));
        });
}

QImage TracePanel::image() const
{
    return const_cast<TracePanel*>(this)->grab().toImage();
}

} // namespace convscope
