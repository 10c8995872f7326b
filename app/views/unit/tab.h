#pragma once

#include "app/shell/view_tab.h"

#include <QPointer>

#include <memory>

namespace convscope {

class InputController;
class UnitPage;
struct UnitAscentSettings;

// Everything about one channel of the selected layer on one page (UnitPage),
// walked with the keyboard as in DVT: ←/→ channel, ↑/↓ layer, B/D guided
// backprop or deconvnet, Space freezes live video, A makes the
// gradient-ascent image. Each panel is computed on the model's worker, the
// newest request winning; results are kept, so walking back is instant.
// The dataset scan (top-9 and statistics) runs once per model, dataset and
// layer, with progress, and lives on disk with the Patches tab's.
class UnitTab final : public ViewTab {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnitTab)
public:
    UnitTab(Workspace* workspace, InputController* input, QWidget* parent = nullptr);
    ~UnitTab() override;

    QString key() const override { return QStringLiteral("unit"); }
    QString title() const override { return tr("Unit"); }
    QImage exportImage() override;
    void saveSettings(const QString& group) const override;
    void restoreSettings(const QString& group) override;

    UnitPage* page() const;
    int channel() const;
    void setChannel(int channel);
    // Lessons: the channel, and the ascent image when the page shows it.
    int lessonChannel() const override { return channel(); }
    void setLessonChannel(int channel) override
    {
        if (channel >= 0)
            setChannel(channel);
    }
    QString lessonWork() const override;
    void prefetchLesson(int layer, const QJsonObject& settings) override;
    void startLessonWork(const QString& work) override;
    bool lessonWorkRunning() const override { return ascentRunning() || !complete(); }
    // Shows `channel` of `layer` (the workspace's layer changes with it).
    void showUnit(int layer, int channel);
    void setDeconvnet(bool deconvnet);
    bool deconvnet() const;
    // Starts the gradient-ascent image of the shown channel (cached when done).
    void makeAscent();
    // Steps of the ascent (0: the preset's); part of the cache key.
    void setAscentSteps(int steps);
    bool ascentRunning() const;
    void stop();
    // Whether every panel that can be filled for this unit is (no job on its way).
    bool complete() const;
    // Where gradient-ascent images are kept ($XDG_CACHE_HOME/convscope/unit-ascent).
    static QString ascentCacheDir();
    // A second page, in a dock (View ▸ Unit Page): it shows what this one
    // shows and keeps following the unit while another tab is in front.
    void setDockPage(UnitPage* page);
    bool dockShown() const;

protected:
    void refresh() override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    static std::shared_ptr<void> endNotice(const QPointer<UnitTab>& self, const QString& key, bool dataset);
    void requestInputPanels();
    void requestDatasetPanels();
    void showAscent();
    UnitAscentSettings ascentSettings() const;
    void stepLayer(int delta);
    void checkComplete();
    // Recompute now if the tab or the dock page is seen, else when one is.
    void follow();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
