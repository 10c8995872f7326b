#include "app/views/training/run.h"

#include "app/shell/class_text.h"
#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "core/activation_maps.h"
#include "core/error.h"
#include "core/filters.h"
#include "io/datasets.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cmath>

namespace convscope
{

namespace
{

QVector<QImage> tiles(const torch::Tensor& stack) // [N, C, h, w] in [0, 1]
{
    QVector<QImage> out;
    for (int64_t i = 0; i < stack.size(0); ++i)
        out << toQImage(stack[i]);
    return out;
}

QVector<QImage> filterTiles(const torch::Tensor& weights)
{
    if (!weights.defined())
        return {};
    FilterSet set;
    set.weights = weights;
    set.colour = weights.size(1) == 3;
    // One tile per filter: RGB filters in colour, a gray first layer's one slice.
    return tiles(set.colour ? colourTiles(set, FilterRange::PerFilter) : sliceTiles(set, FilterRange::PerFilter));
}

} // namespace

std::array<int64_t, 3> trainingInput(const std::string& arch, const QString& data)
{
    try {
        auto dataset = io::openDataset(data.toStdString(), {});
        const torch::Tensor first = dataset->image(0);
        return inputFor(arch, {first.size(0), first.size(1), first.size(2)});
    } catch (const std::exception&) {
        return defaultInput(arch); // the real open says what is wrong
    }
}

TrainReport runTraining(const TrainingRequest& request, const TrainingWatch& watch, JobContext& context)
{
    TrainOptions o = request.options;
    if (!QDir().mkpath(request.folder))
        throw Error("cannot make the run folder " + request.folder.toStdString());
    o.out = QDir(request.folder).filePath(QStringLiteral("best.pt")).toStdString();
    o.snapshots = request.keepSnapshots ? QDir(request.folder).filePath(QStringLiteral("snapshots")).toStdString() : std::string();
    if (!o.input[0])
        o.input = trainingInput(o.arch, request.data);
    const ImageFormat format{o.input[0], o.input[1], o.input[2]};
    std::shared_ptr<Dataset> dataset = io::openDataset(request.data.toStdString(), format);
    const QString testSpec =
        request.testData.isEmpty() ? QString::fromStdString(io::officialTestSet(request.data.toStdString())) : request.testData;
    std::shared_ptr<Dataset> testSet;
    if (!testSpec.isEmpty())
        testSet = io::openDataset(testSpec.toStdString(), format);

    // The watched image: a test image, read again only when the pick changes.
    std::vector<int64_t> testItems;
    int watched = -1;
    torch::Tensor watchedPixels;
    QString watchedCaption;
    Dataset& testSource = testSet ? *testSet : *dataset;
    const QStringList classes = [&] {
        QStringList names;
        for (const auto& c : dataset->classes())
            names << QString::fromStdString(c);
        return names;
    }();

    TrainHooks hooks;
    hooks.stepEvery = 0; // about 40 points an epoch, whatever the data's size
    hooks.pause = watch.pause;
    hooks.onStart = [&](const TrainStart& start) {
        testItems = start.testItems;
        TrainingStarted s;
        s.trainSize = start.trainSize;
        s.testSize = start.testSize;
        s.classes = classes;
        s.testItems = QVector<qint64>(start.testItems.begin(), start.testItems.end());
        s.input = start.input;
        for (int64_t item : start.testItems)
            s.testLabels << static_cast<int>(testSource.label(item));
        s.testSpec = testSet ? testSpec : request.data;
        s.dataDescription = QString::fromStdString(dataset->description());
        s.testDescription = testSet ? QStringLiteral("the official test set %1").arg(QString::fromStdString(testSet->description()))
                                    : QStringLiteral("a held-out %1 % of each class").arg(std::lround(o.testFraction * 100));
        if (watch.started)
            watch.started(s);
    };
    hooks.onEpoch = [&](const EpochReport& e) {
        if (watch.epoch)
            watch.epoch(TrainingEpoch{e});
    };
    // "Inspect this model": the weights as they stand, saved for every view.
    // A failed save is a note, not the end of the run.
    int inspected = 0;
    hooks.between = [&](int epoch, int64_t batches, const TrainingModel& model) {
        if (!watch.inspectRequested || !watch.inspectRequested->exchange(false) || !watch.inspect)
            return;
        const QString path = QDir(request.folder)
                                 .filePath(QStringLiteral("inspect%1_epoch%2_batch%3.pt").arg(++inspected).arg(epoch).arg(batches));
        try {
            model.save(path.toStdString());
            watch.inspect(path);
        } catch (const Error& e) {
            if (watch.note)
                watch.note(QString::fromStdString(e.what()));
        }
    };
    hooks.onStep = [&](const TrainStep& step, const TrainingModel& model) {
        if (!watch.step)
            return;
        TrainingStep s;
        s.step = step;
        s.filters = filterTiles(model.firstLayerWeights());
        const int pick = watch.watchIndex ? std::clamp(watch.watchIndex->load(), 0, static_cast<int>(testItems.size()) - 1) : 0;
        if (pick != watched && !testItems.empty()) {
            try {
                const int64_t item = testItems[static_cast<size_t>(pick)];
                watchedPixels = testSource.image(item);
                const int64_t label = testSource.label(item);
                watchedCaption = QStringLiteral("test image %1 of %2: %3")
                                     .arg(pick + 1)
                                     .arg(testItems.size())
                                     .arg(label >= 0 && label < classes.size() ? classes[static_cast<int>(label)] : QStringLiteral("?"));
            } catch (const Error&) {
                watchedPixels = torch::Tensor();
                watchedCaption = QStringLiteral("test image %1 cannot be read").arg(pick + 1);
            }
            watched = pick;
        }
        if (watchedPixels.defined()) {
            auto [maps, probabilities] = model.look(watchedPixels);
            if (maps.defined())
                s.activations = tiles(activationTiles(maps, MapRange::PerChannel, Colormap::Viridis));
            s.watched = toQImage(watchedPixels);
            s.watchedCaption = watchedCaption;
            s.top = topClasses(probabilities, dataset->classes());
        }
        watch.step(s);
    };
    return train(*dataset, o, hooks, context.progress, context.cancel, testSet.get());
}

} // namespace convscope
