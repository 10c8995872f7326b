#include "app/model_loader.h"

#include "core/error.h"
#include "core/model.h"
#include "core/model_summary.h"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace convscope {

namespace {
struct LoadResult {
    std::shared_ptr<Model> model;
    ModelSummary summary;
    QString error;
};
} // namespace

struct ModelLoader::Private {
    int generation = 0;
    int running = 0;
    std::shared_ptr<Model> model;
    ModelSummary summary;
};

ModelLoader::ModelLoader(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
}

ModelLoader::~ModelLoader() = default;

bool ModelLoader::busy() const
{
    return d->running > 0;
}

std::shared_ptr<Model> ModelLoader::model() const
{
    return d->model;
}

const ModelSummary& ModelLoader::summary() const
{
    return d->summary;
}

void ModelLoader::load(const QString& path, const QString& device, const ModelMetadata& overrides)
{
    const int generation = ++d->generation;
    ++d->running;
    const std::string file = path.toStdString();
    const std::string deviceName = device.toStdString();
    auto* watcher = new QFutureWatcher<LoadResult>(this);
    connect(watcher, &QFutureWatcher<LoadResult>::finished, this, [this, watcher, generation, path] {
        watcher->deleteLater();
        --d->running;
        LoadResult result = watcher->result();
        if (generation != d->generation)
            return; // superseded by a newer load
        if (!result.error.isEmpty()) {
            Q_EMIT failed(path, result.error);
            return;
        }
        d->model = std::move(result.model);
        d->summary = std::move(result.summary);
        Q_EMIT loaded(path);
    });
    watcher->setFuture(QtConcurrent::run([file, deviceName, overrides] {
        LoadResult result;
        try {
            LoadOptions options;
            options.device = deviceName;
            options.overrides = overrides;
            result.model = Model::load(file, options);
            result.summary = summarize(*result.model);
        } catch (const Error& e) {
            result.error = QString::fromStdString(e.what());
        } catch (const std::bad_alloc&) {
            result.error = QStringLiteral("out of memory while loading %1").arg(QString::fromStdString(file));
        } catch (const std::exception& e) {
            result.error = QString::fromStdString(torchMessage(e));
        }
        return result;
    }));
}

} // namespace convscope
