#include "widgets/layer_list_model.h"

#include <QLocale>

namespace convscope {

QString shapeString(const std::vector<int64_t>& shape)
{
    QStringList parts;
    for (int64_t d : shape)
        parts << QString::number(d);
    return parts.join(QStringLiteral("×"));
}

QString countString(qint64 count)
{
    const double v = static_cast<double>(count);
    if (count >= 1000000000)
        return QString::number(v / 1e9, 'f', 2) + QStringLiteral("G");
    if (count >= 1000000)
        return QString::number(v / 1e6, 'f', 2) + QStringLiteral("M");
    if (count >= 10000)
        return QString::number(v / 1e3, 'f', 1) + QStringLiteral("K");
    return QString::number(count);
}

LayerListModel::LayerListModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void LayerListModel::setLayers(std::vector<LayerInfo> layers)
{
    beginResetModel();
    m_layers = std::move(layers);
    endResetModel();
}

int LayerListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_layers.size());
}

int LayerListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const LayerInfo& layer = m_layers[static_cast<size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Name: return QString::fromStdString(layer.name);
        case Op: return QString::fromStdString(layer.op);
        case Shape: return shapeString(layer.shape);
        case Params: return layer.geometry.params ? countString(layer.geometry.params) : QString();
        }
        break;
    case SortRole:
        if (index.column() == Params)
            return QVariant::fromValue<qint64>(layer.geometry.params);
        if (index.column() == Name)
            return index.row();
        return data(index, Qt::DisplayRole);
    case Qt::ToolTipRole: {
        QString tip = QString::fromStdString(layer.name);
        for (const auto& alias : layer.aliases)
            tip += QStringLiteral("\nalso the output of ") + QString::fromStdString(alias);
        return tip;
    }
    case Qt::TextAlignmentRole:
        if (index.column() == Params)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case LayerIndexRole:
        return index.row();
    }
    return {};
}

QVariant LayerListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name: return tr("Layer");
    case Op: return tr("Op");
    case Shape: return tr("Output");
    case Params: return tr("Params");
    }
    return {};
}

} // namespace convscope
