#include "app/views/adversarial/tab.h"

#include "app/shell/form_widgets.h"
#include "app/shell/frames.h"
#include "app/shell/gui_post.h"
#include "app/shell/job_runner.h"
#include "app/shell/slide_picture.h"
#include "app/shell/workspace.h"
#include "app/views/adversarial/attack_confusion.h"
#include "app/views/adversarial/charts.h"
#include "app/views/adversarial/compare_panel.h"
#include "app/views/adversarial/controls.h"
#include "app/views/adversarial/pictures.h"
#include "app/views/adversarial/robustness.h"
#include "app/views/adversarial/run.h"
#include "app/views/adversarial/amplification_chart.h"
#include "app/views/adversarial/trace_panel.h"
#include "core/error.h"
#include "core/model.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QTabWidget>
#include <QVBoxLayout>

namespace convscope
{

namespace
{

const QString kAttack = QStringLiteral("adversarial");

} // namespace

struct AdversarialTab::Private {
    AdversarialControls* controls = nullptr;
    AdversarialPictures* pictures = nullptr;
    TravelChart* travel = nullptr;
    RobustnessPanel* curves = nullptr;
    TracePanel* trace = nullptr;
    ComparePanel* compare = nullptr;
    QTabWidget* below = nullptr;
    QScrollArea* scroll = nullptr;
    QLabel* info = nullptr;
    QLabel* caption = nullptr;
    QPushButton* embed = nullptr;

    std::shared_ptr<const AdversarialRun> result;
    std::shared_ptr<const InputFrame> attacked; // the input of the result shown
    std::shared_ptr<const InputFrame> runningFrame;
    std::shared_ptr<const InputFrame> original; // what Restore original brings back
    qint64 adversarialSerial = -1; // the workspace input Use as input made
    bool attackRunning = false, liveRunning = false;
    bool settingInput = false; // Use as input, before the new input's serial is known
    int attackGeneration = 0;
    qint64 shown = 0;
};

AdversarialTab::AdversarialTab(Workspace* workspace, InputController* input, QWidget* parent)
    : ViewTab(workspace, parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("adversarialTab"));
    d->controls = new AdversarialControls;
    d->pictures = new AdversarialPictures;
    d->travel = new TravelChart;
    d->travel->setObjectName(QStringLiteral("travelChart"));
    d->curves = new RobustnessPanel(workspace, input);
    d->trace = new TracePanel(workspace);
    d->trace->setObjectName(QStringLiteral("tracePanel"));
    // Under the pictures, one at a time: both need the tab's width to read.
    d->below = new QTabWidget;
    d->below->setObjectName(QStringLiteral("adversarialBelow"));
    d->below->addTab(d->trace, tr("Through the layers"));
    d->below->addTab(d->curves, tr("Robustness"));
    d->compare = new ComparePanel(workspace);
    d->compare->setObjectName(QStringLiteral("comparePanel"));
    d->below->addTab(d->compare, tr("Compare"));
    d->info = infoLabel(QStringLiteral("adversarialInfo"));
    d->caption = infoLabel(QStringLiteral("adversarialCaption"));
    d->embed = new QPushButton(tr("Show in embedding"));
    d->embed->setObjectName(QStringLiteral("adversarialShowInEmbedding"));
    d->embed->setToolTip(tr("Place the clean and the adversarial image into the Embedding tab's t-SNE map, with an "
                            "arrow from one to the other"));
    d->embed->setEnabled(false);

    // The travel chart under the controls, where the form leaves room; the
    // pictures and the robustness curves get the tab's width.
    auto* left = new QVBoxLayout;
    left->addWidget(d->controls);
    left->addSpacing(8);
    left->addWidget(d->travel, 1);
    d->travel->setFixedWidth(d->controls->maximumWidth());
    auto* right = new QVBoxLayout;
    right->addWidget(d->info);
    right->addWidget(d->pictures, 5);
    auto* compareButton = new QPushButton(tr("Compare with…"));
    compareButton->setObjectName(QStringLiteral("adversarialCompareWith"));
    compareButton->setToolTip(tr("Run every attack on a second model too (an adversarially trained one, say)"));
    auto* captionRow = new QHBoxLayout;
    captionRow->addWidget(d->caption, 1);
    captionRow->addWidget(d->embed);
    captionRow->addWidget(compareButton);
    right->addLayout(captionRow);
    right->addSpacing(4);
    right->addWidget(d->below, 4);
    // Four pictures, two charts and the form need more room than a small
    // window has: they scroll rather than forcing the whole window wider.
    auto* content = new QWidget;
    auto* layout = new QHBoxLayout(content);
    layout->addLayout(left);
    layout->addSpacing(8);
    layout->addLayout(right, 1);
    auto* scroll = d->scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(d->controls, &AdversarialControls::runClicked, this, &AdversarialTab::run);
    connect(d->embed, &QPushButton::clicked, this, &AdversarialTab::showInEmbeddingRequested);
    connect(d->curves->confusion(), &AttackConfusion::showInEmbeddingClicked, this,
            &AdversarialTab::showBatchInEmbeddingRequested);
    connect(compareButton, &QPushButton::clicked, this, [this] {
        d->below->setCurrentWidget(d->compare);
        d->compare->chooseModel();
    });
    connect(d->compare, &ComparePanel::comparedChanged, this,
            [this] { d->curves->setCompared(d->compare->model(), d->compare->name()); });
    connect(d->controls, &AdversarialControls::liveEpsChanged, this, &AdversarialTab::runLive);
    connect(d->controls, &AdversarialControls::stopClicked, this, &AdversarialTab::stop);
    connect(d->controls, &AdversarialControls::curveClicked, this, &AdversarialTab::runCurve);
    connect(d->controls, &AdversarialControls::useAsInputClicked, this, &AdversarialTab::useAsInput);
    connect(d->controls, &AdversarialControls::restoreClicked, this, &AdversarialTab::restoreOriginal);
    connect(d->curves, &RobustnessPanel::runningChanged, this, [this] {
        updateState();
        setBusy(isRunning());
    });
    connect(workspace, &Workspace::inputChanged, this, [this] {
        updateState();
        invalidate();
    });
    connect(workspace, &Workspace::modelChanged, this, [this] {
        // The old model's examples and curves answer a question no longer asked.
        abandon();
        d->curves->abandon();
        clearResult();
        d->original.reset();
        d->adversarialSerial = -1;
        if (auto model = this->workspace()->model())
            d->controls->setModel(*model);
        invalidate();
    });
}

AdversarialTab::~AdversarialTab() = default;

AdversarialControls* AdversarialTab::controls() const
{
    return d->controls;
}
AdversarialPictures* AdversarialTab::pictures() const
{
    return d->pictures;
}
TravelChart* AdversarialTab::travelChart() const
{
    return d->travel;
}
RobustnessChart* AdversarialTab::robustnessChart() const
{
    return d->curves->chart();
}
TracePanel* AdversarialTab::tracePanel() const
{
    return d->trace;
}
ComparePanel* AdversarialTab::comparePanel() const
{
    return d->compare;
}
AttackConfusion* AdversarialTab::attackConfusion() const
{
    return d->curves->confusion();
}
void AdversarialTab::showBelow(int page)
{
    d->below->setCurrentIndex(page);
    d->scroll->ensureWidgetVisible(d->below, 0, 0);
}
std::shared_ptr<const AdversarialRun> AdversarialTab::result() const
{
    return d->result;
}
qint64 AdversarialTab::resultsShown() const
{
    return d->shown;
}
QString AdversarialTab::infoText() const
{
    return d->info->text();
}
QString AdversarialTab::captionText() const
{
    return d->caption->text();
}
QString AdversarialTab::curveText() const
{
    return d->curves->infoText();
}

bool AdversarialTab::isRunning() const
{
    return d->attackRunning || d->curves->isRunning();
}

void AdversarialTab::refresh()
{
    auto frame = workspace()->input();
    if (!workspace()->model())
        d->info->setText(tr("Open a model."));
    else if (!frame || !frame->pixels.defined())
        d->info->setText(tr("Open an image or a dataset: this tab attacks the current input."));
    else if (d->attackRunning)
        return;
    else if (!d->result)
        d->info->setText(tr("Run attacks the current input; the live ε slider runs FGSM as it moves."));
    else if (d->settingInput)
        return;
    else if (frame->serial == d->result->inputSerial || frame->serial == d->adversarialSerial) {
        if (!d->result->cancelled)
            d->info->clear();
    } else
        d->info->setText(tr("The input has changed: Run (or the live ε slider) attacks the new one."));
}

void AdversarialTab::run()
{
    startAttack(false, 0);
}

void AdversarialTab::runLive(double eps)
{
    startAttack(true, eps);
}

void AdversarialTab::startAttack(bool live, double eps)
{
    auto model = workspace()->model();
    auto frame = workspace()->input();
    if (!model || !frame || !frame->pixels.defined()) {
        refresh();
        return;
    }
    const auto& in = model->info().input;
    if (frame->pixels.size(0) != in[0] || frame->pixels.size(1) != in[1] || frame->pixels.size(2) != in[2])
        return; // the input is being read again in the new model's format
    AttackOptions options = d->controls->options();
    if (live) {
        options = attackDefaults(AttackMethod::Fgsm);
        options.eps = eps;
        options.target = d->controls->options().target;
    }
    // A live request replaces the one waiting (JobRunner keeps the newest); a
    // Run stops whatever attack is running.
    if (d->attackRunning && !(live && d->liveRunning))
        workspace()->jobs()->cancel(kAttack);
    const int generation = ++d->attackGeneration;
    d->attackRunning = true;
    d->liveRunning = live;
    d->runningFrame = frame;
    const QString title = attackTitle(options);
    if (!live)
        d->info->setText(tr("Attacking: %1…").arg(title));
    updateState();
    setBusy(true);

    // "Compare with…": each Run on the second model too (not the live slider: twice the work per step).
    std::shared_ptr<Model> compared = live ? nullptr : d->compare->model();
    const QString comparedName = d->compare->name();
    QPointer<AdversarialTab> self(this);
    auto notice = jobEndNotice(self, [generation](AdversarialTab* tab) { tab->jobGone(generation); });
    // Live FGSM runs quietly: a status-bar flash per slider step would only flicker.
    workspace()->jobs()->submit(
        kAttack, live ? QString() : tr("Attack: %1").arg(title),
        [self, model, frame, options, live, generation, notice, compared, comparedName](JobContext& job)
            -> JobRunner::Done {
            checkAttackOptions(*model, options);
            auto run = std::const_pointer_cast<AdversarialRun>(runAttack(*model, frame->pixels, options, job));
            if (compared && !run->cancelled) {
                try {
                    checkAttackOptions(*compared, options);
                    compareAttack(*run, *model, *compared, comparedName, frame->pixels, job);
                } catch (const Cancelled&) {
                    run->compareError = AdversarialTab::tr("stopped before the compared model's attack ended");
                } catch (const std::exception& e) {
                    run->compareError = QString::fromUtf8(e.what());
                }
            }
            run->live = live;
            run->inputSerial = frame->serial;
            // Straight to the tab, not as the continuation: JobRunner drops that
            // of a cancelled job, and Stop keeps the image as it is.
            postTo(self, [generation, run](AdversarialTab* tab) { tab->finishAttack(generation, run); });
            return {};
        },
        [self, generation](const QString& error) {
            if (self)
                self->failAttack(generation, error);
        });
}

void AdversarialTab::finishAttack(int generation, const std::shared_ptr<const AdversarialRun>& run)
{
    if (generation != d->attackGeneration) {
        // An older slider position while a newer one waits: show it, so that
        // dragging stays live.
        if (d->attackRunning && d->liveRunning && run->live)
            show(run);
        return;
    }
    if (!d->attackRunning)
        return;
    d->attackRunning = false;
    d->attacked = d->runningFrame;
    show(run);
    d->info->setText(
        run->cancelled ? tr("Stopped after %1 steps; the image is as it was then.").arg(run->steps) : QString());
    updateState();
    setBusy(d->curves->isRunning());
}

void AdversarialTab::failAttack(int generation, const QString& message)
{
    if (generation != d->attackGeneration || !d->attackRunning)
        return;
    d->attackRunning = false;
    clearResult();
    d->info->setText(tr("Cannot attack: %1").arg(message));
    updateState();
    setBusy(d->curves->isRunning());
}

void AdversarialTab::jobGone(int generation)
{
    if (generation != d->attackGeneration || !d->attackRunning)
        return; // answered, failed, or superseded
    d->attackRunning = false;
    d->info->setText(tr("Stopped before the first step."));
    updateState();
    setBusy(isRunning());
}

void AdversarialTab::stop()
{
    workspace()->jobs()->cancel(kAttack);
    d->curves->stop();
}

void AdversarialTab::abandon()
{
    if (!d->attackRunning)
        return;
    ++d->attackGeneration;
    d->attackRunning = false;
    workspace()->jobs()->cancel(kAttack);
    updateState();
    setBusy(d->curves->isRunning());
}

void AdversarialTab::show(const std::shared_ptr<const AdversarialRun>& run)
{
    d->result = run;
    ++d->shown;
    const QString fooled = run->success ? tr("fooled") : tr("not fooled");
    const int values = static_cast<int>(run->clean.numel());
    d->pictures->setPictures({
        { tr("Original"), run->original, predictionText(run->topBefore.value(0)) },
        { tr("Adversarial"), run->adversarialImage, tr("%1, %2").arg(predictionText(run->topAfter.value(0)), fooled) },
        // Non-breaking spaces: a narrow column wraps before the formula, not inside it.
        { tr("Difference (0.5\u00a0+\u00a0δ)"), run->difference,
            tr("L∞ %1 · L2 %2").arg(linfText(run->linf)).arg(run->l2, 0, 'g', 3) },
        { tr("Difference ×10"), run->difference10, tr("L0 %1 of %2 values").arg(run->l0).arg(values) },
    });
    d->pictures->setTopK(run->topBefore, run->topAfter);
    d->travel->setCurve(run->curve, run->tracked);
    if (run->compared) {
        const AmplificationCurves other = curvesOf(*run->compared, run->comparedName);
        d->trace->setRun(run, &other);
    } else
        d->trace->setRun(run);
    if (!run->live) {
        if (run->compareError.isEmpty())
            d->compare->setRun(run);
        else
            d->compare->showError(run->compareError);
    }
    if (!run->live)
        d->below->setCurrentWidget(d->trace);
    const QString aim
        = run->options.target >= 0 ? tr("towards %1").arg(run->tracked) : tr("away from %1").arg(run->tracked);
    d->caption->setText(tr("%1 %2 · %3 after %4 in %5 s%6")
                            .arg(attackTitle(run->options), aim, fooled)
                            .arg(run->steps == 1 ? tr("1 step") : tr("%1 steps").arg(run->steps))
                            .arg(run->seconds, 0, 'f', 2)
                            .arg(run->live ? tr(" · live") : QString()));
    updateState();
}

void AdversarialTab::clearResult()
{
    d->result.reset();
    d->attacked.reset();
    d->pictures->clear();
    d->travel->clear();
    d->trace->clear();
    d->compare->setRun({});
    d->caption->clear();
    updateState();
}

void AdversarialTab::updateState()
{
    d->controls->setRunning(d->attackRunning && !d->liveRunning, d->curves->isRunning());
    auto frame = workspace()->input();
    const bool adversarialInput = frame && frame->serial == d->adversarialSerial && d->original;
    d->controls->setCanUse(d->result && d->attacked, adversarialInput);
    d->embed->setEnabled(d->result != nullptr);
}

void AdversarialTab::useAsInput()
{
    if (!d->result || !d->attacked)
        return;
    auto frame = std::make_shared<InputFrame>();
    frame->pixels = d->result->adversarial.clone();
    frame->caption = tr("Adversarial (%1) of %2").arg(attackTitle(d->result->options), d->attacked->caption);
    frame->source = d->attacked->source;
    frame->index = d->attacked->index;
    // Attacking an adversarial input again still restores the first original.
    if (!(d->original && d->attacked->serial == d->adversarialSerial))
        d->original = d->attacked;
    // Its serial is known once it is set: the refresh its inputChanged() asks for waits until then.
    d->settingInput = true;
    workspace()->setInput(frame);
    d->settingInput = false;
    d->adversarialSerial = frame->serial;
    // It is what this result shows, so it is no "changed input".
    d->attacked = workspace()->input();
    updateState();
    refresh();
    Q_EMIT message(tr("The adversarial image is every view's input now; Restore original brings the image back."));
}

void AdversarialTab::restoreOriginal()
{
    if (!d->original)
        return;
    auto frame = std::make_shared<InputFrame>(*d->original);
    d->original.reset();
    d->adversarialSerial = -1;
    workspace()->setInput(frame);
    updateState();
}

void AdversarialTab::runCurve()
{
    d->below->setCurrentWidget(d->curves);
    d->curves->run(d->controls->options(), d->controls->samples(), d->controls->epsListText());
}

bool AdversarialTab::exportCsv(const QString& path)
{
    return d->curves->exportCsv(path);
}

bool AdversarialTab::exportChartPng(const QString& path)
{
    return d->curves->exportPng(path);
}

QImage AdversarialTab::exportImage()
{
    if (!d->result)
        return ViewTab::exportImage();
    SlidePicture picture;
    for (const AdversarialPictures::Picture& p : d->pictures->pictures())
        picture.panels.append({ p.title + QLatin1Char('\n') + p.caption, p.image, {}, {} });
    if (auto model = workspace()->model())
        picture.heading = QStringLiteral("%1 · %2").arg(
            QString::fromStdString(model->info().name), d->attacked ? d->attacked->caption : QString());
    picture.caption = d->caption->text();
    return picture.render(280);
}

int AdversarialTab::lessonChannel() const
{
    return d->controls->target();
}

void AdversarialTab::setLessonChannel(int channel)
{
    d->controls->setTarget(channel);
}

QString AdversarialTab::lessonWork() const
{
    return d->result ? QStringLiteral("attack") : QString();
}

void AdversarialTab::startLessonWork(const QString& work)
{
    if (work == QLatin1String("attack"))
        run();
}

void AdversarialTab::saveSettings(const QString& group) const
{
    d->controls->save(*settingsAt(group));
}

void AdversarialTab::restoreSettings(const QString& group)
{
    d->controls->restore(*settingsAt(group));
}

} // namespace convscope
