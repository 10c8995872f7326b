#pragma once

#include <QComboBox>
#include <QStringList>

namespace convscope
{

// A picker of a model's classes that the user can type into to search the
// labels ("tab" finds "281: tabby"), with an optional first row that means
// "no particular class" (the predicted class, untargeted). The Saliency,
// Gradient Ascent and Adversarial tabs share it.
class ClassCombo final : public QComboBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClassCombo)
public:
    explicit ClassCombo(QWidget* parent = nullptr);

    // One row per class (index i is class i), after `noClass` when it is not empty.
    // Keeps the class chosen if there still is one such; emits no signal.
    void setClasses(const QStringList& classes, const QString& noClass = {});
    // The class chosen; -1 for the "no class" row (or an empty list).
    int classIndex() const;
    // -1 chooses the "no class" row; an index the list does not have changes nothing.
    void setClassIndex(int index);
    int classCount() const { return count() - m_offset; }

private:
    int m_offset = 0; // 1 when the first row means "no class"
};

} // namespace convscope
