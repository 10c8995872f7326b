#include "app/shell/view_tab.h"

#include "app/shell/workspace.h"
#include "core/model.h"

#include <cmath>

#include <QDataStream>
#include <QJsonArray>
#include <QLabel>
#include <QSettings>
#include <QShowEvent>
#include <QTemporaryDir>
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
    // A model whose input is not an image (the lecture's 1x1 bottleneck block
    // takes 192x28x28 feature maps) gives a view of images nothing to read,
    // run or draw: the view says so instead, over all of it.
    m_notAnImage = new QLabel(this);
    m_notAnImage->setObjectName(QStringLiteral("notAnImageMessage"));
    m_notAnImage->setAlignment(Qt::AlignCenter);
    m_notAnImage->setWordWrap(true);
    m_notAnImage->setMargin(24);
    m_notAnImage->setAutoFillBackground(true);
    // The view is disabled under it; the sentence must not read as greyed out.
    QPalette palette = m_notAnImage->palette();
    palette.setColor(QPalette::Disabled, QPalette::WindowText, palette.color(QPalette::Active, QPalette::WindowText));
    palette.setColor(QPalette::Disabled, QPalette::Window, palette.color(QPalette::Active, QPalette::Window));
    m_notAnImage->setPalette(palette);
    m_notAnImage->hide();
    if (workspace)
        connect(workspace, &Workspace::modelChanged, this, [this] { coverIfNotImage(); });
}

bool ViewTab::showsNotAnImage() const
{
    const auto model = m_workspace ? m_workspace->model() : nullptr;
    return model && needsImage() && !takesImages(model->info());
}

bool ViewTab::coverIfNotImage()
{
    const bool cover = showsNotAnImage();
    if (cover) {
        m_notAnImage->setText(QString::fromStdString(notAnImageMessage(m_workspace->model()->info())));
        m_notAnImage->setGeometry(rect());
        m_notAnImage->show();
        m_notAnImage->raise();
    } else {
        m_notAnImage->hide();
    }
    // Nothing under the message takes a click or a key (the Unit page's A
    // would start a gradient ascent); what the view disabled itself stays so.
    setEnabled(!cover);
    return cover;
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
    m_notAnImage->setGeometry(rect());
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

namespace {

// Lessons capture a view's settings through the view's own saveSettings():
// for that moment, settingsAt() opens a scratch file in a format that keeps
// each value's type (an INI file would give "true" and "3" back as strings).
QString& scratchFile()
{
    static QString file; // set only on the GUI thread, for one call
    return file;
}

bool readMap(QIODevice& device, QSettings::SettingsMap& map)
{
    QDataStream in(&device);
    in >> map;
    return in.status() == QDataStream::Ok;
}

bool writeMap(QIODevice& device, const QSettings::SettingsMap& map)
{
    QDataStream out(&device);
    out << map;
    return out.status() == QDataStream::Ok;
}

QSettings::Format scratchFormat()
{
    static const QSettings::Format format = QSettings::registerFormat(QStringLiteral("viewsettings"), readMap, writeMap);
    return format;
}

// JSON has no byte arrays (splitter states): they travel as {"base64": "..."}.
QJsonValue toJson(const QVariant& value)
{
    switch (value.metaType().id()) {
    case QMetaType::Bool:
        return value.toBool();
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Float:
        return value.toDouble();
    case QMetaType::QByteArray:
        return QJsonObject{{QStringLiteral("base64"), QString::fromLatin1(value.toByteArray().toBase64())}};
    case QMetaType::QStringList:
        return QJsonArray::fromStringList(value.toStringList());
    default:
        return value.toString();
    }
}

QVariant fromJson(const QJsonValue& value)
{
    if (value.isBool())
        return value.toBool();
    if (value.isDouble()) {
        const double number = value.toDouble();
        if (number == std::floor(number) && std::abs(number) < 1e15)
            return static_cast<qlonglong>(number);
        return number;
    }
    if (value.isObject())
        return QByteArray::fromBase64(value.toObject().value(QStringLiteral("base64")).toString().toLatin1());
    if (value.isArray()) {
        QStringList list;
        for (const QJsonValue& item : value.toArray())
            list << item.toString();
        return list;
    }
    return value.toString();
}

// Points settingsAt() at a scratch file for as long as it lives.
class Scratch {
public:
    Scratch()
    {
        Q_ASSERT(scratchFile().isEmpty()); // one at a time, on the GUI thread
        m_dir.setAutoRemove(true);
        if (m_dir.isValid())
            scratchFile() = m_dir.filePath(QStringLiteral("view.settings"));
    }
    ~Scratch() { scratchFile().clear(); }
    bool isValid() const { return m_dir.isValid(); }
    QSettings open() const { return QSettings(m_dir.filePath(QStringLiteral("view.settings")), scratchFormat()); }

private:
    QTemporaryDir m_dir;
};

const QString kScratchGroup = QStringLiteral("view");

} // namespace

std::unique_ptr<QSettings> ViewTab::settingsAt(const QString& group)
{
    auto settings = scratchFile().isEmpty() ? std::make_unique<QSettings>()
                                            : std::make_unique<QSettings>(scratchFile(), scratchFormat());
    settings->beginGroup(group);
    return settings;
}

QJsonObject ViewTab::captureSettings() const
{
    Scratch scratch;
    if (!scratch.isValid())
        return {}; // never into the user's own settings
    saveSettings(kScratchGroup);
    QSettings settings = scratch.open();
    settings.beginGroup(kScratchGroup);
    QJsonObject out;
    for (const QString& key : settings.allKeys())
        out.insert(key, toJson(settings.value(key)));
    return out;
}

void ViewTab::applySettings(const QJsonObject& values)
{
    Scratch scratch;
    if (!scratch.isValid())
        return;
    {
        QSettings settings = scratch.open();
        settings.beginGroup(kScratchGroup);
        for (auto it = values.begin(); it != values.end(); ++it)
            settings.setValue(it.key(), fromJson(it.value()));
    }
    restoreSettings(kScratchGroup);
}

void ViewTab::setLessonChannel(int)
{
}

void ViewTab::startLessonWork(const QString&)
{
}

void ViewTab::prefetchLesson(int, const QJsonObject&)
{
}

void ViewTab::invalidate()
{
    m_stale = true;
    if (isVisible()) {
        m_stale = false;
        if (!coverIfNotImage())
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
