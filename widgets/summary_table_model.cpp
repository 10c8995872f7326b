#include "widgets/summary_table_model.h"

#include "widgets/count_string.h"

#include <QFont>

namespace convscope {

namespace {
QString dims(const std::vector<int64_t>& v)
{
    return QString::fromStdString(dimsText(v)).replace(QLatin1Char('x'), QStringLiteral("×"));
}

QString field(const std::array<double, 2>& f)
{
    if (f[0] == f[1])
        return QString::number(f[0]);
    return QString::number(f[0]) + QStringLiteral("×") + QString::number(f[1]);
}

QString bytes(qint64 b)
{
    if (b >= 1 << 20)
        return QString::number(static_cast<double>(b) / (1 << 20), 'f', 2) + QStringLiteral(" MiB");
    if (b >= 1 << 10)
        return QString::number(static_cast<double>(b) / (1 << 10), 'f', 1) + QStringLiteral(" KiB");
    return QString::number(b) + QStringLiteral(" B");
}
} // namespace

SummaryTableModel::SummaryTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void SummaryTableModel::setSummary(ModelSummary summary)
{
    beginResetModel();
    m_summary = std::move(summary);
    endResetModel();
}

int SummaryTableModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || m_summary.rows.empty())
        return 0;
    return static_cast<int>(m_summary.rows.size()) + 1;
}

int SummaryTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SummaryTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const bool total = index.row() == static_cast<int>(m_summary.rows.size());
    if (total) {
        if (role == Qt::FontRole) {
            QFont font;
            font.setBold(true);
            return font;
        }
        if (role == SortRole)
            return QVariant(); // keeps the total at one end
        if (role != Qt::DisplayRole)
            return {};
        switch (index.column()) {
        case Name: return tr("Total");
        case Memory: return bytes(m_summary.totalMemoryBytes);
        case Params: return countString(m_summary.totalParams);
        case Flops: return countString(m_summary.totalFlops);
        }
        return {};
    }
    const SummaryRow& r = m_summary.rows[static_cast<size_t>(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name: return QString::fromStdString(r.name);
        case Op: return QString::fromStdString(r.op);
        case Shape: return dims(r.shape);
        case Memory: return bytes(r.memoryBytes);
        case Params: return r.geometry.params ? countString(r.geometry.params) : QString();
        case Flops: return r.geometry.flops ? countString(r.geometry.flops) : QString();
        case Kernel: return dims(r.geometry.kernel);
        case Stride: return dims(r.geometry.stride);
        case Padding: return dims(r.geometry.padding);
        case Field: return r.hasField ? field(r.rf) : QString();
        case Jump: return r.hasField ? field(r.jump) : QString();
        }
    } else if (role == SortRole) {
        switch (index.column()) {
        case Name: return index.row();
        case Memory: return QVariant::fromValue<qint64>(r.memoryBytes);
        case Params: return QVariant::fromValue<qint64>(r.geometry.params);
        case Flops: return QVariant::fromValue<qint64>(r.geometry.flops);
        case Field: return r.rf[0];
        case Jump: return r.jump[0];
        default: return data(index, Qt::DisplayRole);
        }
    } else if (role == Qt::ToolTipRole && index.column() == Flops) {
        return tr("%L1 multiply-adds").arg(r.geometry.flops);
    } else if (role == Qt::TextAlignmentRole && index.column() >= Memory && index.column() <= Flops) {
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant SummaryTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Memory: return tr("Output elements × 4 bytes, for one image");
        case Flops: return tr("Multiply-adds for one image");
        case Field: return tr("Receptive field in input pixels");
        case Jump: return tr("Distance in input pixels between neighbouring units (effective stride)");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name: return tr("Layer");
    case Op: return tr("Op");
    case Shape: return tr("Output");
    case Memory: return tr("Memory");
    case Params: return tr("Params");
    case Flops: return tr("FLOPs (MACs)");
    case Kernel: return tr("Kernel");
    case Stride: return tr("Stride");
    case Padding: return tr("Padding");
    case Field: return tr("RF");
    case Jump: return tr("Jump");
    }
    return {};
}

} // namespace convscope
