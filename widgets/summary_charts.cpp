#include "widgets/summary_charts.h"

#include "core/model_summary.h"
#include "widgets/count_string.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QFontMetrics>
#include <QGraphicsLayout>
#include <QSet>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <array>
#include <cmath>

namespace convscope {

namespace {
// Past this many bars the layer names overlap into a grey smear; the
// tooltip names the bar instead.
constexpr int kMaxCategoryLabels = 24;
// Qt Charts gives a bottom axis at most 40% of the chart's height, and
// clips what does not fit: vertical names are elided to fit a chart of the
// minimum height, keeping their distinctive end ("…0.conv1").
constexpr int kMinChartHeight = 150;
constexpr int kMaxNamePixels = 58;

struct MetricStyle {
    const char* title;
    QColor color;
};

const std::array<MetricStyle, SummaryCharts::MetricCount> kStyles { {
    { QT_TRANSLATE_NOOP("SummaryCharts", "Activation memory per layer (KiB)"), QColor(0x4e, 0x9a, 0x8f) },
    { QT_TRANSLATE_NOOP("SummaryCharts", "Parameters per layer"), QColor(0xe0, 0x8e, 0x3c) },
    { QT_TRANSLATE_NOOP("SummaryCharts", "Multiply-adds per layer"), QColor(0x4a, 0x78, 0xc2) },
} };

double metricValue(const SummaryRow& row, int metric)
{
    switch (metric) {
    case SummaryCharts::Memory: return static_cast<double>(row.memoryBytes) / 1024;
    case SummaryCharts::Params: return static_cast<double>(row.geometry.params);
    default: return static_cast<double>(row.geometry.flops);
    }
}

QString valueText(double value, int metric)
{
    if (metric == SummaryCharts::Memory)
        return value >= 1024 ? QString::number(value / 1024, 'f', 2) + QStringLiteral(" MiB")
                             : QString::number(value, 'f', 1) + QStringLiteral(" KiB");
    return countString(static_cast<qint64>(value));
}

// Axis ticks in K/M/G so that "118013952" does not push the plot aside.
std::pair<double, QString> axisScale(double max)
{
    if (max >= 1e9)
        return { 1e9, QStringLiteral("G") };
    if (max >= 1e6)
        return { 1e6, QStringLiteral("M") };
    if (max >= 1e4)
        return { 1e3, QStringLiteral("K") };
    return { 1, QString() };
}
} // namespace

struct SummaryCharts::Private {
    struct Chart {
        QChartView* view = nullptr;
        QBarSet* set = nullptr;
        QBarSeries* series = nullptr;
        QBarCategoryAxis* layers = nullptr; // x axis while the names fit
        QValueAxis* indices = nullptr; // x axis when they do not
        QValueAxis* values = nullptr;
        QStringList names; // per bar
        QVector<double> raw; // per bar, unscaled
    };
    std::array<Chart, MetricCount> charts;
};

SummaryCharts::SummaryCharts(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    QFont titleFont = font();
    titleFont.setBold(true);

    for (int metric = 0; metric < MetricCount; ++metric) {
        Private::Chart& c = d->charts[metric];
        auto* chart = new QChart;
        chart->setTitle(tr(kStyles[metric].title));
        chart->setTitleFont(titleFont);
        chart->setTitleBrush(palette().windowText());
        chart->legend()->hide();
        chart->setBackgroundRoundness(0);
        chart->setBackgroundBrush(palette().window());
        chart->setMargins({ 2, 0, 6, 2 });
        chart->layout()->setContentsMargins(0, 0, 0, 0);
        chart->setAnimationOptions(QChart::NoAnimation);

        c.set = new QBarSet(QString());
        c.set->setColor(kStyles[metric].color);
        c.set->setBorderColor(kStyles[metric].color);
        c.series = new QBarSeries;
        c.series->setBarWidth(0.8);
        c.series->append(c.set);
        chart->addSeries(c.series);

        c.layers = new QBarCategoryAxis;
        c.layers->setLabelsFont(small);
        c.layers->setLabelsAngle(-90);
        // Qt elides to the bar width, which leaves "..." on every bar; names
        // are shortened here instead (see kMaxNamePixels).
        c.layers->setTruncateLabels(false);
        c.layers->setLabelsColor(palette().color(QPalette::WindowText));
        c.layers->setGridLineVisible(false);
        chart->addAxis(c.layers, Qt::AlignBottom);
        c.series->attachAxis(c.layers);

        c.indices = new QValueAxis(this);
        c.indices->setLabelsVisible(false);
        c.indices->setGridLineVisible(false);
        c.indices->setTickCount(2);

        c.values = new QValueAxis;
        c.values->setLabelsFont(small);
        c.values->setLabelsColor(palette().color(QPalette::WindowText));
        c.values->setTickCount(3);
        chart->addAxis(c.values, Qt::AlignLeft);
        c.series->attachAxis(c.values);

        c.view = new QChartView(chart, this);
        c.view->setRenderHint(QPainter::Antialiasing);
        c.view->setFrameShape(QFrame::NoFrame);
        c.view->setMinimumHeight(kMinChartHeight);
        layout->addWidget(c.view, 1);

        connect(c.set, &QBarSet::hovered, this, [this, metric](bool inside, int bar) {
            const Private::Chart& c = d->charts[metric];
            if (!inside || bar < 0 || bar >= c.names.size()) {
                QToolTip::hideText();
                return;
            }
            QToolTip::showText(
                QCursor::pos(), c.names[bar] + QStringLiteral(": ") + valueText(c.raw[bar], metric), c.view);
        });
        connect(c.set, &QBarSet::clicked, this, [this, metric](int bar) {
            const Private::Chart& c = d->charts[metric];
            if (bar >= 0 && bar < c.names.size())
                Q_EMIT layerClicked(c.names[bar]);
        });
    }
}

SummaryCharts::~SummaryCharts() = default;

void SummaryCharts::setSummary(const ModelSummary& summary)
{
    for (int metric = 0; metric < MetricCount; ++metric) {
        Private::Chart& c = d->charts[metric];
        c.names.clear();
        c.raw.clear();
        for (const SummaryRow& row : summary.rows) {
            const double value = metricValue(row, metric);
            // Most layers hold no parameters and do no multiply-adds: showing
            // them would squeeze the bars that do.
            if (metric != Memory && value == 0)
                continue;
            c.names << QString::fromStdString(row.name);
            c.raw << value;
        }

        const double max = c.raw.isEmpty() ? 0 : *std::max_element(c.raw.cbegin(), c.raw.cend());
        const auto [scale, suffix] = metric == Memory ? std::pair<double, QString> { 1, QString() } : axisScale(max);
        QList<qreal> values;
        values.reserve(c.raw.size());
        for (double v : c.raw)
            values << v / scale;

        c.set->remove(0, c.set->count());
        c.set->append(values);
        // A category axis lays out a label per bar even when it hides them,
        // which costs ~0.2 ms a bar: past the readable count, bars go on a
        // bare index axis and only the tooltip names them.
        const bool named = c.names.size() <= kMaxCategoryLabels;
        QAbstractAxis* x = named ? static_cast<QAbstractAxis*>(c.layers) : c.indices;
        if (!c.series->attachedAxes().contains(x)) {
            QAbstractAxis* old = named ? static_cast<QAbstractAxis*>(c.indices) : c.layers;
            QChart* chart = c.view->chart();
            chart->removeAxis(old);
            old->setParent(this);
            chart->addAxis(x, Qt::AlignBottom);
            c.series->attachAxis(x);
        }
        if (named) {
            // The axis wants distinct categories; layer names already are,
            // but a hand-made summary need not be.
            QStringList categories;
            QSet<QString> seen;
            const QFontMetrics names(c.layers->labelsFont());
            for (const QString& name : c.names) {
                QString category = names.elidedText(name, Qt::ElideLeft, kMaxNamePixels);
                while (seen.contains(category))
                    category += QChar(0x200B);
                seen.insert(category);
                categories << category;
            }
            c.layers->setCategories(categories);
        } else {
            c.indices->setRange(-0.5, c.names.size() - 0.5);
        }
        c.values->setRange(0, max > 0 ? max / scale : 1);
        c.values->applyNiceNumbers();
        // An empty chart read "1, 1, 0" (0..1 in whole numbers): no numbers
        // until there is something to count.
        c.values->setLabelsVisible(!c.raw.isEmpty());
        // "0.5M" needs a decimal, "50K" does not.
        const int decimals = c.values->max() < 10 && scale != 1 ? 1 : 0;
        c.values->setLabelFormat(QStringLiteral("%.%1f").arg(decimals) + suffix);
    }
}

void SummaryCharts::clear()
{
    setSummary({});
}

int SummaryCharts::barCount(Metric metric) const
{
    return static_cast<int>(d->charts.at(metric).names.size());
}

QString SummaryCharts::barLayer(Metric metric, int index) const
{
    return d->charts.at(metric).names.value(index);
}

double SummaryCharts::barValue(Metric metric, int index) const
{
    return d->charts.at(metric).raw.value(index);
}

} // namespace convscope
