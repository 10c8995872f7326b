#pragma once

// The confusion matrix's cell, opened: a window of its test images. Not seen
// by moc: included from .cpp files only.

#include <QString>
#include <QVector>

#include <array>
#include <functional>

class QWidget;

namespace convscope
{

class JobRunner;

struct CellImages {
    QString title;             // "Shirt predicted as T-shirt/top: 95 test images"
    QString spec;              // the dataset to read them from
    std::array<int64_t, 3> input{}; // its format, as trained
    QVector<qint64> items;     // dataset items, at most 200 shown
};

// A non-modal window over `parent` with the images as thumbnails, read on
// `drawing` (off the GUI thread); a click on one calls `open(item)`.
void showCellImages(QWidget* parent, JobRunner* drawing, const CellImages& cell, std::function<void(qint64 item)> open);

} // namespace convscope
