#pragma once

// Runs side by side are named by what differs between them ("BN on",
// "dropout 0.5"), so that "with and without batch norm" reads as one picture.

#include <QString>
#include <QStringList>
#include <QVector>

namespace convscope
{

// A run's settings as the lecture names them, for comparing runs.
struct RunSettings {
    QString arch;       // "lenet5", "minivgg"
    QString data;       // dataset spec
    QString optimizer;  // "sgd", "adam"
    double learningRate = 0;
    QString schedule;
    int batch = 0;
    bool batchNorm = false;
    double dropout = 0;
    bool shift = false, rotation = false, flip = false, brightness = false;
    double weightDecay = 0;
    double adversarialEpsilon = 0; // 0: standard training
    int adversarialSteps = 0;
    quint64 seed = 0;
};

// One name per run: the settings on which the runs disagree, each as this
// run has it ("BN on, dropout 0.5"); "run N" where they all agree. A lone run
// is named by its architecture and data.
QStringList runNames(const QVector<RunSettings>& runs);

} // namespace convscope
