#include "app/shell/workspace.h"

#include "app/shell/class_text.h"
#include "app/shell/frames.h"
#include "app/shell/gui_post.h"
#include "app/shell/job_runner.h"
#include "core/device.h"
#include "core/model.h"
#include "core/model_summary.h"

#include <QTimer>

namespace convscope {

struct Workspace::Private {
    JobRunner* jobs = nullptr;
    JobRunner* drawing = nullptr;
    std::shared_ptr<Model> model;
    ModelSummary summary;
    std::shared_ptr<InputFrame> input;
    qint64 serial = 0;
    int layer = -1;
    std::shared_ptr<const ForwardResult> forward;
    int forwardGeneration = 0;
    bool forwardPending = false;
    QTimer* idleRelease = nullptr;
};

Workspace::Workspace(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->jobs = new JobRunner(QStringLiteral("model"), this);
    d->drawing = new JobRunner(QStringLiteral("drawing"), this);
    // tuneAllocator() keeps freed memory for the next pass, which makes a
    // stream of passes fast but would hold the peak of the biggest job for
    // ever: it goes back once the work has paused.
    d->idleRelease = new QTimer(this);
    d->idleRelease->setSingleShot(true);
    d->idleRelease->setInterval(kIdleReleaseMs);
    connect(d->idleRelease, &QTimer::timeout, this, [this] {
        if (!d->jobs->idle() || !d->drawing->idle())
            return;
        releaseFreeMemory();
        Q_EMIT memoryReleased();
    });
    for (JobRunner* runner : {d->jobs, d->drawing}) {
        connect(runner, &JobRunner::started, d->idleRelease, qOverload<>(&QTimer::stop));
        connect(runner, &JobRunner::becameIdle, this, &Workspace::releaseWhenIdle);
    }
}

void Workspace::releaseWhenIdle()
{
    if (d->jobs->idle() && d->drawing->idle())
        d->idleRelease->start();
}

Workspace::~Workspace()
{
    // Runners first: their jobs hold the model.
    delete d->drawing;
    delete d->jobs;
}

JobRunner* Workspace::jobs() const
{
    return d->jobs;
}

JobRunner* Workspace::drawing() const
{
    return d->drawing;
}

std::shared_ptr<Model> Workspace::model() const
{
    return d->model;
}

const ModelSummary& Workspace::summary() const
{
    return d->summary;
}

void Workspace::setModel(std::shared_ptr<Model> model, const ModelSummary& summary)
{
    d->model = std::move(model);
    d->summary = summary;
    d->forward.reset();
    d->layer = -1;
    Q_EMIT modelChanged();
    // A modelChanged() handler may already have selected a layer (the window
    // selects the first one), which emitted layerChanged itself: a -1 after
    // it would tell views the opposite of the truth.
    if (d->layer < 0)
        Q_EMIT layerChanged(-1);
}

std::shared_ptr<const InputFrame> Workspace::input() const
{
    return d->input;
}

void Workspace::setInput(std::shared_ptr<InputFrame> frame)
{
    frame->serial = ++d->serial;
    d->input = std::move(frame);
    Q_EMIT inputChanged();
    runForward();
}

int Workspace::layer() const
{
    return d->layer;
}

QString Workspace::layerName() const
{
    if (!d->model || d->layer < 0 || d->layer >= static_cast<int>(d->model->layers().size()))
        return {};
    return QString::fromStdString(d->model->layers()[static_cast<size_t>(d->layer)].name);
}

void Workspace::setLayer(int layer)
{
    if (layer == d->layer)
        return;
    d->layer = layer;
    Q_EMIT layerChanged(layer);
    runForward();
}

void Workspace::pickUnit(int layer, int channel)
{
    if (d->model && layer >= 0 && layer < static_cast<int>(d->model->layers().size()) && channel >= 0)
        Q_EMIT unitPicked(layer, channel);
}

bool Workspace::setLayer(const QString& name)
{
    const int layer = d->model ? d->model->graph().find(name.toStdString()) : -1;
    if (layer < 0)
        return false;
    setLayer(layer);
    return true;
}

std::shared_ptr<const ForwardResult> Workspace::forward() const
{
    return d->forward;
}

bool Workspace::forwardPending() const
{
    return d->forwardPending;
}

void Workspace::runForward()
{
    if (!d->model || !d->input || !d->input->pixels.defined())
        return;
    // An input read in another model's format is being read again in this
    // one's (InputController, on modelChanged): a pass now could only fail.
    const auto& in = d->model->info().input;
    if (d->input->pixels.sizes() != c10::IntArrayRef{in[0], in[1], in[2]})
        return;
    auto model = d->model;
    auto frame = std::shared_ptr<const InputFrame>(d->input);
    const int layer = d->layer;
    const int generation = ++d->forwardGeneration;
    d->forwardPending = true;
    auto onError = [this, generation](const QString& message) {
        if (generation == d->forwardGeneration)
            d->forwardPending = false;
        Q_EMIT forwardFailed(message);
    };
    // The status bar's Cancel drops this job as well, without a word: then
    // nothing is pending any more (or the window would wait on it for ever).
    auto notice = jobEndNotice(QPointer<Workspace>(this), [generation](Workspace* workspace) {
        if (generation == workspace->d->forwardGeneration)
            workspace->d->forwardPending = false;
    });
    d->jobs->submit(QStringLiteral("forward"), QString(), [this, model, frame, layer, generation, notice](JobContext&) {
        // No graph kept. Not InferenceMode: its tensors refuse the in-place
        // ops that drawing code later applies to the activation outside it.
        torch::NoGradGuard noGrad;
        auto result = std::make_shared<ForwardResult>();
        result->frame = frame;
        result->layer = layer;
        std::vector<int> layers;
        if (layer >= 0)
            layers.push_back(layer);
        Model::Capture capture = model->capture(frame->pixels.unsqueeze(0), layers, true);
        result->forwardMs = model->lastForwardMs();
        if (layer >= 0)
            result->activation = capture.layers[0][0].detach().to(torch::kCPU, torch::kFloat);
        if (isSegmentation(model->info()))
            result->segmentation = torch::softmax(capture.output[0].detach().to(torch::kCPU, torch::kFloat), 0);
        auto probs = torch::softmax(capture.logits[0].detach().to(torch::kCPU, torch::kFloat), 0);
        result->top = topClasses(probs, model->info().labels, 5, &result->topClasses);
        return [this, result, generation, model] {
            if (model != d->model)
                return; // a different model arrived meanwhile
            if (generation == d->forwardGeneration)
                d->forwardPending = false;
            d->forward = result;
            Q_EMIT forwardReady();
        };
    }, onError);
}

} // namespace convscope
