#pragma once

#include "core/model_summary.h"

#include <QAbstractTableModel>

namespace convscope {

// The complexity table, with a closing Total row.
class SummaryTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SummaryTableModel)
public:
    enum Column { Name, Op, Shape, Memory, Params, Flops, Kernel, Stride, Padding, Field, Jump, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit SummaryTableModel(QObject* parent = nullptr);
    void setSummary(ModelSummary summary);
    const ModelSummary& summary() const { return m_summary; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    ModelSummary m_summary;
};

} // namespace convscope
