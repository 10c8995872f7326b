#include "app/views/adversarial/amplification_chart.h"

#include "app/shell/chart_axis.h"

#include <QCategoryAxis>
#include <QLegendMarker>
#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLineSeries>
#include <QMouseEvent>
#include <QScatterSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>

namespace convscope
{

namespace
{

// Clicks anywhere in the plot pick the nearest layer, not only on the line.
class ClickableChartView final : public QChartView
{
public:
    ClickableChartView(QChart* chart, std::function<void(double)> clicked)
        : QChartView(chart)
        , m_clicked(std::move(clicked))
    {
    }

protected:
    void mousePressEvent(QMouseEvent* event) override
    {
        if (event->button() == Qt::LeftButton && !chart()->series().isEmpty()
            && chart()->plotArea().contains(event->position()))
            m_clicked(chart()->mapToValue(event->position(), chart()->series().first()).x());
        QChartView::mousePressEvent(event);
    }

private:
    std::function<void(double)> m_clicked;
};

const QColor kColours[2] = { QColor(214, 39, 40), QColor(31, 119, 180) };

} // namespace

struct AmplificationChart::Private {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QCategoryAxis* x = nullptr;
    QValueAxis* y = nullptr;
    QScatterSeries* mark = nullptr;
    QVector<AmplificationCurves> curves;
    int marked = -1;
    double top = 1;
};

AmplificationChart::AmplificationChart(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->setMargins(QMargins(2, 2, 2, 2));
    d->chart->setBackgroundRoundness(0);
    d->chart->setAnimationOptions(QChart::NoAnimation); // live FGSM redraws as the slider moves
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->view = new ClickableChartView(d->chart, [this](double x) {
        if (d->curves.isEmpty() || d->curves.first().layers.isEmpty())
            return;
        const int layer = std::clamp(static_cast<int>(std::lround(x)), 0,
                                     static_cast<int>(d->curves.first().layers.size()) - 1);
        setMarked(layer);
        Q_EMIT layerClicked(layer);
    });
    d->view->setObjectName(QStringLiteral("amplificationChartView"));
    d->view->setRenderHint(QPainter::Antialiasing);
    d->view->setMinimumSize(200, 230);
    d->view->setToolTip(tr("Click a layer to see its activations, clean and adversarial"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    clear();
}

AmplificationChart::~AmplificationChart() = default;

void AmplificationChart::clear()
{
    d->chart->removeAllSeries();
    for (QAbstractAxis* axis : d->chart->axes())
        d->chart->removeAxis(axis);
    d->curves.clear();
    d->mark = nullptr;
    d->marked = -1;
    d->chart->setTitle(tr("Through the layers: run an attack"));
}

void AmplificationChart::setCurves(const QVector<AmplificationCurves>& curves)
{
    const int marked = d->marked;
    clear();
    d->curves = curves;
    if (curves.isEmpty() || curves.first().layers.isEmpty())
        return;
    const QStringList& layers = curves.first().layers;
    // Infinite ratios (a silent layer that woke) sit on the top edge.
    double top = 0;
    for (const AmplificationCurves& c : curves)
        for (const QVector<double>* values : { &c.attack, &c.noise })
            for (double v : *values)
                if (std::isfinite(v))
                    top = std::max(top, v);
    d->top = top > 0 ? top * 1.08 : 1;

    d->x = new QCategoryAxis;
    d->x->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    d->x->setLabelsAngle(-60);
    QFont small = d->x->labelsFont();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    d->x->setLabelsFont(small);
    // At most about 24 names: a ResNet's 70 layers would overwrite each other.
    const int every = std::max(1, static_cast<int>((layers.size() + 23) / 24));
    for (int i = 0; i < layers.size(); i += every)
        d->x->append(layers[i], i);
    d->x->setRange(-0.5, layers.size() - 0.5);
    d->y = chartAxis(tr("‖Δa‖ / ‖a‖"), QStringLiteral("%.2g"));
    d->y->setRange(0, d->top);
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    const bool compared = curves.size() > 1;
    for (int m = 0; m < curves.size() && m < 2; ++m) {
        const AmplificationCurves& c = curves[m];
        for (int kind = 0; kind < 2; ++kind) {
            auto* series = new QLineSeries;
            // Short names: the legend shares the chart's width with four entries when comparing.
            const QString what = kind == 0 ? tr("attack") : compared ? tr("noise") : tr("noise of its size");
            series->setName(compared && m > 0 ? QStringLiteral("%1: %2").arg(c.model, what) : what);
            const QVector<double>& values = kind == 0 ? c.attack : c.noise;
            for (int i = 0; i < values.size(); ++i)
                series->append(i, std::isfinite(values[i]) ? values[i] : d->top);
            QPen pen(kind == 0 ? kColours[m] : kColours[m].lighter(130), kind == 0 ? 2.5 : 2);
            if (kind == 1)
                pen.setStyle(Qt::DashLine);
            series->setPen(pen);
            series->setPointsVisible(values.size() <= 40);
            d->chart->addSeries(series);
            series->attachAxis(d->x);
            series->attachAxis(d->y);
        }
    }
    d->mark = new QScatterSeries;
    d->mark->setName(tr("shown below"));
    d->mark->setMarkerSize(13);
    d->mark->setColor(Qt::black);
    d->chart->addSeries(d->mark);
    d->mark->attachAxis(d->x);
    d->mark->attachAxis(d->y);
    d->chart->legend()->markers(d->mark).value(0)->setVisible(false);
    d->chart->setTitle(tr("Relative change per layer: where the attack grows and noise fades"));
    setMarked(marked < layers.size() ? marked : -1);
}

void AmplificationChart::setMarked(int layer)
{
    d->marked = layer;
    if (!d->mark)
        return;
    d->mark->clear();
    if (layer < 0 || d->curves.isEmpty() || layer >= d->curves.first().attack.size())
        return;
    const double v = d->curves.first().attack[layer];
    d->mark->append(layer, std::isfinite(v) ? v : d->top);
}

int AmplificationChart::marked() const
{
    return d->marked;
}

int AmplificationChart::seriesCount() const
{
    return static_cast<int>(d->chart->series().size());
}

QImage AmplificationChart::image() const
{
    return d->view->grab().toImage();
}

} // namespace convscope
