#pragma once

#include "app/shell/view_tab.h"

#include <memory>

namespace convscope
{

class ConfusionMatrixView;
class TileGridView;
class TrainingCharts;
class TrainingControls;
struct EpochReport;
struct TrainingEpoch;
struct TrainingStarted;
struct TrainingStep;

// Training you can watch: pick a network, data and the lecture's switches,
// Start, and see the loss and accuracy curves grow, the first layer's filters
// form, a test image's activations and top-5 change, and the confusion matrix
// after each test pass (a click lists a cell's test images). Every run adds
// its curves beside the earlier ones, named by what differs. The run is core
// train() — what `convscope train` runs — on the tab's own worker, so the
// other views stay free to inspect its model while it trains.
class TrainingTab final : public ViewTab
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingTab)
public:
    explicit TrainingTab(Workspace* workspace, QWidget* parent = nullptr);
    ~TrainingTab() override;

    QString key() const override { return QStringLiteral("training"); }
    QString title() const override { return tr("Training"); }
    // It trains its own architectures on datasets, whatever model is open.
    bool needsImage() const override { return false; }
    QImage exportImage() override; // the two charts
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    TrainingControls* controls() const;
    TrainingCharts* charts() const;
    ConfusionMatrixView* confusion() const;
    TileGridView* filters() const;
    TileGridView* activations() const;

    // Where runs keep their models (default: the app's data folder / runs).
    void setRunsFolder(const QString& folder);
    void start();
    void pause(bool paused);
    void stop();
    // While a run trains: the weights as they stand (saved before the next
    // batch, at once while paused); after a run: its best model.
    void inspect();
    bool isRunning() const;
    bool isPaused() const;
    int runCount() const;
    // Of run `run`: its folder, its finished epochs (loss, accuracies, seconds) and the last error.
    QString runFolder(int run) const;
    QVector<double> epochLosses(int run) const;
    QVector<double> testAccuracies(int run) const;
    QVector<double> epochSeconds(int run) const;
    QString infoText() const;
    QString lastError() const;
    // The test images in a cell of the last confusion matrix (positions in the test items).
    QVector<int> cellImages(int truth, int predicted) const;
    // The dataset item at a position in the newest run's test items (-1: none).
    qint64 testItem(int position) const;
    bool exportCsv(const QString& path);
    bool exportPng(const QString& path);

Q_SIGNALS:
    // Open this model in every view, and (when not empty) this dataset in the Input dock.
    void openModelRequested(const QString& path, const QString& data);
    // Make item `item` of dataset `data` every view's input.
    void openInputRequested(const QString& data, qint64 item);
    void runFinished();
    void epochFinished(int run, int epoch);

protected:
    void refresh() override;

private:
    void started(int generation, const TrainingStarted& s);
    void stepped(int generation, const TrainingStep& s);
    void epochEnded(int generation, const TrainingEpoch& e);
    void finished(int generation, bool cancelled, const QString& error);
    void showCell(int truth, int predicted);
    void chooseExport(bool csv);
    void setRunning(bool running);
    QVector<double> epochValues(int run, double EpochReport::*value) const;
    QString latestBest() const; // the newest run's best checkpoint that exists

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
