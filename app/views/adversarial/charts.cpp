#include "app/views/adversarial/charts.h"

#include "app/views/adversarial/attack_text.h"
#include "app/shell/chart_axis.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace convscope
{

namespace
{

// `minimumHeight`: a chart shorter than it its axes' titles need draws them as "...".
QChartView* chartView(QChart* chart, const QString& objectName, QWidget* parent, int minimumHeight)
{
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->setBackgroundRoundness(0);
    chart->setAnimationOptions(QChart::NoAnimation); // live FGSM redraws many times a second
    auto* view = new QChartView(chart);
    view->setObjectName(objectName);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(200, minimumHeight);
    auto* layout = new QVBoxLayout(parent);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view);
    return view;
}


} // namespace

struct TravelChart::Private {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QLineSeries* line = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
};

TravelChart::TravelChart(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->legend()->hide();
    d->line = new QLineSeries;
    d->line->setPen(QPen(QColor(214, 39, 40), 2));
    d->line->setPointsVisible(true);
    d->x = chartAxis(tr("step"), QStringLiteral("%d"));
    d->y = chartAxis(tr("probability"), QStringLiteral("%.1f"));
    d->y->setRange(0, 1);
    d->y->setTickCount(6); // 0.2 apart: "%.1f" labels are exact
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    d->chart->addSeries(d->line);
    d->line->attachAxis(d->x);
    d->line->attachAxis(d->y);
    d->view = chartView(d->chart, QStringLiteral("travelChartView"), this, 150);
    clear();
}

TravelChart::~TravelChart() = default;

void TravelChart::setCurve(const QVector<double>& probabilities, const QString& what)
{
    QList<QPointF> points;
    for (int i = 0; i < probabilities.size(); ++i)
        points << QPointF(i, probabilities[i]);
    d->line->replace(points);
    const int steps = std::max(1, static_cast<int>(probabilities.size()) - 1);
    d->x->setRange(0, steps);
    d->x->setTickCount(std::min(steps, 10) + 1);
    d->x->setLabelsVisible(true);
    d->y->setLabelsVisible(true);
    d->chart->setTitle(tr("P(%1) per step").arg(what));
}

void TravelChart::clear()
{
    d->line->clear();
    d->x->setRange(0, 1);
    d->x->setTickCount(2);
    // Numbers on an empty chart would read as a result.
    d->x->setLabelsVisible(false);
    d->y->setLabelsVisible(false);
    d->chart->setTitle(tr("Watch it travel: run an attack"));
}

int TravelChart::pointCount() const
{
    return static_cast<int>(d->line->count());
}

QImage TravelChart::image() const
{
    return d->view->grab().toImage();
}

struct RobustnessChart::Private {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
    QVector<RobustnessCurve> curves;
    bool l2 = false;
};

RobustnessChart::RobustnessChart(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->x = chartAxis(QString(), QStringLiteral("%g"));
    d->y = chartAxis(tr("accuracy"), QStringLiteral("%.1f"));
    d->y->setRange(0, 1);
    d->y->setTickCount(6);
    d->x->setTickCount(5); // 0, 4, 8, 12, 16 (/255); 0, 1, 2, 3, 4 (L2)
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    // Title, legend and both axis titles: 150 pixels left its titles "...".
    d->view = chartView(d->chart, QStringLiteral("robustnessChartView"), this, 230);
    clear();
}

RobustnessChart::~RobustnessChart() = default;

bool RobustnessChart::addCurve(const RobustnessCurve& curve)
{
    const bool kept = d->curves.isEmpty() || curve.l2 == d->l2;
    if (!kept)
        clear();
    d->l2 = curve.l2;
    d->curves.append(curve);
    auto* series = new QLineSeries;
    series->setName(curve.cancelled ? tr("%1 (stopped)").arg(curve.method) : curve.method);
    series->setPointsVisible(true);
    // L∞ budgets in 8-bit levels: "8", not "0.0314".
    for (const QPointF& p : curve.points)
        series->append(curve.l2 ? p.x() : p.x() * 255, p.y());
    d->chart->addSeries(series);
    series->attachAxis(d->x);
    series->attachAxis(d->y);
    QPen pen = series->pen();
    pen.setWidth(2);
    series->setPen(pen);
    fitAxes();
    return kept;
}

void RobustnessChart::clear()
{
    d->chart->removeAllSeries();
    d->curves.clear();
    d->chart->setTitle(tr("Robustness: accuracy against ε"));
    d->x->setTitleText(tr("ε"));
    d->x->setRange(0, 1);
    // Numbers on an empty chart would read as a result.
    d->x->setLabelsVisible(false);
    d->y->setLabelsVisible(false);
}

int RobustnessChart::seriesCount() const
{
    return static_cast<int>(d->chart->series().size());
}

QStringList RobustnessChart::seriesNames() const
{
    QStringList names;
    for (const auto* series : d->chart->series())
        names << series->name();
    return names;
}

QString RobustnessChart::csv() const
{
    QString text = robustnessCsvHeader();
    for (const RobustnessCurve& curve : d->curves)
        text += curve.csvRows;
    return text;
}

QImage RobustnessChart::image() const
{
    return d->view->grab().toImage();
}

void RobustnessChart::fitAxes()
{
    double hi = 0;
    for (const RobustnessCurve& curve : d->curves)
        for (const QPointF& p : curve.points)
            hi = std::max(hi, d->l2 ? p.x() : p.x() * 255);
    d->x->setRange(0, hi > 0 ? hi : 1);
    d->x->setLabelsVisible(!d->curves.isEmpty());
    d->y->setLabelsVisible(!d->curves.isEmpty());
    d->x->setTitleText(d->l2 ? tr("ε (L2)") : tr("ε (L∞, in 1/255)"));
    d->chart->setTitle(tr("Robustness of %1 samples").arg(d->curves.isEmpty() ? 0 : d->curves.last().samples));
}

} // namespace convscope
