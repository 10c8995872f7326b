#pragma once

#include <QImage>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope
{

// Loss and accuracy against epochs, Qt Charts, one colour per run: every run
// adds its curves to the same two charts, so runs compare at a glance. Loss
// and training accuracy get a point every few batches; test accuracy one
// point per test pass (solid, with dots), training accuracy dashed.
class TrainingCharts final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingCharts)
public:
    explicit TrainingCharts(QWidget* parent = nullptr);
    ~TrainingCharts() override;

    // A new run's curves; returns its index. `epochs`: how far it will go.
    int addRun(const QString& name, int epochs);
    void setRunNames(const QStringList& names);
    void addStep(int run, double epochs, double loss, double accuracy);
    void addTest(int run, int epoch, double accuracy);
    // Takes the newest run's curves away (a run whose data never opened).
    void removeLastRun();
    void clear();

    int runCount() const;
    QStringList runNames() const;
    QVector<QPointF> lossCurve(int run) const;
    QVector<QPointF> testCurve(int run) const; // (epoch, accuracy in [0, 1])
    // Every point: run,name,kind,epochs,value (kind: loss, train_accuracy, test_accuracy).
    QString csv() const;
    // Both charts side by side, as drawn.
    QImage image() const;

private:
    void fitAxes();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
