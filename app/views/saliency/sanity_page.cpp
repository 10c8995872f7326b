#include "app/views/saliency/sanity_page.h"

#include "app/shell/atomic_save.h"
#include "app/shell/form_widgets.h"
#include "app/shell/frames.h"
#include "app/shell/job_end_notice.h"
#include "app/shell/job_runner.h"
#include "app/shell/workspace.h"
#include "app/views/saliency/run.h"
#include "app/views/saliency/sanity_run.h"
#include "core/model.h"
#include "core/sanity.h"
#include "widgets/image_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QStringList>
#include <QVBoxLayout>

namespace convscope {

namespace {

const QString kChannel = QStringLiteral("sanity");

// Finished figures of this session by question: model, input, parameters.
QHash<QString, std::shared_ptr<const SanityResult>>& finishedFigures()
{
    static QHash<QString, std::shared_ptr<const SanityResult>> figures;
    return figures;
}

} // namespace

struct SanityPage::Private {
    Workspace* workspace = nullptr;
    QLabel* status = nullptr;
    QProgressBar* progress = nullptr;
    QComboBox* metric = nullptr;
    QPushButton* stop = nullptr;
    QPushButton* exportPng = nullptr;
    QPushButton* exportCsv = nullptr;
    QPushButton* close = nullptr;
    ImageView* view = nullptr;

    std::shared_ptr<const SanityResult> result; // so far
    std::shared_ptr<const Model> model;
    torch::Tensor input;
    QString colormap = QStringLiteral("inferno");
    uint64_t seed = 0;
    QString key;
    bool running = false;
    int generation = 0;
    int total = 0;
    QString stage;

    int done() const
    {
        int n = 0;
        if (result)
            for (const auto& cells : result->cells)
                n += static_cast<int>(cells.size());
        return n;
    }
    SanityFigure figure() const
    {
        return sanityFigure(*model, *result, input, colormapFromName(colormap.toStdString()),
                            metric->currentData().toString().toStdString(), seed);
    }
};

SanityPage::SanityPage(Workspace* workspace, QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("sanityPage"));
    d->workspace = workspace;
    d->status = new QLabel;
    d->status->setObjectName(QStringLiteral("sanityStatus"));
    d->status->setWordWrap(true);
    d->progress = new QProgressBar;
    d->progress->setObjectName(QStringLiteral("sanityProgress"));
    d->progress->setMaximumWidth(160);
    d->metric = new QComboBox;
    d->metric->setObjectName(QStringLiteral("sanityMetric"));
    for (const std::string& name : sanityMetricNames())
        d->metric->addItem(sanityMetricTitle(name), QString::fromStdString(name));
    d->metric->setToolTip(tr("The similarity of each map to the trained model's map that the chart shows"));
    // The page shares the tab's width with the window's docks at 1280x720:
    // nothing on its bar may ask for more than it needs.
    d->metric->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->metric->setMinimumContentsLength(16);
    d->stop = new QPushButton(tr("Stop"));
    d->stop->setObjectName(QStringLiteral("sanityStop"));
    d->exportPng = new QPushButton(tr("Export PNG…"));
    d->exportPng->setObjectName(QStringLiteral("sanityExportPng"));
    d->exportCsv = new QPushButton(tr("Export CSV…"));
    d->exportCsv->setObjectName(QStringLiteral("sanityExportCsv"));
    d->close = new QPushButton(tr("Back"));
    d->close->setToolTip(tr("Back to the map and the form"));
    d->close->setObjectName(QStringLiteral("sanityClose"));
    d->view = new ImageView;
    d->view->setObjectName(QStringLiteral("sanityFigureView"));
    d->view->setSmooth(true);
    d->view->setPlaceholderText(tr("The figure appears here, map by map."));

    auto* bar = new QHBoxLayout;
    bar->addWidget(d->progress);
    bar->addWidget(d->stop);
    bar->addStretch(1);
    bar->addWidget(d->metric);
    bar->addWidget(d->exportPng);
    bar->addWidget(d->exportCsv);
    bar->addWidget(d->close);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(d->status);
    layout->addWidget(d->view, 1);

    connect(d->stop, &QPushButton::clicked, this, &SanityPage::stop);
    connect(d->close, &QPushButton::clicked, this, &SanityPage::closeClicked);
    connect(d->metric, &QComboBox::currentIndexChanged, this, &SanityPage::redraw);
    connect(d->exportPng, &QPushButton::clicked, this, [this] {
        const QString path = askExportPath(this, false, tr("Export the sanity check figure"), QStringLiteral("sanity_check"));
        if (!path.isEmpty())
            if (const QString error = exportPng(path); !error.isEmpty())
                d->status->setText(tr("Cannot write %1: %2").arg(path, error));
    });
    connect(d->exportCsv, &QPushButton::clicked, this, [this] {
        const QString path = askExportPath(this, true, tr("Export the similarities"), QStringLiteral("sanity_check"));
        if (!path.isEmpty())
            if (const QString error = exportCsv(path); !error.isEmpty())
                d->status->setText(tr("Cannot write %1: %2").arg(path, error));
    });
    showStatus();
}

SanityPage::~SanityPage()
{
    if (d->running)
        d->workspace->jobs()->cancel(kChannel);
}

void SanityPage::start(const SaliencyRequest& request, const QString& colormap)
{
    auto model = d->workspace->model();
    auto frame = d->workspace->input();
    if (!model || !frame || !frame->pixels.defined())
        return;
    stop();
    SanityOptions options;
    options.methods = allSanityMethods();
    options.saliency = request.saliency;
    options.mode = request.randomization;
    d->model = model;
    d->input = frame->pixels;
    d->colormap = colormap;
    d->seed = request.randomizeSeed;
    // Everything the figure depends on; a figure kept under this key is reused.
    const SaliencyOptions& asked = request.saliency;
    d->key = QStringList{QString::number(model->id()),
                         QString::number(frame->serial),
                         QString::fromStdString(randomizationName(options.mode)),
                         QString::number(d->seed),
                         QString::number(asked.target),
                         QString::fromStdString(scoreName(asked.score)),
                         QString::number(asked.layer),
                         QString::number(asked.samples),
                         QString::number(asked.noise),
                         QString::number(asked.seed),
                         QString::number(asked.steps),
                         QString::fromStdString(baselineName(asked.baseline))}
                 .join(QLatin1Char('/'));
    const int steps = static_cast<int>(randomizationSteps(*model).size());
    d->total = static_cast<int>(options.methods.size()) * (steps + 1);
    if (auto kept = finishedFigures().value(d->key)) {
        d->result = kept;
        d->stage = tr("kept from earlier in this session");
        redraw();
        showStatus();
        Q_EMIT finished();
        return;
    }
    d->result.reset();
    d->running = true;
    d->stage = tr("starting");
    const int generation = ++d->generation;
    redraw();
    showStatus();
    QPointer<SanityPage> self(this);
    const uint64_t seed = d->seed;
    const QString key = d->key;
    const torch::Tensor pixels = frame->pixels;
    // Cells arrive on the worker; each posts the result so far to the GUI thread.
    const auto post = [self, generation](std::shared_ptr<const SanityResult> soFar, const QString& stage) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, soFar, stage] {
                if (!self || generation != self->d->generation)
                    return;
                self->d->result = soFar;
                self->d->stage = stage;
                self->redraw();
                self->showStatus();
            },
            Qt::QueuedConnection);
    };
    // A job cancelled elsewhere (the status bar's Cancel) ends here too.
    auto notice = std::make_shared<JobEndNotice>([self, generation] {
        if (self && generation == self->d->generation && self->d->running) {
            self->d->running = false;
            self->d->stage = tr("stopped");
            self->showStatus();
        }
    });
    d->workspace->jobs()->submit(
        kChannel, tr("Sanity check: every method, %1 steps").arg(steps),
        [self, model, pixels, options, seed, post, generation, key, notice](JobContext& job) -> JobRunner::Done {
            RandomizedModel randomized(*model, seed);
            const auto onCell = [&](const SanityResult& soFar, size_t m, size_t s) {
                post(std::make_shared<const SanityResult>(soFar),
                     tr("%1 at %2").arg(saliencyMethodTitle(QString::fromStdString(saliencyMethodName(soFar.methods[m]))),
                                        QString::fromStdString(soFar.stepNames[s])));
            };
            auto result = std::make_shared<const SanityResult>(
                sanityCheck(*model, randomized, pixels, options, job.progress, job.cancel, onCell));
            return [self, result, generation, key] {
                if (!self || generation != self->d->generation)
                    return;
                self->d->running = false;
                self->d->result = result;
                finishedFigures().insert(key, result);
                if (finishedFigures().size() > 8)
                    finishedFigures().erase(finishedFigures().begin());
                self->d->stage = tr("done");
                self->redraw();
                self->showStatus();
                Q_EMIT self->finished();
            };
        },
        [self, generation](const QString& error) {
            if (!self || generation != self->d->generation)
                return;
            self->d->running = false;
            self->d->stage = tr("failed: %1").arg(error);
            self->showStatus();
        });
}

void SanityPage::stop()
{
    if (!d->running)
        return;
    ++d->generation;
    d->running = false;
    d->workspace->jobs()->cancel(kChannel);
    d->stage = tr("stopped");
    showStatus();
}

bool SanityPage::running() const
{
    return d->running;
}

int SanityPage::cellsDone() const
{
    return d->done();
}

int SanityPage::cellsTotal() const
{
    return d->total;
}

QString SanityPage::statusText() const
{
    return d->status->text();
}

void SanityPage::setMetric(const QString& metric)
{
    const int index = d->metric->findData(metric);
    if (index >= 0)
        d->metric->setCurrentIndex(index);
}

QImage SanityPage::figureImage() const
{
    if (!d->result || !d->model)
        return {};
    return composeSanityFigure(d->figure(), 96);
}

QString SanityPage::exportPng(const QString& path) const
{
    const QImage image = figureImage();
    if (image.isNull())
        return tr("no figure yet");
    return savePngAtomically(image, path);
}

QString SanityPage::exportCsv(const QString& path) const
{
    if (!d->result)
        return tr("no figure yet");
    return saveBytesAtomically(sanityCsv(*d->result), path);
}

void SanityPage::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    redraw();
}

void SanityPage::redraw()
{
    if (!d->result || !d->model) {
        d->view->setImage({});
        return;
    }
    const SanityFigure figure = d->figure();
    const SanityFit fit = sanityFitFor(figure, std::max(200, d->view->width()), std::max(150, d->view->height()));
    d->view->setImage(composeSanityFigure(figure, fit.tile, 1.0, fit.layout));
}

void SanityPage::showStatus()
{
    const int done = d->done();
    d->progress->setRange(0, std::max(1, d->total));
    d->progress->setValue(done);
    d->progress->setVisible(d->running);
    d->stop->setEnabled(d->running);
    d->exportPng->setEnabled(done > 0);
    d->exportCsv->setEnabled(done > 0);
    QString text = tr("%1 of %2 maps").arg(done).arg(d->total);
    if (!d->stage.isEmpty())
        text += QStringLiteral(" — ") + d->stage;
    if (d->result && d->model)
        text += tr(". Each row is a method, each column a step of the %1 randomization (seed %2); the chart shows how "
                   "alike each map is to the trained model's.")
                    .arg(QString::fromStdString(randomizationName(d->result->mode)))
                    .arg(d->seed);
    d->status->setText(text);
}

} // namespace convscope
