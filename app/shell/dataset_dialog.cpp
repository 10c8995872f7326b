#include "app/shell/dataset_dialog.h"

#include <QGridLayout>
#include <QPushButton>

namespace convscope
{

DatasetDialog::DatasetDialog(QWidget* parent)
    : QFileDialog(parent, tr("Open dataset"))
{
    setObjectName(QStringLiteral("datasetDialog"));
    // Qt's own widgets: a platform dialog has no room for the folder button.
    setOption(QFileDialog::DontUseNativeDialog);
    setFileMode(QFileDialog::ExistingFile);
    setNameFilters({ tr("Datasets: idx files, raw or .gz, and videos (*-ubyte *-ubyte.gz *.idx *.idx.gz *.avi *.mp4 "
                        "*.mkv *.mov *.webm *.mpg *.mpeg *.m4v)"),
        tr("All files (*)") });
    m_folder = new QPushButton(tr("Open This &Folder"));
    m_folder->setObjectName(QStringLiteral("openFolder"));
    m_folder->setToolTip(tr("A folder of images, or of class subfolders of images (their names label them)"));
    connect(m_folder, &QPushButton::clicked, this, [this] {
        m_chosenFolder = directory().absolutePath();
        QDialog::accept(); // QFileDialog::accept() would want a file
    });
    if (auto* grid = qobject_cast<QGridLayout*>(layout()))
        grid->addWidget(m_folder, grid->rowCount(), 0, 1, grid->columnCount(), Qt::AlignLeft);
}

QString DatasetDialog::chosenPath() const
{
    if (result() != QDialog::Accepted)
        return {};
    if (!m_chosenFolder.isEmpty())
        return m_chosenFolder;
    return selectedFiles().value(0);
}

QString DatasetDialog::choose(QWidget* parent)
{
    DatasetDialog dialog(parent);
    dialog.exec();
    return dialog.chosenPath();
}

} // namespace convscope
