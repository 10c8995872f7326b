#include "app/shell/view_tab.h"

#include <QLabel>
#include <QSettings>
#include <QShowEvent>
#include <QTimer>

namespace convscope {

namespace {
// Quick updates (most are) would only flash the badge.
constexpr int kBadgeDelayMs = 250;
} // namespace

ViewTab::ViewTab(Workspace* workspace, QWidget* parent)
    : QWidget(parent)
    , m_workspace(workspace)
{
    // A teacher switched models and read the previous model's pictures for
    // seconds: while a job is on its way, the tab says that what it shows is old.
    m_updating = new QLabel(tr("updating…"), this);
    m_updating->setObjectName(QStringLiteral("updatingBadge"));
    m_updating->setStyleSheet(QStringLiteral(
        "QLabel { background: rgba(255, 236, 179, 235); color: #5d4000; border: 1px solid #d9a400;"
        " border-radius: 4px; padding: 2px 8px; font-weight: bold; }"));
    m_updating->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_updating->hide();
    m_updatingDelay = new QTimer(this);
    m_updatingDelay->setSingleShot(true);
    m_updatingDelay->setInterval(kBadgeDelayMs);
    connect(m_updatingDelay, &QTimer::timeout, this, [this] {
        placeBadge();
        m_updating->show();
        m_updating->raise();
    });
}

bool ViewTab::showsUpdating() const
{
    return m_updating->isVisible();
}

void ViewTab::placeBadge()
{
    m_updating->adjustSize();
    m_updating->move(width() - m_updating->width() - 8, 4);
}

void ViewTab::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    placeBadge();
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
    if (busy && !m_updating->isVisible() && !m_updatingDelay->isActive()) {
        m_updatingDelay->start();
    } else if (!busy) {
        m_updatingDelay->stop();
        m_updating->hide();
    }
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
