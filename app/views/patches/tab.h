#pragma once

#include "app/shell/view_tab.h"

#include <memory>

namespace convscope {

class InputController;
class TileGridView;

// The dataset patches that excite each channel of the selected layer most
// (top-k over the dataset the input dock walks): one mosaic per channel; a
// selected channel large beside its filter and its map for the current
// input; a clicked patch shows its whole image with the receptive field and
// becomes the current input. Scans are cached on disk and resume after Cancel.
class PatchesTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PatchesTab)
public:
    PatchesTab(Workspace* workspace, InputController* input, QWidget* parent = nullptr);
    ~PatchesTab() override;

    QString key() const override { return QStringLiteral("patches"); }
    QString title() const override { return tr("Patches"); }
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    TileGridView* channelGrid() const;
    TileGridView* patchGrid() const;
    QString infoText() const;
    void selectChannel(int channel);
    int selectedChannel() const;
    int lessonChannel() const override { return selectedChannel(); }
    void setLessonChannel(int channel) override
    {
        if (channel >= 0)
            selectChannel(channel);
    }
    // Opens patch `index` of the selected channel: its image with the box, as the current input.
    void openPatch(int index);
    void setK(int k);
    void prefetchLesson(int layer, const QJsonObject& settings) override;
    void setMeanScore(bool mean);
    // Where scans are cached ($XDG_CACHE_HOME/convscope/topk, as the CLI).
    static QString cacheDir();

protected:
    void refresh() override;

private:
    struct Scan;
    struct Detail;
    void showScan(const std::shared_ptr<const Scan>& scan);
    void showDetail(const std::shared_ptr<const Detail>& detail);
    void requestDetail();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
