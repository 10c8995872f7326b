#pragma once

#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>

namespace convscope {

// The Saliency tab as one clean picture for slides: a heading, the panels
// side by side with their titles (a legend of coloured classes under a
// panel that has one), and the caption, on white.
struct SlidePicture {
    struct Panel {
        QString title;
        QImage image;
        QStringList legend;
        QVector<QColor> colours; // one per legend entry
    };
    QString heading;
    QVector<Panel> panels;
    QString caption;

    // Each image fitted into a `side` x `side` cell: small maps grow by whole
    // pixels (crisp), larger images smoothly.
    QImage render(int side = 320) const;
};

} // namespace convscope
