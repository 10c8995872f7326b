#include "app/views/saliency/sanity_controls.h"

#include "app/views/saliency/run.h"
#include "core/model.h"
#include "core/randomization.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>

#include <algorithm>

namespace convscope {

struct SanityControls::Private {
    QComboBox* mode = nullptr;
    QSlider* step = nullptr;
    QLabel* stepLabel = nullptr;
    QSpinBox* seed = nullptr;
    QPushButton* figure = nullptr;
    QStringList stepNames; // [k - 1] the layers step k re-initializes
    int wantedStep = 0;    // kept while a model with fewer steps is open
    bool supported = true;
};

SanityControls::SanityControls(QWidget* parent)
    : QGroupBox(tr("Sanity check"), parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("sanityControls"));
    setToolTip(tr("Does the map explain the model? Recompute it with the model's weights re-initialized "
                  "(Adebayo et al., \"Sanity Checks for Saliency Maps\", 2018): a map that stays the same "
                  "shows the image, not what the model learned."));
    d->mode = new QComboBox;
    d->mode->setObjectName(QStringLiteral("sanityMode"));
    d->mode->addItem(tr("off"), QStringLiteral("off"));
    d->mode->addItem(tr("cascading"), QStringLiteral("cascading"));
    d->mode->addItem(tr("independent"), QStringLiteral("independent"));
    d->mode->setItemData(1, tr("Re-initialize the layers from the last one backwards, one more each step"),
                         Qt::ToolTipRole);
    d->mode->setItemData(2, tr("Re-initialize one layer at a time, the others as trained"), Qt::ToolTipRole);
    d->step = new QSlider(Qt::Horizontal);
    d->step->setObjectName(QStringLiteral("sanityStep"));
    d->step->setRange(0, 0);
    d->step->setPageStep(1);
    d->step->setTracking(false); // one run where the slider is let go, not one per tick passed
    d->step->setToolTip(tr("0: the trained model; k: the k-th step of the randomization"));
    d->stepLabel = new QLabel;
    d->stepLabel->setObjectName(QStringLiteral("sanityStepLabel"));
    d->stepLabel->setWordWrap(true);
    d->seed = new QSpinBox;
    d->seed->setObjectName(QStringLiteral("sanitySeed"));
    d->seed->setRange(0, 1000000);
    d->seed->setKeyboardTracking(false);
    d->seed->setToolTip(tr("Seed of the re-initialized weights: the same seed, the same random model"));
    d->figure = new QPushButton(tr("All methods…"));
    d->figure->setObjectName(QStringLiteral("sanityFigure"));
    d->figure->setToolTip(tr("Every method at every step, as the paper's figure, with the similarity "
                             "to the trained model's map against the step"));

    auto* form = new QFormLayout(this);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Randomize:"), d->mode);
    form->addRow(tr("Step:"), d->step);
    form->addRow(d->stepLabel);
    form->addRow(tr("Seed:"), d->seed);
    form->addRow(d->figure);

    connect(d->mode, &QComboBox::currentIndexChanged, this, [this] {
        updateLabel();
        Q_EMIT requestChanged();
    });
    connect(d->step, &QSlider::valueChanged, this, [this](int value) {
        d->wantedStep = value;
        updateLabel();
        Q_EMIT requestChanged();
    });
    connect(d->step, &QSlider::sliderMoved, this, [this](int value) {
        // The label follows the drag; the map comes where it stops.
        const QSignalBlocker block(d->step);
        d->step->setSliderPosition(value);
        updateLabel();
    });
    connect(d->seed, &QSpinBox::valueChanged, this, &SanityControls::requestChanged);
    connect(d->figure, &QPushButton::clicked, this, &SanityControls::figureClicked);
    updateLabel();
}

SanityControls::~SanityControls() = default;

void SanityControls::setModel(const Model& model)
{
    d->stepNames.clear();
    for (const RandomizationStep& step : randomizationSteps(model))
        d->stepNames << QString::fromStdString(step.name);
    const QSignalBlocker block(d->step);
    d->step->setRange(0, static_cast<int>(d->stepNames.size()));
    d->step->setValue(std::min(d->wantedStep, d->step->maximum()));
    updateLabel();
}

void SanityControls::fill(SaliencyRequest& request) const
{
    request.randomize = active();
    request.randomization = mode() == QLatin1String("independent") ? Randomization::Independent : Randomization::Cascading;
    request.randomizeStep = step();
    request.randomizeSeed = static_cast<uint64_t>(d->seed->value());
    request.randomizeSteps = steps();
    request.randomizedLayers = step() > 0 ? d->stepNames.value(step() - 1) : QString();
}

QString SanityControls::requestKey() const
{
    if (!active())
        return {};
    return QStringLiteral("%1/%2/%3").arg(mode()).arg(step()).arg(d->seed->value());
}

bool SanityControls::active() const
{
    return d->supported && mode() != QLatin1String("off") && step() > 0;
}

void SanityControls::setMethodSupported(bool supported)
{
    d->supported = supported;
    for (QWidget* w : {static_cast<QWidget*>(d->mode), static_cast<QWidget*>(d->step), static_cast<QWidget*>(d->seed),
                       static_cast<QWidget*>(d->figure)})
        w->setEnabled(supported);
    updateLabel();
}

QString SanityControls::mode() const
{
    return d->mode->currentData().toString();
}

void SanityControls::setMode(const QString& mode)
{
    const int index = d->mode->findData(mode);
    if (index >= 0)
        d->mode->setCurrentIndex(index);
}

int SanityControls::step() const
{
    return d->step->value();
}

void SanityControls::setStep(int step)
{
    d->step->setValue(step);
    d->wantedStep = step; // before a model comes, the slider's range is 0..0
}

int SanityControls::steps() const
{
    return static_cast<int>(d->stepNames.size());
}

int SanityControls::seed() const
{
    return d->seed->value();
}

void SanityControls::updateLabel()
{
    d->step->setEnabled(d->supported && mode() != QLatin1String("off"));
    const int k = d->step->sliderPosition();
    if (!d->supported)
        d->stepLabel->setText(tr("For the gradient methods."));
    else if (mode() == QLatin1String("off"))
        d->stepLabel->setText(tr("The trained model, as loaded."));
    else if (k == 0)
        d->stepLabel->setText(tr("Step 0 of %1: the trained model. Move the slider to re-initialize layers.")
                                  .arg(steps()));
    else if (mode() == QLatin1String("cascading"))
        d->stepLabel->setText(tr("Step %1 of %2: %3 and every layer after it re-initialized")
                                  .arg(k)
                                  .arg(steps())
                                  .arg(d->stepNames.value(k - 1)));
    else
        d->stepLabel->setText(tr("Step %1 of %2: only %3 re-initialized").arg(k).arg(steps()).arg(d->stepNames.value(k - 1)));
}

void SanityControls::save(QSettings& settings) const
{
    settings.setValue(QStringLiteral("sanityMode"), mode());
    settings.setValue(QStringLiteral("sanityStep"), step());
    settings.setValue(QStringLiteral("sanitySeed"), seed());
}

void SanityControls::restore(const QSettings& settings)
{
    setMode(settings.value(QStringLiteral("sanityMode"), QStringLiteral("off")).toString());
    d->seed->setValue(settings.value(QStringLiteral("sanitySeed"), 0).toInt());
    // The range comes with the model: setModel applies a step past it.
    setStep(settings.value(QStringLiteral("sanityStep"), 0).toInt());
}

} // namespace convscope
