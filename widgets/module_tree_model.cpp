#include "widgets/module_tree_model.h"

#include "widgets/count_string.h"

#include <QHash>
#include <QStringList>

namespace convscope {

namespace {
struct Node {
    QString path; // "layer1.0.conv1"; empty for the root
    QString component; // "conv1"
    int parent = -1;
    int row = 0; // among the parent's children
    int order = 0; // creation order, which is forward order
    int layer = -1; // the layer whose name or alias is `path`
    qint64 params = 0; // of the layers named at or under `path`
    std::vector<int> children;
};
} // namespace

struct ModuleTreeModel::Private {
    std::vector<LayerInfo> layers;
    std::vector<Node> nodes { Node {} }; // [0] is the root
    QHash<QString, int> byPath;
    std::vector<int> layerNode; // node of each layer's own name

    // The node for `path`, created with its missing ancestors.
    int ensure(const QString& path)
    {
        if (const auto it = byPath.constFind(path); it != byPath.constEnd())
            return it.value();
        const int dot = path.lastIndexOf(QLatin1Char('.'));
        const int parent = dot < 0 ? 0 : ensure(path.left(dot));
        Node node;
        node.path = path;
        node.component = dot < 0 ? path : path.mid(dot + 1);
        node.parent = parent;
        node.row = static_cast<int>(nodes[parent].children.size());
        node.order = static_cast<int>(nodes.size());
        const int id = static_cast<int>(nodes.size());
        nodes.push_back(std::move(node));
        nodes[parent].children.push_back(id);
        byPath.insert(path, id);
        return id;
    }

    void build()
    {
        layerNode.assign(layers.size(), -1);
        for (size_t i = 0; i < layers.size(); ++i) {
            const LayerInfo& layer = layers[i];
            const int own = ensure(QString::fromStdString(layer.name));
            nodes[own].layer = static_cast<int>(i); // its own name wins over an alias
            layerNode[i] = own;
            for (const std::string& alias : layer.aliases) {
                const int node = ensure(QString::fromStdString(alias));
                if (nodes[node].layer < 0)
                    nodes[node].layer = static_cast<int>(i);
            }
            // A module's parameters are those of the layers named inside it;
            // walking up from the layer's own node counts each layer once.
            for (int n = own; n > 0; n = nodes[n].parent)
                nodes[n].params += layer.geometry.params;
        }
    }

    const LayerInfo* layerOf(int node) const
    {
        const int layer = nodes[node].layer;
        return layer < 0 ? nullptr : &layers[static_cast<size_t>(layer)];
    }

    // A module shows the parameters of everything inside it (as torchinfo
    // does), even where its output is that of a parameter-free last layer.
    qint64 shownParams(int id) const
    {
        const LayerInfo* layer = layerOf(id);
        return nodes[id].children.empty() && layer ? layer->geometry.params : nodes[id].params;
    }

    QString toolTip(int id) const
    {
        const Node& node = nodes[id];
        QString tip = node.path;
        const LayerInfo* layer = layerOf(id);
        if (!layer)
            return tip;
        const QString name = QString::fromStdString(layer->name);
        if (name != node.path)
            tip += QStringLiteral("\noutput of ") + name;
        for (const std::string& alias : layer->aliases)
            if (QString::fromStdString(alias) != node.path)
                tip += QStringLiteral("\nalso the output of ") + QString::fromStdString(alias);
        tip += QStringLiteral("\n") + QString::fromStdString(layer->op) + QStringLiteral(" → ")
            + shapeString(layer->shape);
        return tip;
    }
};

ModuleTreeModel::ModuleTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
    , d(std::make_unique<Private>())
{
}

ModuleTreeModel::~ModuleTreeModel() = default;

void ModuleTreeModel::setLayers(const std::vector<LayerInfo>& layers)
{
    beginResetModel();
    d = std::make_unique<Private>();
    d->layers = layers;
    d->build();
    endResetModel();
}

void ModuleTreeModel::clear()
{
    setLayers({});
}

QModelIndex ModuleTreeModel::indexForLayer(int layer) const
{
    if (layer < 0 || layer >= layerCount())
        return {};
    const int id = d->layerNode[static_cast<size_t>(layer)];
    return createIndex(d->nodes[id].row, 0, static_cast<quintptr>(id));
}

QModelIndex ModuleTreeModel::indexForPath(const QString& path) const
{
    const int id = d->byPath.value(path, 0);
    if (id == 0)
        return {};
    return createIndex(d->nodes[id].row, 0, static_cast<quintptr>(id));
}

int ModuleTreeModel::layerCount() const
{
    return static_cast<int>(d->layers.size());
}

QModelIndex ModuleTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0)
        return {};
    const int parentId = parent.isValid() ? static_cast<int>(parent.internalId()) : 0;
    const std::vector<int>& children = d->nodes[parentId].children;
    if (row >= static_cast<int>(children.size()))
        return {};
    return createIndex(row, column, static_cast<quintptr>(children[row]));
}

QModelIndex ModuleTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const int parentId = d->nodes[child.internalId()].parent;
    if (parentId <= 0)
        return {};
    return createIndex(d->nodes[parentId].row, 0, static_cast<quintptr>(parentId));
}

int ModuleTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return static_cast<int>(d->nodes[0].children.size());
    if (parent.column() != 0)
        return 0;
    return static_cast<int>(d->nodes[parent.internalId()].children.size());
}

int ModuleTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

QVariant ModuleTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const int id = static_cast<int>(index.internalId());
    const Node& node = d->nodes[id];
    const LayerInfo* layer = d->layerOf(id);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Name: return node.component;
        case Op: return layer ? QString::fromStdString(layer->op) : QString();
        case Shape: return layer ? shapeString(layer->shape) : QString();
        case Params: {
            const qint64 params = d->shownParams(id);
            return params ? countString(params) : QString();
        }
        }
        break;
    case Qt::ToolTipRole: return d->toolTip(id);
    case Qt::TextAlignmentRole:
        if (index.column() == Params)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case LayerIndexRole: return node.layer;
    case PathRole: return node.path;
    case SortRole:
        switch (index.column()) {
        case Name: return node.order;
        case Params: return QVariant::fromValue<qint64>(d->shownParams(id));
        default: return data(index, Qt::DisplayRole);
        }
    }
    return {};
}

QVariant ModuleTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name: return tr("Module");
    case Op: return tr("Op");
    case Shape: return tr("Output");
    case Params: return tr("Params");
    }
    return {};
}

} // namespace convscope
