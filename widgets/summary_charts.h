#pragma once

#include <QString>
#include <QWidget>

#include <memory>

namespace convscope {

struct ModelSummary;

// Three Qt Charts bar charts over the layers of a ModelSummary, in forward
// order: activation memory, parameters and multiply-adds per layer — where
// memory sits in early convolutions, parameters in fully connected layers and
// FLOPs in convolutions. Hovering a bar shows the layer and value; clicking
// it emits layerClicked.
class SummaryCharts final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SummaryCharts)
public:
    enum Metric { Memory, Params, Flops, MetricCount };

    explicit SummaryCharts(QWidget* parent = nullptr);
    ~SummaryCharts() override;

    void setSummary(const ModelSummary& summary);
    void clear();
    // Bars drawn in one chart (layers with a non-zero value for Params and
    // Flops; every layer for Memory).
    int barCount(Metric metric) const;
    // Layer name and value of bar `index` of a chart, for tests and tooltips.
    QString barLayer(Metric metric, int index) const;
    double barValue(Metric metric, int index) const;

Q_SIGNALS:
    void layerClicked(const QString& name);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
