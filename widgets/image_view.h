#pragma once

#include <QImage>
#include <QWidget>

namespace convscope {

// One image scaled to fit the widget with its aspect ratio kept; upscaling is
// nearest-neighbour unless smooth() is set, so small maps stay crisp.
class ImageView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImageView)
public:
    explicit ImageView(QWidget* parent = nullptr);

    void setImage(const QImage& image);
    const QImage& image() const { return m_image; }
    void setSmooth(bool smooth);
    void setPlaceholderText(const QString& text); // shown while there is no image
    QSize sizeHint() const override;

Q_SIGNALS:
    // In image coordinates; (-1, -1) when the mouse leaves the image.
    void pixelHovered(QPoint pixel);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    QRect imageRect() const;

    QImage m_image;
    QString m_placeholder;
    bool m_smooth = false;
};

} // namespace convscope
