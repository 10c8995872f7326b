#include "app/views/training/charts.h"

#include "app/shell/chart_axis.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace convscope
{

namespace
{

// Tableau 10: distinct on a projector, and the colours matplotlib users know.
QColor runColour(int run)
{
    static const QRgb colours[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    return QColor(colours[run % 10]);
}


struct ChartParts {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
};

ChartParts makeChart(const QString& title, const QString& yTitle, const QString& yFormat, const QString& objectName)
{
    ChartParts p;
    p.chart = new QChart;
    p.chart->setTitle(title);
    p.chart->setMargins(QMargins(2, 2, 2, 2));
    p.chart->setBackgroundRoundness(0);
    p.chart->setAnimationOptions(QChart::NoAnimation); // points arrive several times a second
    p.chart->legend()->setAlignment(Qt::AlignBottom);
    // The titles say "by epoch": a short chart elides an x-axis title to "...".
    p.x = chartAxis(QString(), QStringLiteral("%g"));
    p.y = chartAxis(yTitle, yFormat);
    p.chart->addAxis(p.x, Qt::AlignBottom);
    p.chart->addAxis(p.y, Qt::AlignLeft);
    p.view = new QChartView(p.chart);
    p.view->setObjectName(objectName);
    p.view->setRenderHint(QPainter::Antialiasing);
    p.view->setMinimumSize(150, 160);
    return p;
}

} // namespace

struct TrainingCharts::Private {
    ChartParts loss, accuracy;
    struct Run {
        QString name;
        int epochs = 1;
        QLineSeries* loss = nullptr;
        QLineSeries* train = nullptr;
        QLineSeries* test = nullptr;
        QVector<QPointF> lossPoints, trainPoints, testPoints; // accuracy in [0, 1]
    };
    QVector<Run> runs;
    double maxLoss = 0;
};

TrainingCharts::TrainingCharts(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->loss = makeChart(tr("Training loss by epoch"), tr("loss"), QStringLiteral("%.2f"), QStringLiteral("lossChartView"));
    d->accuracy = makeChart(tr("Accuracy by epoch: test ●, training - -"), tr("%"), QStringLiteral("%d"),
                            QStringLiteral("accuracyChartView"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(d->loss.view);
    layout->addWidget(d->accuracy.view);
    clear();
}

TrainingCharts::~TrainingCharts() = default;

int TrainingCharts::addRun(const QString& name, int epochs)
{
    Private::Run run;
    run.name = name;
    run.epochs = std::max(1, epochs);
    const QColor colour = runColour(static_cast<int>(d->runs.size()));
    auto attach = [](ChartParts& parts, QLineSeries* series) {
        parts.chart->addSeries(series);
        series->attachAxis(parts.x);
        series->attachAxis(parts.y);
    };
    run.loss = new QLineSeries;
    run.loss->setPen(QPen(colour, 2));
    attach(d->loss, run.loss);
    run.test = new QLineSeries;
    run.test->setPen(QPen(colour, 2.5));
    run.test->setPointsVisible(true);
    attach(d->accuracy, run.test);
    run.train = new QLineSeries;
    run.train->setPen(QPen(colour, 1.2, Qt::DashLine));
    attach(d->accuracy, run.train);
    // One legend entry per run: the dashed training curve shares its colour.
    for (auto* marker : d->accuracy.chart->legend()->markers(run.train))
        marker->setVisible(false);
    d->runs.push_back(run);
    const int index = static_cast<int>(d->runs.size()) - 1;
    QStringList names(index + 1);
    names[index] = name;
    setRunNames(names);
    fitAxes();
    return index;
}

void TrainingCharts::setRunNames(const QStringList& names)
{
    for (int i = 0; i < d->runs.size() && i < names.size(); ++i) {
        if (names[i].isEmpty())
            continue;
        d->runs[i].name = names[i];
        d->runs[i].loss->setName(names[i]);
        d->runs[i].test->setName(names[i]);
        d->runs[i].train->setName(names[i] + tr(" (training)"));
    }
}

void TrainingCharts::addStep(int run, double epochs, double loss, double accuracy)
{
    if (run < 0 || run >= d->runs.size())
        return;
    auto& r = d->runs[run];
    r.lossPoints << QPointF(epochs, loss);
    r.trainPoints << QPointF(epochs, accuracy);
    r.loss->append(epochs, loss);
    r.train->append(epochs, accuracy * 100);
    if (std::isfinite(loss) && loss > d->maxLoss) {
        d->maxLoss = loss;
        fitAxes();
    }
}

void TrainingCharts::addTest(int run, int epoch, double accuracy)
{
    if (run < 0 || run >= d->runs.size())
        return;
    d->runs[run].testPoints << QPointF(epoch, accuracy);
    d->runs[run].test->append(epoch, accuracy * 100);
}

void TrainingCharts::removeLastRun()
{
    if (d->runs.isEmpty())
        return;
    const auto& run = d->runs.back();
    d->loss.chart->removeSeries(run.loss);
    d->accuracy.chart->removeSeries(run.train);
    d->accuracy.chart->removeSeries(run.test);
    delete run.loss;
    delete run.train;
    delete run.test;
    d->runs.removeLast();
    fitAxes();
}

void TrainingCharts::clear()
{
    for (auto* parts : {&d->loss, &d->accuracy})
        parts->chart->removeAllSeries();
    d->runs.clear();
    d->maxLoss = 0;
    fitAxes();
}

void TrainingCharts::fitAxes()
{
    int epochs = 1;
    for (const auto& r : d->runs)
        epochs = std::max(epochs, r.epochs);
    const bool empty = d->runs.isEmpty();
    for (auto* parts : {&d->loss, &d->accuracy}) {
        parts->x->setRange(0, epochs);
        parts->x->setTickCount(std::min(epochs, 10) + 1);
        // Numbers on an empty chart would read as a result.
        parts->x->setLabelsVisible(!empty);
        parts->y->setLabelsVisible(!empty);
        parts->chart->legend()->setVisible(!empty);
    }
    // Loss: 0 to a round number above the highest point so far.
    const double top = d->maxLoss > 0 ? std::ceil(d->maxLoss * 2) / 2 : 2.5;
    d->loss.y->setRange(0, top);
    d->loss.y->setTickCount(6);
    d->accuracy.y->setRange(0, 100);
    d->accuracy.y->setTickCount(6);
}

int TrainingCharts::runCount() const
{
    return static_cast<int>(d->runs.size());
}

QStringList TrainingCharts::runNames() const
{
    QStringList names;
    for (const auto& r : d->runs)
        names << r.name;
    return names;
}

QVector<QPointF> TrainingCharts::lossCurve(int run) const
{
    return run >= 0 && run < d->runs.size() ? d->runs[run].lossPoints : QVector<QPointF>();
}

QVector<QPointF> TrainingCharts::testCurve(int run) const
{
    return run >= 0 && run < d->runs.size() ? d->runs[run].testPoints : QVector<QPointF>();
}

QString TrainingCharts::csv() const
{
    QString out = QStringLiteral("run,name,kind,epochs,value\n");
    auto quoted = [](QString s) { return QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"'); };
    for (int i = 0; i < d->runs.size(); ++i) {
        const auto& r = d->runs[i];
        auto rows = [&](const QVector<QPointF>& points, const char* kind) {
            for (const auto& p : points)
                out += QStringLiteral("%1,%2,%3,%4,%5\n")
                           .arg(i + 1)
                           .arg(quoted(r.name), QLatin1String(kind), QString::number(p.x(), 'g', 8),
                                QString::number(p.y(), 'g', 8));
        };
        rows(r.lossPoints, "loss");
        rows(r.trainPoints, "train_accuracy");
        rows(r.testPoints, "test_accuracy");
    }
    return out;
}

QImage TrainingCharts::image() const
{
    return const_cast<TrainingCharts*>(this)->grab().toImage();
}

} // namespace convscope
