#include "app/views/saliency/tab.h"

#include "app/shell/class_text.h"
#include "app/shell/frames.h"
#include "app/shell/job_end_notice.h"
#include "app/shell/job_runner.h"
#include "app/shell/slide_picture.h"
#include "app/shell/tensor_image.h"
#include "app/shell/workspace.h"
#include "app/views/saliency/controls.h"
#include "app/views/saliency/run.h"
#include "app/views/saliency/sanity_controls.h"
#include "app/views/saliency/sanity_page.h"
#include "core/heatmap.h"
#include "core/model.h"
#include "widgets/image_view.h"

#include <QCoreApplication>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QSettings>
#include <QStackedWidget>
#include <QVBoxLayout>


namespace convscope {

namespace {

const QString kChannel = QStringLiteral("saliency");
// An occlusion or Score-CAM estimated to take longer waits for Compute (a
// ConvNeXt-tiny started an 8-minute occlusion as the tab opened).
constexpr double kAutoStartSeconds = 3;

struct Panel {
    QWidget* box = nullptr;
    QLabel* title = nullptr;
    ImageView* view = nullptr;
};

Panel makePanel(const QString& objectName, const QString& title)
{
    Panel panel;
    panel.box = new QWidget;
    auto* layout = new QVBoxLayout(panel.box);
    layout->setContentsMargins(0, 0, 0, 0);
    panel.title = new QLabel(title);
    panel.title->setAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    panel.title->setWordWrap(true);
    QFont bold = panel.title->font();
    bold.setBold(true);
    panel.title->setFont(bold);
    panel.view = new ImageView;
    panel.view->setObjectName(objectName);
    panel.view->setMinimumSize(120, 60);
    layout->addWidget(panel.title);
    layout->addWidget(panel.view, 1);
    return panel;
}

} // namespace

struct SaliencyTab::Private {
    SaliencyControls* controls = nullptr;
    SanityControls* sanity = nullptr;
    SanityPage* figure = nullptr;
    QStackedWidget* pages = nullptr; // the panels, or the sanity check's figure
    QLabel* info = nullptr;
    QLabel* caption = nullptr;
    QLabel* legend = nullptr;
    Panel input, heatmap, overlay, classMap, guided, randomized;
    QWidget* area = nullptr; // the panels and the caption
    QGridLayout* grid = nullptr;
    QString arrangement; // the panels shown and the columns they are in

    std::shared_ptr<const SaliencyRun> result;
    QString shownKey, cancelledKey, runningKey, runningRequest;
    bool computeAsked = false; // Compute was pressed: run even a long occlusion
    bool running = false;
    int generation = 0;
    qint64 shown = 0;

    QList<Panel*> panels() { return {&input, &heatmap, &overlay, &classMap, &guided, &randomized}; }
};

SaliencyTab::SaliencyTab(Workspace* workspace, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("saliencyTab"));
    d->controls = new SaliencyControls;
    d->info = new QLabel;
    d->info->setObjectName(QStringLiteral("saliencyInfo"));
    d->info->setWordWrap(true);
    d->caption = new QLabel;
    d->caption->setObjectName(QStringLiteral("saliencyCaption"));
    d->caption->setWordWrap(true);
    d->caption->setTextInteractionFlags(Qt::TextSelectableByMouse);

    d->input = makePanel(QStringLiteral("saliencyInput"), tr("Input"));
    d->heatmap = makePanel(QStringLiteral("saliencyHeatmap"), tr("Heatmap"));
    d->overlay = makePanel(QStringLiteral("saliencyOverlay"), tr("Over the input"));
    d->classMap = makePanel(QStringLiteral("saliencyClassMap"), tr("Predicted class under occlusion"));
    d->classMap.view->setToolTip(tr("The class the model predicts with the window nearest each pixel hidden"));
    d->legend = new QLabel;
    d->legend->setObjectName(QStringLiteral("saliencyLegend"));
    d->legend->setWordWrap(true);
    d->legend->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    d->classMap.box->layout()->addWidget(d->legend);
    d->guided = makePanel(QStringLiteral("saliencyGuided"), QString());
    d->randomized = makePanel(QStringLiteral("saliencyRandomized"), QString());
    d->randomized.view->setToolTip(tr("The same method on a copy of the model with layers re-initialized: "
                                      "a map that explains the model should change"));
    d->classMap.box->hide();
    d->guided.box->hide();
    d->randomized.box->hide();
    d->grid = new QGridLayout;
    d->grid->setHorizontalSpacing(8);
    d->grid->setVerticalSpacing(12);
    for (Panel* panel : d->panels())
        d->grid->addWidget(panel->box, 0, d->grid->columnCount());

    // The panels' fixed sizes follow this area's size, and must not hold the
    // window at its size: the area ignores what its contents ask for.
    d->area = new QWidget;
    d->area->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    d->area->installEventFilter(this);
    auto* area = new QVBoxLayout(d->area);
    area->setContentsMargins(0, 0, 0, 0);
    area->addLayout(d->grid);
    area->addWidget(d->caption);
    area->addStretch(1);

    auto* mapPage = new QWidget;
    auto* right = new QVBoxLayout(mapPage);
    right->setContentsMargins(0, 0, 0, 0);
    right->addWidget(d->info);
    right->addWidget(d->area, 1);
    d->sanity = new SanityControls;
    d->figure = new SanityPage(workspace);
    d->pages = new QStackedWidget;
    d->pages->addWidget(mapPage);
    d->pages->addWidget(d->figure);
    auto* column = new QVBoxLayout;
    column->addWidget(d->controls);
    column->addWidget(d->sanity);
    column->addStretch(1);
    auto* layout = new QHBoxLayout(this);
    layout->addLayout(column);
    layout->addSpacing(8);
    layout->addWidget(d->pages, 1);

    connect(d->controls, &SaliencyControls::requestChanged, this, [this] {
        d->sanity->setMethodSupported(d->controls->method() != QLatin1String("occlusion"));
        invalidate();
    });
    d->sanity->setMethodSupported(d->controls->method() != QLatin1String("occlusion"));
    connect(d->sanity, &SanityControls::requestChanged, this, &SaliencyTab::invalidate);
    connect(d->sanity, &SanityControls::figureClicked, this, &SaliencyTab::showSanityFigure);
    connect(d->figure, &SanityPage::closeClicked, this, [this] { showPage(0); });
    connect(d->controls, &SaliencyControls::displayChanged, this, &SaliencyTab::redraw);
    connect(d->controls, &SaliencyControls::computeClicked, this, &SaliencyTab::compute);
    connect(d->controls, &SaliencyControls::stopClicked, this, &SaliencyTab::cancel);
    for (Panel* panel : {&d->input, &d->heatmap, &d->overlay})
        connect(panel->view, &ImageView::pixelHovered, this, &SaliencyTab::hoverHeatmap);
    connect(d->classMap.view, &ImageView::pixelHovered, this, &SaliencyTab::hoverClassMap);
    connect(workspace, &Workspace::inputChanged, this, &SaliencyTab::invalidate);
    connect(workspace, &Workspace::modelChanged, this, [this] {
        if (d->running) {
            // The old model's answer is of no use any more.
            ++d->generation;
            d->running = false;
            d->controls->setRunning(false);
            cancel();
            setBusy(false);
        }
        d->figure->stop();
        showPage(0);
        if (auto model = this->workspace()->model()) {
            d->controls->setModel(*model);
            d->sanity->setModel(*model);
        }
        invalidate();
    });
}

SaliencyTab::~SaliencyTab() = default;

SaliencyControls* SaliencyTab::controls() const
{
    return d->controls;
}

void SaliencyTab::compute()
{
    d->computeAsked = true;
    d->shownKey.clear();
    d->cancelledKey.clear();
    d->runningKey.clear(); // a request equal to the running one starts afresh too
    invalidate();
}

void SaliencyTab::cancel()
{
    workspace()->jobs()->cancel(kChannel);
}

ImageView* SaliencyTab::heatmapView() const
{
    return d->heatmap.view;
}

ImageView* SaliencyTab::overlayView() const
{
    return d->overlay.view;
}

ImageView* SaliencyTab::classMapView() const
{
    return d->classMap.view;
}

ImageView* SaliencyTab::guidedView() const
{
    return d->guided.view;
}

QString SaliencyTab::captionText() const
{
    return d->caption->text();
}

QString SaliencyTab::infoText() const
{
    return d->info->text();
}

QStringList SaliencyTab::legendTexts() const
{
    return d->result ? d->result->legend : QStringList();
}

qint64 SaliencyTab::resultsShown() const
{
    return d->shown;
}

void SaliencyTab::refresh()
{
    auto model = workspace()->model();
    auto frame = workspace()->input();
    if (!model) {
        d->info->setText(tr("Open a model."));
        return;
    }
    if (!frame || !frame->pixels.defined()) {
        d->info->setText(
            tr("Open an image, a dataset, a video or the camera: this tab shows which of its pixels matter."));
        return;
    }
    const auto& in = model->info().input;
    if (frame->pixels.size(0) != in[0] || frame->pixels.size(1) != in[1] || frame->pixels.size(2) != in[2])
        return; // the input is being read again in the new model's format; inputChanged brings it here

    const QString request =
        QStringLiteral("%1/%2/%3").arg(model->id()).arg(d->controls->requestKey(), d->sanity->requestKey());
    const QString key = QStringLiteral("%1/%2").arg(request).arg(frame->serial);
    if (key == d->shownKey || (d->running && key == d->runningKey))
        return;
    if (key == d->cancelledKey) {
        d->info->setText(tr("Cancelled. Press Compute to run it again."));
        return;
    }
    SaliencyRequest options = d->controls->request();
    d->sanity->fill(options);
    // Unasked, an occlusion first times a few windows and runs only if short (run.h).
    options.autoStartSeconds = d->computeAsked ? 0 : kAutoStartSeconds;
    d->computeAsked = false;
    // A new question stops the old answer; a new frame of the same question lets it finish (live video).
    if (d->running && request != d->runningRequest)
        cancel();

    // A new question's caption comes with its map: the old one ("Grad-CAM for …")
    // under "Computing Occlusion…" read as the answer.
    if (!d->shownKey.startsWith(request + QLatin1Char('/')))
        d->caption->clear();
    const int generation = ++d->generation;
    d->running = true;
    d->runningKey = key;
    d->runningRequest = request;
    d->controls->setRunning(true);
    const QString title = saliencyMethodTitle(options.method);
    d->info->setText(tr("Computing %1…").arg(title));
    setBusy(true);
    QPointer<SaliencyTab> self(this);
    auto notice = std::make_shared<JobEndNotice>([self, generation] {
        if (self)
            self->jobGone(generation);
    });
    workspace()->jobs()->submit(
        kChannel, tr("Saliency: %1").arg(title),
        [self, model, frame, options, generation, key, request, notice](JobContext& job) -> JobRunner::Done {
            auto result = std::make_shared<const SaliencyRun>(runSaliency(*model, frame->pixels, options, job));
            return [self, result, generation, key, request] {
                if (!self)
                    return;
                if (generation != self->d->generation) {
                    // An older frame of the question still being asked (live video): show it
                    // while the newest one runs, or frames faster than the map would starve it.
                    if (self->d->running && request == self->d->runningRequest && result->estimate.isEmpty())
                        self->show(result);
                    return;
                }
                self->d->running = false;
                self->d->shownKey = key;
                self->d->controls->setRunning(false);
                if (!result->estimate.isEmpty()) {
                    // Too long to start unasked: what it would take, and Compute.
                    self->showFailure(result->estimate);
                    self->d->input.view->setImage(result->inputImage);
                } else {
                    self->d->info->clear();
                    self->show(result);
                }
                self->setBusy(false);
            };
        },
        [self, generation, frame](const QString& error) {
            if (!self || generation != self->d->generation)
                return;
            self->d->running = false;
            self->showFailure(tr("Cannot compute the map: %1").arg(error));
            self->d->input.view->setImage(toQImage(frame->pixels));
            self->setBusy(false);
        });
}

void SaliencyTab::jobGone(int generation)
{
    if (generation != d->generation || !d->running)
        return; // answered, or superseded by a newer request
    // Cancelled (Stop, or the status bar's Cancel): it stays so until asked again.
    d->running = false;
    d->cancelledKey = d->runningKey;
    showFailure(tr("Cancelled. Press Compute to run it again."));
    setBusy(false);
}

void SaliencyTab::showFailure(const QString& text)
{
    d->controls->setRunning(false);
    d->result.reset();
    d->shownKey.clear();
    d->info->setText(text);
    d->caption->clear();
    for (Panel* panel : {&d->heatmap, &d->overlay, &d->classMap, &d->guided, &d->randomized})
        panel->view->setImage({});
    d->classMap.box->hide();
    d->guided.box->hide();
    d->randomized.box->hide();
    d->legend->clear();
    fitPanels();
}

void SaliencyTab::show(const std::shared_ptr<const SaliencyRun>& result)
{
    d->result = result;
    ++d->shown;
    d->caption->setText(result->caption);
    d->input.view->setImage(result->inputImage);
    // Photos upscale smoothly; small inputs (digits) keep their square pixels.
    const bool smooth = std::min(result->inputImage.width(), result->inputImage.height()) >= 96;
    for (Panel* panel : {&d->input, &d->heatmap, &d->overlay, &d->guided, &d->randomized})
        panel->view->setSmooth(smooth);
    d->classMap.box->setVisible(!result->classImage.isNull());
    d->classMap.view->setImage(result->classImage);
    QStringList legend;
    const int entries = std::min<int>(10, static_cast<int>(result->legend.size()));
    for (int i = 0; i < entries; ++i)
        legend << QStringLiteral("<span style=\"color:%1\">■</span> %2")
                      .arg(result->legendColours[i].name(), result->legend[i].toHtmlEscaped());
    if (result->legend.size() > entries)
        legend << tr("… and %1 more").arg(result->legend.size() - entries);
    d->legend->setText(legend.join(QStringLiteral("<br>")));
    d->guided.box->setVisible(!result->guidedImage.isNull());
    d->guided.title->setText(result->guidedTitle);
    d->guided.view->setImage(result->guidedImage);
    d->randomized.box->setVisible(result->randomizedHeatmap.defined());
    d->randomized.title->setText(result->randomizedTitle);
    redraw();
    fitPanels();
}

void SaliencyTab::redraw()
{
    if (!d->result)
        return;
    // Pure pixel work on a map of the input's size: cheap enough for the GUI thread.
    const Colormap colormap = colormapFromName(d->controls->colormap().toStdString());
    d->heatmap.view->setImage(toQImage(heatmapImage(d->result->heatmap, colormap)));
    d->overlay.view->setImage(
        toQImage(heatmapOverlay(d->result->heatmap, d->result->input, colormap, d->controls->opacity())));
    d->randomized.view->setImage(d->result->randomizedHeatmap.defined()
                                     ? toQImage(heatmapImage(d->result->randomizedHeatmap, colormap))
                                     : QImage());
}

void SaliencyTab::showSanityFigure()
{
    auto model = workspace()->model();
    auto frame = workspace()->input();
    if (!model || !frame || !frame->pixels.defined() || d->controls->method() == QLatin1String("occlusion"))
        return;
    SaliencyRequest request = d->controls->request();
    d->sanity->fill(request);
    if (d->sanity->mode() == QLatin1String("off"))
        request.randomization = Randomization::Cascading;
    showPage(1);
    d->figure->start(request, d->controls->colormap());
}

void SaliencyTab::showPage(int page)
{
    // The figure takes the tab's whole width: nine rows of maps and a chart
    // at 1280x720 need it.
    d->controls->setVisible(page == 0);
    d->sanity->setVisible(page == 0);
    d->pages->setCurrentIndex(page);
}

SanityControls* SaliencyTab::sanityControls() const
{
    return d->sanity;
}

SanityPage* SaliencyTab::sanityPage() const
{
    return d->figure;
}

ImageView* SaliencyTab::randomizedView() const
{
    return d->randomized.view;
}

bool SaliencyTab::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Resize && watched == d->area)
        fitPanels();
    return ViewTab::eventFilter(watched, event);
}

void SaliencyTab::fitPanels()
{
    // The pictures as large as the tab allows: side by side when it is wide,
    // in rows when it is tall (docks take the width), each as tall as its
    // width and the input's shape ask, so that titles sit on their pictures
    // and the caption right under them.
    QList<Panel*> shown;
    for (Panel* panel : d->panels())
        if (!panel->box->isHidden())
            shown << panel;
    const int count = static_cast<int>(shown.size());
    const QImage image = d->result ? d->result->inputImage : QImage();
    const double aspect = image.isNull() ? 1.0 : static_cast<double>(image.height()) / image.width();
    const int spacing = d->grid->horizontalSpacing();
    const int width = d->area->width();
    const int title = 2 * fontMetrics().lineSpacing() + d->grid->verticalSpacing(); // two lines at most
    const int legend = d->classMap.box->isHidden() ? 0 : d->legend->sizeHint().height() + spacing;
    const int height = d->area->height() - 2 * fontMetrics().lineSpacing() - 2 * spacing - legend; // less the caption
    int columns = count, side = 0;
    for (int c = count; c >= 1; --c) {
        const int rows = (count + c - 1) / c;
        if (c != count && rows * c != count)
            continue; // full rows only: 2 x 2, not 3 + 1
        const int cell = (width - (c - 1) * spacing) / c;
        const int fit = std::min(cell, static_cast<int>((height - rows * title) / rows / aspect));
        if (fit > side * 5 / 4) { // fewer columns only for clearly larger pictures
            side = fit;
            columns = c;
        }
    }
    QStringList arrangement{QString::number(columns)};
    for (Panel* panel : shown)
        arrangement << panel->view->objectName();
    if (arrangement.join(QLatin1Char(' ')) != d->arrangement) {
        d->arrangement = arrangement.join(QLatin1Char(' '));
        for (Panel* panel : d->panels())
            d->grid->removeWidget(panel->box);
        for (int i = 0; i < count; ++i)
            d->grid->addWidget(shown[i]->box, i / columns, i % columns, Qt::AlignTop | Qt::AlignHCenter);
        for (int c = 0; c < d->grid->columnCount(); ++c)
            d->grid->setColumnStretch(c, c < columns ? 1 : 0);
    }
    // Each panel as wide as its picture, so that the legend lines up under
    // the class map; titles of one height, so that pictures line up when one wraps.
    side = std::max(side, 120);
    int titleHeight = 0;
    for (Panel* panel : shown)
        titleHeight = std::max(titleHeight, panel->title->heightForWidth(side));
    for (Panel* panel : d->panels()) {
        panel->box->setFixedWidth(side);
        panel->view->setFixedHeight(std::max(60, static_cast<int>(side * aspect)));
        panel->title->setFixedHeight(titleHeight);
    }
}

void SaliencyTab::hoverHeatmap(QPoint pixel)
{
    if (!d->result || pixel.x() < 0)
        return;
    const torch::Tensor& map = d->result->heatmap;
    if (pixel.y() >= map.size(0) || pixel.x() >= map.size(1))
        return;
    Q_EMIT message(tr("Heatmap at row %1, column %2: %3 (the map spans %4 … %5)")
                       .arg(pixel.y())
                       .arg(pixel.x())
                       .arg(map[pixel.y()][pixel.x()].item<float>(), 0, 'g', 4)
                       .arg(map.min().item<float>(), 0, 'g', 4)
                       .arg(map.max().item<float>(), 0, 'g', 4));
}

void SaliencyTab::hoverClassMap(QPoint pixel)
{
    auto model = workspace()->model();
    if (!d->result || !model || pixel.x() < 0 || !d->result->classAt.defined())
        return;
    const torch::Tensor& classes = d->result->classAt;
    if (pixel.y() >= classes.size(0) || pixel.x() >= classes.size(1))
        return;
    Q_EMIT message(tr("Row %1, column %2: with the window there hidden, the model predicts %3")
                       .arg(pixel.y())
                       .arg(pixel.x())
                       .arg(classText(*model, classes[pixel.y()][pixel.x()].item<int64_t>())));
}

QImage SaliencyTab::exportImage()
{
    if (d->pages->currentWidget() == d->figure) {
        const QImage figure = d->figure->figureImage();
        if (!figure.isNull())
            return figure;
    }
    if (!d->result)
        return ViewTab::exportImage();
    SlidePicture picture;
    for (Panel* panel : d->panels()) {
        if (panel->box->isHidden() || panel->view->image().isNull())
            continue;
        const bool classes = panel == &d->classMap;
        // The tab names the method beside the pictures; a slide says it in the heading.
        const QString title =
            panel == &d->heatmap ? tr("%1 heatmap").arg(saliencyMethodTitle(d->result->method)) : panel->title->text();
        picture.panels.append({title, panel->view->image(), classes ? d->result->legend : QStringList(),
                               classes ? d->result->legendColours : QVector<QColor>()});
    }
    auto model = workspace()->model();
    auto frame = workspace()->input();
    if (model && frame)
        picture.heading = QStringLiteral("%1 · %2").arg(QString::fromStdString(model->info().name), frame->caption);
    picture.caption = d->result->caption;
    return picture.render();
}

int SaliencyTab::lessonChannel() const
{
    return d->controls->target();
}

void SaliencyTab::setLessonChannel(int channel)
{
    d->controls->setTarget(channel);
}

void SaliencyTab::saveSettings(const QString& group) const
{
    auto settings = settingsAt(group);
    d->controls->save(*settings);
    d->sanity->save(*settings);
}

void SaliencyTab::restoreSettings(const QString& group)
{
    auto settings = settingsAt(group);
    d->controls->restore(*settings);
    d->sanity->restore(*settings);
}

} // namespace convscope
