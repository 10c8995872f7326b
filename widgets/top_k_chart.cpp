#include "widgets/top_k_chart.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QGraphicsLayout>
#include <QHorizontalBarSeries>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

namespace convscope {

namespace {
constexpr int kMaxLabel = 24; // ImageNet labels run to 60+ characters

QString percentText(double probability)
{
    return QString::number(probability * 100, 'f', 1) + QStringLiteral("%");
}
} // namespace

struct TopKChart::Private {
    QVector<QPair<QString, double>> top;
    QChartView* view = nullptr;
    QChart* chart = nullptr;
    QHorizontalBarSeries* series = nullptr;
    QBarSet* set = nullptr;
    QBarCategoryAxis* classes = nullptr;
    QValueAxis* percent = nullptr;
    QStringList categories; // as shown, bottom to top
};

TopKChart::TopKChart(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->legend()->hide();
    d->chart->setBackgroundRoundness(0);
    d->chart->setMargins({ 2, 2, 6, 2 });
    d->chart->layout()->setContentsMargins(0, 0, 0, 0);
    d->chart->setBackgroundBrush(palette().window());
    // Bar animations would lag behind 30 updates a second.
    d->chart->setAnimationOptions(QChart::NoAnimation);

    d->set = new QBarSet(QString());
    d->set->setColor(QColor(0x8c, 0xb8, 0xe6));
    d->set->setBorderColor(QColor(0x5b, 0x8d, 0xc9));
    // Dark text reads both on the light bar and on the background beside a short bar.
    d->set->setLabelColor(palette().color(QPalette::WindowText));
    d->series = new QHorizontalBarSeries;
    d->series->append(d->set);
    d->series->setBarWidth(0.75);
    d->series->setLabelsVisible(true);
    d->series->setLabelsPosition(QAbstractBarSeries::LabelsInsideBase);
    d->series->setLabelsFormat(QStringLiteral("@value%"));
    d->chart->addSeries(d->series);

    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    d->set->setLabelFont(small);

    d->classes = new QBarCategoryAxis;
    d->classes->setLabelsFont(small);
    d->classes->setLabelsColor(palette().color(QPalette::WindowText));
    d->classes->setGridLineVisible(false);
    // QtCharts allows each category label a fifth of a short chart's height less
    // padding, and drew "..." for every single digit; the labels are ours to
    // keep short (kMaxLabel), so they are drawn whole.
    d->classes->setTruncateLabels(false);
    d->chart->addAxis(d->classes, Qt::AlignLeft);
    d->series->attachAxis(d->classes);

    auto* percent = d->percent = new QValueAxis;
    percent->setRange(0, 100);
    percent->setTickCount(5);
    percent->setLabelFormat(QStringLiteral("%d"));
    percent->setLabelsFont(small);
    percent->setLabelsColor(palette().color(QPalette::WindowText));
    percent->setTruncateLabels(false);
    d->chart->addAxis(percent, Qt::AlignBottom);
    d->series->attachAxis(percent);

    d->view = new QChartView(d->chart, this);
    d->view->setRenderHint(QPainter::Antialiasing);
    d->view->setFrameShape(QFrame::NoFrame);
    d->view->setMinimumHeight(120);
    percent->setLabelsVisible(false); // no predictions yet
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);

    connect(d->set, &QBarSet::hovered, this, [this](bool inside, int bar) {
        const int row = static_cast<int>(d->top.size()) - 1 - bar; // bars run bottom to top
        if (!inside || row < 0 || row >= d->top.size()) {
            QToolTip::hideText();
            return;
        }
        QToolTip::showText(
            QCursor::pos(), d->top[row].first + QStringLiteral("  ") + percentText(d->top[row].second), d->view);
    });
    connect(d->set, &QBarSet::doubleClicked, this, [this](int bar) {
        const int row = static_cast<int>(d->top.size()) - 1 - bar;
        if (row >= 0 && row < d->top.size())
            Q_EMIT barActivated(row);
    });
}

TopKChart::~TopKChart() = default;


void TopKChart::setPredictions(const QVector<QPair<QString, double>>& top)
{
    d->top = top;
    const int n = static_cast<int>(top.size());

    // Horizontal bars stack upwards, so the best class goes in last.
    QStringList categories;
    QList<qreal> values;
    categories.reserve(n);
    values.reserve(n);
    for (int i = n - 1; i >= 0; --i) {
        QString label = top[i].first;
        // In the middle, so that both "American Staff…shire terrier" ends read.
        if (label.size() > kMaxLabel)
            label = label.left(kMaxLabel / 2) + QChar(0x2026) + label.right(kMaxLabel / 2 - 1);
        // The axis needs distinct categories; ImageNet has duplicate names
        // ("crane", "maillot") and eliding makes more.
        while (categories.contains(label))
            label += QChar(0x200B);
        categories << label;
        values << std::round(top[i].second * 1000) / 10; // one decimal, as "@value" prints it
    }

    // Only touch what changed: a new category list re-lays the axis out.
    if (d->set->count() != n) {
        d->set->remove(0, d->set->count());
        d->set->append(values);
    } else {
        for (int i = 0; i < n; ++i)
            if (d->set->at(i) != values[i])
                d->set->replace(i, values[i]);
    }
    if (categories != d->categories) {
        d->categories = categories;
        d->classes->setCategories(categories);
    }
    d->percent->setLabelsVisible(n > 0); // an empty chart shows no numbers
}

void TopKChart::clear()
{
    setPredictions({});
}

int TopKChart::barCount() const
{
    return d->set->count();
}

QStringList TopKChart::texts() const
{
    QStringList out;
    for (const auto& [label, probability] : d->top)
        out << label + QStringLiteral("  ") + percentText(probability);
    return out;
}

} // namespace convscope
