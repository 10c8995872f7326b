#pragma once

#include "app/shell/view_tab.h"

#include <memory>

namespace convscope {

class ImageView;
class TileGridView;

// Every channel of the selected layer for the current input, as a grid of
// maps (gray or a colormap, per-channel or shared range); a clicked channel
// large, optionally laid over the input at input resolution. Follows the
// input live: every new frame or dataset step redraws it.
class ActivationsTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ActivationsTab)
public:
    explicit ActivationsTab(Workspace* workspace, QWidget* parent = nullptr);
    ~ActivationsTab() override;

    QString key() const override { return QStringLiteral("activations"); }
    QString title() const override { return tr("Activations"); }
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    TileGridView* grid() const;
    ImageView* largeView() const;
    QString infoText() const;
    QString hoverText() const;
    void setColormap(const QString& name);
    void setSharedRange(bool shared);
    void setOverlay(bool overlay);
    void selectChannel(int channel);
    int selectedChannel() const;
    int lessonChannel() const override { return selectedChannel(); }
    void setLessonChannel(int channel) override
    {
        if (channel >= 0)
            selectChannel(channel);
    }
    // Frames drawn since construction (live throughput).
    qint64 framesDrawn() const;

protected:
    void refresh() override;

private:
    struct Drawn;
    void show(const std::shared_ptr<const Drawn>& drawn);
    void showHover(int tile, QPoint pixel);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
