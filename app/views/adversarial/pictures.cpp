#include "app/views/adversarial/pictures.h"

#include "widgets/image_view.h"
#include "widgets/top_k_chart.h"

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace convscope
{

namespace
{

QLabel* centred(bool bold)
{
    auto* label = new QLabel;
    label->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (bold) {
        QFont font = label->font();
        font.setBold(true);
        label->setFont(font);
    }
    return label;
}

} // namespace

struct AdversarialPictures::Private {
    QLabel* titles[kCount] = {};
    ImageView* views[kCount] = {};
    QLabel* captions[kCount] = {};
    QLabel* beforeTitle = nullptr;
    QLabel* afterTitle = nullptr;
    TopKChart* before = nullptr;
    TopKChart* after = nullptr;
    QVector<Picture> pictures;
};

AdversarialPictures::AdversarialPictures(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    const char* names[kCount]
        = { "adversarialOriginal", "adversarialImage", "adversarialDifference", "adversarialDifference10" };
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(2);
    for (int i = 0; i < kCount; ++i) {
        d->titles[i] = centred(true);
        d->views[i] = new ImageView;
        d->views[i]->setObjectName(QString::fromLatin1(names[i]));
        // Four pictures of at least this size in a row: the figure is a row.
        d->views[i]->setMinimumSize(110, 64);
        d->captions[i] = centred(false);
        grid->addWidget(d->titles[i], 0, i);
        grid->addWidget(d->views[i], 1, i);
        grid->addWidget(d->captions[i], 2, i);
        grid->setColumnStretch(i, 1);
    }
    d->views[0]->setPlaceholderText(tr("Run, or drag the live ε slider"));
    d->beforeTitle = centred(true);
    d->beforeTitle->setText(tr("Top 5, original"));
    d->afterTitle = centred(true);
    d->afterTitle->setText(tr("Top 5, adversarial"));
    d->before = new TopKChart;
    d->before->setObjectName(QStringLiteral("adversarialTopBefore"));
    d->after = new TopKChart;
    d->after->setObjectName(QStringLiteral("adversarialTopAfter"));
    for (TopKChart* chart : { d->before, d->after }) {
        chart->setMinimumHeight(110);
        chart->setMaximumHeight(170); // five bars read well at this height; more is empty space
    }
    grid->addWidget(d->beforeTitle, 3, 0, 1, 2);
    grid->addWidget(d->afterTitle, 3, 2, 1, 2);
    grid->addWidget(d->before, 4, 0, 1, 2);
    grid->addWidget(d->after, 4, 2, 1, 2);
    grid->setRowStretch(1, 3);
    grid->setRowStretch(4, 2);
    clear();
}

AdversarialPictures::~AdversarialPictures() = default;

void AdversarialPictures::setPictures(const QVector<Picture>& pictures)
{
    d->pictures = pictures;
    for (int i = 0; i < kCount; ++i) {
        const Picture picture = pictures.value(i);
        d->titles[i]->setText(picture.title);
        // Photos upscale smoothly; small inputs (digits) keep their square pixels.
        d->views[i]->setSmooth(std::min(picture.image.width(), picture.image.height()) >= 96);
        d->views[i]->setImage(picture.image);
        d->captions[i]->setText(picture.caption);
    }
    fit();
}

void AdversarialPictures::setTopK(const TopK& before, const TopK& after)
{
    d->before->setPredictions(before);
    d->after->setPredictions(after);
}

void AdversarialPictures::clear()
{
    const QStringList titles { tr("Original"), tr("Adversarial"), tr("Difference"), tr("Difference ×10") };
    QVector<Picture> empty;
    for (const QString& title : titles)
        empty.append({ title, {}, {} });
    setPictures(empty);
    d->pictures.clear();
    d->before->clear();
    d->after->clear();
}

ImageView* AdversarialPictures::view(int index) const
{
    return d->views[index];
}

QString AdversarialPictures::caption(int index) const
{
    return d->captions[index]->text();
}

QVector<AdversarialPictures::Picture> AdversarialPictures::pictures() const
{
    return d->pictures;
}

TopKChart* AdversarialPictures::before() const
{
    return d->before;
}

TopKChart* AdversarialPictures::after() const
{
    return d->after;
}

void AdversarialPictures::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    fit();
}

void AdversarialPictures::fit()
{
    // Square pictures no taller than they are wide, so that the captions sit
    // right under them rather than below an empty band.
    const int side = std::max(64, (width() - 3 * 8) / kCount);
    for (ImageView* view : d->views)
        view->setMaximumHeight(side);
}

} // namespace convscope
