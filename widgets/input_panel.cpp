#include "widgets/input_panel.h"

#include "widgets/image_view.h"
#include "widgets/top_k_chart.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGraphicsOpacityEffect>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

namespace convscope {

InputPanel::InputPanel(QWidget* parent)
    : QWidget(parent)
{
    m_image = new ImageView;
    m_image->setObjectName(QStringLiteral("inputImage"));
    m_image->setMinimumSize(160, 160);
    m_image->setPlaceholderText(tr("No input"));
    m_caption = new QLabel(tr("No input"));
    m_caption->setObjectName(QStringLiteral("inputCaption"));
    m_caption->setWordWrap(true);

    m_previous = new QPushButton(tr("◀"));
    m_next = new QPushButton(tr("▶"));
    m_previous->setToolTip(tr("Previous (Alt+Left)"));
    m_next->setToolTip(tr("Next (Alt+Right)"));
    m_previous->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
    m_next->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right));
    m_previous->setObjectName(QStringLiteral("previousInput"));
    m_previous->setMaximumWidth(44); // the slider gets the room
    m_next->setMaximumWidth(44);
    m_next->setObjectName(QStringLiteral("nextInput"));
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setObjectName(QStringLiteral("inputSlider"));
    m_position = new QSpinBox;
    m_position->setObjectName(QStringLiteral("inputPosition"));
    connect(m_previous, &QPushButton::clicked, this, &InputPanel::previousRequested);
    connect(m_next, &QPushButton::clicked, this, &InputPanel::nextRequested);
    // Dragging the slider asks for every position it passes; the controller
    // keeps only the newest, so the views follow without a backlog.
    connect(m_slider, &QSlider::valueChanged, this, [this](int value) { Q_EMIT positionRequested(value); });
    connect(m_position, &QSpinBox::valueChanged, this, [this](int value) { Q_EMIT positionRequested(value - 1); });
    auto* navigation = new QHBoxLayout;
    navigation->setContentsMargins(0, 0, 0, 0);
    navigation->addWidget(m_previous);
    navigation->addWidget(m_slider, 1);
    navigation->addWidget(m_next);
    navigation->addWidget(m_position);
    m_navigation = new QWidget;
    m_navigation->setLayout(navigation);

    // ◀ ▶ through 2,000 of Fashion-MNIST's 10,000 test images looked like a
    // bug until the dock said which images it walks.
    m_scope = new QComboBox;
    m_scope->setObjectName(QStringLiteral("inputScope"));
    m_scope->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_scope->setMinimumContentsLength(12);
    m_scope->setToolTip(tr("The test split holds the images a model trained here never saw "
                           "(a fixed, seeded fifth; the same in the CLI's --index). "
                           "Walk all images to see the training images too."));
    m_scope->addItems({ QString(), QString() });
    connect(m_scope, &QComboBox::activated, this, [this](int index) { Q_EMIT walkAllRequested(index == 1); });

    m_play = new QPushButton(tr("Play"));
    m_play->setObjectName(QStringLiteral("playInput"));
    m_play->setCheckable(true);
    connect(m_play, &QPushButton::toggled, this, [this](bool on) {
        m_play->setText(on ? tr("Pause") : tr("Play"));
        Q_EMIT playToggled(on);
    });
    m_live = new QLabel;
    m_live->setObjectName(QStringLiteral("liveStatus"));
    auto* live = new QHBoxLayout;
    live->addWidget(m_play);
    live->addWidget(m_live, 1);

    m_chart = new TopKChart;
    m_chart->setObjectName(QStringLiteral("predictions"));
    m_chart->setMinimumHeight(180);

    // Segmentation models: the class map over the input.
    m_showClassMap = new QCheckBox(tr("Class map"));
    m_showClassMap->setObjectName(QStringLiteral("showClassMap"));
    m_showClassMap->setChecked(true);
    m_opacity = new QSlider(Qt::Horizontal);
    m_opacity->setObjectName(QStringLiteral("classMapOpacity"));
    m_opacity->setRange(0, 100);
    m_opacity->setValue(50);
    m_opacity->setToolTip(tr("Opacity of the class colours"));
    connect(m_showClassMap, &QCheckBox::toggled, this, [this] { redraw(); });
    connect(m_opacity, &QSlider::valueChanged, this, [this] { redraw(); });
    auto* classRow = new QHBoxLayout;
    classRow->setContentsMargins(0, 0, 0, 0);
    classRow->addWidget(m_showClassMap);
    classRow->addWidget(m_opacity, 1);
    m_legend = new QLabel;
    m_legend->setObjectName(QStringLiteral("classMapLegend"));
    m_legend->setTextFormat(Qt::RichText);
    m_hover = new QLabel;
    m_hover->setObjectName(QStringLiteral("classMapHover"));
    m_hover->setWordWrap(true);
    auto* classBox = new QVBoxLayout;
    classBox->setContentsMargins(0, 0, 0, 0);
    classBox->addLayout(classRow);
    classBox->addWidget(m_legend);
    classBox->addWidget(m_hover);
    m_classMapRow = new QWidget;
    m_classMapRow->setLayout(classBox);
    m_classMapRow->hide();
    connect(m_image, &ImageView::pixelHovered, this, [this](QPoint pixel) {
        m_hover->setText(classMapPixelText(m_classMap, pixel, m_base.size()));
    });

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_image, 1);
    layout->addWidget(m_classMapRow);
    layout->addWidget(m_caption);
    layout->addWidget(m_navigation);
    layout->addWidget(m_scope);
    layout->addLayout(live);
    m_predictionsTitle = new QLabel(tr("Top predictions:"));
    m_predictionsTitle->setObjectName(QStringLiteral("predictionsTitle"));
    m_staleDelay = new QTimer(this);
    m_staleDelay->setSingleShot(true);
    m_staleDelay->setInterval(300);
    connect(m_staleDelay, &QTimer::timeout, this, [this] { showPredictionsStale(true); });
    layout->addWidget(m_predictionsTitle);
    layout->addWidget(m_chart);
    setNavigation(0, 0);
    setScope(0, 0, false);
    setLiveAvailable(false);
}

void InputPanel::setClassMap(const ClassMap& map)
{
    m_classMap = map;
    m_classMapRow->setVisible(!map.empty());
    // A segmentation model's scores averaged over the pixels: not a verdict on the image.
    m_predictionsTitle->setText(map.empty() ? tr("Top predictions:") : tr("Top classes, scores averaged over the pixels:"));
    m_legend->setText(classMapLegend(map));
    m_hover->clear();
    redraw();
}

void InputPanel::setClassMapOpacity(double opacity)
{
    m_opacity->setValue(static_cast<int>(opacity * 100 + 0.5));
}

QString InputPanel::legendText() const
{
    return m_legend->text();
}

QString InputPanel::hoverText() const
{
    return m_hover->text();
}

void InputPanel::redraw()
{
    const bool overlay = !m_classMap.empty() && m_showClassMap->isChecked();
    m_image->setImage(overlay ? classMapOverlay(m_base, m_classMap, m_opacity->value() / 100.0) : m_base);
}

void InputPanel::setImage(const QImage& image, const QString& caption)
{
    m_base = image;
    // The class map stays, the previous input's, until this one's forward
    // pass is back (milliseconds): clearing it would make the colours flash.
    redraw();
    m_image->setGraphicsEffect(nullptr);
    m_caption->setText(caption);
}

void InputPanel::setOpening(const QString& name)
{
    // The old picture stays (a blank would flash) but reads as old.
    if (!m_image->image().isNull()) {
        auto* dim = new QGraphicsOpacityEffect;
        dim->setOpacity(0.35);
        m_image->setGraphicsEffect(dim);
    }
    m_caption->setText(tr("Opening %1… (updating)").arg(name));
}

void InputPanel::setPredictions(const QVector<QPair<QString, double>>& top)
{
    m_chart->setPredictions(top);
    setPredictionsStale(false);
}

void InputPanel::setPredictionsStale(bool stale)
{
    // A video's frames replace their predictions within milliseconds: only
    // predictions that stay old for a moment are marked, without flicker.
    if (stale) {
        if (!m_predictionsStale && !m_staleDelay->isActive())
            m_staleDelay->start();
        return;
    }
    m_staleDelay->stop();
    showPredictionsStale(false);
}

void InputPanel::showPredictionsStale(bool stale)
{
    if (stale == m_predictionsStale)
        return;
    m_predictionsStale = stale;
    m_predictionsTitle->setText(stale ? tr("Top predictions: updating…") : tr("Top predictions:"));
    if (stale) {
        auto* dim = new QGraphicsOpacityEffect;
        dim->setOpacity(0.35);
        m_chart->setGraphicsEffect(dim);
    } else {
        m_chart->setGraphicsEffect(nullptr);
    }
}

bool InputPanel::predictionsStale() const
{
    return m_predictionsStale;
}

void InputPanel::setNavigation(int count, int position)
{
    m_navigation->setVisible(count > 1);
    const QSignalBlocker sliderBlocker(m_slider);
    const QSignalBlocker positionBlocker(m_position);
    m_slider->setRange(0, std::max(0, count - 1));
    m_slider->setValue(position);
    m_position->setRange(1, std::max(1, count));
    m_position->setValue(position + 1);
    m_position->setSuffix(tr(" / %1").arg(count));
}

void InputPanel::setScope(int testCount, int total, bool all)
{
    m_scope->setVisible(testCount > 0 && testCount < total);
    const QLocale locale;
    m_scope->setItemText(0, tr("Walk the test split: %1 of %2 images").arg(locale.toString(testCount), locale.toString(total)));
    m_scope->setItemText(1, tr("Walk all %1 images (training too)").arg(locale.toString(total)));
    const QSignalBlocker blocker(m_scope);
    m_scope->setCurrentIndex(all ? 1 : 0);
}

bool InputPanel::walksAll() const
{
    return m_scope->currentIndex() == 1;
}

void InputPanel::setLiveAvailable(bool available)
{
    m_play->setVisible(available);
    m_live->setVisible(available);
    if (!available)
        setPlaying(false);
}

void InputPanel::setPlaying(bool playing)
{
    const QSignalBlocker blocker(m_play);
    m_play->setChecked(playing);
    m_play->setText(playing ? tr("Pause") : tr("Play"));
}

void InputPanel::setLiveStatus(const QString& text)
{
    m_live->setText(text);
}

QString InputPanel::caption() const
{
    return m_caption->text();
}

QStringList InputPanel::predictionTexts() const
{
    return m_chart->texts();
}

QImage InputPanel::image() const
{
    return m_image->image();
}

} // namespace convscope
