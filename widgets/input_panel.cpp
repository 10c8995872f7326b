#include "widgets/input_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPixmap>
#include <QPushButton>
#include <QVBoxLayout>

namespace convscope {

InputPanel::InputPanel(QWidget* parent)
    : QWidget(parent)
{
    m_image = new QLabel;
    m_image->setObjectName(QStringLiteral("inputImage"));
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setMinimumSize(224, 224);
    m_image->setStyleSheet(QStringLiteral("background: #202020"));
    m_caption = new QLabel(tr("No input"));
    m_caption->setObjectName(QStringLiteral("inputCaption"));
    m_caption->setWordWrap(true);
    m_previous = new QPushButton(tr("◀ Previous"));
    m_next = new QPushButton(tr("Next ▶"));
    m_previous->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
    m_next->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right));
    connect(m_previous, &QPushButton::clicked, this, &InputPanel::previousRequested);
    connect(m_next, &QPushButton::clicked, this, &InputPanel::nextRequested);
    m_predictions = new QListWidget;
    m_predictions->setObjectName(QStringLiteral("predictions"));
    m_predictions->setMaximumHeight(120);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_previous);
    buttons->addWidget(m_next);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_image);
    layout->addWidget(m_caption);
    layout->addLayout(buttons);
    layout->addWidget(new QLabel(tr("Top predictions:")));
    layout->addWidget(m_predictions);
    layout->addStretch();
    setNavigation(false);
}

void InputPanel::setImage(const QImage& image, const QString& caption)
{
    // Small inputs (28x28 digits) are enlarged without smoothing: pixels stay pixels.
    const int side = 224;
    const QImage shown = image.scaled(side, side, Qt::KeepAspectRatio,
                                      image.width() < side ? Qt::FastTransformation : Qt::SmoothTransformation);
    m_image->setPixmap(QPixmap::fromImage(shown));
    m_caption->setText(caption);
}

void InputPanel::setPredictions(const std::vector<std::pair<QString, double>>& top)
{
    m_predictions->clear();
    for (const auto& [label, probability] : top)
        m_predictions->addItem(QStringLiteral("%1   %2 %").arg(label, -16).arg(probability * 100, 0, 'f', 1));
}

void InputPanel::setNavigation(bool enabled)
{
    m_previous->setEnabled(enabled);
    m_next->setEnabled(enabled);
}

QString InputPanel::caption() const
{
    return m_caption->text();
}

QStringList InputPanel::predictionTexts() const
{
    QStringList out;
    for (int i = 0; i < m_predictions->count(); ++i)
        out << m_predictions->item(i)->text();
    return out;
}

} // namespace convscope
