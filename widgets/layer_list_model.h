#pragma once

#include "core/layer_info.h"

#include <QAbstractTableModel>

#include <vector>

namespace convscope {

// The layers of a model, one row each in execution order.
class LayerListModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LayerListModel)
public:
    enum Column { Name, Op, Shape, Params, ColumnCount };
    enum Role { LayerIndexRole = Qt::UserRole + 1, SortRole };

    explicit LayerListModel(QObject* parent = nullptr);

    void setLayers(std::vector<LayerInfo> layers);
    const std::vector<LayerInfo>& layers() const { return m_layers; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<LayerInfo> m_layers;
};

QString shapeString(const std::vector<int64_t>& shape);
QString countString(qint64 count); // 1.2M, 3.4K

} // namespace convscope
