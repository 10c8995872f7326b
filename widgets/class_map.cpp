#include "widgets/class_map.h"

#include <QLocale>

#include <algorithm>
#include <numeric>

namespace convscope {

namespace {

int cellOf(int at, int from, int to)
{
    return std::clamp(static_cast<int>((static_cast<double>(at) + 0.5) * to / from), 0, to - 1);
}

} // namespace

QImage classMapOverlay(const QImage& base, const ClassMap& map, double opacity)
{
    if (map.empty() || base.isNull())
        return base;
    QImage out = base.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < out.height(); ++y) {
        auto* row = reinterpret_cast<QRgb*>(out.scanLine(y));
        const int my = cellOf(y, out.height(), map.height);
        for (int x = 0; x < out.width(); ++x) {
            const int c = map.map[my * map.width + cellOf(x, out.width(), map.width)];
            const QColor colour = map.palette.value(c, Qt::magenta);
            const auto mix = [&](int a, int b) { return static_cast<int>(a * (1 - opacity) + b * opacity + 0.5); };
            row[x] = qRgb(mix(qRed(row[x]), colour.red()), mix(qGreen(row[x]), colour.green()),
                          mix(qBlue(row[x]), colour.blue()));
        }
    }
    return out;
}

QString classMapLegend(const ClassMap& map)
{
    QVector<int> counts(map.classes, 0);
    for (int c : map.map)
        if (c >= 0 && c < map.classes)
            ++counts[c];
    QVector<int> order(map.classes);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return counts[a] > counts[b]; });
    QString text;
    const double total = std::max<qsizetype>(1, map.map.size());
    for (int c : order) {
        if (counts[c] == 0)
            break;
        text += QStringLiteral("<span style='background-color:%1'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%2 %3&nbsp;%<br>")
                    .arg(map.palette.value(c, Qt::magenta).name(), map.labels.value(c, QString::number(c)).toHtmlEscaped(),
                         QLocale().toString(100.0 * counts[c] / total, 'f', 1));
    }
    return text;
}

QString classMapPixelText(const ClassMap& map, QPoint at, QSize imageSize)
{
    if (map.empty() || at.x() < 0 || at.y() < 0 || imageSize.isEmpty())
        return {};
    const int mx = cellOf(at.x(), imageSize.width(), map.width), my = cellOf(at.y(), imageSize.height(), map.height);
    QVector<int> classes(map.classes);
    std::iota(classes.begin(), classes.end(), 0);
    const auto p = [&](int c) { return map.probabilities[(static_cast<qsizetype>(c) * map.height + my) * map.width + mx]; };
    std::partial_sort(classes.begin(), classes.begin() + std::min(3, map.classes), classes.end(),
                      [&](int a, int b) { return p(a) > p(b); });
    QStringList top;
    for (int i = 0; i < std::min(3, map.classes); ++i)
        top << QStringLiteral("%1 (%2)").arg(map.labels.value(classes[i], QString::number(classes[i])),
                                             QLocale().toString(p(classes[i]), 'f', 2));
    return QStringLiteral("x %1, y %2: %3").arg(at.x()).arg(at.y()).arg(top.join(QStringLiteral(" · ")));
}

} // namespace convscope
