#include "app/shell/kept_models.h"

#include "app/shell/model_validation.h"
#include "core/model.h"

#include <QDateTime>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace convscope {

namespace {
QString canonical(const QString& path)
{
    const QString c = QFileInfo(path).canonicalFilePath();
    return c.isEmpty() ? path : c;
}
} // namespace

KeptModels::KeptModels(QObject* parent)
    : QObject(parent)
{
}

KeptModels::~KeptModels() = default;

QString KeptModels::key(const QString& path, const QString& device)
{
    // The file's size and time too: a model exported again is loaded again.
    const QFileInfo file(path);
    return canonical(path) + QLatin1Char('\n') + device + QLatin1Char('\n') + QString::number(file.size())
           + QLatin1Char('\n') + QString::number(file.lastModified().toMSecsSinceEpoch());
}

void KeptModels::keep(const QStringList& paths)
{
    m_wanted.clear();
    for (const QString& path : paths)
        m_wanted.insert(canonical(path));
    for (auto it = m_models.begin(); it != m_models.end();)
        it = m_wanted.contains(it.key().section(QLatin1Char('\n'), 0, 0)) ? std::next(it) : m_models.erase(it);
}

bool KeptModels::wanted(const QString& path) const
{
    return m_wanted.contains(canonical(path));
}

std::shared_ptr<const LoadedModel> KeptModels::find(const QString& path, const QString& device) const
{
    return m_models.value(key(path, device));
}

void KeptModels::store(const QString& path, const QString& device, std::shared_ptr<const LoadedModel> loaded)
{
    // The first copy stays: a step that opened the model while it was being
    // preloaded must not leave two copies of a 500 MB model in memory.
    if (wanted(path) && loaded && !m_models.contains(key(path, device)))
        m_models.insert(key(path, device), std::move(loaded));
}

void KeptModels::preload(const QString& path, const QString& device, const QString& checker)
{
    const QString k = key(path, device);
    if (!wanted(path) || m_models.contains(k) || m_loading.contains(k) || !QFileInfo(path).isFile())
        return;
    m_loading.insert(k);
    if (checker.isEmpty()) {
        load(path, device);
        return;
    }
    // A checker of its own: the window's abandons a check when the next starts.
    auto* validator = new ModelValidator(this);
    validator->setProgram(checker);
    validator->check(path, {}, [this, validator, path, device, k](bool ok, const QString&) {
        validator->deleteLater();
        if (ok)
            load(path, device);
        else
            m_loading.remove(k); // the window says why when the step opens it
    });
}

void KeptModels::load(const QString& path, const QString& device)
{
    const std::string file = path.toStdString(), deviceName = device.toStdString();
    auto* watcher = new QFutureWatcher<std::shared_ptr<const LoadedModel>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path, device] {
        m_loading.remove(key(path, device));
        store(path, device, watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run([file, deviceName]() -> std::shared_ptr<const LoadedModel> {
        try {
            LoadOptions options;
            options.device = deviceName;
            auto loaded = std::make_shared<LoadedModel>();
            loaded->model = Model::load(file, options);
            loaded->summary = summarize(*loaded->model);
            return loaded;
        } catch (const std::exception&) {
            return nullptr; // opened again, with its error shown, when the step comes
        }
    }));
}

} // namespace convscope
