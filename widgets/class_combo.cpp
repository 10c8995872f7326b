#include "widgets/class_combo.h"

#include <QCompleter>
#include <QSignalBlocker>

#include <algorithm>

namespace convscope
{

ClassCombo::ClassCombo(QWidget* parent)
    : QComboBox(parent)
{
    // Editable only to search: what is typed picks a row, never adds one.
    setEditable(true);
    setInsertPolicy(QComboBox::NoInsert);
    completer()->setFilterMode(Qt::MatchContains);
    completer()->setCompletionMode(QCompleter::PopupCompletion);
    // ImageNet's labels run to 60+ characters: elide rather than widen the form.
    setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    setMinimumContentsLength(12);
}

void ClassCombo::setClasses(const QStringList& classes, const QString& noClass)
{
    const int chosen = classIndex();
    const QSignalBlocker block(this);
    clear();
    m_offset = noClass.isEmpty() ? 0 : 1;
    // One insertion for a thousand classes, not a thousand.
    addItems(noClass.isEmpty() ? classes : QStringList { noClass } + classes);
    setClassIndex(chosen < classes.size() ? chosen : -1);
}

int ClassCombo::classIndex() const
{
    return std::max(-1, currentIndex() - m_offset);
}

void ClassCombo::setClassIndex(int index)
{
    if (index + m_offset < count())
        setCurrentIndex(std::max(0, index + m_offset));
}

} // namespace convscope
