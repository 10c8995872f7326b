#pragma once

#include <QWidget>

#include <memory>

class QSettings;

namespace convscope
{

class Model;
struct EmbeddingRequest;

// The Embedding tab's parameters, with `convscope tsne`'s defaults: the layer
// (following the Layers dock), pooling, a seeded sample of the dataset,
// t-SNE or PCA, perplexity and iterations; Run and Stop; then how the plot
// is coloured and marked, and its exports.
class EmbeddingControls final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmbeddingControls)
public:
    explicit EmbeddingControls(QWidget* parent = nullptr);
    ~EmbeddingControls() override;

    // The layer list of a new model.
    void setModel(const Model& model);
    // The layer the dock selected (the list follows it; -1: none).
    void setLayer(int layer);
    int layer() const;
    EmbeddingRequest request() const;

    QString method() const; // "tsne" or "pca"
    void setMethod(const QString& method);
    void setPooling(const QString& pooling); // "mean" or "flatten"
    void setSamples(int samples); // 0: every image
    void setPerplexity(double perplexity);
    void setIterations(int iterations);
    void setSeed(int seed);

    bool colourByPrediction() const;
    void setColourByPrediction(bool prediction);
    // Without labels there is only the prediction to colour by.
    void setLabeled(bool labeled);
    bool marksVisible() const;
    void setMarksVisible(bool visible);

    void setRunning(bool running);
    void setHasResult(bool hasResult);

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void runClicked();
    void stopClicked();
    void colourChanged();
    void marksToggled(bool visible);
    void resetViewClicked();
    void savePngClicked();
    void saveCsvClicked();

private:
    void methodChanged();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
