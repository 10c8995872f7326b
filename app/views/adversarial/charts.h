#pragma once

#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope
{

// "Watch it travel": the probability of the target class (or of the label,
// untargeted) after each step of the last attack, Qt Charts.
class TravelChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TravelChart)
public:
    explicit TravelChart(QWidget* parent = nullptr);
    ~TravelChart() override;

    // Entry 0 is the clean image; `what` names the class followed.
    void setCurve(const QVector<double>& probabilities, const QString& what);
    void clear();
    int pointCount() const;
    QImage image() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// One robustness curve: accuracy against ε for one attack over a dataset sample.
struct RobustnessCurve {
    QString method; // "fgsm", as the CLI names it
    bool l2 = false; // its budgets are L2 norms
    QVector<QPointF> points; // (eps, accuracy)
    QString csvRows; // method,norm,eps,accuracy,correct,samples
    qint64 samples = 0;
    bool cancelled = false; // only the finished budgets
};

// Accuracy against ε, one line per attack run (the legend names the
// attack), Qt Charts. L∞ budgets are drawn in 8-bit levels (n/255); one chart
// holds one norm, so an L2 curve after L∞ ones starts a new chart.
class RobustnessChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RobustnessChart)
public:
    explicit RobustnessChart(QWidget* parent = nullptr);
    ~RobustnessChart() override;

    // False when it replaced curves of the other norm.
    bool addCurve(const RobustnessCurve& curve);
    void clear();
    int seriesCount() const;
    QStringList seriesNames() const;
    // Every curve, as `convscope attack --csv` writes one.
    QString csv() const;
    QImage image() const;

private:
    void fitAxes();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
