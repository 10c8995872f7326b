#pragma once

#include <QColor>
#include <QStringList>
#include <QVector>
#include <QWidget>

namespace convscope {

// A small bar chart drawn with QPainter, readable on a projector and cheap
// enough to redraw on every key press (a Qt Charts view per panel costs tens
// of milliseconds to build):
//   Rows     one labelled horizontal bar per value, signed about a zero line
//            (a channel's mean per class, its class support);
//   Columns  a histogram: unlabelled columns, the range's ends under them,
//            the columns at or below zero in another colour (dead images).
class BarChartView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BarChartView)
public:
    enum class Style { Rows, Columns };
    explicit BarChartView(Style style, QWidget* parent = nullptr);

    void setTitle(const QString& title);
    // Rows: one label per value. Columns: `edges` has one more entry than values.
    void setBars(const QStringList& labels, const QVector<double>& values);
    void setHistogram(const QVector<double>& counts, const QVector<double>& edges);
    void setPlaceholderText(const QString& text); // shown instead of bars when there are none
    void setHighlight(int index);                 // Rows: this bar drawn stronger (-1: none)
    void setDecimals(int decimals);

    QString title() const { return m_title; }
    const QVector<double>& values() const { return m_values; }
    const QStringList& labels() const { return m_labels; }
    QString placeholderText() const { return m_placeholder; }
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    void paintRows(class QPainter& painter, const QRect& area) const;
    void paintColumns(class QPainter& painter, const QRect& area) const;

    Style m_style;
    QString m_title, m_placeholder;
    QStringList m_labels;
    QVector<double> m_values, m_edges;
    int m_highlight = -1;
    int m_decimals = 2;
};

} // namespace convscope
