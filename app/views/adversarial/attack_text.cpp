#include "app/views/adversarial/attack_text.h"

#include "app/shell/number_text.h"
#include "core/error.h"

#include <QStringList>

#include <cmath>
#include <iomanip>
#include <sstream>

namespace convscope
{

std::vector<double> epsList(const QString& text)
{
    std::vector<double> values;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const double v = numberText(part.trimmed(), QStringLiteral("eps"));
        if (v < 0)
            throw Error("--eps must be 0 or more, not '" + part.toStdString() + "'");
        values.push_back(v);
    }
    if (values.empty())
        throw Error("--eps wants a number such as 0.03 or 8/255, or a list for a dataset");
    return values;
}

QString defaultEpsList(bool l2)
{
    return l2 ? QStringLiteral("0,0.25,0.5,1,2,4") : QStringLiteral("0,1/255,2/255,4/255,8/255,16/255");
}

std::string epsText(double eps, bool l2)
{
    std::ostringstream out;
    out << std::setprecision(4) << eps;
    const double levels = eps * 255;
    if (!l2 && eps > 0 && std::abs(levels - std::round(levels)) < 1e-6)
        out << " (" << std::lround(levels) << "/255)";
    return out.str();
}

QString robustnessCsvHeader()
{
    return QStringLiteral("method,norm,eps,accuracy,correct,samples\n");
}

QString robustnessCsvRows(const RobustnessResult& result)
{
    const QString method = QString::fromStdString(attackMethodName(result.method));
    const QString norm = attackIsL2(result.method) ? QStringLiteral("l2") : QStringLiteral("linf");
    QString rows;
    for (const RobustnessPoint& p : result.points)
        rows += QStringList { method, norm, QString::number(p.eps, 'g', 17), QString::number(p.accuracy, 'g', 17),
            QString::number(p.correct), QString::number(result.samples) }
                    .join(QLatin1Char(','))
            + QLatin1Char('\n');
    return rows;
}

namespace
{

QString csvField(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    return QLatin1Char('"') + QString(text).replace(QStringLiteral("\""), QStringLiteral("\"\"")) + QLatin1Char('"');
}

} // namespace

QString confusionCsvHeader()
{
    return QStringLiteral("method,norm,eps,true_class,true_label,attacked_class,attacked_label,count\n");
}

const RobustnessPoint* nearestPoint(const RobustnessResult& result, double eps)
{
    const RobustnessPoint* best = nullptr;
    for (const RobustnessPoint& p : result.points)
        if (!best || std::abs(p.eps - eps) < std::abs(best->eps - eps))
            best = &p;
    return best;
}

QString confusionCsvRows(const RobustnessResult& result, const std::function<QString(int64_t)>& className, double eps)
{
    const QString method = QString::fromStdString(attackMethodName(result.method));
    const QString norm = attackIsL2(result.method) ? QStringLiteral("l2") : QStringLiteral("linf");
    const RobustnessPoint* only = eps >= 0 ? nearestPoint(result, eps) : nullptr;
    QString rows;
    for (const RobustnessPoint& p : result.points) {
        if (only && &p != only)
            continue;
        for (int64_t t = 0; t < p.classes; ++t)
            for (int64_t a = 0; a < p.classes; ++a) {
                const int64_t count = p.confusion[static_cast<size_t>(t * p.classes + a)];
                if (count == 0)
                    continue;
                rows += QStringList { method, norm, QString::number(p.eps, 'g', 17), QString::number(t),
                    csvField(className(t)), QString::number(a), csvField(className(a)), QString::number(count) }
                            .join(QLatin1Char(','))
                    + QLatin1Char('\n');
            }
    }
    return rows;
}

} // namespace convscope
