#include "app/shell/snapshot_scrubber.h"

#include "app/shell/workspace.h"
#include "core/model.h"
#include "core/trainer.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QTimer>

namespace convscope {

SnapshotScrubber::SnapshotScrubber(Workspace* workspace, QWidget* parent)
    : QWidget(parent)
    , m_workspace(workspace)
{
    setObjectName(QStringLiteral("snapshotScrubber"));
    m_label = new QLabel;
    m_label->setObjectName(QStringLiteral("snapshotLabel"));
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setObjectName(QStringLiteral("snapshotSlider"));
    m_slider->setPageStep(1);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setToolTip(tr("Scrub through the epochs of the training that made this model: each opens in every view."));
    m_settle = new QTimer(this);
    m_settle->setSingleShot(true);
    m_settle->setInterval(250);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Training:")));
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_label);
    connect(m_slider, &QSlider::valueChanged, this, [this](int value) {
        showLabel(value);
        m_settle->start();
    });
    connect(m_settle, &QTimer::timeout, this, [this] {
        const int index = m_slider->value();
        if (index >= 0 && index < m_files.size() && index != current())
            Q_EMIT snapshotChosen(m_files[index]);
    });
    connect(workspace, &Workspace::modelChanged, this, &SnapshotScrubber::followModel);
    followModel();
}

int SnapshotScrubber::current() const
{
    auto model = m_workspace->model();
    if (!model)
        return -1;
    const QString path = QFileInfo(QString::fromStdString(model->info().path)).absoluteFilePath();
    for (int i = 0; i < m_files.size(); ++i)
        if (QFileInfo(m_files[i]).absoluteFilePath() == path)
            return i;
    return -1;
}

void SnapshotScrubber::choose(int index)
{
    m_slider->setValue(index);
    m_settle->stop();
    if (index >= 0 && index < m_files.size() && index != current())
        Q_EMIT snapshotChosen(m_files[index]);
}

void SnapshotScrubber::followModel()
{
    m_files.clear();
    if (auto model = m_workspace->model(); model && !model->info().snapshots.empty())
        for (const auto& file : listSnapshots(model->info().snapshots))
            m_files << QString::fromStdString(file);
    setVisible(m_files.size() > 1);
    if (m_files.isEmpty())
        return;
    const QSignalBlocker block(m_slider);
    m_slider->setRange(0, static_cast<int>(m_files.size()) - 1);
    const int shown = current();
    m_slider->setValue(shown >= 0 ? shown : static_cast<int>(m_files.size()) - 1);
    showLabel(shown >= 0 ? shown : -1);
}

void SnapshotScrubber::showLabel(int index)
{
    if (index < 0) {
        m_label->setText(tr("best of %1 epochs").arg(m_files.size()));
        return;
    }
    // The epoch from the name (epoch_007.pt), not the place in the list.
    const QString base = QFileInfo(m_files[index]).completeBaseName();
    m_label->setText(tr("epoch %1 of %2").arg(base.mid(6).toInt()).arg(m_files.size()));
}

} // namespace convscope
