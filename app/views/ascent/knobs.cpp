#include "app/views/ascent/knobs.h"

#include "core/ascent.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSettings>
#include <QSpinBox>

#include <limits>

namespace convscope {

namespace {

QDoubleSpinBox* doubleBox(
    const QString& objectName, double min, double max, int decimals, double step, const QString& tip)
{
    auto* box = new QDoubleSpinBox;
    box->setObjectName(objectName);
    box->setRange(min, max);
    box->setDecimals(decimals);
    box->setSingleStep(step);
    box->setToolTip(tip);
    return box;
}

QString number(double value)
{
    return QString::number(value, 'g', 6);
}

} // namespace

QSpinBox* ascentSpinBox(const QString& objectName, int min, int max, const QString& tip)
{
    auto* box = new QSpinBox;
    box->setObjectName(objectName);
    box->setRange(min, max);
    box->setToolTip(tip);
    return box;
}

struct AscentKnobs::Private {
    QFormLayout* form = nullptr;
    QComboBox* preset = nullptr;
    QSpinBox* steps = nullptr;
    QDoubleSpinBox* learningRate = nullptr;
    QDoubleSpinBox* l2 = nullptr;
    QDoubleSpinBox* decay = nullptr;
    QSpinBox* blurEvery = nullptr;
    QDoubleSpinBox* blurSigma = nullptr;
    QDoubleSpinBox* clip = nullptr;
    QDoubleSpinBox* jitter = nullptr;
    QWidget* scale = nullptr;
    QDoubleSpinBox* scaleMin = nullptr;
    QDoubleSpinBox* scaleMax = nullptr;
    QDoubleSpinBox* rotate = nullptr;
    QSpinBox* upsample = nullptr;
    QCheckBox* fourier = nullptr;
    QCheckBox* decorrelate = nullptr;
    QSpinBox* seed = nullptr;
    bool colour = true;
};

AscentKnobs::AscentKnobs(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->preset = new QComboBox;
    d->preset->setObjectName(QStringLiteral("ascentPreset"));
    d->preset->addItem(tr("Plain"), QStringLiteral("plain"));
    d->preset->setItemData(
        0, tr("Gradient ascent with an L2 penalty on the image (Simonyan et al. 2014)"), Qt::ToolTipRole);
    d->preset->addItem(tr("Yosinski"), QStringLiteral("yosinski"));
    d->preset->setItemData(
        1, tr("L2 decay, a blur every few steps, clipping of weak pixels (Yosinski et al. 2015)"), Qt::ToolTipRole);
    d->preset->addItem(tr("Lucid"), QStringLiteral("lucid"));
    d->preset->setItemData(2,
        tr("A Fourier-space image, decorrelated colour, random jitter, scale and rotation "
           "every step, Adam (Olah et al. 2017)"),
        Qt::ToolTipRole);
    d->preset->setToolTip(tr("Fills every knob below with the preset's values"));
    d->steps = ascentSpinBox(QStringLiteral("ascentSteps"), 0, 100000, tr("Optimization steps"));
    d->learningRate = doubleBox(QStringLiteral("ascentLearningRate"), 0.0001, 100, 4, 0.01,
        tr("Plain and Yosinski: RMS pixel change per step; Lucid: Adam's learning rate"));
    d->l2 = doubleBox(QStringLiteral("ascentL2"), 0, 100, 5, 0.001,
        tr("Penalty weight on the squared distance "
           "from the mean image"));
    d->decay = doubleBox(QStringLiteral("ascentDecay"), 0, 0.99999, 5, 0.0001,
        tr("Each step pulls the image this fraction of the way to the mean image"));
    d->blurEvery = ascentSpinBox(QStringLiteral("ascentBlurEvery"), 0, 100000, tr("Blur the image every N steps"));
    d->blurEvery->setSpecialValueText(tr("never"));
    d->blurSigma = doubleBox(QStringLiteral("ascentBlurSigma"), 0.1, 20, 2, 0.1, tr("Gaussian blur sigma, pixels"));
    d->clip = doubleBox(QStringLiteral("ascentClip"), 0, 99.9, 1, 5,
        tr("Pixels whose colour norm is below this percentile become the mean"));
    d->clip->setSuffix(tr(" %"));
    d->jitter = doubleBox(QStringLiteral("ascentJitter"), -1, 1000, 1, 1,
        tr("Random shift of up to ± this many input pixels each step; auto: Lucid's 12 px at "
           "224 px, scaled to the input"));
    d->jitter->setSpecialValueText(tr("auto"));
    d->jitter->setSuffix(tr(" px"));
    d->scaleMin = doubleBox(QStringLiteral("ascentScaleMin"), 0.1, 4, 2, 0.05, tr("Smallest random zoom"));
    d->scaleMax = doubleBox(QStringLiteral("ascentScaleMax"), 0.1, 4, 2, 0.05, tr("Largest random zoom"));
    d->scale = new QWidget;
    auto* scale = new QHBoxLayout(d->scale);
    scale->setContentsMargins(0, 0, 0, 0);
    scale->addWidget(d->scaleMin);
    scale->addWidget(new QLabel(QStringLiteral("–")));
    scale->addWidget(d->scaleMax);
    d->rotate = doubleBox(QStringLiteral("ascentRotate"), 0, 180, 1, 1, tr("Random rotation of up to ± degrees"));
    d->rotate->setSuffix(QStringLiteral("°"));
    d->upsample = ascentSpinBox(QStringLiteral("ascentUpsample"), 0, 8,
        tr("Optimize at this multiple of the input size; auto: enough to reach 112 px (at most 4)"));
    d->upsample->setSpecialValueText(tr("auto"));
    d->upsample->setSuffix(QStringLiteral(" ×"));
    d->fourier = new QCheckBox(tr("Fourier parameterization"));
    d->fourier->setObjectName(QStringLiteral("ascentFourier"));
    d->fourier->setToolTip(tr("Optimize a spectrum scaled by 1/frequency instead of pixels"));
    d->decorrelate = new QCheckBox(tr("Decorrelate colour"));
    d->decorrelate->setObjectName(QStringLiteral("ascentDecorrelate"));
    d->decorrelate->setToolTip(tr("Optimize in a decorrelated colour space (3-channel models)"));
    d->seed = ascentSpinBox(QStringLiteral("ascentSeed"), 0, std::numeric_limits<int>::max(),
        tr("Seed of the start noise and the random transforms: the same seed, the same image"));

    connect(d->preset, &QComboBox::currentIndexChanged, this, [this] {
        fillFromPreset();
        Q_EMIT presetChanged();
    });
    setPreset(QStringLiteral("lucid"));
    fillFromPreset();
}

AscentKnobs::~AscentKnobs() = default;

void AscentKnobs::addRows(QFormLayout* form)
{
    d->form = form;
    form->addRow(tr("Preset:"), d->preset);
    form->addRow(tr("Steps:"), d->steps);
    form->addRow(tr("Learning rate:"), d->learningRate);
    form->addRow(tr("L2 penalty:"), d->l2);
    form->addRow(tr("Decay:"), d->decay);
    form->addRow(tr("Blur every:"), d->blurEvery);
    form->addRow(tr("Blur sigma:"), d->blurSigma);
    form->addRow(tr("Clip below:"), d->clip);
    form->addRow(tr("Jitter:"), d->jitter);
    form->addRow(tr("Scale:"), d->scale);
    form->addRow(tr("Rotate:"), d->rotate);
    form->addRow(tr("Upsample:"), d->upsample);
    form->addRow(d->fourier);
    form->addRow(d->decorrelate);
    form->addRow(tr("Seed:"), d->seed);
    updateRows();
}

void AscentKnobs::setColourModel(bool colour)
{
    d->colour = colour;
    updateRows();
}

QString AscentKnobs::preset() const
{
    return d->preset->currentData().toString();
}

void AscentKnobs::setPreset(const QString& name)
{
    const int index = d->preset->findData(name);
    if (index >= 0)
        d->preset->setCurrentIndex(index);
}

bool AscentKnobs::isLucid() const
{
    return preset() == QLatin1String("lucid");
}

int AscentKnobs::steps() const
{
    return d->steps->value();
}

void AscentKnobs::setSteps(int steps)
{
    d->steps->setValue(steps);
}

void AscentKnobs::fillFromPreset()
{
    const AscentOptions o = ascentPreset(ascentPresetFromName(preset().toStdString()));
    d->steps->setValue(static_cast<int>(o.steps));
    d->learningRate->setValue(o.learningRate);
    d->l2->setValue(o.l2);
    d->decay->setValue(o.decay);
    d->blurEvery->setValue(static_cast<int>(o.blurEvery));
    d->blurSigma->setValue(o.blurSigma);
    d->clip->setValue(o.clipPercentile);
    d->jitter->setValue(o.jitter);
    d->scaleMin->setValue(o.scaleMin);
    d->scaleMax->setValue(o.scaleMax);
    d->rotate->setValue(o.rotateDegrees);
    d->upsample->setValue(static_cast<int>(o.upsample));
    d->fourier->setChecked(o.fourier);
    d->decorrelate->setChecked(o.decorrelate);
    d->seed->setValue(static_cast<int>(o.seed));
    updateRows();
}

void AscentKnobs::updateRows()
{
    if (!d->form)
        return;
    const bool lucid = isLucid();
    for (QWidget* w : std::initializer_list<QWidget*>{d->l2, d->decay, d->blurEvery, d->blurSigma, d->clip})
        d->form->setRowVisible(w, !lucid);
    for (QWidget* w :
        std::initializer_list<QWidget*>{d->jitter, d->scale, d->rotate, d->upsample, d->fourier, d->decorrelate})
        d->form->setRowVisible(w, lucid);
    d->decorrelate->setEnabled(d->colour);
}

AscentOptions AscentKnobs::options() const
{
    AscentOptions o = ascentPreset(ascentPresetFromName(preset().toStdString()));
    o.steps = d->steps->value();
    o.learningRate = d->learningRate->value();
    o.l2 = d->l2->value();
    o.decay = d->decay->value();
    o.blurEvery = d->blurEvery->value();
    o.blurSigma = d->blurSigma->value();
    o.clipPercentile = d->clip->value();
    o.jitter = d->jitter->value();
    o.scaleMin = std::min(d->scaleMin->value(), d->scaleMax->value());
    o.scaleMax = std::max(d->scaleMin->value(), d->scaleMax->value());
    o.rotateDegrees = d->rotate->value();
    o.upsample = d->upsample->value();
    o.fourier = d->fourier->isChecked();
    o.decorrelate = d->decorrelate->isChecked();
    o.seed = static_cast<uint64_t>(d->seed->value());
    return o;
}

QString AscentKnobs::key() const
{
    return QStringList{preset(), QString::number(d->steps->value()), number(d->learningRate->value()),
        number(d->l2->value()), number(d->decay->value()), QString::number(d->blurEvery->value()),
        number(d->blurSigma->value()), number(d->clip->value()), number(d->jitter->value()),
        number(d->scaleMin->value()), number(d->scaleMax->value()), number(d->rotate->value()),
        QString::number(d->upsample->value()), QString::number(int(d->fourier->isChecked())),
        QString::number(int(d->decorrelate->isChecked())), QString::number(d->seed->value())}
        .join(QLatin1Char('/'));
}

void AscentKnobs::save(QSettings& settings) const
{
    settings.setValue(QStringLiteral("preset"), preset());
    settings.setValue(QStringLiteral("steps"), d->steps->value());
    settings.setValue(QStringLiteral("learningRate"), d->learningRate->value());
    settings.setValue(QStringLiteral("l2"), d->l2->value());
    settings.setValue(QStringLiteral("decay"), d->decay->value());
    settings.setValue(QStringLiteral("blurEvery"), d->blurEvery->value());
    settings.setValue(QStringLiteral("blurSigma"), d->blurSigma->value());
    settings.setValue(QStringLiteral("clipPercentile"), d->clip->value());
    settings.setValue(QStringLiteral("jitter"), d->jitter->value());
    settings.setValue(QStringLiteral("scaleMin"), d->scaleMin->value());
    settings.setValue(QStringLiteral("scaleMax"), d->scaleMax->value());
    settings.setValue(QStringLiteral("rotate"), d->rotate->value());
    settings.setValue(QStringLiteral("upsample"), d->upsample->value());
    settings.setValue(QStringLiteral("fourier"), d->fourier->isChecked());
    settings.setValue(QStringLiteral("decorrelate"), d->decorrelate->isChecked());
    settings.setValue(QStringLiteral("seed"), d->seed->value());
}

void AscentKnobs::restore(const QSettings& settings)
{
    {
        const QSignalBlocker block(d->preset);
        setPreset(settings.value(QStringLiteral("preset"), QStringLiteral("lucid")).toString());
    }
    fillFromPreset(); // the preset's values where the settings hold none
    auto value = [&settings](const char* key, const QVariant& fallback) {
        return settings.value(QString::fromLatin1(key), fallback);
    };
    d->steps->setValue(value("steps", d->steps->value()).toInt());
    d->learningRate->setValue(value("learningRate", d->learningRate->value()).toDouble());
    d->l2->setValue(value("l2", d->l2->value()).toDouble());
    d->decay->setValue(value("decay", d->decay->value()).toDouble());
    d->blurEvery->setValue(value("blurEvery", d->blurEvery->value()).toInt());
    d->blurSigma->setValue(value("blurSigma", d->blurSigma->value()).toDouble());
    d->clip->setValue(value("clipPercentile", d->clip->value()).toDouble());
    d->jitter->setValue(value("jitter", d->jitter->value()).toDouble());
    d->scaleMin->setValue(value("scaleMin", d->scaleMin->value()).toDouble());
    d->scaleMax->setValue(value("scaleMax", d->scaleMax->value()).toDouble());
    d->rotate->setValue(value("rotate", d->rotate->value()).toDouble());
    d->upsample->setValue(value("upsample", d->upsample->value()).toInt());
    d->fourier->setChecked(value("fourier", d->fourier->isChecked()).toBool());
    d->decorrelate->setChecked(value("decorrelate", d->decorrelate->isChecked()).toBool());
    d->seed->setValue(value("seed", d->seed->value()).toInt());
    Q_EMIT presetChanged();
}

} // namespace convscope
