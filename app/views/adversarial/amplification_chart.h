#pragma once

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope
{

// One model's amplification curves: ‖a_adv − a‖ / ‖a‖ per layer in forward
// order, and the same for noise of the attack's size (core/attack_trace).
struct AmplificationCurves {
    QString model;          // the legend's name, when two models are compared
    QStringList layers;     // names, forward order
    QVector<double> attack; // infinite values are drawn at the chart's top
    QVector<double> noise;
};

// The amplification chart (Qt Charts): the attack's curve solid, the noise's
// dashed, per model; a click picks the nearest layer of the first model,
// which is marked.
class AmplificationChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AmplificationChart)
public:
    explicit AmplificationChart(QWidget* parent = nullptr);
    ~AmplificationChart() override;

    // One set of curves, or two ("Compare with…"), the first one's layers on the x axis.
    void setCurves(const QVector<AmplificationCurves>& curves);
    void clear();
    void setMarked(int layer); // -1: none
    int marked() const;
    int seriesCount() const;
    QImage image() const;

Q_SIGNALS:
    void layerClicked(int layer);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
