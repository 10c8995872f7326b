#pragma once

#include "core/model_summary.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>

namespace convscope {

class Model;
class ModelValidator;

struct LoadedModel {
    std::shared_ptr<Model> model;
    ModelSummary summary;
};

// The models a lesson uses, kept loaded while it is open: going back to a
// step opens its model at once, and the next step's model is loaded in the
// background (checked in a child process first, as every model the window
// opens) while the current step is shown. Models opened with settings of
// their own (Model Settings, lent class names) are not kept.
class KeptModels final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeptModels)
public:
    explicit KeptModels(QObject* parent = nullptr);
    ~KeptModels() override;

    // These files are kept from now on; models of other files are let go.
    void keep(const QStringList& paths);
    bool wanted(const QString& path) const;
    // The loaded model of `path` on `device`, or null.
    std::shared_ptr<const LoadedModel> find(const QString& path, const QString& device) const;
    void store(const QString& path, const QString& device, std::shared_ptr<const LoadedModel> loaded);
    // Loads a wanted file in the background unless it is kept or on its way.
    // `checker` is the program ModelValidator runs (empty: no check).
    void preload(const QString& path, const QString& device, const QString& checker);
    bool preloading() const { return !m_loading.isEmpty(); }
    int count() const { return static_cast<int>(m_models.size()); }

private:
    static QString key(const QString& path, const QString& device);
    void load(const QString& path, const QString& device);

    QSet<QString> m_wanted; // canonical paths
    QHash<QString, std::shared_ptr<const LoadedModel>> m_models;
    QSet<QString> m_loading;
};

} // namespace convscope
