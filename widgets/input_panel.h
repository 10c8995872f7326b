#pragma once

#include "widgets/class_map.h"

#include <QImage>
#include <QPair>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace convscope {

class ImageView;
class TopKChart;

// The input dock: the current input as the model sees it (after resizing),
// where it came from, a way through a dataset or video (previous/next, a
// slider), play/pause for video and camera, and the top-5 predictions as a
// bar chart.
class InputPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InputPanel)
public:
    explicit InputPanel(QWidget* parent = nullptr);

    void setImage(const QImage& image, const QString& caption);
    // A segmentation model's class map of the input (empty: none, hidden):
    // drawn over the image at the opacity chosen, with a legend of each
    // class's share; hovering reads a pixel's class and top-3 probabilities.
    void setClassMap(const ClassMap& map);
    const ClassMap& classMap() const { return m_classMap; }
    void setClassMapOpacity(double opacity); // 0..1
    QString legendText() const;
    QString hoverText() const;
    void setPredictions(const QVector<QPair<QString, double>>& top); // label, probability
    // The predictions shown are not yet those of the current model and
    // input: after 300 ms without new ones, dimmed and labelled "updating…".
    void setPredictionsStale(bool stale);
    bool predictionsStale() const; // as shown
    // An input is opening: the image shown is the previous one.
    void setOpening(const QString& name);
    // Items to walk (0 hides the navigation); the position shown.
    void setNavigation(int count, int position);
    // A split dataset: its test split's size and all its images, and which
    // the navigation walks (testCount 0 hides the choice).
    void setScope(int testCount, int total, bool all);
    bool walksAll() const;
    // Whether play/pause applies (video, camera) and which it shows.
    void setLiveAvailable(bool available);
    void setPlaying(bool playing);
    void setLiveStatus(const QString& text);

    QString caption() const;
    QStringList predictionTexts() const;
    QImage image() const;
    TopKChart* chart() const { return m_chart; }

Q_SIGNALS:
    void previousRequested();
    void nextRequested();
    void positionRequested(int position);
    void walkAllRequested(bool all);
    void playToggled(bool play);

private:
    void showPredictionsStale(bool stale);
    void redraw();

    ImageView* m_image;
    QLabel* m_caption;
    TopKChart* m_chart;
    QPushButton* m_previous;
    QPushButton* m_next;
    QSlider* m_slider;
    QSpinBox* m_position;
    QPushButton* m_play;
    QLabel* m_live;
    QWidget* m_navigation;
    QLabel* m_predictionsTitle;
    QTimer* m_staleDelay;
    bool m_predictionsStale = false; // as shown
    QComboBox* m_scope;
    QImage m_base; // the input as given; m_image shows it with the class map
    ClassMap m_classMap;
    QWidget* m_classMapRow;
    QCheckBox* m_showClassMap;
    QSlider* m_opacity;
    QLabel* m_legend;
    QLabel* m_hover;
};

} // namespace convscope
