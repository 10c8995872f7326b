#pragma once

#include <QFileDialog>

class QPushButton;

namespace convscope
{

// File → Open Dataset: one dialog for every dataset openDataset() reads. A
// file (an MNIST or Fashion-MNIST idx file, raw or .gz, or a video) is
// chosen as in any file dialog; "Open This Folder" takes the folder shown
// (images, or class subfolders of images). Qt's own dialogs choose a file or
// a folder, never either.
class DatasetDialog final : public QFileDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DatasetDialog)
public:
    explicit DatasetDialog(QWidget* parent = nullptr);

    // The file or folder chosen; empty until the dialog was accepted.
    QString chosenPath() const;
    QPushButton* folderButton() const { return m_folder; }

    // Runs the dialog; the path chosen, or empty if cancelled.
    static QString choose(QWidget* parent);

private:
    QPushButton* m_folder = nullptr;
    QString m_chosenFolder;
};

} // namespace convscope
