#include "app/shell/view_tab.h"

#include <QSettings>
#include <QShowEvent>

namespace convscope {

ViewTab::ViewTab(Workspace* workspace, QWidget* parent)
    : QWidget(parent)
    , m_workspace(workspace)
{
}

QImage ViewTab::exportImage()
{
    return grab().toImage();
}

void ViewTab::saveSettings(const QString&) const
{
}

void ViewTab::restoreSettings(const QString&)
{
}

std::unique_ptr<QSettings> ViewTab::settingsAt(const QString& group)
{
    auto settings = std::make_unique<QSettings>();
    settings->beginGroup(group);
    return settings;
}

void ViewTab::invalidate()
{
    m_stale = true;
    if (isVisible()) {
        m_stale = false;
        refresh();
        if (!m_busy)
            Q_EMIT ready();
    }
}

void ViewTab::setBusy(bool busy)
{
    m_busy = busy;
    if (!busy && !m_stale)
        Q_EMIT ready();
}

void ViewTab::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_stale)
        invalidate();
}

} // namespace convscope
