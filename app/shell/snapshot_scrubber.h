#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QSlider;
class QTimer;

namespace convscope {

class Workspace;

// "Epoch 3 of 12": a slider over the per-epoch snapshots of the training
// that made the workspace's model (its metadata's "snapshots" folder, which
// `convscope train --snapshots` and the Training tab write). Moving it opens
// that epoch's model in every view, so Filters and Embedding show how the
// filters and the clusters form. Hidden for a model without snapshots.
class SnapshotScrubber final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SnapshotScrubber)
public:
    explicit SnapshotScrubber(Workspace* workspace, QWidget* parent = nullptr);

    QStringList snapshots() const { return m_files; }
    // The snapshot shown (-1: the model is not one of them, e.g. the best checkpoint).
    int current() const;
    // Moves to snapshot `index` and asks for it, as a drag would.
    void choose(int index);

Q_SIGNALS:
    void snapshotChosen(const QString& path);

private:
    void followModel();
    void showLabel(int index);

    Workspace* m_workspace;
    QStringList m_files;
    QLabel* m_label = nullptr;
    QSlider* m_slider = nullptr;
    QTimer* m_settle = nullptr; // a drag asks once it rests, not for every epoch it passes
};

} // namespace convscope
