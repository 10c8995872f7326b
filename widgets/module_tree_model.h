#pragma once

#include "core/layer_info.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace convscope {

// The model's modules as a tree ("layer1" > "layer1.0" > "layer1.0.conv1"),
// built from the layer list: every layer name and alias is a node, and the
// nodes in between are created as containers. Children keep forward order.
// A node shows a layer when its path is that layer's name or one of its
// aliases; containers without an output of their own show no op or shape and
// the sum of their children's parameters.
class ModuleTreeModel final : public QAbstractItemModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModuleTreeModel)
public:
    enum Column { Name, Op, Shape, Params, ColumnCount };
    enum Role {
        LayerIndexRole = Qt::UserRole + 1, // int: index into the layer list, -1 for containers
        PathRole,                          // QString: full module path ("layer1.0.conv1")
        SortRole,                          // numbers as numbers; names by forward order
    };

    explicit ModuleTreeModel(QObject* parent = nullptr);
    ~ModuleTreeModel() override;

    void setLayers(const std::vector<LayerInfo>& layers);
    void clear();
    // The node that shows layer `layer` (its own name, not an alias); invalid if none.
    QModelIndex indexForLayer(int layer) const;
    // The node with this full path; invalid if none.
    QModelIndex indexForPath(const QString& path) const;
    int layerCount() const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
