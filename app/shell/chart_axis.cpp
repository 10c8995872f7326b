#include "app/shell/chart_axis.h"

#include <QValueAxis>

namespace convscope
{

QValueAxis* chartAxis(const QString& title, const QString& format)
{
    auto* a = new QValueAxis;
    a->setTitleText(title);
    a->setLabelFormat(format);
    QFont small = a->titleFont();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    a->setTitleFont(small);
    a->setLabelsFont(small);
    a->setTruncateLabels(false);
    return a;
}

} // namespace convscope
