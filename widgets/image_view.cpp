#include "widgets/image_view.h"

#include <QMouseEvent>
#include <QPainter>

#include <cmath>

namespace convscope {

ImageView::ImageView(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ImageView::setImage(const QImage& image)
{
    m_image = image;
    update();
}

void ImageView::setSmooth(bool smooth)
{
    if (m_smooth == smooth)
        return;
    m_smooth = smooth;
    update();
}

void ImageView::setPlaceholderText(const QString& text)
{
    m_placeholder = text;
    if (m_image.isNull())
        update();
}

QSize ImageView::sizeHint() const
{
    // Small maps (7x7) would otherwise ask for a postage stamp.
    if (m_image.isNull())
        return { 256, 256 };
    return m_image.size().scaled(256, 256, Qt::KeepAspectRatioByExpanding).boundedTo({ 512, 512 });
}

QRect ImageView::imageRect() const
{
    if (m_image.isNull() || width() <= 0 || height() <= 0)
        return {};
    const QSize size = m_image.size().scaled(this->size(), Qt::KeepAspectRatio);
    return { QPoint((width() - size.width()) / 2, (height() - size.height()) / 2), size };
}

void ImageView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    if (m_image.isNull()) {
        if (!m_placeholder.isEmpty()) {
            painter.setPen(palette().color(QPalette::Disabled, QPalette::Text));
            painter.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        }
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, m_smooth);
    painter.drawImage(imageRect(), m_image);
}

void ImageView::mouseMoveEvent(QMouseEvent* event)
{
    const QRect r = imageRect();
    const QPointF pos = event->position();
    if (r.isEmpty() || !QRectF(r).contains(pos)) {
        Q_EMIT pixelHovered({ -1, -1 });
        return;
    }
    const int x = static_cast<int>(std::floor((pos.x() - r.x()) * m_image.width() / r.width()));
    const int y = static_cast<int>(std::floor((pos.y() - r.y()) * m_image.height() / r.height()));
    Q_EMIT pixelHovered({ qBound(0, x, m_image.width() - 1), qBound(0, y, m_image.height() - 1) });
}

void ImageView::leaveEvent(QEvent*)
{
    Q_EMIT pixelHovered({ -1, -1 });
}

} // namespace convscope
