#pragma once

#include <QObject>
#include <QString>

#include <memory>

class QFormLayout;
class QSettings;
class QSpinBox;

namespace convscope {

struct AscentOptions;

// A spin box of the Gradient Ascent tab's form (no keyboard tracking needed:
// nothing runs on a change).
QSpinBox* ascentSpinBox(const QString& objectName, int min, int max, const QString& tip);

// The Gradient Ascent tab's preset picker and every knob of AscentOptions
// (the same as `convscope ascent --preset ... --lr ...`), as rows of the
// controls' form. Choosing a preset fills every knob with its values; the
// rows shown are the ones the preset's optimizer reads.
class AscentKnobs final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AscentKnobs)
public:
    explicit AscentKnobs(QObject* parent = nullptr);
    ~AscentKnobs() override;

    // Adds the rows to `form` (which takes the widgets).
    void addRows(QFormLayout* form);
    // Colour decorrelation applies to 3-channel models only.
    void setColourModel(bool colour);

    QString preset() const; // "plain", "yosinski", "lucid"
    void setPreset(const QString& name);
    bool isLucid() const;
    int steps() const;
    void setSteps(int steps);
    AscentOptions options() const;
    // Every knob as text: equal keys optimize the same way.
    QString key() const;

    void save(QSettings& settings) const;
    void restore(const QSettings& settings);

Q_SIGNALS:
    void presetChanged();

private:
    void fillFromPreset();
    void updateRows();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
