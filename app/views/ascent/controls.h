#pragma once

#include <QWidget>

#include <memory>

class QSettings;

namespace convscope {

class AscentKnobs;
class Model;
struct AscentRequest;

// The Gradient Ascent tab's parameters, the same as `convscope ascent` takes:
// the target (the selected layer or the class scores) with its channel, unit
// or class, channel mean or one unit at (y, x), maximize or minimize, the
// start image, and a preset that fills every knob, each knob editable (the
// rows shown are the ones the preset's optimizer reads). Nothing runs on a
// change: Run and Whole layer ask for it. The preset and its knobs are
// knobs()'s rows of the same form.
class AscentControls final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AscentControls)
public:
    explicit AscentControls(QWidget* parent = nullptr);
    ~AscentControls() override;

    // The class picker from the model's labels, the layer from `layer` (-1: none).
    void setModel(const Model& model, int layer);
    void setLayer(const Model& model, int layer);
    // The question for one image, or for every unit of the target; throws
    // Error when there is none to ask (no layer selected).
    AscentRequest request(bool wholeLayer) const;

    bool targetsLayer() const; // false: the class scores
    void setTargetsLayer(bool layer);
    void setUnit(int unit); // channel, unit or class
    void setUnitPosition(int y, int x); // one unit of a channel map; (-1, -1): its centre
    void setChannelMean();
    void setMinimize(bool minimize);
    void setStartFromInput(bool start);
    AscentKnobs* knobs() const;
    // Run, Whole layer and Stop follow whether an optimization runs.
    void setRunning(bool running);

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void runClicked();
    void wholeLayerClicked();
    void stopClicked();

private:
    void updateRows();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
