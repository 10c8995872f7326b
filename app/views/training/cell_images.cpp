#include "app/views/training/cell_images.h"

#include "app/shell/job_runner.h"
#include "app/shell/tensor_image.h"
#include "core/error.h"
#include "io/datasets.h"
#include "widgets/tile_grid_view.h"

#include <QDialog>
#include <QLabel>
#include <QPointer>
#include <QVBoxLayout>

namespace convscope
{

void showCellImages(QWidget* parent, JobRunner* drawing, const CellImages& cell, std::function<void(qint64 item)> open)
{
    auto* dialog = new QDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(cell.title);
    auto* grid = new TileGridView;
    grid->setObjectName(QStringLiteral("cellImages"));
    auto* caption = new QLabel(QObject::tr("%1. Click one to make it every view's input.").arg(cell.title));
    caption->setWordWrap(true);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(caption);
    layout->addWidget(grid, 1);
    dialog->resize(520, 420);
    const QVector<qint64> shown = cell.items.mid(0, 200);
    QObject::connect(grid, &TileGridView::tileClicked, dialog, [shown, open](int tile) {
        if (tile >= 0 && tile < shown.size())
            open(shown[tile]);
    });
    dialog->show();
    QPointer<TileGridView> target(grid);
    drawing->submit(QStringLiteral("training-cell"), QString(), [target, cell, shown](JobContext&) -> JobRunner::Done {
        auto dataset = io::openDataset(cell.spec.toStdString(), ImageFormat{cell.input[0], cell.input[1], cell.input[2]});
        QVector<Tile> tiles;
        for (qint64 item : shown) {
            try {
                tiles << Tile{toQImage(dataset->image(item)), QString()};
            } catch (const Error&) {
                tiles << Tile{QImage(), QString()};
            }
        }
        return [target, tiles] {
            if (target) {
                target->setTiles(tiles);
                target->fitZoom(56);
            }
        };
    });
}

} // namespace convscope
