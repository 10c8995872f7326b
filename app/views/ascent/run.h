#pragma once

// What the Gradient Ascent tab computes, apart from the widgets: one request
// in, core ascend() on the model's worker with previews a few times a second,
// and images, values and the curve out, ready to draw. Not seen by moc:
// included from .cpp files only.

#include "app/views/ascent/chart.h"
#include "app/views/ascent/request.h"

#include <QImage>
#include <QString>
#include <QVector>

#include <functional>
#include <memory>

namespace convscope {

class Model;
struct JobContext;

// A finished (or stopped) run.
struct AscentShown {
    AscentRequest request; // without the start image
    QVector<QImage> images;
    QVector<double> start, end; // the objective of each image before and after
    QVector<AscentPoint> curve; // every step, then the end values
    int64_t steps = 0;
    // The step whose images `end` measures: `steps`, or steps - 1 after a
    // Stop, which does not wait for the images to be measured again (the
    // last step's values are those of the images it started from).
    int64_t endStep = 0;
    bool cancelled = false;
    double seconds = 0;
};

// The run so far: the current images and values, and the chart's points since the last frame.
struct AscentFrame {
    int64_t step = 0;
    QVector<QImage> images;
    QVector<double> values;
    QVector<AscentPoint> points;
};

// Calls `frame` on the worker thread every `frameMs` at most (and after the
// last step); a cancel keeps the images (`cancelled`).
std::shared_ptr<const AscentShown> runAscent(Model& model, const AscentRequest& request, const JobContext& job,
    const std::function<void(AscentFrame)>& frame, int frameMs = 200);

AscentPoint ascentPoint(double step, const std::vector<double>& values);
// The result in one line: objective, direction, preset, steps, time, values;
// with `everyImage`, a second line of each image's start and end (a layer's, up to 32).
QString ascentCaption(const AscentShown& shown, bool everyImage);
QString ascentValue(double value);

} // namespace convscope
