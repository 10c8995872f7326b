#include "app/views/saliency/controls.h"

#include "app/shell/class_text.h"
#include "app/views/saliency/run.h"
#include "core/colormap.h"
#include "core/model.h"
#include "widgets/class_combo.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>

namespace convscope {

namespace {

// The parameter page each method shows.
enum Page { OcclusionPage, NoParameters, SmoothGradPage, IntegratedGradientsPage, CamPage };

Page pageOf(const QString& method)
{
    if (method == QLatin1String("occlusion"))
        return OcclusionPage;
    if (method == QLatin1String("smoothgrad"))
        return SmoothGradPage;
    if (method == QLatin1String("ig"))
        return IntegratedGradientsPage;
    if (usesCamLayer(saliencyMethodFromName(method.toStdString())))
        return CamPage;
    return NoParameters;
}

QComboBox* baselineBox(const QString& objectName)
{
    auto* box = new QComboBox;
    box->setObjectName(objectName);
    for (const auto& name : baselineNames()) {
        const QString key = QString::fromStdString(name);
        box->addItem(baselineTitle(key), key);
    }
    return box;
}

QSpinBox* spinBox(const QString& objectName, int min, int max, int value)
{
    auto* box = new QSpinBox;
    box->setObjectName(objectName);
    box->setRange(min, max);
    box->setValue(value);
    box->setKeyboardTracking(false); // one run for "32", not one for "3" and one for "32"
    return box;
}

void setCurrentData(QComboBox* box, const QVariant& data)
{
    const int index = box->findData(data);
    if (index >= 0)
        box->setCurrentIndex(index);
}

QString dataKey(const QComboBox* box)
{
    return box->currentData().toString();
}

} // namespace

struct SaliencyControls::Private {
    QComboBox* method = nullptr;
    ClassCombo* target = nullptr;
    QComboBox* score = nullptr;
    QPushButton* compute = nullptr;
    QPushButton* stop = nullptr;
    QFormLayout* form = nullptr;
    QSpinBox* window = nullptr;
    QSpinBox* stride = nullptr;
    QComboBox* occlusionBaseline = nullptr;
    QSpinBox* samples = nullptr;
    QDoubleSpinBox* noise = nullptr;
    QSpinBox* seed = nullptr;
    QSpinBox* steps = nullptr;
    QComboBox* igBaseline = nullptr;
    QComboBox* layer = nullptr;
    QComboBox* colormap = nullptr;
    QSlider* opacity = nullptr;
    // Occlusion reads probabilities by default, the gradient methods logits:
    // each family keeps its own choice.
    bool occlusionFamily = true;
    QString otherFamilyScore = QStringLiteral("logit");
};

SaliencyControls::SaliencyControls(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->method = new QComboBox;
    d->method->setObjectName(QStringLiteral("saliencyMethod"));
    for (const SaliencyMethodEntry& entry : saliencyMethodEntries()) {
        d->method->addItem(saliencyMethodTitle(QString::fromLatin1(entry.key)), QString::fromLatin1(entry.key));
        d->method->setItemData(d->method->count() - 1, saliencyMethodTip(QString::fromLatin1(entry.key)),
                               Qt::ToolTipRole);
    }
    d->target = new ClassCombo;
    d->target->setObjectName(QStringLiteral("saliencyTarget"));
    d->target->setToolTip(tr("The class to explain; type to search the labels"));
    d->target->setMinimumContentsLength(10);
    d->target->setClasses({}, tr("Predicted class"));
    d->score = new QComboBox;
    d->score->setObjectName(QStringLiteral("saliencyScore"));
    d->score->addItem(tr("probability"), QStringLiteral("prob"));
    d->score->addItem(tr("logit"), QStringLiteral("logit"));
    d->score->setToolTip(tr("The score explained: the class's softmax probability or its raw logit"));
    d->compute = new QPushButton(tr("Compute"));
    d->compute->setObjectName(QStringLiteral("saliencyCompute"));
    d->compute->setToolTip(tr("Compute again (it runs by itself when the input or a parameter changes)"));
    d->stop = new QPushButton(tr("Stop"));
    d->stop->setObjectName(QStringLiteral("saliencyStop"));
    d->stop->setEnabled(false);

    d->window = spinBox(QStringLiteral("occlusionWindow"), 0, 4096, 0);
    d->window->setSpecialValueText(tr("auto"));
    d->window->setSuffix(tr(" px"));
    d->window->setToolTip(tr("Side of the hidden square; auto: ⅛ of the input's shorter side"));
    d->stride = spinBox(QStringLiteral("occlusionStride"), 0, 4096, 0);
    d->stride->setSpecialValueText(tr("auto"));
    d->stride->setSuffix(tr(" px"));
    d->stride->setToolTip(tr("Step between windows; auto: half the window"));
    d->occlusionBaseline = baselineBox(QStringLiteral("occlusionBaseline"));
    d->occlusionBaseline->setToolTip(tr("What fills the hidden square"));
    d->samples = spinBox(QStringLiteral("smoothgradSamples"), 1, 1000, 25);
    d->samples->setToolTip(tr("Noisy copies of the input whose gradients are averaged"));
    d->noise = new QDoubleSpinBox;
    d->noise->setObjectName(QStringLiteral("smoothgradNoise"));
    d->noise->setRange(0, 100);
    d->noise->setValue(15);
    d->noise->setSingleStep(5);
    d->noise->setDecimals(1);
    d->noise->setSuffix(tr(" %"));
    d->noise->setKeyboardTracking(false);
    d->noise->setToolTip(tr("Noise standard deviation, in percent of the input's range"));
    d->seed = spinBox(QStringLiteral("smoothgradSeed"), 0, 1000000, 0);
    d->seed->setToolTip(tr("Seed of the noise: the same seed, the same map"));
    d->steps = spinBox(QStringLiteral("igSteps"), 1, 1000, 50);
    d->steps->setToolTip(tr("Points on the straight path from the baseline to the input"));
    d->igBaseline = baselineBox(QStringLiteral("igBaseline"));
    d->igBaseline->setToolTip(tr("Where the path from \"nothing\" to the input starts"));
    setCurrentData(d->igBaseline, QStringLiteral("zero"));
    d->layer = new QComboBox;
    d->layer->setObjectName(QStringLiteral("camLayer"));
    d->layer->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->layer->setMinimumContentsLength(12);
    d->layer->setToolTip(
        tr("The layer of channel maps the CAM methods explain; by default the last convolutional feature map"));

    d->colormap = new QComboBox;
    d->colormap->setObjectName(QStringLiteral("saliencyColormap"));
    for (const auto& name : colormapNames())
        d->colormap->addItem(QString::fromStdString(name));
    d->colormap->setCurrentText(QStringLiteral("inferno"));
    d->opacity = new QSlider(Qt::Horizontal);
    d->opacity->setObjectName(QStringLiteral("saliencyOpacity"));
    d->opacity->setRange(0, 100);
    d->opacity->setValue(50);
    d->opacity->setToolTip(tr("Opacity of the heatmap over the input"));

    // One column of rows, beside the pictures: the window's width goes to them.
    d->form = new QFormLayout(this);
    d->form->setContentsMargins(0, 0, 0, 0);
    d->form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    d->form->addRow(tr("Method:"), d->method);
    d->form->addRow(tr("Class:"), d->target);
    d->form->addRow(tr("Score:"), d->score);
    d->form->addRow(tr("Window:"), d->window);
    d->form->addRow(tr("Stride:"), d->stride);
    d->form->addRow(tr("Fill:"), d->occlusionBaseline);
    d->form->addRow(tr("Samples:"), d->samples);
    d->form->addRow(tr("Noise:"), d->noise);
    d->form->addRow(tr("Seed:"), d->seed);
    d->form->addRow(tr("Steps:"), d->steps);
    d->form->addRow(tr("Baseline:"), d->igBaseline);
    d->form->addRow(tr("Layer:"), d->layer);
    auto* line = new QFrame;
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    d->form->addRow(line);
    d->form->addRow(tr("Colormap:"), d->colormap);
    d->form->addRow(tr("Opacity:"), d->opacity);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(d->compute);
    buttons->addWidget(d->stop);
    d->form->addRow(buttons);
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);

    connect(d->method, &QComboBox::currentIndexChanged, this, &SaliencyControls::methodChanged);
    for (QComboBox* box : {static_cast<QComboBox*>(d->target), d->score, d->occlusionBaseline, d->igBaseline, d->layer})
        connect(box, &QComboBox::currentIndexChanged, this, &SaliencyControls::requestChanged);
    for (QSpinBox* box : {d->window, d->stride, d->samples, d->seed, d->steps})
        connect(box, &QSpinBox::valueChanged, this, &SaliencyControls::requestChanged);
    connect(d->noise, &QDoubleSpinBox::valueChanged, this, &SaliencyControls::requestChanged);
    connect(d->colormap, &QComboBox::currentIndexChanged, this, &SaliencyControls::displayChanged);
    connect(d->opacity, &QSlider::valueChanged, this, &SaliencyControls::displayChanged);
    connect(d->compute, &QPushButton::clicked, this, &SaliencyControls::computeClicked);
    connect(d->stop, &QPushButton::clicked, this, &SaliencyControls::stopClicked);
    methodChanged();
}

SaliencyControls::~SaliencyControls() = default;

void SaliencyControls::setModel(const Model& model)
{
    const QSignalBlocker blockTarget(d->target), blockLayer(d->layer);
    QStringList classes;
    for (int64_t i = 0; i < model.info().outputs; ++i)
        classes << classText(model, i);
    d->target->setClasses(classes, tr("Predicted class"));
    d->layer->clear();
    const auto& layers = model.layers();
    for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].shape.size() == 3)
            d->layer->addItem(QStringLiteral("%1  (%2×%3×%4)")
                                  .arg(QString::fromStdString(layers[i].name))
                                  .arg(layers[i].shape[0])
                                  .arg(layers[i].shape[1])
                                  .arg(layers[i].shape[2]),
                              static_cast<int>(i));
    setCurrentData(d->layer, defaultCamLayer(model));
    d->layer->setEnabled(d->layer->count() > 0);
    const auto& in = model.info().input;
    const QSignalBlocker blockWindow(d->window), blockStride(d->stride);
    d->window->setMaximum(static_cast<int>(std::min(in[1], in[2])));
    d->stride->setMaximum(static_cast<int>(std::max(in[1], in[2])));
}

SaliencyRequest SaliencyControls::request() const
{
    SaliencyRequest request;
    request.method = method();
    const int64_t target = d->target->classIndex();
    const Score score = scoreFromName(dataKey(d->score).toStdString());
    OcclusionOptions& occlusion = request.occlusion;
    occlusion.window = d->window->value();
    occlusion.stride = d->stride->value();
    occlusion.baseline = baselineFromName(dataKey(d->occlusionBaseline).toStdString());
    occlusion.target = target;
    occlusion.score = score;
    SaliencyOptions& saliency = request.saliency;
    if (!request.isOcclusion())
        saliency.method = saliencyMethodFromName(request.method.toStdString());
    saliency.target = target;
    saliency.score = score;
    saliency.samples = d->samples->value();
    saliency.noise = d->noise->value() / 100.0;
    saliency.seed = static_cast<uint64_t>(d->seed->value());
    saliency.steps = d->steps->value();
    saliency.baseline = baselineFromName(dataKey(d->igBaseline).toStdString());
    saliency.layer = d->layer->count() > 0 ? d->layer->currentData().toInt() : -1;
    return request;
}

QString SaliencyControls::requestKey() const
{
    // Only what the method reads: another method's parameters do not change the answer.
    QStringList key{method(), QString::number(d->target->classIndex()), dataKey(d->score)};
    switch (pageOf(method())) {
    case OcclusionPage:
        key << QString::number(d->window->value()) << QString::number(d->stride->value())
            << dataKey(d->occlusionBaseline);
        break;
    case SmoothGradPage:
        key << QString::number(d->samples->value()) << QString::number(d->noise->value())
            << QString::number(d->seed->value());
        break;
    case IntegratedGradientsPage:
        key << QString::number(d->steps->value()) << dataKey(d->igBaseline);
        break;
    case CamPage:
        key << d->layer->currentData().toString();
        break;
    case NoParameters:
        break;
    }
    return key.join(QLatin1Char('/'));
}

QString SaliencyControls::method() const
{
    return dataKey(d->method);
}

void SaliencyControls::setMethod(const QString& name)
{
    setCurrentData(d->method, name);
}

void SaliencyControls::methodChanged()
{
    const Page page = pageOf(method());
    auto showRows = [this](std::initializer_list<QWidget*> fields, bool visible) {
        for (QWidget* field : fields)
            d->form->setRowVisible(field, visible);
    };
    showRows({d->window, d->stride, d->occlusionBaseline}, page == OcclusionPage);
    showRows({d->samples, d->noise, d->seed}, page == SmoothGradPage);
    showRows({d->steps, d->igBaseline}, page == IntegratedGradientsPage);
    d->form->setRowVisible(d->layer, page == CamPage);
    d->method->setToolTip(saliencyMethodTip(method()));
    const bool occlusion = pageOf(method()) == OcclusionPage;
    if (occlusion != d->occlusionFamily) {
        const QString score = dataKey(d->score);
        const QSignalBlocker block(d->score);
        setCurrentData(d->score, d->otherFamilyScore);
        d->otherFamilyScore = score;
        d->occlusionFamily = occlusion;
    }
    Q_EMIT requestChanged();
}

void SaliencyControls::setTarget(int target)
{
    d->target->setClassIndex(target);
}

int SaliencyControls::target() const
{
    return d->target->classIndex();
}

bool SaliencyControls::setCamLayer(const QString& name)
{
    for (int i = 0; i < d->layer->count(); ++i)
        if (d->layer->itemText(i).section(QLatin1Char(' '), 0, 0) == name) {
            d->layer->setCurrentIndex(i);
            return true;
        }
    return false;
}

void SaliencyControls::setOcclusionWindow(int window, int stride)
{
    d->window->setValue(window);
    d->stride->setValue(stride);
}

QString SaliencyControls::colormap() const
{
    return d->colormap->currentText();
}

void SaliencyControls::setColormap(const QString& name)
{
    const int index = d->colormap->findText(name);
    if (index >= 0)
        d->colormap->setCurrentIndex(index);
}

double SaliencyControls::opacity() const
{
    return d->opacity->value() / 100.0;
}

void SaliencyControls::setOpacity(int percent)
{
    d->opacity->setValue(percent);
}

void SaliencyControls::setRunning(bool running)
{
    d->stop->setEnabled(running);
}

void SaliencyControls::save(QSettings& settings) const
{
    settings.setValue(QStringLiteral("method"), method());
    settings.setValue(QStringLiteral("score"), dataKey(d->score));
    settings.setValue(QStringLiteral("otherFamilyScore"), d->otherFamilyScore);
    settings.setValue(QStringLiteral("window"), d->window->value());
    settings.setValue(QStringLiteral("stride"), d->stride->value());
    settings.setValue(QStringLiteral("occlusionBaseline"), dataKey(d->occlusionBaseline));
    settings.setValue(QStringLiteral("samples"), d->samples->value());
    settings.setValue(QStringLiteral("noise"), d->noise->value());
    settings.setValue(QStringLiteral("seed"), d->seed->value());
    settings.setValue(QStringLiteral("steps"), d->steps->value());
    settings.setValue(QStringLiteral("igBaseline"), dataKey(d->igBaseline));
    settings.setValue(QStringLiteral("colormap"), colormap());
    settings.setValue(QStringLiteral("opacity"), d->opacity->value());
}

void SaliencyControls::restore(const QSettings& settings)
{
    setMethod(settings.value(QStringLiteral("method"), QStringLiteral("occlusion")).toString());
    // After the method, whose family decides which score is its own.
    setCurrentData(d->score, settings.value(QStringLiteral("score"),
                                            d->occlusionFamily ? QStringLiteral("prob") : QStringLiteral("logit")));
    d->otherFamilyScore = settings
                              .value(QStringLiteral("otherFamilyScore"),
                                     d->occlusionFamily ? QStringLiteral("logit") : QStringLiteral("prob"))
                              .toString();
    setOcclusionWindow(settings.value(QStringLiteral("window"), 0).toInt(),
                       settings.value(QStringLiteral("stride"), 0).toInt());
    setCurrentData(d->occlusionBaseline, settings.value(QStringLiteral("occlusionBaseline"), QStringLiteral("gray")));
    d->samples->setValue(settings.value(QStringLiteral("samples"), 25).toInt());
    d->noise->setValue(settings.value(QStringLiteral("noise"), 15.0).toDouble());
    d->seed->setValue(settings.value(QStringLiteral("seed"), 0).toInt());
    d->steps->setValue(settings.value(QStringLiteral("steps"), 50).toInt());
    setCurrentData(d->igBaseline, settings.value(QStringLiteral("igBaseline"), QStringLiteral("zero")));
    setColormap(settings.value(QStringLiteral("colormap"), QStringLiteral("inferno")).toString());
    setOpacity(settings.value(QStringLiteral("opacity"), 50).toInt());
}

} // namespace convscope
