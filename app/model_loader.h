#pragma once

#include "core/model_metadata.h"

#include <QObject>
#include <QString>

#include <memory>

namespace convscope {

class Model;
struct ModelSummary;

// Loads and analyses a model on a worker thread; the GUI thread only sees the
// finished result, delivered by queued signal.
class ModelLoader final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelLoader)
public:
    explicit ModelLoader(QObject* parent = nullptr);
    ~ModelLoader() override;

    // A load still running is superseded: its result is dropped when it ends.
    void load(const QString& path, const QString& device = QStringLiteral("auto"), const ModelMetadata& overrides = {});
    bool busy() const;

    // Valid after loaded(), until the next load.
    std::shared_ptr<Model> model() const;
    const ModelSummary& summary() const;

Q_SIGNALS:
    void loaded(const QString& path);
    void failed(const QString& path, const QString& message);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
