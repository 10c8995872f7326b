#include "app/views/embedding/controls.h"

#include "app/shell/form_widgets.h"
#include "app/views/embedding/run.h"
#include "core/model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace convscope
{

namespace
{

constexpr int kWidth = 250;

QPushButton* button(const QString& text, const QString& objectName, const QString& tip = {})
{
    auto* b = new QPushButton(text);
    b->setObjectName(objectName);
    b->setToolTip(tip);
    return b;
}

} // namespace

struct EmbeddingControls::Private {
    QComboBox* layer = nullptr;
    QComboBox* pooling = nullptr;
    QSpinBox* samples = nullptr;
    QSpinBox* seed = nullptr;
    QComboBox* method = nullptr;
    QDoubleSpinBox* perplexity = nullptr;
    QSpinBox* iterations = nullptr;
    QPushButton* run = nullptr;
    QPushButton* stop = nullptr;
    QComboBox* colour = nullptr;
    QCheckBox* marks = nullptr;
    QPushButton* reset = nullptr;
    QPushButton* png = nullptr;
    QPushButton* csv = nullptr;
};

EmbeddingControls::EmbeddingControls(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->layer = new QComboBox;
    d->layer->setObjectName(QStringLiteral("embeddingLayer"));
    d->layer->setToolTip(tr("The layer whose features are laid out; follows the Layers dock"));
    d->layer->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->layer->setMinimumContentsLength(8);
    d->pooling = new QComboBox;
    d->pooling->setObjectName(QStringLiteral("embeddingPooling"));
    d->pooling->addItem(tr("spatial mean"), QStringLiteral("mean"));
    d->pooling->addItem(tr("flatten"), QStringLiteral("flatten"));
    d->pooling->setToolTip(tr("Channel maps as each channel's spatial mean, or every value (C·H·W features)"));
    d->samples = spinBox(QStringLiteral("embeddingSamples"), 0, 100000000,
        tr("A seeded sample of this many images of the dataset the Input dock walks; all: every image"));
    d->samples->setValue(2000);
    d->samples->setSpecialValueText(tr("all"));
    d->samples->setSingleStep(500);
    d->seed = spinBox(QStringLiteral("embeddingSeed"), 0, 1000000000, tr("Seed of the sample"));
    d->method = new QComboBox;
    d->method->setObjectName(QStringLiteral("embeddingMethod"));
    d->method->addItem(tr("t-SNE"), QStringLiteral("tsne"));
    d->method->addItem(tr("PCA"), QStringLiteral("pca"));
    d->method->setItemData(0, tr("Neighbourhoods kept (van der Maaten & Hinton 2008)"), Qt::ToolTipRole);
    d->method->setItemData(1, tr("The first two principal components: exact, linear, fast"), Qt::ToolTipRole);
    d->perplexity = new QDoubleSpinBox;
    d->perplexity->setObjectName(QStringLiteral("embeddingPerplexity"));
    d->perplexity->setRange(1, 10000);
    d->perplexity->setDecimals(1);
    d->perplexity->setValue(30);
    d->perplexity->setToolTip(tr("About how many neighbours each point keeps close (t-SNE)"));
    d->iterations = spinBox(QStringLiteral("embeddingIterations"), 1, 1000000,
        tr("t-SNE iterations, the first 250 with early exaggeration"));
    d->iterations->setValue(1000);
    d->iterations->setSingleStep(250);
    d->run = button(tr("Run"), QStringLiteral("embeddingRun"), tr("Lay out the layer's features"));
    d->stop = button(tr("Stop"), QStringLiteral("embeddingStop"), tr("Stop; t-SNE keeps the layout it has"));
    d->stop->setEnabled(false);
    d->colour = new QComboBox;
    d->colour->setObjectName(QStringLiteral("embeddingColour"));
    d->colour->addItem(tr("label"));
    d->colour->addItem(tr("prediction"));
    d->marks = new QCheckBox(tr("Ring misclassified"));
    d->marks->setObjectName(QStringLiteral("embeddingMarks"));
    d->marks->setChecked(true);
    d->marks->setToolTip(tr("A dark ring around every image whose label differs from the model's prediction"));
    d->reset = button(tr("Reset view"), QStringLiteral("embeddingReset"), tr("Fit the points again (double click)"));
    d->png = button(tr("Save PNG…"), QStringLiteral("embeddingPng"));
    d->csv = button(
        tr("Save CSV…"), QStringLiteral("embeddingCsv"), tr("x,y,label,prediction,image, as convscope tsne --out"));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Layer"), d->layer);
    form->addRow(tr("Pooling"), d->pooling);
    form->addRow(tr("Images"), d->samples);
    form->addRow(tr("Seed"), d->seed);
    form->addRow(tr("Method"), d->method);
    form->addRow(tr("Perplexity"), d->perplexity);
    form->addRow(tr("Iterations"), d->iterations);
    auto* runRow = new QHBoxLayout;
    runRow->addWidget(d->run);
    runRow->addWidget(d->stop);
    auto* view = new QFormLayout;
    view->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    view->addRow(tr("Colour by"), d->colour);
    auto* exports = new QGridLayout;
    exports->addWidget(d->reset, 0, 0, 1, 2);
    exports->addWidget(d->png, 1, 0);
    exports->addWidget(d->csv, 1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(form);
    layout->addLayout(runRow);
    layout->addSpacing(4);
    layout->addWidget(horizontalLine());
    layout->addLayout(view);
    layout->addWidget(d->marks);
    layout->addLayout(exports);
    layout->addStretch();
    setMaximumWidth(kWidth);
    setHasResult(false);

    connect(d->method, &QComboBox::currentIndexChanged, this, &EmbeddingControls::methodChanged);
    connect(d->run, &QPushButton::clicked, this, &EmbeddingControls::runClicked);
    connect(d->stop, &QPushButton::clicked, this, &EmbeddingControls::stopClicked);
    connect(d->colour, &QComboBox::currentIndexChanged, this, &EmbeddingControls::colourChanged);
    connect(d->marks, &QCheckBox::toggled, this, &EmbeddingControls::marksToggled);
    connect(d->reset, &QPushButton::clicked, this, &EmbeddingControls::resetViewClicked);
    connect(d->png, &QPushButton::clicked, this, &EmbeddingControls::savePngClicked);
    connect(d->csv, &QPushButton::clicked, this, &EmbeddingControls::saveCsvClicked);
}

EmbeddingControls::~EmbeddingControls() = default;

void EmbeddingControls::setModel(const Model& model)
{
    const QSignalBlocker blocker(d->layer);
    d->layer->clear();
    for (const LayerInfo& layer : model.layers())
        d->layer->addItem(QString::fromStdString(layer.name));
}

void EmbeddingControls::setLayer(int layer)
{
    if (layer >= 0 && layer < d->layer->count())
        d->layer->setCurrentIndex(layer);
}

int EmbeddingControls::layer() const
{
    return d->layer->currentIndex();
}

EmbeddingRequest EmbeddingControls::request() const
{
    EmbeddingRequest r;
    r.layer = layer();
    r.tsne = method() == QLatin1String("tsne");
    r.features.pooling = featurePoolingFromName(d->pooling->currentData().toString().toStdString());
    r.features.samples = d->samples->value();
    r.features.seed = static_cast<uint64_t>(d->seed->value());
    r.tsneOptions.perplexity = d->perplexity->value();
    r.tsneOptions.iterations = d->iterations->value();
    return r;
}

QString EmbeddingControls::method() const
{
    return d->method->currentData().toString();
}

void EmbeddingControls::setMethod(const QString& method)
{
    d->method->setCurrentIndex(std::max(0, d->method->findData(method)));
}

void EmbeddingControls::setPooling(const QString& pooling)
{
    d->pooling->setCurrentIndex(std::max(0, d->pooling->findData(pooling)));
}

void EmbeddingControls::setSamples(int samples)
{
    d->samples->setValue(samples);
}

void EmbeddingControls::setPerplexity(double perplexity)
{
    d->perplexity->setValue(perplexity);
}

void EmbeddingControls::setIterations(int iterations)
{
    d->iterations->setValue(iterations);
}

void EmbeddingControls::setSeed(int seed)
{
    d->seed->setValue(seed);
}

bool EmbeddingControls::colourByPrediction() const
{
    return d->colour->currentIndex() == 1;
}

void EmbeddingControls::setColourByPrediction(bool prediction)
{
    d->colour->setCurrentIndex(prediction ? 1 : 0);
}

void EmbeddingControls::setLabeled(bool labeled)
{
    d->colour->setEnabled(labeled);
    d->marks->setEnabled(labeled);
    d->colour->setToolTip(
        labeled ? QString() : tr("The dataset has no labels: points take the predicted class's colour"));
}

bool EmbeddingControls::marksVisible() const
{
    return d->marks->isChecked();
}

void EmbeddingControls::setMarksVisible(bool visible)
{
    d->marks->setChecked(visible);
}

void EmbeddingControls::setRunning(bool running)
{
    d->run->setEnabled(!running);
    d->stop->setEnabled(running);
}

void EmbeddingControls::setHasResult(bool hasResult)
{
    for (QPushButton* b : { d->reset, d->png, d->csv })
        b->setEnabled(hasResult);
}

void EmbeddingControls::methodChanged()
{
    const bool tsne = method() == QLatin1String("tsne");
    d->perplexity->setEnabled(tsne);
    d->iterations->setEnabled(tsne);
}

void EmbeddingControls::save(QSettings& settings) const
{
    settings.setValue(QStringLiteral("method"), method());
    settings.setValue(QStringLiteral("pooling"), d->pooling->currentData().toString());
    settings.setValue(QStringLiteral("samples"), d->samples->value());
    settings.setValue(QStringLiteral("seed"), d->seed->value());
    settings.setValue(QStringLiteral("perplexity"), d->perplexity->value());
    settings.setValue(QStringLiteral("iterations"), d->iterations->value());
    settings.setValue(QStringLiteral("colourByPrediction"), colourByPrediction());
    settings.setValue(QStringLiteral("marks"), marksVisible());
}

void EmbeddingControls::restore(const QSettings& settings)
{
    setMethod(settings.value(QStringLiteral("method"), QStringLiteral("tsne")).toString());
    setPooling(settings.value(QStringLiteral("pooling"), QStringLiteral("mean")).toString());
    setSamples(settings.value(QStringLiteral("samples"), 2000).toInt());
    setSeed(settings.value(QStringLiteral("seed"), 0).toInt());
    setPerplexity(settings.value(QStringLiteral("perplexity"), 30.0).toDouble());
    setIterations(settings.value(QStringLiteral("iterations"), 1000).toInt());
    setColourByPrediction(settings.value(QStringLiteral("colourByPrediction"), false).toBool());
    setMarksVisible(settings.value(QStringLiteral("marks"), true).toBool());
}

} // namespace convscope
