#pragma once

#include "app/shell/view_tab.h"

#include <QVector>

#include <memory>

namespace at
{
class Tensor;
}

namespace convscope
{

class EmbeddingControls;
class InputController;
class ScatterView;
class SnapshotScrubber;
class TileGridView;
struct Embedding;

// A layer's features over the dataset the Input dock walks, laid out in 2-D
// by t-SNE or PCA — the same core functions and options as `convscope tsne`
// — on the model's worker, with progress and Stop; t-SNE animates while it
// optimizes. One dot per image, coloured by label or prediction, misclassified
// images ringed; hover shows the image, a click makes it every view's input,
// a box or lasso lists the images it holds. Nothing runs until asked.
class EmbeddingTab final : public ViewTab
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmbeddingTab)
public:
    EmbeddingTab(Workspace* workspace, InputController* input, QWidget* parent = nullptr);
    ~EmbeddingTab() override;

    QString key() const override { return QStringLiteral("embedding"); }
    QString title() const override { return tr("Embedding"); }
    QImage exportImage() override; // the plot with its legend
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    EmbeddingControls* controls() const;
    ScatterView* view() const;
    // Epochs of the training that made the model, when it kept them.
    SnapshotScrubber* scrubber() const;
    TileGridView* selectionGrid() const;

    void run();
    void stop();
    bool isRunning() const;
    // Lessons: the map shown is made again on replay.
    QString lessonWork() const override { return result() ? QStringLiteral("embed") : QString(); }
    void startLessonWork(const QString& work) override;
    bool lessonWorkRunning() const override { return isRunning(); }
    // The layout shown (a t-SNE frame while one runs), or null.
    std::shared_ptr<const Embedding> result() const;
    qint64 framesShown() const; // t-SNE frames drawn while running
    QString infoText() const;
    QString selectionText() const;
    // Makes the image of point `index` every view's input.
    void openPoint(int index);
    bool exportCsv(const QString& path);
    bool exportPng(const QString& path);
    // Places clean/adversarial pairs ([N, C, H, W] pixels each) into the
    // finished t-SNE map without moving it (running t-SNE first when there
    // is none) and draws an arrow from each clean image to its adversarial
    // one, naming the classes around both ends.
    void showPairs(const at::Tensor& clean, const at::Tensor& adversarial, const QString& caption);
    bool isPlacing() const;
    QString placementText() const;

protected:
    void refresh() override;

private:
    void showFrame(int generation, const std::shared_ptr<const Embedding>& frame);
    void finish(int generation, const std::shared_ptr<const Embedding>& result);
    void fail(int generation, const QString& message);
    void jobGone(int generation);
    void setRunning(bool running);
    void clearResult(const QString& why);
    void colourPoints(bool newPoints); // else only the colours change
    void showSelection(const QVector<int>& points);
    void chooseExport(bool csv);
    void placePending();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
