#pragma once

#include <QPoint>
#include <QRect>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>

namespace convscope {

// A K×K confusion matrix after a test pass: rows are the true classes, columns
// the predicted ones. Cells are coloured by the fraction of their row, the
// diagonal in blues and the mistakes in oranges and reds, so that the errors
// stand out on a projector; each cell shows its count when there is room.
// Class names label the rows on the left and the columns on top (turned on
// their side when they do not fit across), elided rather than overlapping.
//
// A click on a cell, or Enter/Space on the cell chosen with the arrow keys,
// reports it and keeps it outlined; hovering a cell tells its numbers.
class ConfusionMatrixView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfusionMatrixView)
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);
    ~ConfusionMatrixView() override;

    // `counts` row-major, K×K: counts[truth * K + predicted]. K comes from
    // `classNames` when counts has K×K entries, otherwise from the counts
    // (missing names read "class i"). The selection stays when K does.
    void setMatrix(const QVector<qint64>& counts, const QStringList& classNames);
    // No matrix: a hint instead of cells.
    void clear();

    int classCount() const;
    QString className(int index) const;
    qint64 count(int truth, int predicted) const; // 0 outside the matrix
    qint64 rowTotal(int truth) const;

    // Where a cell is drawn, in widget coordinates; empty outside the matrix
    // or while there is none.
    QRect cellRect(int truth, int predicted) const;
    // The cell under a widget position as QPoint(predicted, truth), (-1, -1) if none.
    QPoint cellAt(const QPoint& pos) const;
    // "Ankle boot predicted as Sneaker: 37 images (3.7 % of Ankle boot)".
    QString cellToolTip(int truth, int predicted) const;
    // Whether counts are written in the cells at the current size.
    bool countsVisible() const;

    // QPoint(predicted, truth), (-1, -1) when none.
    QPoint selectedCell() const;
    void setSelectedCell(const QPoint& cell);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void cellClicked(int truth, int predicted);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void invalidateLayout();
    void setHovered(const QPoint& cell);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
