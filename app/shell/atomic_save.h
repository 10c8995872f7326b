#pragma once

// Files the app writes for the user (exports, CSVs, screenshots) go through a
// temporary file renamed over the target (QSaveFile): a crash or a full disk
// mid-write never leaves half a file where a good one was.

#include <QByteArray>
#include <QString>

class QImage;

namespace convscope {

// Empty on success, else why not (the target is then untouched).
QString savePngAtomically(const QImage& image, const QString& path);
QString saveBytesAtomically(const QByteArray& bytes, const QString& path);

} // namespace convscope
