#pragma once

#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope {

// The objective at one step: of the one image, or the min, mean and max over
// a whole layer's images.
struct AscentPoint {
    double step = 0;
    double min = 0, mean = 0, max = 0;
};

// The objective against the step while gradient ascent runs (Qt Charts): one
// line for one image, the mean with the min and max for a whole layer.
class AscentChart final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AscentChart)
public:
    explicit AscentChart(QWidget* parent = nullptr);
    ~AscentChart() override;

    // Empty, with room for `steps` steps of `images` images.
    void reset(int images, int steps, const QString& title);
    void append(const QVector<AscentPoint>& points);
    // Replaces what is drawn (the whole curve once the run is over).
    void setPoints(const QVector<AscentPoint>& points);
    int pointCount() const;
    // The chart as drawn, for the export.
    QImage image() const;

private:
    void fitAxes();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
