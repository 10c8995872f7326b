#include "app/views/ascent/controls.h"

#include "app/shell/class_text.h"
#include "app/views/ascent/knobs.h"
#include "app/views/ascent/request.h"
#include "core/error.h"
#include "core/model.h"
#include "widgets/class_combo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>

namespace convscope {

struct AscentControls::Private {
    QFormLayout* form = nullptr;
    QComboBox* target = nullptr;
    QSpinBox* unit = nullptr;
    ClassCombo* classBox = nullptr;
    QLabel* shapeNote = nullptr;
    QComboBox* kind = nullptr;
    QWidget* position = nullptr;
    QSpinBox* y = nullptr;
    QSpinBox* x = nullptr;
    QComboBox* direction = nullptr;
    QCheckBox* fromInput = nullptr;
    AscentKnobs* knobs = nullptr;
    QPushButton* run = nullptr;
    QPushButton* whole = nullptr;
    QPushButton* stop = nullptr;

    // The selected layer, as the workspace has it.
    int layer = -1;
    QString layerName;
    std::vector<int64_t> shape;
    QStringList classes; // classText of each output

    bool channelMaps() const { return targetsLayer() && shape.size() == 3; }
    bool targetsLayer() const { return target->currentIndex() == 0; }
};

AscentControls::AscentControls(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->target = new QComboBox;
    d->target->setObjectName(QStringLiteral("ascentTarget"));
    d->target->addItem(tr("Selected layer"));
    d->target->addItem(tr("Class scores (logits)"));
    // As wide as "Class scores (logits)", whatever the layer's name: a long one is elided.
    d->target->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    d->target->setMinimumContentsLength(21);
    d->target->setToolTip(tr("What to maximize: a channel or unit of the layer selected in the Layers dock, "
                             "or a class score before the softmax"));
    d->unit = ascentSpinBox(QStringLiteral("ascentUnit"), 0, 0, tr("The channel (or unit) of the layer"));
    d->classBox = new ClassCombo;
    d->classBox->setObjectName(QStringLiteral("ascentClass"));
    d->classBox->setToolTip(tr("The class whose score to maximize; type to search the labels"));
    d->shapeNote = new QLabel;
    d->shapeNote->setObjectName(QStringLiteral("ascentShape"));
    d->shapeNote->setWordWrap(true);
    d->kind = new QComboBox;
    d->kind->setObjectName(QStringLiteral("ascentKind"));
    d->kind->addItem(tr("channel mean"));
    d->kind->addItem(tr("one unit at (y, x)"));
    d->kind->setToolTip(tr("The mean of the whole channel map, or the one unit at a position of it"));
    d->y = ascentSpinBox(QStringLiteral("ascentY"), -1, 99999, tr("Row of the unit in the channel map"));
    d->x = ascentSpinBox(QStringLiteral("ascentX"), -1, 99999, tr("Column of the unit in the channel map"));
    for (QSpinBox* box : {d->y, d->x}) {
        box->setSpecialValueText(tr("centre"));
        box->setValue(-1);
    }
    d->position = new QWidget;
    auto* position = new QHBoxLayout(d->position);
    position->setContentsMargins(0, 0, 0, 0);
    position->addWidget(d->y);
    position->addWidget(d->x);
    d->direction = new QComboBox;
    d->direction->setObjectName(QStringLiteral("ascentDirection"));
    d->direction->addItem(tr("maximize"));
    d->direction->addItem(tr("minimize"));
    d->fromInput = new QCheckBox(tr("Start from the current input"));
    d->fromInput->setObjectName(QStringLiteral("ascentFromInput"));
    d->fromInput->setToolTip(tr("Magnify what the unit sees in the input instead of starting from noise "
                                "(Plain and Yosinski)"));

    d->knobs = new AscentKnobs(this);

    d->run = new QPushButton(tr("Run"));
    d->run->setObjectName(QStringLiteral("ascentRun"));
    d->run->setToolTip(tr("Optimize one image for the chosen channel, unit or class"));
    d->whole = new QPushButton(tr("Whole layer"));
    d->whole->setObjectName(QStringLiteral("ascentWholeLayer"));
    d->whole->setToolTip(tr("One image for every channel, unit or class of the target, optimized as one batch"));
    d->stop = new QPushButton(tr("Stop"));
    d->stop->setObjectName(QStringLiteral("ascentStop"));
    d->stop->setToolTip(tr("Stop and keep the images as they are"));
    d->stop->setEnabled(false);

    d->form = new QFormLayout(this);
    d->form->setContentsMargins(0, 0, 0, 0);
    d->form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    d->form->addRow(tr("Target:"), d->target);
    d->form->addRow(d->shapeNote);
    d->form->addRow(tr("Channel:"), d->unit);
    d->form->addRow(tr("Class:"), d->classBox);
    d->form->addRow(tr("Objective:"), d->kind);
    d->form->addRow(tr("Unit (y, x):"), d->position);
    d->form->addRow(tr("Direction:"), d->direction);
    d->form->addRow(d->fromInput);
    auto* line = new QFrame;
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    d->form->addRow(line);
    d->knobs->addRows(d->form);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(d->run);
    buttons->addWidget(d->whole);
    buttons->addWidget(d->stop);
    d->form->addRow(buttons);
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);

    connect(d->knobs, &AscentKnobs::presetChanged, this, &AscentControls::updateRows);
    connect(d->target, &QComboBox::currentIndexChanged, this, &AscentControls::updateRows);
    connect(d->kind, &QComboBox::currentIndexChanged, this, &AscentControls::updateRows);
    connect(d->run, &QPushButton::clicked, this, &AscentControls::runClicked);
    connect(d->whole, &QPushButton::clicked, this, &AscentControls::wholeLayerClicked);
    connect(d->stop, &QPushButton::clicked, this, &AscentControls::stopClicked);
    setTargetsLayer(false); // "what does the model think a 3 looks like" first
    updateRows();
}

AscentControls::~AscentControls() = default;

void AscentControls::setModel(const Model& model, int layer)
{
    d->classes.clear();
    for (int64_t i = 0; i < model.info().outputs; ++i)
        d->classes << classText(model, i);
    d->classBox->setClasses(d->classes);
    d->knobs->setColourModel(model.info().input[0] == 3);
    setLayer(model, layer);
}

void AscentControls::setLayer(const Model& model, int layer)
{
    const auto& layers = model.layers();
    d->layer = layer >= 0 && layer < static_cast<int>(layers.size()) ? layer : -1;
    d->shape = d->layer >= 0 ? layers[static_cast<size_t>(layer)].shape : std::vector<int64_t> {};
    d->layerName = d->layer >= 0 ? QString::fromStdString(layers[static_cast<size_t>(layer)].name) : QString();
    QStringList dims;
    for (int64_t dim : d->shape)
        dims << QString::number(dim);
    d->target->setItemText(0,
        d->layer < 0 ? tr("Selected layer (none)")
                     : tr("%1 (%2)").arg(d->layerName, dims.join(QStringLiteral("×"))));
    updateRows();
}

bool AscentControls::targetsLayer() const
{
    return d->targetsLayer();
}

void AscentControls::setTargetsLayer(bool layer)
{
    d->target->setCurrentIndex(layer ? 0 : 1);
}

void AscentControls::setUnit(int unit)
{
    if (d->targetsLayer())
        d->unit->setValue(unit);
    else
        d->classBox->setClassIndex(unit);
}

void AscentControls::setUnitPosition(int y, int x)
{
    d->kind->setCurrentIndex(1);
    d->y->setValue(y);
    d->x->setValue(x);
}

void AscentControls::setChannelMean()
{
    d->kind->setCurrentIndex(0);
}

void AscentControls::setMinimize(bool minimize)
{
    d->direction->setCurrentIndex(minimize ? 1 : 0);
}

void AscentControls::setStartFromInput(bool start)
{
    d->fromInput->setChecked(start);
}

AscentKnobs* AscentControls::knobs() const
{
    return d->knobs;
}

void AscentControls::updateRows()
{
    const bool layer = d->targetsLayer();
    const bool maps = d->channelMaps();
    d->form->setRowVisible(d->unit, layer);
    d->form->setRowVisible(d->classBox, !layer);
    d->form->setRowVisible(d->kind, maps);
    d->form->setRowVisible(d->position, maps && d->kind->currentIndex() == 1);
    if (auto* label = qobject_cast<QLabel*>(d->form->labelForField(d->unit)))
        label->setText(d->shape.size() == 1 ? tr("Unit:") : tr("Channel:"));
    d->unit->setMaximum(d->shape.empty() ? 0 : static_cast<int>(std::max<int64_t>(0, d->shape[0] - 1)));
    QString note;
    if (layer && d->layer < 0)
        note = tr("Select a layer in the Layers dock.");
    else if (layer && d->shape.size() != 1 && d->shape.size() != 3)
        note = tr("%1 is neither channel maps nor units: pick another layer or the class scores.").arg(d->layerName);
    else if (maps)
        d->position->setToolTip(tr("The map is %1 × %2; centre: (%3, %4)")
                                    .arg(d->shape[1])
                                    .arg(d->shape[2])
                                    .arg(d->shape[1] / 2)
                                    .arg(d->shape[2] / 2));
    d->shapeNote->setText(note);
    d->form->setRowVisible(d->shapeNote, !note.isEmpty());
    d->fromInput->setEnabled(!d->knobs->isLucid());
}

AscentRequest AscentControls::request(bool wholeLayer) const
{
    AscentRequest r;
    r.wholeLayer = wholeLayer;
    const bool layer = d->targetsLayer();
    if (layer && d->layer < 0)
        throw Error("select a layer in the Layers dock, or choose the class scores as the target");
    r.objective.layer = layer ? d->layer : -1;
    r.objective.minimize = d->direction->currentIndex() == 1;
    const bool maps = d->channelMaps();
    if (maps && d->kind->currentIndex() == 1) {
        r.objective.channelMean = false;
        r.objective.y = d->y->value();
        r.objective.x = d->x->value();
    }
    r.target = layer ? d->layerName : tr("class scores");
    const int64_t count = layer ? (d->shape.empty() ? 0 : d->shape[0]) : static_cast<int64_t>(d->classes.size());
    if (wholeLayer) {
        for (int64_t u = 0; u < count; ++u) {
            r.units.push_back(u);
            r.unitCaptions << (layer ? QString::number(u) : d->classes.value(static_cast<int>(u)));
        }
    } else {
        const int64_t unit = layer ? d->unit->value() : std::max(0, d->classBox->classIndex());
        r.units.push_back(unit);
        r.unitCaptions << (layer ? QString::number(unit) : d->classes.value(static_cast<int>(unit)));
    }
    const QString where = r.objective.channelMean ? QString()
        : r.objective.y < 0 && r.objective.x < 0  ? tr(" at the centre")
                                                  : tr(" at (%1, %2)").arg(r.objective.y).arg(r.objective.x);
    const QString n = QString::number(count);
    if (!layer)
        r.what = wholeLayer ? tr("%1 class logits").arg(n) : tr("class %1 logit").arg(r.unitCaptions[0]);
    else if (!maps)
        r.what = wholeLayer ? tr("%1 units of %2").arg(n, d->layerName)
                            : tr("unit %1 of %2").arg(r.units[0]).arg(d->layerName);
    else if (r.objective.channelMean)
        r.what = wholeLayer ? tr("%1 channel means of %2").arg(n, d->layerName)
                            : tr("channel %1 mean of %2").arg(r.units[0]).arg(d->layerName);
    else
        r.what = wholeLayer ? tr("%1 channel units%2 of %3").arg(n, where, d->layerName)
                            : tr("channel %1 unit%2 of %3").arg(r.units[0]).arg(where, d->layerName);

    r.options = d->knobs->options();
    r.fromInput = d->fromInput->isChecked() && d->fromInput->isEnabled();
    return r;
}

void AscentControls::setRunning(bool running)
{
    d->run->setEnabled(!running);
    d->whole->setEnabled(!running);
    d->stop->setEnabled(running);
}

void AscentControls::save(QSettings& settings) const
{
    settings.setValue(QStringLiteral("target"), d->targetsLayer() ? QStringLiteral("layer") : QStringLiteral("logits"));
    settings.setValue(QStringLiteral("unitAt"), d->kind->currentIndex() == 1);
    settings.setValue(QStringLiteral("minimize"), d->direction->currentIndex() == 1);
    settings.setValue(QStringLiteral("fromInput"), d->fromInput->isChecked());
    d->knobs->save(settings);
}

void AscentControls::restore(const QSettings& settings)
{
    // The class scores and Lucid by default: "what does the model think a 3 looks like".
    setTargetsLayer(
        settings.value(QStringLiteral("target"), QStringLiteral("logits")).toString() == QLatin1String("layer"));
    d->kind->setCurrentIndex(settings.value(QStringLiteral("unitAt"), false).toBool() ? 1 : 0);
    setMinimize(settings.value(QStringLiteral("minimize"), false).toBool());
    setStartFromInput(settings.value(QStringLiteral("fromInput"), false).toBool());
    d->knobs->restore(settings);
}

} // namespace convscope
