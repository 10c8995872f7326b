#pragma once

#include "app/shell/view_tab.h"

#include <memory>

namespace convscope {

// The per-layer complexity table and three bar charts (memory, parameters,
// multiply-adds per layer), with an editable input size and Copy as CSV.
class SummaryTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SummaryTab)
public:
    explicit SummaryTab(Workspace* workspace, QWidget* parent = nullptr);
    ~SummaryTab() override;

    QString key() const override { return QStringLiteral("summary"); }
    QString title() const override { return tr("Summary"); }
    // The table and charts come from the layer graph: any input shape.
    bool needsImage() const override { return false; }
    void copyCsv();
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

Q_SIGNALS:
    // The user asked to analyse the model at another input size.
    void inputSizeRequested(int height, int width);

protected:
    void refresh() override;

private:
    void selectRow(const QString& layer);
    // The splitter gives the table the width of its columns up to the receptive field.
    void fitTable();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
