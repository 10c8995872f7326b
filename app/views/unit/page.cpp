#include "app/views/unit/page.h"

#include "app/views/unit/run.h"
#include "widgets/bar_chart_view.h"
#include "widgets/image_view.h"

#include <QGridLayout>
#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>

#include <cmath>

namespace convscope {

namespace {

// Small inputs (28 x 28) grow by whole pixels first, so that a box drawn on
// them stays a thin crisp line when the view scales the picture up.
QImage enlarged(const QImage& image, int side = 224)
{
    if (image.isNull())
        return image;
    const int factor = std::max(1, side / std::max(image.width(), image.height()));
    return image.convertToFormat(QImage::Format_RGB888)
        .scaled(image.width() * factor, image.height() * factor, Qt::IgnoreAspectRatio, Qt::FastTransformation);
}

QImage withBox(const QImage& image, const QRect& box)
{
    if (image.isNull() || box.isEmpty())
        return image;
    QImage big = enlarged(image);
    const double scale = static_cast<double>(big.width()) / image.width();
    QPainter painter(&big);
    painter.setPen(QPen(QColor(255, 64, 64), std::max(2.0, scale / 2)));
    painter.drawRect(QRectF(box.x() * scale, box.y() * scale, box.width() * scale, box.height() * scale)
                         .adjusted(1, 1, -1, -1));
    return big;
}

// Nine crops (of any sizes) in a 3 x 3 grid of equal cells on gray.
QImage nineGrid(const QVector<QImage>& images)
{
    if (images.isEmpty())
        return {};
    int side = 8;
    for (const QImage& image : images)
        side = std::max({side, image.width(), image.height()});
    const int factor = std::max(1, 72 / side);
    const int cell = side * factor, gap = 2;
    QImage grid(3 * cell + 2 * gap, 3 * cell + 2 * gap, QImage::Format_RGB888);
    grid.fill(QColor(128, 128, 128));
    QPainter painter(&grid);
    for (int i = 0; i < images.size() && i < 9; ++i) {
        const QImage& image = images[i];
        const QPoint at((i % 3) * (cell + gap), (i / 3) * (cell + gap));
        painter.drawImage(QRect(at, QSize(image.width() * factor, image.height() * factor)), image);
    }
    return grid;
}

} // namespace

struct UnitPage::Private {
    QLabel* heading = nullptr;
    struct Panel {
        QLabel* title = nullptr;
        ImageView* view = nullptr;
        QLabel* caption = nullptr;
    };
    Panel filter, activation, backprop, patches, patchBackprops, ascent;
    BarChartView* histogram = nullptr;
    QLabel* dead = nullptr;
    BarChartView* classMeans = nullptr;
    BarChartView* support = nullptr;
    QLabel* supportText = nullptr;
    QString headingText, fieldText;
};

UnitPage::UnitPage(QWidget* parent) : QWidget(parent), d(std::make_unique<Private>())
{
    setAutoFillBackground(true);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(6, 4, 6, 4);
    outer->setSpacing(4);
    d->heading = new QLabel(this);
    QFont big = d->heading->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    d->heading->setFont(big);
    d->heading->setMinimumWidth(0);
    d->heading->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    outer->addWidget(d->heading);

    auto* grid = new QGridLayout;
    grid->setSpacing(6);
    outer->addLayout(grid, 1);
    auto makePanel = [this, grid](Private::Panel& panel, const QString& title, int row, int column) {
        auto* box = new QVBoxLayout;
        box->setSpacing(1);
        panel.title = new QLabel(QStringLiteral("<b>%1</b>").arg(title), this);
        // Titles never widen the page beyond a 1280 x 720 screen: they are cut instead.
        panel.title->setMinimumWidth(0);
        panel.title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        panel.view = new ImageView(this);
        panel.view->setMinimumSize(120, 120);
        panel.caption = new QLabel(this);
        panel.caption->setWordWrap(true);
        panel.caption->setAlignment(Qt::AlignTop | Qt::AlignLeft);
        panel.caption->setMinimumHeight(panel.caption->fontMetrics().height() * 2 + 2);
        box->addWidget(panel.title);
        box->addWidget(panel.view, 1);
        box->addWidget(panel.caption);
        grid->addLayout(box, row, column);
    };
    makePanel(d->filter, tr("1 Filter"), 0, 0);
    makePanel(d->activation, tr("2 Activation"), 0, 1);
    makePanel(d->backprop, tr("3 Guided backprop"), 0, 2);
    makePanel(d->patches, tr("4 Top-9 patches"), 1, 0);
    makePanel(d->patchBackprops, tr("4 Their guided backprop"), 1, 1);
    makePanel(d->ascent, tr("5 Gradient ascent"), 1, 2);

    auto* stats = new QVBoxLayout;
    stats->setSpacing(2);
    d->histogram = new BarChartView(BarChartView::Style::Columns, this);
    d->histogram->setTitle(tr("6 Max per image, over the dataset"));
    d->dead = new QLabel(this);
    d->classMeans = new BarChartView(BarChartView::Style::Rows, this);
    d->classMeans->setTitle(tr("Mean activation per class"));
    d->support = new BarChartView(BarChartView::Style::Rows, this);
    d->support->setTitle(tr("Classes it supports (weights after it)"));
    d->supportText = new QLabel(this);
    d->supportText->setWordWrap(true);
    stats->addWidget(d->histogram, 3);
    stats->addWidget(d->dead);
    stats->addWidget(d->classMeans, 4);
    stats->addWidget(d->support, 3);
    stats->addWidget(d->supportText);
    grid->addLayout(stats, 0, 3, 2, 1);
    for (int c = 0; c < 3; ++c)
        grid->setColumnStretch(c, 3);
    grid->setColumnStretch(3, 4);
    grid->setRowStretch(0, 1);
    grid->setRowStretch(1, 1);
    clearInputPanels({});
    setDatasetMessage(tr("Open a dataset in the Input dock for the top-9 patches and the statistics."));
    setAscentMessage(tr("Not made yet: press A (or Make image)."));
}

UnitPage::~UnitPage() = default;

void UnitPage::setHeading(const QString& model, const QString& layer, qint64 channel, qint64 channels)
{
    d->headingText = channels > 0 ? tr("%1 · channel %2 of %3 · %4").arg(layer).arg(channel).arg(channels).arg(model)
                                  : QString();
    d->heading->setText(d->headingText);
}

QString UnitPage::headingText() const
{
    return d->headingText;
}

void UnitPage::setInputPanels(const UnitInputPanels& p)
{
    d->filter.view->setImage(p.filter);
    d->filter.view->setPlaceholderText(p.filterText);
    d->filter.caption->setText(p.filterText);
    d->activation.view->setImage(withBox(p.activation, p.field));
    d->activation.caption->setText(
        tr("mean %1, max %2 at (%3, %4)").arg(p.mean, 0, 'g', 4).arg(p.max, 0, 'g', 4).arg(p.argY).arg(p.argX));
    const bool deconv = p.relu == ReluGradient::Deconvnet;
    d->backprop.title->setText(tr("<b>3 %1</b> (B/D)").arg(deconv ? tr("Deconvnet") : tr("Guided backprop")));
    d->backprop.view->setImage(withBox(p.backprop, p.field));
    d->backprop.caption->setText(tr("of its strongest unit; %1").arg(p.fieldText));
    d->fieldText = p.fieldText;
    d->patchBackprops.title->setText(tr("<b>4 Their %1</b>").arg(deconv ? tr("deconvnet") : tr("guided backprop")));
}

void UnitPage::clearInputPanels(const QString& why)
{
    for (auto* panel : {&d->filter, &d->activation, &d->backprop}) {
        panel->view->setImage({});
        panel->view->setPlaceholderText(why);
        panel->caption->clear();
    }
    d->fieldText.clear();
}

void UnitPage::setDatasetPanels(const UnitDatasetPanels& p)
{
    d->patches.view->setImage(nineGrid(p.patches));
    d->patches.view->setToolTip(p.captions.join(QLatin1Char('\n')));
    d->patches.caption->setText(p.captions.isEmpty() ? tr("no hits")
                                                     : tr("best %1 of %2").arg(p.captions.first(), p.datasetName));
    d->patchBackprops.view->setImage(nineGrid(p.backprops));
    d->patchBackprops.caption->setText(tr("each patch's own strongest unit, in its receptive field"));
    QVector<double> counts, edges;
    for (int64_t c : p.stats.counts)
        counts << static_cast<double>(c);
    for (double e : p.stats.edges)
        edges << e;
    d->histogram->setHistogram(counts, edges);
    d->dead->setText(tr("never positive (dead) on <b>%1 %</b> of %2 images")
                         .arg(100.0 * p.stats.deadFraction, 0, 'f', 1)
                         .arg(p.stats.images));
    if (p.stats.classMeans.empty()) {
        d->classMeans->setBars({}, {});
        d->classMeans->setPlaceholderText(tr("the dataset has no labels"));
    } else {
        QVector<double> means(p.stats.classMeans.begin(), p.stats.classMeans.end());
        int best = -1;
        for (int i = 0; i < means.size(); ++i)
            if (std::isfinite(means[i]) && (best < 0 || means[i] > means[best]))
                best = i;
        d->classMeans->setBars(p.classes, means);
        d->classMeans->setHighlight(best);
    }
    QStringList labels;
    QVector<double> weights;
    for (const auto& s : p.top) {
        labels << p.outputs.value(static_cast<int>(s.index), QString::number(s.index));
        weights << s.weight;
    }
    for (auto it = p.bottom.rbegin(); it != p.bottom.rend(); ++it) {
        labels << p.outputs.value(static_cast<int>(it->index), QString::number(it->index));
        weights << it->weight;
    }
    d->support->setBars(labels, weights);
    d->support->setPlaceholderText(tr("not defined here"));
    d->supportText->setText(p.supportText);
}

void UnitPage::setDatasetMessage(const QString& text)
{
    for (auto* panel : {&d->patches, &d->patchBackprops}) {
        panel->view->setImage({});
        panel->view->setPlaceholderText(text);
        panel->caption->clear();
    }
    d->histogram->setHistogram({}, {});
    d->histogram->setPlaceholderText(text);
    d->dead->clear();
    d->classMeans->setBars({}, {});
    d->classMeans->setPlaceholderText({});
    d->support->setBars({}, {});
    d->support->setPlaceholderText({});
    d->supportText->clear();
}

void UnitPage::setAscent(const QImage& image, const QString& caption)
{
    d->ascent.view->setSmooth(true);
    d->ascent.view->setImage(image);
    d->ascent.caption->setText(caption);
}

void UnitPage::setAscentMessage(const QString& text)
{
    d->ascent.view->setImage({});
    d->ascent.view->setPlaceholderText(text);
    d->ascent.caption->clear();
}

QStringList UnitPage::filledPanels() const
{
    QStringList filled;
    const std::pair<const char*, const Private::Panel*> panels[] = {
        {"filter", &d->filter},   {"activation", &d->activation},          {"backprop", &d->backprop},
        {"patches", &d->patches}, {"patch-backprops", &d->patchBackprops}, {"ascent", &d->ascent}};
    for (const auto& [name, panel] : panels)
        if (!panel->view->image().isNull())
            filled << QString::fromLatin1(name);
    if (!d->histogram->values().isEmpty())
        filled << QStringLiteral("histogram");
    if (!d->classMeans->values().isEmpty())
        filled << QStringLiteral("class-means");
    if (!d->support->values().isEmpty())
        filled << QStringLiteral("support");
    return filled;
}

QString UnitPage::fieldText() const
{
    return d->fieldText;
}

QString UnitPage::patchesCaption() const
{
    return d->patches.caption->text();
}

QString UnitPage::deadText() const
{
    return d->dead->text();
}

BarChartView* UnitPage::classMeans() const
{
    return d->classMeans;
}

BarChartView* UnitPage::support() const
{
    return d->support;
}

ImageView* UnitPage::backprop() const
{
    return d->backprop.view;
}

} // namespace convscope
