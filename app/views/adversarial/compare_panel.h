#pragma once

#include <QString>
#include <QWidget>

#include <memory>

namespace convscope
{

class ImageView;
class Model;
class Workspace;
struct AdversarialRun;

// "Compare with…": a second model (an adversarially trained one, say) that
// every attack also runs on, with both models' results side by side: the
// adversarial image and its prediction, and the clean image's gradient
// saliency (a robust model's gradient looks like the object: Tsipras et al.
// 2019). Its amplification curve joins the chart, and robustness curves run
// on both. The model loads on the worker, on the current model's device.
class ComparePanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComparePanel)
public:
    explicit ComparePanel(Workspace* workspace, QWidget* parent = nullptr);
    ~ComparePanel() override;

    void chooseModel(); // a file dialog, then loadModel()
    void loadModel(const QString& path);
    void clearModel();
    bool isLoading() const;
    std::shared_ptr<Model> model() const; // null: no comparison
    QString name() const; // the compared model's file name

    // The run's comparison, if it has one; else a hint.
    void setRun(const std::shared_ptr<const AdversarialRun>& run);
    void showError(const QString& message);
    QString infoText() const;
    // Column 0 this model, 1 the compared one; row 0 the adversarial image, 1 the saliency.
    ImageView* picture(int column, int row) const;
    QString caption(int column, int row) const;

Q_SIGNALS:
    void comparedChanged();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
