#pragma once

#include <QPair>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope {

// The top-k predictions as a horizontal Qt Charts bar chart: one bar per
// class, best at the top, labelled with the class name and its probability.
class TopKChart final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopKChart)
public:
    explicit TopKChart(QWidget* parent = nullptr);
    ~TopKChart() override;

    // (label, probability in [0, 1]), best first.
    void setPredictions(const QVector<QPair<QString, double>>& top);
    void clear();
    int barCount() const;
    // "label  97.1%" per bar, best first.
    QStringList texts() const;

Q_SIGNALS:
    // A bar double-clicked: its row, 0 for the best class.
    void barActivated(int row);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
