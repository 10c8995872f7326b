#include "app/views/training/run_names.h"

#include <QObject>

#include <functional>

namespace convscope
{

namespace
{

QString number(double v)
{
    return QString::number(v, 'g', 3);
}

QString archName(const QString& arch)
{
    return arch == QLatin1String("lenet5") ? QStringLiteral("LeNet-5") : arch == QLatin1String("minivgg") ? QStringLiteral("MiniVGG") : arch;
}

// Each setting: how to say this run's value of it.
const QVector<std::function<QString(const RunSettings&)>>& phrases()
{
    static const QVector<std::function<QString(const RunSettings&)>> list = {
        [](const RunSettings& r) { return archName(r.arch); },
        [](const RunSettings& r) { return r.data; },
        [](const RunSettings& r) { return r.batchNorm ? QObject::tr("BN on") : QObject::tr("BN off"); },
        [](const RunSettings& r) { return r.dropout > 0 ? QObject::tr("dropout %1").arg(number(r.dropout)) : QObject::tr("no dropout"); },
        [](const RunSettings& r) {
            QStringList kinds;
            if (r.shift)
                kinds << QObject::tr("shift");
            if (r.rotation)
                kinds << QObject::tr("rotation");
            if (r.flip)
                kinds << QObject::tr("flip");
            if (r.brightness)
                kinds << QObject::tr("brightness");
            return kinds.isEmpty() ? QObject::tr("no augmentation") : QObject::tr("aug. %1").arg(kinds.join(QLatin1Char('+')));
        },
        [](const RunSettings& r) { return r.weightDecay > 0 ? QObject::tr("wd %1").arg(number(r.weightDecay)) : QObject::tr("no wd"); },
        [](const RunSettings& r) {
            return r.adversarialSteps > 0
                       ? QObject::tr("PGD-%1 ε %2").arg(r.adversarialSteps).arg(number(r.adversarialEpsilon))
                       : QObject::tr("standard");
        },
        [](const RunSettings& r) { return r.optimizer == QLatin1String("adam") ? QObject::tr("Adam") : QObject::tr("SGD"); },
        [](const RunSettings& r) { return QObject::tr("lr %1").arg(number(r.learningRate)); },
        [](const RunSettings& r) { return QObject::tr("%1 schedule").arg(r.schedule); },
        [](const RunSettings& r) { return QObject::tr("batch %1").arg(r.batch); },
        [](const RunSettings& r) { return QObject::tr("seed %1").arg(r.seed); },
    };
    return list;
}

} // namespace

QStringList runNames(const QVector<RunSettings>& runs)
{
    QStringList names;
    if (runs.size() == 1) {
        names << QStringLiteral("%1, %2").arg(archName(runs[0].arch), runs[0].data);
        return names;
    }
    QVector<QStringList> parts(runs.size());
    for (const auto& phrase : phrases()) {
        bool differs = false;
        for (const auto& run : runs)
            differs = differs || phrase(run) != phrase(runs[0]);
        if (differs)
            for (int i = 0; i < runs.size(); ++i)
                parts[i] << phrase(runs[i]);
    }
    for (int i = 0; i < runs.size(); ++i)
        names << (parts[i].isEmpty() ? QObject::tr("run %1").arg(i + 1) : parts[i].join(QStringLiteral(", ")));
    // Two runs with the same settings (a rerun) still need two names.
    for (int i = 0; i < names.size(); ++i)
        for (int j = 0; j < i; ++j)
            if (names[j] == names[i] && !parts[i].isEmpty())
                names[i] += QObject::tr(" (run %1)").arg(i + 1);
    return names;
}

} // namespace convscope
