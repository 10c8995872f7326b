#include "app/shell/form_widgets.h"

#include <QCoreApplication>
#include <QFileDialog>
#include <QFrame>
#include <QLabel>
#include <QSpinBox>

namespace convscope
{

QSpinBox* spinBox(const QString& objectName, int min, int max, const QString& tip)
{
    auto* box = new QSpinBox;
    box->setObjectName(objectName);
    box->setRange(min, max);
    box->setToolTip(tip);
    return box;
}

QFrame* horizontalLine()
{
    auto* frame = new QFrame;
    frame->setFrameShape(QFrame::HLine);
    frame->setFrameShadow(QFrame::Sunken);
    return frame;
}

QLabel* infoLabel(const QString& objectName)
{
    auto* label = new QLabel;
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QString askExportPath(QWidget* parent, bool csv, const QString& title, const QString& baseName)
{
    return QFileDialog::getSaveFileName(parent, title,
        baseName + (csv ? QStringLiteral(".csv") : QStringLiteral(".png")),
        csv ? QCoreApplication::translate("convscope", "CSV (*.csv)")
            : QCoreApplication::translate("convscope", "PNG images (*.png)"));
}

} // namespace convscope
