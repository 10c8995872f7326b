#include "app/views/adversarial/controls.h"

#include "app/shell/class_text.h"
#include "app/shell/form_widgets.h"
#include "app/views/adversarial/attack_text.h"
#include "app/views/adversarial/run.h"
#include "core/attack.h"
#include "core/model.h"
#include "widgets/class_combo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>

#include <algorithm>
#include <cmath>
#include <limits>

namespace convscope
{

namespace
{

constexpr int kLiveLevels = 64; // the slider reaches 64/255 (0.25: enough to fool a digits model)

QDoubleSpinBox* doubleBox(const QString& objectName, const QString& tip)
{
    auto* box = new QDoubleSpinBox;
    box->setObjectName(objectName);
    box->setDecimals(5);
    box->setToolTip(tip);
    return box;
}

QLabel* note(const QString& objectName)
{
    auto* label = new QLabel;
    label->setObjectName(objectName);
    label->setWordWrap(true);
    QFont small = label->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    label->setFont(small);
    return label;
}

} // namespace

struct AdversarialControls::Private {
    QFormLayout* form = nullptr;
    QComboBox* method = nullptr;
    QDoubleSpinBox* eps = nullptr;
    QLabel* epsNote = nullptr;
    QSlider* live = nullptr;
    QLabel* liveNote = nullptr;
    QDoubleSpinBox* alpha = nullptr;
    QLabel* alphaNote = nullptr;
    QSpinBox* steps = nullptr;
    QSpinBox* restarts = nullptr;
    QSpinBox* seed = nullptr;
    QCheckBox* earlyStop = nullptr;
    ClassCombo* target = nullptr;
    QPushButton* run = nullptr;
    QPushButton* stop = nullptr;
    QPushButton* use = nullptr;
    QPushButton* restore = nullptr;
    QSpinBox* samples = nullptr;
    QLineEdit* epsList = nullptr;
    QPushButton* curve = nullptr;
    bool syncing = false; // the slider itself changed the method

    AttackMethod attackMethod() const { return attackMethodFromName(method->currentData().toString().toStdString()); }
    // L∞ budgets and steps are edited in 8-bit levels: 8/255 is exactly 8, not 0.03137.
    double unit() const { return attackIsL2(attackMethod()) ? 1.0 : 1.0 / 255; }
    double epsValue() const { return eps->value() * unit(); }
    double alphaValue() const { return alpha->value() * unit(); } // 0: auto
};

AdversarialControls::AdversarialControls(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->method = new QComboBox;
    d->method->setObjectName(QStringLiteral("attackMethod"));
    const QStringList tips { tr("One signed-gradient step of size ε (Goodfellow et al. 2015)"),
        tr("Iterative FGSM: small signed steps kept within ε of the image (Kurakin et al. 2017)"),
        tr("BIM from a random start in the ε-ball, with restarts (Madry et al. 2018)"),
        tr("PGD in the L2 ball: normalized gradient steps"),
        tr("The smallest L2 step across the nearest linearized class boundary (Moosavi-Dezfooli et al. 2016)"),
        tr("Carlini–Wagner L2: the smallest perturbation by Adam, with a binary search over c (2017)") };
    const std::vector<std::string> names = attackMethodNames();
    for (size_t i = 0; i < names.size(); ++i) {
        AttackOptions o;
        o.method = attackMethodFromName(names[i]);
        d->method->addItem(attackTitle(o).section(QLatin1Char(','), 0, 0), QString::fromStdString(names[i]));
        d->method->setItemData(static_cast<int>(i), tips.value(static_cast<int>(i)), Qt::ToolTipRole);
    }
    d->eps = doubleBox(QStringLiteral("attackEps"),
        tr("The budget: L∞ in 8-bit levels (n/255) for FGSM, BIM and PGD; "
           "the L2 norm in pixels (each 0 … 1) for PGD-L2"));
    d->epsNote = note(QStringLiteral("attackEpsNote"));
    d->live = new QSlider(Qt::Horizontal);
    d->live->setObjectName(QStringLiteral("attackLiveEps"));
    d->live->setRange(1, kLiveLevels); // ε 0 would be no attack at all
    d->live->setPageStep(4);
    d->live->setToolTip(tr("Drag to run FGSM live at ε = n/255 (the attack becomes FGSM)"));
    d->liveNote = note(QStringLiteral("attackLiveNote"));
    d->alpha = doubleBox(QStringLiteral("attackAlpha"),
        tr("The step of an iterative attack; auto: 2.5 ε / steps "
           "(Madry et al.)"));
    d->alpha->setSpecialValueText(tr("auto"));
    d->alphaNote = note(QStringLiteral("attackAlphaNote"));
    d->steps = spinBox(QStringLiteral("attackSteps"), 1, 100000,
        tr("BIM and PGD: steps; DeepFool: at most this many; C&W: Adam steps per c"));
    d->restarts = spinBox(
        QStringLiteral("attackRestarts"), 1, 1000, tr("PGD: random starts; later ones only for images not yet fooled"));
    d->seed = spinBox(QStringLiteral("attackSeed"), 0, std::numeric_limits<int>::max(),
        tr("Seed of PGD's random starts: the same seed, the same image"));
    d->earlyStop = new QCheckBox(tr("Stop once fooled"));
    d->earlyStop->setObjectName(QStringLiteral("attackEarlyStop"));
    d->earlyStop->setToolTip(tr("Iterative attacks leave an image alone the step it is fooled"));
    d->earlyStop->setChecked(true);
    d->target = new ClassCombo;
    d->target->setObjectName(QStringLiteral("attackTarget"));
    d->target->setToolTip(tr("Untargeted: away from the predicted class; or towards a class (type to search)"));
    d->target->setClasses({}, tr("Untargeted"));
    d->run = new QPushButton(tr("Run"));
    d->run->setObjectName(QStringLiteral("attackRun"));
    d->run->setToolTip(tr("Attack the current input"));
    d->stop = new QPushButton(tr("Stop"));
    d->stop->setObjectName(QStringLiteral("attackStop"));
    d->stop->setToolTip(tr("Stop the attack (keeping the image as it is) or the curve (keeping the finished budgets)"));
    d->stop->setEnabled(false);
    d->use = new QPushButton(tr("Use as input"));
    d->use->setObjectName(QStringLiteral("attackUseAsInput"));
    d->use->setToolTip(tr("Make the adversarial image every view's input (Activations, Saliency, …)"));
    d->use->setEnabled(false);
    d->restore = new QPushButton(tr("Restore original"));
    d->restore->setObjectName(QStringLiteral("attackRestore"));
    d->restore->setToolTip(tr("Make the attacked image the input again"));
    d->restore->setEnabled(false);
    d->samples = spinBox(QStringLiteral("robustnessSamples"), 1, 100000,
        tr("Images attacked: a seeded sample of the dataset the Input dock walks"));
    d->samples->setValue(200);
    d->epsList = new QLineEdit;
    d->epsList->setObjectName(QStringLiteral("robustnessEps"));
    d->epsList->setToolTip(tr("Budgets, comma-separated; fractions such as 8/255 work. DeepFool and C&W read "
                              "them as L2 budgets off their minimal perturbations"));
    d->curve = new QPushButton(tr("Robustness curve"));
    d->curve->setObjectName(QStringLiteral("robustnessRun"));
    d->curve->setToolTip(tr("Accuracy against ε over the sample, with this attack: one more curve on the chart"));

    // One column beside the pictures: the window's width goes to them.
    d->form = new QFormLayout(this);
    d->form->setContentsMargins(0, 0, 0, 0);
    d->form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    d->form->addRow(tr("Attack:"), d->method);
    d->form->addRow(tr("ε:"), d->eps);
    d->form->addRow(QString(), d->epsNote);
    d->form->addRow(tr("Live ε:"), d->live);
    d->form->addRow(QString(), d->liveNote);
    d->form->addRow(tr("Step size:"), d->alpha);
    d->form->addRow(QString(), d->alphaNote);
    d->form->addRow(tr("Steps:"), d->steps);
    d->form->addRow(tr("Restarts:"), d->restarts);
    d->form->addRow(tr("Seed:"), d->seed);
    d->form->addRow(d->earlyStop);
    d->form->addRow(tr("Target:"), d->target);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(d->run);
    buttons->addWidget(d->stop);
    d->form->addRow(buttons);
    auto* input = new QHBoxLayout;
    input->addWidget(d->use);
    input->addWidget(d->restore);
    d->form->addRow(input);
    d->form->addRow(horizontalLine());
    d->form->addRow(tr("Samples:"), d->samples);
    d->form->addRow(tr("ε list:"), d->epsList);
    d->form->addRow(d->curve);
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
    setMaximumWidth(260); // the pictures need the width more

    connect(d->method, &QComboBox::currentIndexChanged, this, &AdversarialControls::methodChanged);
    connect(d->eps, &QDoubleSpinBox::valueChanged, this, [this](double levels) {
        if (!attackIsL2(d->attackMethod())) {
            // The slider follows the budget, within its range.
            const QSignalBlocker block(d->live);
            d->live->setValue(std::clamp(static_cast<int>(std::lround(levels)), 1, kLiveLevels));
        }
        updateNotes();
    });
    connect(d->steps, &QSpinBox::valueChanged, this, &AdversarialControls::updateNotes);
    connect(d->alpha, &QDoubleSpinBox::valueChanged, this, &AdversarialControls::updateNotes);
    connect(d->live, &QSlider::valueChanged, this, [this](int level) {
        // The pictures show FGSM at this budget: so do the controls.
        {
            const QSignalBlocker blockMethod(d->method), blockEps(d->eps);
            if (d->attackMethod() != AttackMethod::Fgsm) {
                d->method->setCurrentIndex(d->method->findData(QStringLiteral("fgsm")));
                d->syncing = true; // the slider stays where the user has it
                methodChanged();
                d->syncing = false;
            }
            d->eps->setValue(level);
        }
        updateNotes();
        Q_EMIT liveEpsChanged(level / 255.0);
    });
    connect(d->run, &QPushButton::clicked, this, &AdversarialControls::runClicked);
    connect(d->stop, &QPushButton::clicked, this, &AdversarialControls::stopClicked);
    connect(d->use, &QPushButton::clicked, this, &AdversarialControls::useAsInputClicked);
    connect(d->restore, &QPushButton::clicked, this, &AdversarialControls::restoreClicked);
    connect(d->curve, &QPushButton::clicked, this, &AdversarialControls::curveClicked);
    methodChanged();
}

AdversarialControls::~AdversarialControls() = default;

void AdversarialControls::setModel(const Model& model)
{
    QStringList classes;
    for (int64_t i = 0; i < model.info().outputs; ++i)
        classes << classText(model, i);
    d->target->setClasses(classes, tr("Untargeted"));
}

void AdversarialControls::methodChanged()
{
    const AttackMethod method = d->attackMethod();
    const AttackOptions defaults = attackDefaults(method);
    const bool eps = attackUsesEps(method), l2 = attackIsL2(method);
    {
        // A new attack starts from its own defaults, as the CLI's do.
        const QSignalBlocker blockEps(d->eps), blockAlpha(d->alpha), blockSteps(d->steps), blockLive(d->live);
        const QString suffix = l2 ? QString() : QStringLiteral(" /255");
        d->eps->setDecimals(l2 ? 4 : 2);
        d->eps->setRange(0, l2 ? 100 : 255);
        d->eps->setSingleStep(l2 ? 0.05 : 1);
        d->eps->setSuffix(suffix);
        d->eps->setValue(defaults.eps / d->unit());
        d->alpha->setDecimals(l2 ? 4 : 3);
        d->alpha->setRange(0, l2 ? 100 : 255);
        d->alpha->setSingleStep(l2 ? 0.01 : 0.25);
        d->alpha->setSuffix(suffix);
        d->alpha->setValue(0);
        d->steps->setValue(static_cast<int>(defaults.steps));
        if (!l2 && !d->syncing)
            d->live->setValue(std::clamp(static_cast<int>(std::lround(defaults.eps * 255)), 1, kLiveLevels));
    }
    const bool iterative = method != AttackMethod::Fgsm;
    for (QWidget* w : { static_cast<QWidget*>(d->eps), static_cast<QWidget*>(d->epsNote) })
        d->form->setRowVisible(w, eps);
    for (QWidget* w : { static_cast<QWidget*>(d->alpha), static_cast<QWidget*>(d->alphaNote) })
        d->form->setRowVisible(w, eps && iterative);
    d->form->setRowVisible(d->steps, iterative);
    const bool pgd = method == AttackMethod::Pgd || method == AttackMethod::PgdL2;
    d->form->setRowVisible(d->restarts, pgd);
    d->form->setRowVisible(d->seed, pgd);
    d->earlyStop->setEnabled(iterative);
    d->method->setToolTip(d->method->itemData(d->method->currentIndex(), Qt::ToolTipRole).toString());
    setEpsListText(defaultEpsList(l2 || !eps));
    updateNotes();
}

void AdversarialControls::updateNotes()
{
    const AttackMethod method = d->attackMethod();
    const double eps = d->epsValue();
    const bool l2 = attackIsL2(method);
    d->epsNote->setText(l2 ? tr("the L2 norm of the perturbation")
                           : tr("= %1: each pixel moves by at most this (0 … 1)").arg(eps, 0, 'g', 4));
    d->liveNote->setText(tr("FGSM at %1 as it moves").arg(linfText(d->live->value() / 255.0)));
    AttackOptions o = attackDefaults(method);
    o.eps = eps;
    o.steps = d->steps->value();
    o.alpha = d->alphaValue() > 0 ? d->alphaValue() : -1;
    const double step = attackStepSize(o);
    d->alphaNote->setText(d->alphaValue() > 0
            ? QString()
            : tr("auto: 2.5 ε / steps = %1").arg(l2 ? QString::number(step, 'g', 3) : linfText(step)));
}

AttackOptions AdversarialControls::options() const
{
    AttackOptions o = attackDefaults(d->attackMethod());
    if (attackUsesEps(o.method)) {
        o.eps = d->epsValue();
        o.alpha = o.method != AttackMethod::Fgsm && d->alphaValue() > 0 ? d->alphaValue() : -1;
    }
    if (o.method != AttackMethod::Fgsm)
        o.steps = d->steps->value();
    o.restarts = d->restarts->value();
    o.seed = static_cast<uint64_t>(d->seed->value());
    o.earlyStop = d->earlyStop->isChecked();
    o.target = d->target->classIndex();
    return o;
}

QString AdversarialControls::method() const
{
    return d->method->currentData().toString();
}

void AdversarialControls::setMethod(const QString& name)
{
    const int index = d->method->findData(name);
    if (index >= 0)
        d->method->setCurrentIndex(index);
}

void AdversarialControls::setEps(double eps)
{
    d->eps->setValue(eps / d->unit());
}

void AdversarialControls::setSteps(int steps)
{
    d->steps->setValue(steps);
}

void AdversarialControls::setTarget(int target)
{
    d->target->setClassIndex(target);
}

int AdversarialControls::target() const
{
    return d->target->classIndex();
}

void AdversarialControls::setLiveLevel(int level)
{
    d->live->setValue(level);
}

int AdversarialControls::liveLevel() const
{
    return d->live->value();
}

int AdversarialControls::samples() const
{
    return d->samples->value();
}

void AdversarialControls::setSamples(int samples)
{
    d->samples->setValue(samples);
}

QString AdversarialControls::epsListText() const
{
    return d->epsList->text();
}

void AdversarialControls::setEpsListText(const QString& text)
{
    d->epsList->setText(text);
    d->epsList->setCursorPosition(0); // the list from its start, not its end
}

void AdversarialControls::setRunning(bool attack, bool curve)
{
    d->run->setEnabled(!attack);
    d->curve->setEnabled(!curve);
    d->stop->setEnabled(attack || curve);
}

void AdversarialControls::setCanUse(bool canUse, bool canRestore)
{
    d->use->setEnabled(canUse);
    d->restore->setEnabled(canRestore);
}

void AdversarialControls::save(QSettings& settings) const
{
    settings.setValue(QStringLiteral("method"), method());
    // In pixels, as AttackOptions and the CLI have them.
    settings.setValue(QStringLiteral("eps"), d->epsValue());
    settings.setValue(QStringLiteral("alpha"), d->alphaValue());
    settings.setValue(QStringLiteral("steps"), d->steps->value());
    settings.setValue(QStringLiteral("restarts"), d->restarts->value());
    settings.setValue(QStringLiteral("seed"), d->seed->value());
    settings.setValue(QStringLiteral("earlyStop"), d->earlyStop->isChecked());
    settings.setValue(QStringLiteral("samples"), d->samples->value());
    settings.setValue(QStringLiteral("epsList"), d->epsList->text());
}

void AdversarialControls::restore(const QSettings& settings)
{
    // The method first: it fills the rest with its defaults, which the settings then override.
    setMethod(settings.value(QStringLiteral("method"), QStringLiteral("fgsm")).toString());
    d->eps->setValue(settings.value(QStringLiteral("eps"), d->epsValue()).toDouble() / d->unit());
    d->alpha->setValue(settings.value(QStringLiteral("alpha"), 0.0).toDouble() / d->unit());
    d->steps->setValue(settings.value(QStringLiteral("steps"), d->steps->value()).toInt());
    d->restarts->setValue(settings.value(QStringLiteral("restarts"), 1).toInt());
    d->seed->setValue(settings.value(QStringLiteral("seed"), 0).toInt());
    d->earlyStop->setChecked(settings.value(QStringLiteral("earlyStop"), true).toBool());
    d->samples->setValue(settings.value(QStringLiteral("samples"), 200).toInt());
    setEpsListText(settings.value(QStringLiteral("epsList"), d->epsList->text()).toString());
}

} // namespace convscope
