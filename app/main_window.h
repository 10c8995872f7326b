#pragma once

#include <QMainWindow>

#include <memory>

namespace convscope {

struct ModelMetadata;
struct InputImage;

// The application window: a layer dock, one tab per visualization, and a
// status bar. Models load off the GUI thread.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);
    // A dataset for the input dock; opened (in the model's input format) once
    // a model is loaded. Its fixed test split is what previous/next walk.
    void openDataset(const QString& spec);
    void openImage(const QString& path);
    // Shows test image `index` of the dataset as the current input.
    void showTestImage(int index);
    QString inputCaption() const;
    QStringList predictionTexts() const;
    // Reloads the current model with these metadata overrides added.
    void reloadWith(const ModelMetadata& overrides, const QString& device);
    QString modelName() const;

Q_SIGNALS:
    void modelLoaded(const QString& name);
    void loadFailed(const QString& message);
    void inputChanged(const QString& caption);
    void predictionsReady();

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createDocks();
    void onLoaded();
    void onFailed(const QString& path, const QString& message);
    void copySummaryCsv();
    void loadPendingDataset();
    void showInput(const InputImage& input);
    void predict();
    void editModelSettings();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
