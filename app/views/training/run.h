#pragma once

// What the Training tab runs, apart from the widgets: core train() on the
// tab's own worker thread, with hooks that turn what it hears into plain Qt
// values (curves, tiles, the confusion matrix) for the GUI thread. The CLI's
// `convscope train` calls the same core function with the same options.
// Not seen by moc: included from .cpp files only.

#include "core/trainer.h"

#include <QImage>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <functional>

namespace convscope
{

struct JobContext;

struct TrainingRequest {
    TrainOptions options;  // options.out and options.snapshots lie in `folder`
    QString data;          // dataset spec: "fashion-mnist", "digits", a folder or idx file
    QString testData;      // an official test set; empty: the dataset's own, if it has one
    QString folder;        // the run's folder: best.pt, snapshots/, inspect_*.pt
    bool keepSnapshots = true; // every epoch's model in folder/snapshots, for the views to scrub
};

struct TrainingStarted {
    qint64 trainSize = 0, testSize = 0;
    QStringList classes;
    QVector<qint64> testItems;  // indices into testSpec's dataset
    QVector<int> testLabels;    // their classes
    QString testSpec;           // what to open to see a test image
    QString testDescription;    // "the official test set …" or "a held-out 20 % …"
    QString dataDescription;
    std::array<int64_t, 3> input{}; // the images' format, as trained
};

// A point every few batches, with what the model looks like now.
struct TrainingStep {
    TrainStep step;
    QVector<QImage> filters;      // the first layer's filters
    QVector<QImage> activations;  // its maps of the watched image
    QImage watched;               // the watched test image
    QString watchedCaption;
    QVector<QPair<QString, double>> top; // the watched image's top-5
};

struct TrainingEpoch {
    EpochReport report;
};

struct TrainingWatch {
    std::function<void(const TrainingStarted&)> started;
    std::function<void(const TrainingStep&)> step;     // on the training thread
    std::function<void(const TrainingEpoch&)> epoch;
    std::function<void(const QString& path)> inspect;  // the current weights, saved
    std::function<void(const QString& line)> note;     // what went wrong on the side (a failed save)
    const std::atomic<bool>* pause = nullptr;
    std::atomic<bool>* inspectRequested = nullptr;     // save before the next batch (at once while paused), then cleared
    const std::atomic<int>* watchIndex = nullptr;      // position in the test items
};

// Opens the data, trains, and returns the report. Throws Error as one line
// (bad data, a full disk); a stopped run returns with report.cancelled and
// its best checkpoint kept.
TrainReport runTraining(const TrainingRequest& request, const TrainingWatch& watch, JobContext& context);

// The input a built-in architecture takes for this dataset (1x28x28 for
// MNIST-like data, else the architecture's default), as `train` picks it.
std::array<int64_t, 3> trainingInput(const std::string& arch, const QString& data);

} // namespace convscope
