#include "app/shell/number_text.h"

#include "core/error.h"

#include <QStringList>

#include <cmath>

namespace convscope
{

double numberText(const QString& text, const QString& name)
{
    bool ok = false;
    double value = text.toDouble(&ok);
    const QStringList parts = text.split(QLatin1Char('/'));
    if (!ok && parts.size() == 2) {
        bool okTop = false, okBottom = false;
        const double top = parts[0].toDouble(&okTop), bottom = parts[1].toDouble(&okBottom);
        ok = okTop && okBottom && bottom != 0;
        value = ok ? top / bottom : 0;
    }
    if (!ok || !std::isfinite(value))
        throw Error(
            "--" + name.toStdString() + " wants a number such as 0.03 or 8/255, not '" + text.toStdString() + "'");
    return value;
}

} // namespace convscope
