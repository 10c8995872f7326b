#pragma once

#include <QGroupBox>
#include <QStringList>

#include <memory>

class QSettings;

namespace convscope {

class Model;
struct SaliencyRequest;

// The sanity check's controls under the Saliency tab's form (Adebayo et al.
// 2018): how to randomize the model (off, cascading from the last layer,
// or one layer at a time), a slider over the steps, the seed of the new
// weights, and "All methods…" for the paper's whole figure. Gradient methods
// only: occlusion leaves them disabled.
class SanityControls final : public QGroupBox {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SanityControls)
public:
    explicit SanityControls(QWidget* parent = nullptr);
    ~SanityControls() override;

    // The steps of the model (randomizationSteps): the slider's range and labels.
    void setModel(const Model& model);
    // Fills request.randomize, mode, step and seed.
    void fill(SaliencyRequest& request) const;
    QString requestKey() const; // empty when off
    void setMethodSupported(bool supported);

    // "off", "cascading" or "independent".
    QString mode() const;
    void setMode(const QString& mode);
    int step() const;
    void setStep(int step);
    int steps() const;
    int seed() const;

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void requestChanged();
    void figureClicked();

private:
    // The map is to be made on a randomized copy (a method that supports it,
    // a mode, a step past the original).
    bool active() const;
    void updateLabel();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
