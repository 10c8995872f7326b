#include "app/views/training/controls.h"

#include "app/shell/form_widgets.h"
#include "app/views/training/run.h"
#include "app/views/training/run_names.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace convscope
{

struct TrainingControls::Private {
    QComboBox* arch = nullptr;
    QComboBox* data = nullptr;
    QSpinBox* epochs = nullptr;
    QSpinBox* batch = nullptr;
    QComboBox* optimizer = nullptr;
    QDoubleSpinBox* lr = nullptr;
    QComboBox* schedule = nullptr;
    QCheckBox* dropout = nullptr;
    QDoubleSpinBox* dropoutP = nullptr;
    QCheckBox* batchNorm = nullptr;
    QCheckBox* shift = nullptr;
    QCheckBox* rotation = nullptr;
    QCheckBox* flip = nullptr;
    QCheckBox* brightness = nullptr;
    QCheckBox* weightDecay = nullptr;
    QDoubleSpinBox* weightDecayValue = nullptr;
    QCheckBox* adversarial = nullptr;
    QDoubleSpinBox* epsilon = nullptr;
    QSpinBox* steps = nullptr;
    QSpinBox* seed = nullptr;
    QCheckBox* snapshots = nullptr;
    QSpinBox* watch = nullptr;
    QPushButton* start = nullptr;
    QPushButton* pause = nullptr;
    QPushButton* stop = nullptr;
    QPushButton* inspect = nullptr;
    QWidget* form = nullptr; // what a running run must not change
    QPushButton* clear = nullptr;
};

namespace
{

QDoubleSpinBox* doubleBox(const QString& name, double min, double max, double step, int decimals, const QString& tip)
{
    auto* box = new QDoubleSpinBox;
    box->setObjectName(name);
    box->setRange(min, max);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    box->setToolTip(tip);
    return box;
}

QCheckBox* check(const QString& name, const QString& text, const QString& tip)
{
    auto* box = new QCheckBox(text);
    box->setObjectName(name);
    box->setToolTip(tip);
    return box;
}

// A switch and its value on one row; the value is live only while switched on.
QWidget* row(QCheckBox* box, QWidget* value)
{
    auto* w = new QWidget;
    auto* layout = new QHBoxLayout(w);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(box);
    layout->addWidget(value, 1);
    QObject::connect(box, &QCheckBox::toggled, value, &QWidget::setEnabled);
    value->setEnabled(box->isChecked());
    return w;
}

} // namespace

TrainingControls::TrainingControls(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    const TrainOptions defaults;
    d->arch = new QComboBox;
    d->arch->setObjectName(QStringLiteral("trainArch"));
    d->arch->addItem(QStringLiteral("LeNet-5"), QStringLiteral("lenet5"));
    d->arch->addItem(QStringLiteral("MiniVGG"), QStringLiteral("minivgg"));
    d->arch->setToolTip(tr("LeNet-5: two convolutions, three dense layers (61k weights, seconds an epoch).\n"
                           "MiniVGG: three VGG blocks with batch norm (290k weights, about a minute an epoch)."));
    d->data = new QComboBox;
    d->data->setObjectName(QStringLiteral("trainData"));
    d->data->addItem(tr("Fashion-MNIST"), QStringLiteral("fashion-mnist"));
    d->data->addItem(tr("Digits (5,000)"), QStringLiteral("digits"));
    d->data->addItem(tr("Folder…"), QString());
    d->data->setToolTip(tr("Fashion-MNIST tests on its official 10,000 test images; other data on a held-out fifth."));
    d->epochs = spinBox(QStringLiteral("trainEpochs"), 1, 500, tr("Passes over the training images."));
    d->epochs->setValue(5);
    d->batch = spinBox(QStringLiteral("trainBatch"), 1, 4096, tr("Images per step."));
    d->batch->setValue(defaults.batchSize);
    d->optimizer = new QComboBox;
    d->optimizer->setObjectName(QStringLiteral("trainOptimizer"));
    d->optimizer->addItem(tr("SGD"), QStringLiteral("sgd"));
    d->optimizer->setItemData(0, tr("Stochastic gradient descent with momentum 0.9"), Qt::ToolTipRole);
    d->optimizer->addItem(QStringLiteral("Adam"), QStringLiteral("adam"));
    d->lr = doubleBox(QStringLiteral("trainLr"), 0.00001, 10, 0.005, 5, tr("Learning rate: about 0.05 for SGD, 0.001 for Adam."));
    d->lr->setValue(defaults.learningRate);
    d->schedule = new QComboBox;
    d->schedule->setObjectName(QStringLiteral("trainSchedule"));
    d->schedule->addItem(tr("cosine"), QStringLiteral("cosine"));
    d->schedule->addItem(tr("step ×0.1 / 5"), QStringLiteral("step"));
    d->schedule->setItemData(1, tr("×0.1 every 5 epochs"), Qt::ToolTipRole);
    d->schedule->addItem(tr("constant"), QStringLiteral("none"));

    d->dropout = check(QStringLiteral("trainDropout"), tr("Dropout"), tr("Drop activations at random while training (LeNet-5: after fc1 and fc2; MiniVGG: before fc)."));
    d->dropoutP = doubleBox(QStringLiteral("trainDropoutP"), 0.05, 0.95, 0.05, 2, tr("The probability of dropping each activation."));
    d->dropoutP->setValue(0.5);
    d->batchNorm = check(QStringLiteral("trainBatchNorm"), tr("Batch norm"), tr("Normalize after each convolution (LeNet-5: bn1, bn2)."));
    d->shift = check(QStringLiteral("trainShift"), tr("shift"), tr("Random shifts up to 10 % of the side."));
    d->rotation = check(QStringLiteral("trainRotation"), tr("rotation"), tr("Random rotations up to 10°."));
    d->flip = check(QStringLiteral("trainFlip"), tr("flip"), tr("Random left-right flips (not for digits)."));
    d->brightness = check(QStringLiteral("trainBrightness"), tr("brightness"), tr("Random brightness ×0.8–1.2."));
    d->weightDecay = check(QStringLiteral("trainWeightDecay"), tr("Weight decay"), tr("Pull every weight towards 0 (L2)."));
    d->weightDecayValue = doubleBox(QStringLiteral("trainWeightDecayValue"), 0.000001, 0.1, 0.0001, 6, tr("The L2 factor."));
    d->weightDecayValue->setValue(defaults.weightDecay);
    d->weightDecay->setChecked(true);
    d->adversarial = check(QStringLiteral("trainAdversarial"), tr("Adversarial"),
                           tr("Train on PGD examples of every batch (Madry et al.): a robust model, a few times slower."));
    d->epsilon = doubleBox(QStringLiteral("trainEpsilon"), 0.005, 1, 0.01, 3, tr("PGD's L∞ radius in pixels [0, 1]."));
    d->epsilon->setValue(defaults.adversarialEpsilon);
    d->steps = spinBox(QStringLiteral("trainSteps"), 1, 100, tr("PGD steps per batch."));
    d->steps->setValue(defaults.adversarialSteps);
    d->seed = spinBox(QStringLiteral("trainSeed"), 0, 1000000, tr("The same seed gives the same run (and the CLI's --seed)."));
    d->snapshots = check(QStringLiteral("trainSnapshots"), tr("Keep every epoch"),
                         tr("Save each epoch's model, so that Filters and Embedding can scrub through training."));
    d->snapshots->setChecked(true);
    d->watch = spinBox(QStringLiteral("trainWatch"), 1, 100000, tr("The test image whose activations and top-5 are redrawn."));

    d->form = new QWidget;
    auto* form = new QFormLayout(d->form);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Network"), d->arch);
    form->addRow(tr("Data"), d->data);
    form->addRow(tr("Epochs"), d->epochs);
    form->addRow(tr("Batch"), d->batch);
    form->addRow(tr("Optimizer"), d->optimizer);
    form->addRow(tr("Learning rate"), d->lr);
    form->addRow(tr("Schedule"), d->schedule);
    form->addRow(horizontalLine());
    form->addRow(row(d->dropout, d->dropoutP));
    form->addRow(d->batchNorm);
    auto* augmentation = new QWidget;
    auto* grid = new QGridLayout(augmentation);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(new QLabel(tr("Augment:")), 0, 0, 1, 2);
    grid->addWidget(d->shift, 1, 0);
    grid->addWidget(d->rotation, 1, 1);
    grid->addWidget(d->flip, 2, 0);
    grid->addWidget(d->brightness, 2, 1);
    form->addRow(augmentation);
    form->addRow(row(d->weightDecay, d->weightDecayValue));
    auto* pgd = new QWidget;
    auto* pgdLayout = new QHBoxLayout(pgd);
    pgdLayout->setContentsMargins(0, 0, 0, 0);
    pgdLayout->addWidget(new QLabel(QStringLiteral("ε")));
    pgdLayout->addWidget(d->epsilon, 1);
    pgdLayout->addWidget(new QLabel(tr("steps")));
    pgdLayout->addWidget(d->steps);
    form->addRow(row(d->adversarial, pgd));
    form->addRow(horizontalLine());
    form->addRow(tr("Seed"), d->seed);
    form->addRow(d->snapshots);
    auto* watchForm = new QFormLayout;
    watchForm->addRow(tr("Watch test image"), d->watch);

    d->start = new QPushButton(tr("Start"));
    d->start->setObjectName(QStringLiteral("trainStart"));
    d->start->setToolTip(tr("Train a new model; its curves join the charts beside the earlier runs'."));
    d->pause = new QPushButton(tr("Pause"));
    d->pause->setObjectName(QStringLiteral("trainPause"));
    d->stop = new QPushButton(tr("Stop"));
    d->stop->setObjectName(QStringLiteral("trainStop"));
    d->stop->setToolTip(tr("Stop after this batch; the best model so far stays saved."));
    d->inspect = new QPushButton(tr("Inspect this model"));
    d->inspect->setObjectName(QStringLiteral("trainInspect"));
    d->inspect->setToolTip(tr("Open the weights as they are now (saved before the next batch) in every other view;\n"
                              "after a run, its best model."));
    auto* buttons = new QGridLayout;
    buttons->addWidget(d->start, 0, 0);
    buttons->addWidget(d->pause, 0, 1);
    buttons->addWidget(d->stop, 0, 2);
    buttons->addWidget(d->inspect, 1, 0, 1, 3);
    auto* exportCharts = new QPushButton(tr("Charts…"));
    exportCharts->setObjectName(QStringLiteral("trainExportPng"));
    exportCharts->setToolTip(tr("Save the two charts as a PNG."));
    auto* exportCsv = new QPushButton(tr("CSV…"));
    exportCsv->setObjectName(QStringLiteral("trainExportCsv"));
    exportCsv->setToolTip(tr("Save every run's curves as CSV."));
    auto* clear = d->clear = new QPushButton(tr("Clear"));
    clear->setObjectName(QStringLiteral("trainClear"));
    clear->setToolTip(tr("Forget the finished runs' curves (their models stay on disk)."));
    buttons->addWidget(exportCharts, 2, 0);
    buttons->addWidget(exportCsv, 2, 1);
    buttons->addWidget(clear, 2, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->form);
    layout->addLayout(watchForm);
    layout->addLayout(buttons);
    layout->addStretch(1);

    connect(d->arch, &QComboBox::currentIndexChanged, this, [this] { setArchitecture(d->arch->currentData().toString()); });
    connect(d->data, &QComboBox::activated, this, [this] {
        if (d->data->currentData().toString().isEmpty())
            chooseData();
    });
    connect(d->optimizer, &QComboBox::currentIndexChanged, this, [this] {
        d->lr->setValue(d->optimizer->currentData().toString() == QLatin1String("adam") ? 0.001 : 0.05);
    });
    connect(d->start, &QPushButton::clicked, this, &TrainingControls::startClicked);
    connect(d->pause, &QPushButton::clicked, this, &TrainingControls::pauseClicked);
    connect(d->stop, &QPushButton::clicked, this, &TrainingControls::stopClicked);
    connect(d->inspect, &QPushButton::clicked, this, &TrainingControls::inspectClicked);
    connect(d->watch, &QSpinBox::valueChanged, this, [this](int v) { Q_EMIT watchChanged(v - 1); });
    connect(exportCharts, &QPushButton::clicked, this, &TrainingControls::exportChartsClicked);
    connect(exportCsv, &QPushButton::clicked, this, &TrainingControls::exportCsvClicked);
    connect(clear, &QPushButton::clicked, this, &TrainingControls::clearClicked);
    setArchitecture(QStringLiteral("lenet5"));
    setAugmentation(true, true, false, true); // `train`'s default augmentation
    setRunning(false);
    setCanInspect(false);
}

TrainingControls::~TrainingControls() = default;

void TrainingControls::chooseData()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Training images: one subfolder per class"));
    if (folder.isEmpty()) {
        d->data->setCurrentIndex(0);
        return;
    }
    setData(folder);
}

void TrainingControls::setData(const QString& spec)
{
    int index = d->data->findData(spec);
    if (index < 0) {
        d->data->insertItem(d->data->count() - 1, spec, spec);
        index = d->data->findData(spec);
    }
    d->data->setCurrentIndex(index);
}

void TrainingControls::setArchitecture(const QString& arch)
{
    const int index = d->arch->findData(arch);
    if (index >= 0 && index != d->arch->currentIndex())
        d->arch->setCurrentIndex(index); // comes back here through the signal
    // Each architecture starts from its own choices, which the switches then change.
    const ArchitectureOptions own = withDefaults(arch.toStdString(), {});
    d->batchNorm->setChecked(*own.batchNorm);
    d->dropout->setChecked(*own.dropout > 0);
    if (*own.dropout > 0)
        d->dropoutP->setValue(*own.dropout);
}

void TrainingControls::setEpochs(int epochs)
{
    d->epochs->setValue(epochs);
}

void TrainingControls::setBatchNorm(bool on)
{
    d->batchNorm->setChecked(on);
}

void TrainingControls::setDropout(double p)
{
    d->dropout->setChecked(p > 0);
    if (p > 0)
        d->dropoutP->setValue(p);
}

void TrainingControls::setAugmentation(bool shift, bool rotation, bool flip, bool brightness)
{
    d->shift->setChecked(shift);
    d->rotation->setChecked(rotation);
    d->flip->setChecked(flip);
    d->brightness->setChecked(brightness);
}

void TrainingControls::setAdversarial(double epsilon, int steps)
{
    d->adversarial->setChecked(epsilon > 0);
    if (epsilon > 0) {
        d->epsilon->setValue(epsilon);
        d->steps->setValue(steps);
    }
}

void TrainingControls::setSeed(int seed)
{
    d->seed->setValue(seed);
}

int TrainingControls::watchIndex() const
{
    return d->watch->value() - 1;
}

TrainingRequest TrainingControls::request() const
{
    TrainingRequest r;
    TrainOptions& o = r.options;
    o.arch = d->arch->currentData().toString().toStdString();
    o.epochs = d->epochs->value();
    o.batchSize = d->batch->value();
    o.optimizer = d->optimizer->currentData().toString().toStdString();
    o.learningRate = d->lr->value();
    o.schedule = d->schedule->currentData().toString().toStdString();
    o.layers.batchNorm = d->batchNorm->isChecked();
    o.layers.dropout = d->dropout->isChecked() ? d->dropoutP->value() : 0.0;
    // The CLI's augmentation, each kind switched on its own.
    const TrainOptions defaults;
    o.maxShift = d->shift->isChecked() ? defaults.maxShift : 0;
    o.maxRotation = d->rotation->isChecked() ? defaults.maxRotation : 0;
    o.horizontalFlip = d->flip->isChecked();
    o.brightness = d->brightness->isChecked() ? defaults.brightness : 0;
    o.augment = o.maxShift > 0 || o.maxRotation > 0 || o.horizontalFlip || o.brightness > 0;
    o.weightDecay = d->weightDecay->isChecked() ? d->weightDecayValue->value() : 0;
    if (d->adversarial->isChecked()) {
        o.adversarial = "pgd";
        o.adversarialEpsilon = d->epsilon->value();
        o.adversarialSteps = d->steps->value();
    }
    o.seed = static_cast<uint64_t>(d->seed->value());
    r.data = d->data->currentData().toString();
    r.keepSnapshots = d->snapshots->isChecked();
    return r;
}

RunSettings TrainingControls::settings() const
{
    const TrainingRequest r = request();
    RunSettings s;
    s.arch = QString::fromStdString(r.options.arch);
    s.data = d->data->currentData().toString();
    s.optimizer = QString::fromStdString(r.options.optimizer);
    s.learningRate = r.options.learningRate;
    s.schedule = QString::fromStdString(r.options.schedule);
    s.batch = r.options.batchSize;
    s.batchNorm = *r.options.layers.batchNorm;
    s.dropout = *r.options.layers.dropout;
    s.shift = r.options.maxShift > 0;
    s.rotation = r.options.maxRotation > 0;
    s.flip = r.options.horizontalFlip;
    s.brightness = r.options.brightness > 0;
    s.weightDecay = r.options.weightDecay;
    if (!r.options.adversarial.empty()) {
        s.adversarialEpsilon = r.options.adversarialEpsilon;
        s.adversarialSteps = r.options.adversarialSteps;
    }
    s.seed = r.options.seed;
    return s;
}

void TrainingControls::setRunning(bool running)
{
    d->form->setEnabled(!running);
    d->clear->setEnabled(!running);
    d->start->setEnabled(!running);
    d->pause->setEnabled(running);
    d->stop->setEnabled(running);
    if (!running)
        setPaused(false);
}

void TrainingControls::setPaused(bool paused)
{
    d->pause->setText(paused ? tr("Resume") : tr("Pause"));
}

void TrainingControls::setCanInspect(bool can)
{
    d->inspect->setEnabled(can);
}

void TrainingControls::save(QSettings& s) const
{
    const TrainingRequest r = request();
    s.setValue(QStringLiteral("arch"), QString::fromStdString(r.options.arch));
    s.setValue(QStringLiteral("data"), r.data);
    s.setValue(QStringLiteral("epochs"), r.options.epochs);
    s.setValue(QStringLiteral("batch"), r.options.batchSize);
    s.setValue(QStringLiteral("optimizer"), QString::fromStdString(r.options.optimizer));
    s.setValue(QStringLiteral("lr"), r.options.learningRate);
    s.setValue(QStringLiteral("schedule"), QString::fromStdString(r.options.schedule));
    s.setValue(QStringLiteral("batchNorm"), d->batchNorm->isChecked());
    s.setValue(QStringLiteral("dropout"), d->dropout->isChecked() ? d->dropoutP->value() : 0.0);
    s.setValue(QStringLiteral("augmentation"), QStringList{d->shift->isChecked() ? QStringLiteral("1") : QStringLiteral("0"),
                                                          d->rotation->isChecked() ? QStringLiteral("1") : QStringLiteral("0"),
                                                          d->flip->isChecked() ? QStringLiteral("1") : QStringLiteral("0"),
                                                          d->brightness->isChecked() ? QStringLiteral("1") : QStringLiteral("0")});
    s.setValue(QStringLiteral("weightDecay"), r.options.weightDecay);
    s.setValue(QStringLiteral("adversarialEpsilon"), d->adversarial->isChecked() ? d->epsilon->value() : 0.0);
    s.setValue(QStringLiteral("adversarialSteps"), d->steps->value());
    s.setValue(QStringLiteral("seed"), d->seed->value());
    s.setValue(QStringLiteral("snapshots"), d->snapshots->isChecked());
}

void TrainingControls::restore(const QSettings& s)
{
    if (s.contains(QStringLiteral("arch")))
        setArchitecture(s.value(QStringLiteral("arch")).toString());
    const QString data = s.value(QStringLiteral("data")).toString();
    if (!data.isEmpty())
        setData(data);
    d->epochs->setValue(s.value(QStringLiteral("epochs"), d->epochs->value()).toInt());
    d->batch->setValue(s.value(QStringLiteral("batch"), d->batch->value()).toInt());
    const int optimizer = d->optimizer->findData(s.value(QStringLiteral("optimizer")).toString());
    if (optimizer >= 0)
        d->optimizer->setCurrentIndex(optimizer);
    d->lr->setValue(s.value(QStringLiteral("lr"), d->lr->value()).toDouble());
    const int schedule = d->schedule->findData(s.value(QStringLiteral("schedule")).toString());
    if (schedule >= 0)
        d->schedule->setCurrentIndex(schedule);
    if (s.contains(QStringLiteral("batchNorm")))
        setBatchNorm(s.value(QStringLiteral("batchNorm")).toBool());
    if (s.contains(QStringLiteral("dropout")))
        setDropout(s.value(QStringLiteral("dropout")).toDouble());
    const QStringList aug = s.value(QStringLiteral("augmentation")).toStringList();
    if (aug.size() == 4)
        setAugmentation(aug[0] == QLatin1String("1"), aug[1] == QLatin1String("1"), aug[2] == QLatin1String("1"),
                        aug[3] == QLatin1String("1"));
    if (s.contains(QStringLiteral("weightDecay"))) {
        const double wd = s.value(QStringLiteral("weightDecay")).toDouble();
        d->weightDecay->setChecked(wd > 0);
        if (wd > 0)
            d->weightDecayValue->setValue(wd);
    }
    setAdversarial(s.value(QStringLiteral("adversarialEpsilon"), 0.0).toDouble(),
                   s.value(QStringLiteral("adversarialSteps"), d->steps->value()).toInt());
    d->seed->setValue(s.value(QStringLiteral("seed"), d->seed->value()).toInt());
    d->snapshots->setChecked(s.value(QStringLiteral("snapshots"), true).toBool());
}

} // namespace convscope
