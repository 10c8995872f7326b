#include "widgets/confusion_matrix_view.h"

#include "widgets/count_string.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QtGlobal>

#include <algorithm>
#include <cmath>

namespace convscope {

namespace {
constexpr int kMargin = 4;
constexpr int kTitleGap = 2; // between an axis title and the labels
constexpr int kLabelGap = 4; // between the labels and the grid
constexpr double kLabelShare = 0.34; // of the room, at most, for either set of labels
constexpr int kMinLabelPixels = 7; // smaller labels are hidden (the tooltip still names the cell)
constexpr int kMinCountCell = 14; // smaller cells show colours only
constexpr int kMinCountPixels = 7;
// Off-diagonal fractions reach full red here; mistakes are small fractions
// of a row, so their scale is a square root to let 1-10 % show.
constexpr double kErrorSaturation = 0.5;

const QColor kDiagonal(0x1c, 0x5a, 0xa6);
const QColor kErrorMid(0xf5, 0x8a, 0x45);
const QColor kErrorHigh(0xbd, 0x21, 0x1a);

QColor mix(const QColor& a, const QColor& b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t),
        static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
        static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
}

double luminance(const QColor& c)
{
    const auto linear = [](double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF());
}

// Black or white, whichever contrasts more with `background` (WCAG's crossover).
QColor textOn(const QColor& background)
{
    return luminance(background) > 0.179 ? QColor(0x10, 0x10, 0x10) : QColor(Qt::white);
}

QString countText(qint64 count)
{
    return count < 100000 ? QString::number(count) : countString(count);
}

int pixelSize(const QFont& font)
{
    return QFontInfo(font).pixelSize();
}

int widest(const QFontMetrics& metrics, const QStringList& texts)
{
    int w = 0;
    for (const QString& text : texts)
        w = std::max(w, metrics.horizontalAdvance(text));
    return w;
}
} // namespace

struct ConfusionMatrixView::Private {
    int k = 0;
    QVector<qint64> counts;
    QVector<qint64> rowTotals;
    QStringList names;
    qint64 maxCount = 0;
    QPoint selected { -1, -1 };
    QPoint hovered { -1, -1 };
    QPoint pressed { -1, -1 };

    // Where everything goes at the current size and font; worked out when
    // first needed after a change.
    struct Layout {
        bool valid = false;
        QSize size; // of the widget it was worked out for: a hidden widget gets no resize event
        QRect grid;
        int cell = 0;
        QFont titleFont;
        QRect predictedTitle; // above the column labels
        QRect trueTitle; // left of the row labels, drawn turned
        QFont labelFont;
        bool labelsVisible = false;
        bool columnsTurned = false;
        int rowLabelWidth = 0;
        int columnLabelHeight = 0;
        QStringList rowTexts; // elided
        QStringList columnTexts;
        QFont countFont;
        bool countsVisible = false;
    } layout;

    void computeLayout(const QWidget* widget);
    const Layout& layoutFor(const QWidget* widget)
    {
        if (!layout.valid || layout.size != widget->size())
            computeLayout(widget);
        return layout;
    }
    QColor cellColour(int truth, int predicted, const QColor& base) const;
};

void ConfusionMatrixView::Private::computeLayout(const QWidget* widget)
{
    Layout l;
    l.valid = true;
    l.size = widget->size();
    if (k == 0) {
        layout = l;
        return;
    }

    l.titleFont = widget->font();
    const QFontMetrics titleMetrics(l.titleFont);
    const int titleHeight = titleMetrics.height();
    const int roomW = widget->width() - 2 * kMargin - titleHeight - kTitleGap - kLabelGap;
    const int roomH = widget->height() - 2 * kMargin - titleHeight - kTitleGap - kLabelGap;

    // Labels take what they need up to a share of the room; the font shrinks
    // until a label is no taller than its row, and labels go once they would be
    // too small to read.
    l.labelFont = widget->font();
    int rowW = 0, columnH = 0, cell = 0;
    bool turned = false;
    l.labelsVisible = true;
    for (int attempt = 0; attempt < 4; ++attempt) {
        const QFontMetrics metrics(l.labelFont);
        const int nameW = widest(metrics, names);
        // A pixel to spare: elidedText() cuts a name given exactly its own width.
        rowW = std::min(nameW + 2, static_cast<int>(roomW * kLabelShare));
        // Across the top when every name fits its column, else turned on its side.
        columnH = metrics.height();
        cell = std::min((roomW - rowW) / k, (roomH - columnH) / k);
        turned = nameW > cell - 4;
        if (turned) {
            columnH = std::min(nameW + 2, static_cast<int>(roomH * kLabelShare));
            cell = std::min((roomW - rowW) / k, (roomH - columnH) / k);
        }
        if (metrics.height() <= cell)
            break;
        const int pixels = std::max(cell, 1) * pixelSize(l.labelFont) / metrics.height();
        if (pixels < kMinLabelPixels) {
            l.labelsVisible = false;
            break;
        }
        l.labelFont.setPixelSize(pixels);
    }
    if (!l.labelsVisible) {
        rowW = columnH = 0;
        cell = std::min(roomW / k, roomH / k);
    }
    cell = std::max(cell, 1);
    l.cell = cell;
    l.columnsTurned = turned;
    l.rowLabelWidth = rowW;
    l.columnLabelHeight = columnH;

    // The block of titles, labels and grid, centred in the widget.
    const int side = cell * k;
    const int left = titleHeight + kTitleGap + (l.labelsVisible ? rowW + kLabelGap : 0);
    const int top = titleHeight + kTitleGap + (l.labelsVisible ? columnH + kLabelGap : 0);
    const int x0 = std::max(kMargin, (widget->width() - left - side) / 2);
    const int y0 = std::max(kMargin, (widget->height() - top - side) / 2);
    l.grid = QRect(x0 + left, y0 + top, side, side);
    l.predictedTitle = QRect(l.grid.left(), y0, side, titleHeight);
    l.trueTitle = QRect(x0, l.grid.top(), titleHeight, side);

    if (l.labelsVisible) {
        const QFontMetrics metrics(l.labelFont);
        const int columnRoom = turned ? columnH : cell - 2;
        for (const QString& name : names) {
            l.rowTexts << metrics.elidedText(name, Qt::ElideRight, rowW);
            l.columnTexts << metrics.elidedText(name, Qt::ElideRight, columnRoom);
        }
    }

    // One size for every count, the widest one fitting its cell.
    l.countFont = widget->font();
    const int basePixels = pixelSize(l.countFont);
    QFont probe = l.countFont;
    probe.setPixelSize(100);
    // UI fonts set digits in a fixed width, so the largest count is the widest.
    const int widestAt100 = std::max(1, QFontMetrics(probe).horizontalAdvance(countText(maxCount)));
    const int fitting = (cell - 4) * 100 / widestAt100;
    const int pixels = std::min({ static_cast<int>(cell * 0.5), fitting, basePixels * 2 });
    l.countsVisible = cell >= kMinCountCell && pixels >= kMinCountPixels;
    if (l.countsVisible)
        l.countFont.setPixelSize(pixels);
    layout = l;
}

QColor ConfusionMatrixView::Private::cellColour(int truth, int predicted, const QColor& base) const
{
    const qint64 total = rowTotals[truth];
    const double fraction = total > 0 ? static_cast<double>(counts[truth * k + predicted]) / total : 0.0;
    if (truth == predicted)
        return mix(base, kDiagonal, fraction);
    const double t = std::sqrt(std::min(1.0, fraction / kErrorSaturation));
    return t < 0.5 ? mix(base, kErrorMid, t * 2) : mix(kErrorMid, kErrorHigh, t * 2 - 1);
}

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

ConfusionMatrixView::~ConfusionMatrixView() = default;

void ConfusionMatrixView::setMatrix(const QVector<qint64>& counts, const QStringList& classNames)
{
    const int n = static_cast<int>(counts.size());
    int k = static_cast<int>(classNames.size());
    if (k * k != n) {
        k = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
        if (k * k != n) {
            qWarning("ConfusionMatrixView: %d counts make no square matrix", n);
            k = 0;
        }
    }
    if (k == 0) {
        clear();
        return;
    }
    if (k != d->k)
        d->selected = d->hovered = d->pressed = { -1, -1 };
    d->k = k;
    d->counts.resize(n);
    d->rowTotals.fill(0, k);
    d->maxCount = 0;
    for (int i = 0; i < n; ++i) {
        d->counts[i] = std::max<qint64>(0, counts[i]);
        d->rowTotals[i / k] += d->counts[i];
        d->maxCount = std::max(d->maxCount, d->counts[i]);
    }
    d->names = classNames.mid(0, k);
    for (int i = static_cast<int>(d->names.size()); i < k; ++i)
        d->names << tr("class %1").arg(i);
    invalidateLayout();
}

void ConfusionMatrixView::clear()
{
    d->k = 0;
    d->counts.clear();
    d->rowTotals.clear();
    d->names.clear();
    d->maxCount = 0;
    d->selected = d->hovered = d->pressed = { -1, -1 };
    invalidateLayout();
}

int ConfusionMatrixView::classCount() const
{
    return d->k;
}

QString ConfusionMatrixView::className(int index) const
{
    return index >= 0 && index < d->k ? d->names[index] : QString();
}

qint64 ConfusionMatrixView::count(int truth, int predicted) const
{
    if (truth < 0 || truth >= d->k || predicted < 0 || predicted >= d->k)
        return 0;
    return d->counts[truth * d->k + predicted];
}

qint64 ConfusionMatrixView::rowTotal(int truth) const
{
    return truth >= 0 && truth < d->k ? d->rowTotals[truth] : 0;
}

QRect ConfusionMatrixView::cellRect(int truth, int predicted) const
{
    if (truth < 0 || truth >= d->k || predicted < 0 || predicted >= d->k)
        return {};
    const auto& l = d->layoutFor(this);
    return { l.grid.left() + predicted * l.cell, l.grid.top() + truth * l.cell, l.cell, l.cell };
}

QPoint ConfusionMatrixView::cellAt(const QPoint& pos) const
{
    if (d->k == 0)
        return { -1, -1 };
    const auto& l = d->layoutFor(this);
    if (!l.grid.contains(pos))
        return { -1, -1 };
    return { (pos.x() - l.grid.left()) / l.cell, (pos.y() - l.grid.top()) / l.cell };
}

QString ConfusionMatrixView::cellToolTip(int truth, int predicted) const
{
    if (truth < 0 || truth >= d->k || predicted < 0 || predicted >= d->k)
        return {};
    const qint64 n = count(truth, predicted);
    const qint64 total = d->rowTotals[truth];
    const QString& name = d->names[truth];
    const QString images = n == 1 ? tr("1 image") : tr("%1 images").arg(n);
    const QString share = total > 0
        ? tr("%1 % of %2").arg(QString::number(100.0 * static_cast<double>(n) / total, 'f', 1), name)
        : tr("no %1 in the test set").arg(name);
    if (truth == predicted)
        return tr("%1 predicted correctly: %2 (%3)").arg(name, images, share);
    return tr("%1 predicted as %2: %3 (%4)").arg(name, d->names[predicted], images, share);
}

bool ConfusionMatrixView::countsVisible() const
{
    if (d->k == 0)
        return false;
    return d->layoutFor(this).countsVisible;
}

QPoint ConfusionMatrixView::selectedCell() const
{
    return d->selected;
}

void ConfusionMatrixView::setSelectedCell(const QPoint& cell)
{
    const bool inside = cell.x() >= 0 && cell.x() < d->k && cell.y() >= 0 && cell.y() < d->k;
    const QPoint selected = inside ? cell : QPoint(-1, -1);
    if (selected == d->selected)
        return;
    d->selected = selected;
    update();
}

QSize ConfusionMatrixView::sizeHint() const
{
    return { 380, 380 };
}

QSize ConfusionMatrixView::minimumSizeHint() const
{
    return { 240, 240 };
}

void ConfusionMatrixView::invalidateLayout()
{
    d->layout.valid = false;
    update();
}

void ConfusionMatrixView::setHovered(const QPoint& cell)
{
    if (cell == d->hovered)
        return;
    d->hovered = cell;
    update();
}

bool ConfusionMatrixView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint cell = cellAt(help->pos());
        if (cell.x() < 0) {
            QToolTip::hideText();
            event->ignore();
        } else {
            QToolTip::showText(help->globalPos(), cellToolTip(cell.y(), cell.x()), this, cellRect(cell.y(), cell.x()));
        }
        return true;
    }
    return QWidget::event(event);
}

void ConfusionMatrixView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    const QPalette& pal = palette();
    if (d->k == 0) {
        painter.setPen(pal.color(QPalette::Disabled, QPalette::Text));
        painter.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, tr("No test pass yet"));
        return;
    }
    const auto& l = d->layoutFor(this);
    const int k = d->k;
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::WindowText);
    const QColor gridLine = mix(base, pal.color(QPalette::Text), 0.22);

    // Axis titles, in the labels' colour but lighter, so that names come first.
    painter.setFont(l.titleFont);
    painter.setPen(mix(pal.color(QPalette::Window), text, 0.7));
    const QFontMetrics titleMetrics(l.titleFont);
    painter.drawText(l.predictedTitle, Qt::AlignCenter,
        titleMetrics.elidedText(tr("predicted"), Qt::ElideRight, l.predictedTitle.width()));
    painter.save();
    painter.translate(l.trueTitle.left(), l.trueTitle.bottom() + 1);
    painter.rotate(-90);
    painter.drawText(QRect(0, 0, l.trueTitle.height(), l.trueTitle.width()), Qt::AlignCenter,
        titleMetrics.elidedText(tr("true class"), Qt::ElideRight, l.trueTitle.height()));
    painter.restore();

    // The row and column of the chosen cell (and, fainter, the hovered one)
    // light up behind their labels.
    const auto band = [&](const QPoint& cell, int alpha) {
        if (cell.x() < 0 || !l.labelsVisible)
            return;
        QColor c = pal.color(QPalette::Highlight);
        c.setAlpha(alpha);
        painter.fillRect(QRect(l.grid.left() - kLabelGap - l.rowLabelWidth, l.grid.top() + cell.y() * l.cell,
                             l.rowLabelWidth + kLabelGap, l.cell),
            c);
        painter.fillRect(QRect(l.grid.left() + cell.x() * l.cell, l.grid.top() - kLabelGap - l.columnLabelHeight,
                             l.cell, l.columnLabelHeight + kLabelGap),
            c);
    };
    band(d->hovered, 40);
    band(d->selected, 90);

    if (l.labelsVisible) {
        painter.setFont(l.labelFont);
        painter.setPen(text);
        for (int i = 0; i < k; ++i) {
            const QRect row(
                l.grid.left() - kLabelGap - l.rowLabelWidth, l.grid.top() + i * l.cell, l.rowLabelWidth, l.cell);
            painter.drawText(row, Qt::AlignRight | Qt::AlignVCenter, l.rowTexts[i]);
            if (l.columnsTurned) {
                // Read upwards, starting next to the grid.
                painter.save();
                painter.translate(l.grid.left() + i * l.cell, l.grid.top() - kLabelGap);
                painter.rotate(-90);
                painter.drawText(
                    QRect(0, 0, l.columnLabelHeight, l.cell), Qt::AlignLeft | Qt::AlignVCenter, l.columnTexts[i]);
                painter.restore();
            } else {
                const QRect column(l.grid.left() + i * l.cell, l.grid.top() - kLabelGap - l.columnLabelHeight, l.cell,
                    l.columnLabelHeight);
                painter.drawText(column, Qt::AlignHCenter | Qt::AlignBottom, l.columnTexts[i]);
            }
        }
    }

    painter.setFont(l.countFont);
    for (int truth = 0; truth < k; ++truth) {
        for (int predicted = 0; predicted < k; ++predicted) {
            const QRect r = cellRect(truth, predicted);
            const QColor fill = d->cellColour(truth, predicted, base);
            painter.fillRect(r, fill);
            if (!l.countsVisible)
                continue;
            const qint64 n = d->counts[truth * k + predicted];
            QColor ink = textOn(fill);
            if (n == 0) // zeros recede
                ink = mix(fill, ink, 0.35);
            painter.setPen(ink);
            painter.drawText(r, Qt::AlignCenter, countText(n));
        }
    }

    painter.setPen(gridLine);
    for (int i = 1; i < k && l.cell >= 6; ++i) {
        painter.drawLine(l.grid.left() + i * l.cell, l.grid.top(), l.grid.left() + i * l.cell, l.grid.bottom());
        painter.drawLine(l.grid.left(), l.grid.top() + i * l.cell, l.grid.right(), l.grid.top() + i * l.cell);
    }
    painter.setPen(hasFocus() ? pal.color(QPalette::Highlight) : gridLine);
    painter.drawRect(l.grid.adjusted(-1, -1, 0, 0));

    if (d->hovered.x() >= 0 && d->hovered != d->selected) {
        painter.setPen(text);
        painter.drawRect(cellRect(d->hovered.y(), d->hovered.x()).adjusted(0, 0, -1, -1));
    }
    if (d->selected.x() >= 0) {
        // Dark and light rings: visible on white, blue and red cells alike.
        const QRect r = cellRect(d->selected.y(), d->selected.x());
        painter.setRenderHint(QPainter::Antialiasing, false);
        painter.setPen(QPen(text, 3, Qt::SolidLine, Qt::SquareCap, Qt::MiterJoin));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5));
        painter.setPen(QPen(pal.color(QPalette::Window), 1));
        painter.drawRect(r.adjusted(2, 2, -3, -3));
    }
}

void ConfusionMatrixView::resizeEvent(QResizeEvent* event)
{
    invalidateLayout();
    QWidget::resizeEvent(event);
}

void ConfusionMatrixView::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        invalidateLayout();
    QWidget::changeEvent(event);
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    d->pressed = cellAt(event->position().toPoint());
}

void ConfusionMatrixView::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint cell = cellAt(event->position().toPoint());
    if (cell != d->hovered && cell.x() >= 0 && QToolTip::isVisible())
        QToolTip::showText(
            event->globalPosition().toPoint(), cellToolTip(cell.y(), cell.x()), this, cellRect(cell.y(), cell.x()));
    setHovered(cell);
}

void ConfusionMatrixView::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mouseReleaseEvent(event);
    const QPoint cell = cellAt(event->position().toPoint());
    const QPoint pressed = d->pressed;
    d->pressed = { -1, -1 };
    // A press that slid off its cell is no click, as on a button.
    if (cell.x() < 0 || cell != pressed)
        return;
    setSelectedCell(cell);
    Q_EMIT cellClicked(cell.y(), cell.x());
}

void ConfusionMatrixView::leaveEvent(QEvent* event)
{
    setHovered({ -1, -1 });
    QWidget::leaveEvent(event);
}

void ConfusionMatrixView::keyPressEvent(QKeyEvent* event)
{
    if (d->k == 0)
        return QWidget::keyPressEvent(event);
    const QPoint selected = d->selected;
    const bool none = selected.x() < 0;
    // The first arrow chooses the top left cell; later ones stop at the edges.
    const auto step = [&](int dx, int dy) { return none ? QPoint(0, 0) : selected + QPoint(dx, dy); };
    QPoint cell;
    switch (event->key()) {
    case Qt::Key_Left:
        cell = step(-1, 0);
        break;
    case Qt::Key_Right:
        cell = step(1, 0);
        break;
    case Qt::Key_Up:
        cell = step(0, -1);
        break;
    case Qt::Key_Down:
        cell = step(0, 1);
        break;
    case Qt::Key_Home:
        cell = QPoint(0, none ? 0 : selected.y());
        break;
    case Qt::Key_End:
        cell = QPoint(d->k - 1, none ? 0 : selected.y());
        break;
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space:
        if (!none)
            Q_EMIT cellClicked(selected.y(), selected.x());
        return event->accept();
    default:
        return QWidget::keyPressEvent(event);
    }
    setSelectedCell(QPoint(std::clamp(cell.x(), 0, d->k - 1), std::clamp(cell.y(), 0, d->k - 1)));
    event->accept();
}

} // namespace convscope
