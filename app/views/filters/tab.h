#pragma once

#include "app/shell/view_tab.h"

#include <memory>

namespace convscope {

class SnapshotScrubber;
class TileGridView;

// The weights of the selected conv (or image-shaped linear) layer as tiles:
// RGB filters of a first layer in colour, deeper filters as grids of their
// per-input-channel slices, or one filter at a time. Hover reads the values.
class FiltersTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FiltersTab)
public:
    enum Mode { Colour, Slices, OneFilter };

    explicit FiltersTab(Workspace* workspace, QWidget* parent = nullptr);
    ~FiltersTab() override;

    QString key() const override { return QStringLiteral("filters"); }
    QString title() const override { return tr("Filters"); }
    // Weights, not images: any input shape.
    bool needsImage() const override { return false; }
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    TileGridView* grid() const;
    // Epochs of the training that made the model, when it kept them.
    SnapshotScrubber* scrubber() const;
    // What the tab says about the layer ("64 filters 3×7×7 …" or why there are none).
    QString infoText() const;
    QString hoverText() const;
    void setMode(Mode mode);
    void setSharedRange(bool shared);
    void setFilter(int index);

protected:
    void refresh() override;

private:
    struct FilterView;
    void show(const std::shared_ptr<const FilterView>& view, const QString& error);
    void showHover(int tile, QPoint pixel);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
