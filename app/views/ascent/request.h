#pragma once

// What the Gradient Ascent tab asks core ascend() for: the objective, the
// units (one, or every channel / unit / class of the target), the options and
// words for captions. Not seen by moc: included from .cpp files only.

#include "core/ascent.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace convscope {

struct AscentRequest {
    AscentObjective objective;
    AscentOptions options;
    std::vector<int64_t> units;
    bool wholeLayer = false;
    bool fromInput = false; // options.start is to be the current input
    QString target; // "conv2" or "class scores"
    QString what; // "channel 5 mean of conv2", "class 3 logit", "16 channel means of conv2"
    QStringList unitCaptions; // one per unit: "5", "3: three"
};

} // namespace convscope
