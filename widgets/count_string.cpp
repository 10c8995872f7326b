#include "widgets/count_string.h"

#include <QStringList>

#include <cmath>

namespace convscope {

QString countString(qint64 count)
{
    if (count < 1000 && count > -1000)
        return QString::number(count);
    static const char units[] = { 'K', 'M', 'G', 'T' };
    double value = static_cast<double>(count);
    for (char unit : units) {
        value /= 1000;
        // 999950 is "1.0M", not "1000.0K".
        if (std::abs(value) < 999.95 || unit == 'T')
            return QString::number(value, 'f', 1) + QLatin1Char(unit);
    }
    return {};
}

QString shapeString(const std::vector<int64_t>& shape)
{
    QStringList parts;
    for (int64_t d : shape)
        parts << QString::number(d);
    return parts.join(QStringLiteral("×"));
}

} // namespace convscope
