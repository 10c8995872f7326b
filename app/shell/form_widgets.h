#pragma once

// Small widget factories the tabs' forms share.

#include <QString>

class QFrame;
class QLabel;
class QSpinBox;
class QWidget;

namespace convscope
{

QSpinBox* spinBox(const QString& objectName, int min, int max, const QString& tip);
// A sunken horizontal rule between groups of a form.
QFrame* horizontalLine();
// A tab's word-wrapped, selectable line about what is going on.
QLabel* infoLabel(const QString& objectName);
// Asks where to save a CSV or a PNG, suggesting `baseName` with the extension;
// empty if the user cancelled.
QString askExportPath(QWidget* parent, bool csv, const QString& title, const QString& baseName);

} // namespace convscope
