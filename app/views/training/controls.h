#pragma once

#include <QWidget>

#include <memory>

class QSettings;

namespace convscope
{

struct TrainingRequest;
struct RunSettings;

// The Training tab's form, with `convscope train`'s defaults: architecture,
// dataset, epochs, batch, optimizer, learning rate and schedule, then the
// lecture's switches each on its own (dropout, batch norm, the four kinds of
// augmentation, weight decay, PGD adversarial training); Start, Pause, Stop,
// and "Inspect this model".
class TrainingControls final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingControls)
public:
    explicit TrainingControls(QWidget* parent = nullptr);
    ~TrainingControls() override;

    // The request without its folder (the tab picks one per run).
    TrainingRequest request() const;
    RunSettings settings() const;

    void setArchitecture(const QString& arch);  // "lenet5" or "minivgg": its own switches follow
    void setData(const QString& spec);          // "fashion-mnist", "digits", a folder or idx file
    void setEpochs(int epochs);
    void setBatchNorm(bool on);
    void setDropout(double p);                  // 0: off
    void setAugmentation(bool shift, bool rotation, bool flip, bool brightness);
    void setAdversarial(double epsilon, int steps); // epsilon 0: off
    void setSeed(int seed);
    int watchIndex() const;                     // the test image watched, 0-based

    // Running: Start is off, Pause and Stop on; paused: Pause reads Resume.
    void setRunning(bool running);
    void setPaused(bool paused);
    void setCanInspect(bool can);

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void startClicked();
    void pauseClicked();
    void stopClicked();
    void inspectClicked();
    void watchChanged(int index);
    void exportChartsClicked();
    void exportCsvClicked();
    void clearClicked();

private:
    void chooseData();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
