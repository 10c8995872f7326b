#pragma once

#include <QMainWindow>

#include <memory>

namespace convscope {

struct ModelMetadata;

// The application window: a layer dock, one tab per visualization, and a
// status bar. Models load off the GUI thread.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);
    // Reloads the current model with these metadata overrides added.
    void reloadWith(const ModelMetadata& overrides, const QString& device);
    QString modelName() const;

Q_SIGNALS:
    void modelLoaded(const QString& name);
    void loadFailed(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createDocks();
    void onLoaded();
    void onFailed(const QString& path, const QString& message);
    void copySummaryCsv();
    void editModelSettings();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
