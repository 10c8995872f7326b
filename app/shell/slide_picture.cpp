#include "app/shell/slide_picture.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

namespace convscope {

namespace {

constexpr int kMargin = 24;
constexpr int kGap = 20;
constexpr int kMaxLegend = 10;

QFont pixelFont(int pixels, bool bold = false)
{
    QFont font;
    font.setPixelSize(pixels);
    font.setBold(bold);
    return font;
}

QImage fitted(const QImage& image, int side)
{
    // As the tab: small inputs (digits) keep square pixels, photos are smoothed.
    if (std::min(image.width(), image.height()) < 96 && std::max(image.width(), image.height()) * 2 <= side) {
        const int factor = side / std::max(image.width(), image.height());
        return image.scaled(image.size() * factor, Qt::KeepAspectRatio, Qt::FastTransformation);
    }
    return image.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

} // namespace

QImage SlidePicture::render(int side) const
{
    const int columns = std::max<int>(1, static_cast<int>(panels.size()));
    const int width = 2 * kMargin + columns * side + (columns - 1) * kGap;
    const int textWidth = width - 2 * kMargin;
    const QFont headingFont = pixelFont(16), titleFont = pixelFont(16, true), textFont = pixelFont(14);
    const QFontMetrics headingMetrics(headingFont), titleMetrics(titleFont), textMetrics(textFont);
    const int flags = Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop;

    int titleHeight = 0, legendLines = 0;
    for (const Panel& panel : panels) {
        titleHeight = std::max(
            titleHeight, titleMetrics.boundingRect(QRect(0, 0, side, 1000), Qt::TextWordWrap, panel.title).height());
        legendLines = std::max(legendLines, std::min<int>(kMaxLegend + 1, static_cast<int>(panel.legend.size())));
    }
    const int headingHeight =
        heading.isEmpty() ? 0 : headingMetrics.boundingRect(QRect(0, 0, textWidth, 1000), flags, heading).height() + 12;
    const int legendHeight = legendLines * (textMetrics.height() + 4) + (legendLines ? 8 : 0);
    const int captionHeight = textMetrics.boundingRect(QRect(0, 0, textWidth, 1000), flags, caption).height();
    const int height = 2 * kMargin + headingHeight + titleHeight + 8 + side + legendHeight + 12 + captionHeight;

    QImage out(width, height, QImage::Format_RGB32);
    out.fill(Qt::white);
    QPainter painter(&out);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    int y = kMargin;
    if (!heading.isEmpty()) {
        painter.setFont(headingFont);
        painter.setPen(QColor(90, 90, 90));
        painter.drawText(QRect(kMargin, y, textWidth, headingHeight), flags, heading);
        y += headingHeight;
    }
    for (int i = 0; i < panels.size(); ++i) {
        const Panel& panel = panels[i];
        const int x = kMargin + i * (side + kGap);
        painter.setFont(titleFont);
        painter.setPen(Qt::black);
        painter.drawText(QRect(x, y, side, titleHeight), Qt::TextWordWrap | Qt::AlignHCenter | Qt::AlignBottom,
                         panel.title);
        const QImage image = fitted(panel.image, side);
        const int top = y + titleHeight + 8;
        painter.drawImage(QPoint(x + (side - image.width()) / 2, top + (side - image.height()) / 2), image);
        painter.setFont(textFont);
        int ly = top + side + 8;
        const int entries = std::min<int>(kMaxLegend, static_cast<int>(panel.legend.size()));
        for (int e = 0; e < entries; ++e) {
            const int box = textMetrics.ascent() - 2;
            painter.fillRect(QRect(x, ly + (textMetrics.height() - box) / 2, box, box),
                             panel.colours.value(e, Qt::gray));
            painter.setPen(Qt::black);
            painter.drawText(QRect(x + box + 6, ly, side - box - 6, textMetrics.height()),
                             Qt::AlignLeft | Qt::AlignVCenter,
                             textMetrics.elidedText(panel.legend[e], Qt::ElideRight, side - box - 6));
            ly += textMetrics.height() + 4;
        }
        if (panel.legend.size() > entries) {
            painter.setPen(QColor(90, 90, 90));
            painter.drawText(QRect(x, ly, side, textMetrics.height()), Qt::AlignLeft | Qt::AlignVCenter,
                             QStringLiteral("… %1 more").arg(panel.legend.size() - entries));
        }
    }
    y += titleHeight + 8 + side + legendHeight + 12;
    painter.setFont(textFont);
    painter.setPen(Qt::black);
    painter.drawText(QRect(kMargin, y, textWidth, captionHeight), flags, caption);
    return out;
}

} // namespace convscope
