#include "app/views/ascent/chart.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace convscope {

struct AscentChart::Private {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QLineSeries* mean = nullptr;
    QLineSeries* min = nullptr;
    QLineSeries* max = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
    int steps = 1;
    bool band = false; // min and max drawn: several images
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
};

AscentChart::AscentChart(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->mean = new QLineSeries;
    d->min = new QLineSeries;
    d->max = new QLineSeries;
    d->mean->setPen(QPen(QColor(31, 119, 180), 2));
    d->min->setPen(QPen(QColor(150, 170, 200), 1, Qt::DashLine));
    d->max->setPen(QPen(QColor(150, 170, 200), 1, Qt::DashLine));
    d->x = new QValueAxis;
    d->x->setTitleText(tr("step"));
    d->x->setLabelFormat(QStringLiteral("%d"));
    d->y = new QValueAxis;
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    for (QLineSeries* series : {d->mean, d->min, d->max}) {
        d->chart->addSeries(series);
        series->attachAxis(d->x);
        series->attachAxis(d->y);
    }
    d->view = new QChartView(d->chart);
    d->view->setObjectName(QStringLiteral("ascentChartView"));
    d->view->setRenderHint(QPainter::Antialiasing);
    d->view->setMinimumSize(240, 160);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    reset(1, 100, QString());
}

AscentChart::~AscentChart() = default;

void AscentChart::reset(int images, int steps, const QString& title)
{
    d->band = images > 1;
    d->steps = std::max(1, steps);
    d->lo = std::numeric_limits<double>::infinity();
    d->hi = -std::numeric_limits<double>::infinity();
    for (QLineSeries* series : {d->mean, d->min, d->max})
        series->clear();
    d->mean->setName(d->band ? tr("mean") : tr("objective"));
    d->min->setName(tr("min"));
    d->max->setName(tr("max"));
    d->min->setVisible(d->band);
    d->max->setVisible(d->band);
    // Only the mean's entry when there is nothing but the mean.
    for (QLineSeries* series : {d->min, d->max}) {
        const auto markers = d->chart->legend()->markers(series);
        for (auto* marker : markers)
            marker->setVisible(d->band);
    }
    d->y->setTitleText(title);
    d->x->setRange(0, d->steps);
    // Ticks at round steps (0, 100, 200, ...), not at fifths of the run.
    const double rough = d->steps / 4.0;
    const double power = std::pow(10.0, std::floor(std::log10(std::max(1.0, rough))));
    const double unit = rough / power;
    d->x->setTickType(QValueAxis::TicksDynamic);
    d->x->setTickAnchor(0);
    d->x->setTickInterval(std::max(1.0, (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power));
    d->y->setRange(0, 1);
}

void AscentChart::append(const QVector<AscentPoint>& points)
{
    QList<QPointF> mean, min, max;
    for (const AscentPoint& p : points) {
        if (!std::isfinite(p.mean))
            continue;
        mean << QPointF(p.step, p.mean);
        min << QPointF(p.step, p.min);
        max << QPointF(p.step, p.max);
        d->lo = std::min(d->lo, d->band ? p.min : p.mean);
        d->hi = std::max(d->hi, d->band ? p.max : p.mean);
    }
    d->mean->append(mean);
    if (d->band) {
        d->min->append(min);
        d->max->append(max);
    }
    fitAxes();
}

void AscentChart::setPoints(const QVector<AscentPoint>& points)
{
    for (QLineSeries* series : {d->mean, d->min, d->max})
        series->clear();
    d->lo = std::numeric_limits<double>::infinity();
    d->hi = -std::numeric_limits<double>::infinity();
    append(points);
}

int AscentChart::pointCount() const
{
    return static_cast<int>(d->mean->count());
}

QImage AscentChart::image() const
{
    return d->view->grab().toImage();
}

void AscentChart::fitAxes()
{
    if (!(d->lo <= d->hi))
        return;
    const double pad = std::max(1e-6, 0.05 * (d->hi - d->lo));
    d->y->setRange(d->lo - pad, d->hi + pad);
    d->y->applyNiceNumbers();
}

} // namespace convscope
