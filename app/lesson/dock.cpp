#include "app/lesson/dock.h"

#include "app/lesson/player.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace convscope {

LessonDock::LessonDock(LessonPlayer* player, QWidget* parent)
    : QWidget(parent)
    , m_player(player)
{
    setObjectName(QStringLiteral("lessonPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_steps = new QListWidget;
    m_steps->setObjectName(QStringLiteral("lessonSteps"));
    m_steps->setToolTip(tr("Double-click or Enter replays a step"));
    auto* buttons = new QHBoxLayout;
    auto* record = new QPushButton(tr("Record"));
    record->setObjectName(QStringLiteral("lessonRecord"));
    record->setToolTip(tr("Add the window as it is now as a step, after the selected one (Ctrl+R)"));
    m_up = new QPushButton(tr("Up"));
    m_down = new QPushButton(tr("Down"));
    m_delete = new QPushButton(tr("Delete"));
    auto* present = new QPushButton(tr("Present"));
    present->setToolTip(tr("Full screen from the selected step (F5); Esc leaves"));
    for (auto* b : {record, m_up, m_down, m_delete, present})
        buttons->addWidget(b);
    m_title = new QLineEdit;
    m_title->setObjectName(QStringLiteral("lessonStepTitle"));
    m_title->setPlaceholderText(tr("Step title"));
    m_notes = new QPlainTextEdit;
    m_notes->setObjectName(QStringLiteral("lessonStepNotes"));
    m_notes->setPlaceholderText(tr("A few lines of notes: the caption in presenter mode and on the slide"));
    m_notes->setMaximumHeight(110);
    layout->addWidget(m_steps, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_title);
    layout->addWidget(m_notes);

    connect(record, &QPushButton::clicked, player, &LessonPlayer::record);
    connect(m_up, &QPushButton::clicked, this, [this] { move(-1); });
    connect(m_down, &QPushButton::clicked, this, [this] { move(1); });
    connect(m_delete, &QPushButton::clicked, this, [this] { m_player->removeStep(selectedStep()); });
    connect(present, &QPushButton::clicked, this, [this] { Q_EMIT presentRequested(std::max(0, selectedStep())); });
    connect(m_steps, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) { m_player->play(m_steps->row(item)); });
    connect(m_steps, &QListWidget::currentRowChanged, this, &LessonDock::selectionChanged);
    connect(m_title, &QLineEdit::textEdited, this, &LessonDock::editStep);
    connect(m_notes, &QPlainTextEdit::textChanged, this, &LessonDock::editStep);
    connect(player, &LessonPlayer::changed, this, &LessonDock::reload);
    connect(player, &LessonPlayer::stepStarted, this, [this](int index) {
        const QSignalBlocker block(m_steps);
        m_steps->setCurrentRow(index);
        selectionChanged();
    });
    reload();
}

int LessonDock::selectedStep() const
{
    return m_steps->currentRow();
}

void LessonDock::reload()
{
    m_reloading = true;
    const auto& steps = m_player->lesson().steps;
    // Edits made here come back through changed(): only the texts change then.
    const bool rebuilt = m_steps->count() != steps.size();
    if (rebuilt) {
        m_steps->clear();
        for (int i = 0; i < steps.size(); ++i)
            m_steps->addItem(QString());
    }
    for (int i = 0; i < steps.size(); ++i) {
        const LessonStep& s = steps[i];
        m_steps->item(i)->setText(QStringLiteral("%1. %2").arg(i + 1).arg(s.title.isEmpty() ? tr("(untitled)") : s.title));
        m_steps->item(i)->setToolTip(QStringLiteral("%1 · %2%3").arg(s.view, s.layer.isEmpty() ? tr("first layer") : s.layer,
                                                                      s.channel >= 0 ? tr(" · channel %1").arg(s.channel) : QString()));
    }
    // A step recorded, removed or a lesson opened: the player's step is the one selected.
    if (rebuilt)
        m_steps->setCurrentRow(std::min(m_player->current(), static_cast<int>(steps.size()) - 1));
    m_reloading = false;
    selectionChanged();
}

void LessonDock::selectionChanged()
{
    if (m_reloading)
        return;
    const int row = selectedStep();
    const bool any = row >= 0 && row < m_player->lesson().steps.size();
    m_reloading = true;
    const LessonStep step = any ? m_player->lesson().steps[row] : LessonStep{};
    if (m_title->text() != step.title)
        m_title->setText(step.title);
    if (m_notes->toPlainText() != step.notes)
        m_notes->setPlainText(step.notes);
    m_reloading = false;
    m_title->setEnabled(any);
    m_notes->setEnabled(any);
    m_up->setEnabled(any && row > 0);
    m_down->setEnabled(any && row + 1 < m_player->lesson().steps.size());
    m_delete->setEnabled(any);
}

void LessonDock::editStep()
{
    const int row = selectedStep();
    if (m_reloading || row < 0 || row >= m_player->lesson().steps.size())
        return;
    LessonStep step = m_player->lesson().steps[row];
    step.title = m_title->text();
    step.notes = m_notes->toPlainText();
    m_player->setStep(row, step);
}

void LessonDock::move(int delta)
{
    const int row = selectedStep();
    m_player->moveStep(row, row + delta);
    m_steps->setCurrentRow(row + delta);
}

} // namespace convscope
