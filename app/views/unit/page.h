#pragma once

#include <QWidget>

#include <memory>

namespace convscope {

class BarChartView;
class ImageView;
struct UnitInputPanels;
struct UnitDatasetPanels;

// One channel on one page, as DVT lays a unit out and more: its filter, its
// activation over the input, where its strongest unit comes from (guided
// backprop or deconvnet, with the receptive field drawn), its top-9 dataset
// patches and their own backprop, its gradient-ascent image, and its
// statistics over the dataset (histogram, dead share, mean per class, the
// classes it supports). Draws what it is given; computes nothing. The Unit
// tab shows it, and `convscope unit --out` grabs it.
class UnitPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnitPage)
public:
    explicit UnitPage(QWidget* parent = nullptr);
    ~UnitPage() override;

    // No channels: no heading.
    void setHeading(const QString& model, const QString& layer, qint64 channel, qint64 channels);
    void setInputPanels(const UnitInputPanels& panels);
    void clearInputPanels(const QString& why);
    void setDatasetPanels(const UnitDatasetPanels& panels);
    // Panels 4 and 6 while there is no scan: why, or how far the scan is.
    void setDatasetMessage(const QString& text);
    void setAscent(const QImage& image, const QString& caption);
    void setAscentMessage(const QString& text);

    QString headingText() const;
    // Which panels hold a picture or numbers (for tests and `render`):
    // filter, activation, backprop, patches, patch-backprops, ascent,
    // histogram, class-means, support.
    QStringList filledPanels() const;
    QString fieldText() const;
    QString patchesCaption() const; // "best #2663 5 · 20.5 of …": which top-9 is shown
    QString deadText() const;
    BarChartView* classMeans() const;
    BarChartView* support() const;
    ImageView* backprop() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace convscope
