#pragma once

#include "core/model_metadata.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace convscope {

// Edits what the GUI overrides of a model's metadata (the same fields as the
// CLI's --input/--mean/--std/--labels/--name) and the device.
class ModelSettingsDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelSettingsDialog)
public:
    struct Current {
        std::array<int64_t, 3> input{};
        std::vector<double> mean, std;
        std::string name;
        QString device;
    };

    ModelSettingsDialog(const Current& current, QWidget* parent = nullptr);

    // Valid after accept(): only the fields the user changed are set.
    const ModelMetadata& overrides() const { return m_overrides; }
    QString device() const;

    void accept() override;

private:
    Current m_current;
    ModelMetadata m_overrides;
    QLineEdit* m_name;
    QLineEdit* m_input;
    QLineEdit* m_mean;
    QLineEdit* m_std;
    QLineEdit* m_labels;
    QComboBox* m_device;
    QLabel* m_error;
};

} // namespace convscope
