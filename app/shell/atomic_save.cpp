#include "app/shell/atomic_save.h"

#include <QImage>
#include <QSaveFile>

namespace convscope {

QString savePngAtomically(const QImage& image, const QString& path)
{
    if (image.isNull())
        return QStringLiteral("there is no picture to save");
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return file.errorString();
    if (!image.save(&file, "PNG")) {
        file.cancelWriting();
        return QStringLiteral("PNG encoding failed");
    }
    return file.commit() ? QString() : file.errorString();
}

QString saveBytesAtomically(const QByteArray& bytes, const QString& path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        return file.errorString();
    return file.commit() ? QString() : file.errorString();
}

} // namespace convscope
