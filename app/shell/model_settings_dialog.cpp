#include "app/shell/model_settings_dialog.h"

#include "core/error.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace convscope {

namespace {
QString numbers(const std::vector<double>& values)
{
    QStringList parts;
    for (double v : values)
        parts << QString::number(v);
    return parts.join(QStringLiteral(", "));
}
} // namespace

ModelSettingsDialog::ModelSettingsDialog(const Current& current, QWidget* parent)
    : QDialog(parent)
    , m_current(current)
{
    setWindowTitle(tr("Model Settings"));
    auto* form = new QFormLayout;
    m_name = new QLineEdit(QString::fromStdString(current.name));
    m_input = new QLineEdit(QStringLiteral("%1, %2, %3").arg(current.input[0]).arg(current.input[1]).arg(current.input[2]));
    m_input->setToolTip(tr("Channels, height, width — e.g. 3, 227, 227 for AlexNet as in the paper"));
    m_mean = new QLineEdit(numbers(current.mean));
    m_std = new QLineEdit(numbers(current.std));
    m_labels = new QLineEdit;
    m_labels->setPlaceholderText(tr("keep the model's labels"));
    auto* browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Labels file (one per line)"));
        if (!file.isEmpty())
            m_labels->setText(file);
    });
    auto* labelsRow = new QHBoxLayout;
    labelsRow->addWidget(m_labels);
    labelsRow->addWidget(browse);
    m_device = new QComboBox;
    m_device->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_device->addItem(QStringLiteral("CPU"), QStringLiteral("cpu"));
    m_device->addItem(QStringLiteral("CUDA"), QStringLiteral("cuda"));
    m_device->setCurrentIndex(std::max(0, m_device->findData(current.device)));

    form->addRow(tr("Name:"), m_name);
    form->addRow(tr("Input (C, H, W):"), m_input);
    form->addRow(tr("Mean (per channel, pixels in [0,1]):"), m_mean);
    form->addRow(tr("Std (per channel):"), m_std);
    form->addRow(tr("Labels file:"), labelsRow);
    form->addRow(tr("Device:"), m_device);

    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("settingsError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Reload Model"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
}

QString ModelSettingsDialog::device() const
{
    return m_device->currentData().toString();
}

void ModelSettingsDialog::accept()
{
    // Parsed by the same functions as the CLI's options, so both accept the same text.
    ModelMetadata o;
    try {
        if (m_name->text().toStdString() != m_current.name)
            o.name = m_name->text().toStdString();
        const auto input = parseInputShape(m_input->text().remove(QLatin1Char(' ')).toStdString());
        if (input != m_current.input)
            o.input = input;
        const auto mean = parseNumberList(m_mean->text().remove(QLatin1Char(' ')).toStdString(), "mean");
        if (mean != m_current.mean)
            o.mean = mean;
        const auto std = parseNumberList(m_std->text().remove(QLatin1Char(' ')).toStdString(), "std");
        for (double s : std)
            if (!(s > 0))
                throw Error("std values must be positive");
        if (std != m_current.std)
            o.std = std;
        if (!m_labels->text().isEmpty())
            o.labels = readLabelsFile(m_labels->text().toStdString());
    } catch (const Error& e) {
        m_error->setText(QString::fromStdString(e.what()));
        return;
    }
    m_overrides = o;
    QDialog::accept();
}

} // namespace convscope
