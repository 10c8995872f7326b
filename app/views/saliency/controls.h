#pragma once

#include <QWidget>

#include <memory>

class QSettings;

namespace convscope {

class Model;
struct SaliencyRequest;

// The Saliency tab's parameters: method, class, score, each method's own
// parameters on a page of their own (the same as `convscope occlusion|saliency`
// take), colormap and opacity. Emits requestChanged() when the question
// changes and displayChanged() when only the picture of the answer does.
class SaliencyControls final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SaliencyControls)
public:
    explicit SaliencyControls(QWidget* parent = nullptr);
    ~SaliencyControls() override;

    // Fills the class picker with the model's labels and the layer picker
    // with its C x H x W layers (defaultCamLayer selected).
    void setModel(const Model& model);
    SaliencyRequest request() const;
    // Every parameter of request() as text: equal keys ask the same question.
    QString requestKey() const;

    QString method() const;
    void setMethod(const QString& name);
    void setTarget(int target); // -1: the predicted class
    int target() const;
    bool setCamLayer(const QString& name);
    void setOcclusionWindow(int window, int stride);
    QString colormap() const;
    void setColormap(const QString& name);
    double opacity() const; // 0..1
    void setOpacity(int percent);
    // Stop is enabled while a computation runs.
    void setRunning(bool running);

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void requestChanged();
    void displayChanged();
    void computeClicked();
    void stopClicked();

private:
    void methodChanged();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
