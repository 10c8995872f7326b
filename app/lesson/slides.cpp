#include "app/lesson/slides.h"

#include "app/lesson/player.h"
#include "app/shell/atomic_save.h"
#include "app/shell/main_window.h"
#include "app/shell/view_tab.h"

#include <QDir>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>

namespace convscope {

namespace {
constexpr int kMargin = 40;
const QColor kBand(0x26, 0x32, 0x38);
} // namespace

QImage composeSlide(const QImage& view, const QString& title, const QString& notes, const SlideOptions& options)
{
    const QSize size = options.size;
    QImage slide(size, QImage::Format_RGB32);
    slide.fill(Qt::white);
    QPainter p(&slide);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    // Text sizes follow the slide's height: 44 px titles on 1080.
    const double unit = size.height() / 1080.0;
    int top = kMargin / 2;
    if (options.title && !title.isEmpty()) {
        const int band = static_cast<int>(96 * unit);
        p.fillRect(QRect(0, 0, size.width(), band), kBand);
        QFont font = p.font();
        font.setPixelSize(static_cast<int>(44 * unit));
        font.setBold(true);
        p.setFont(font);
        p.setPen(Qt::white);
        const QRect box(kMargin, 0, size.width() - 2 * kMargin, band);
        p.drawText(box, Qt::AlignVCenter | Qt::AlignLeft,
                   QFontMetrics(font).elidedText(title, Qt::ElideRight, box.width()));
        top = band + kMargin / 2;
    }
    int bottom = size.height() - kMargin / 2;
    if (options.notes && !notes.isEmpty()) {
        QFont font = p.font();
        font.setPixelSize(static_cast<int>(28 * unit));
        font.setBold(false);
        p.setFont(font);
        const int width = size.width() - 2 * kMargin;
        // At most a third of the slide: the view is what the class looks at.
        const QRect needed = QFontMetrics(font).boundingRect(QRect(0, 0, width, size.height()), Qt::TextWordWrap, notes);
        const int height = std::min(needed.height(), size.height() / 3);
        const QRect box(kMargin, bottom - height, width, height);
        p.setPen(QColor(0x37, 0x47, 0x4f));
        p.drawText(box, Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, notes);
        bottom = box.top() - kMargin / 2;
    }
    if (!view.isNull() && bottom > top) {
        const QRect room(kMargin, top, size.width() - 2 * kMargin, bottom - top);
        const QSize fitted = view.size().scaled(room.size(), Qt::KeepAspectRatio);
        const QRect target(room.center() - QPoint(fitted.width() / 2, fitted.height() / 2), fitted);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.drawImage(target, view);
    }
    return slide;
}

QString writeSlidesPdf(const QVector<QImage>& slides, const QString& path)
{
    if (slides.isEmpty())
        return QStringLiteral("no slides");
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return file.errorString();
    {
        QPdfWriter pdf(&file);
        pdf.setCreator(QStringLiteral("ConvScope"));
        pdf.setResolution(96);
        const QSize first = slides.front().size();
        // Pages of the slide's shape, in points (1/72 inch) at 96 pixels an inch.
        pdf.setPageSize(QPageSize(QSizeF(first) * 72.0 / 96.0, QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter painter(&pdf);
        if (!painter.isActive())
            return QStringLiteral("cannot draw the PDF");
        for (int i = 0; i < slides.size(); ++i) {
            if (i > 0)
                pdf.newPage();
            painter.drawImage(QRect(QPoint(0, 0), painter.viewport().size()), slides[i]);
        }
    }
    if (!file.commit())
        return file.errorString();
    return {};
}

QString slideFileName(int index, const QString& title)
{
    QString slug = title.toLower();
    slug.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    slug = slug.mid(0, 48);
    while (slug.startsWith(QLatin1Char('-')))
        slug.remove(0, 1);
    while (slug.endsWith(QLatin1Char('-')))
        slug.chop(1);
    return QStringLiteral("%1%2.png").arg(index + 1, 2, 10, QLatin1Char('0')).arg(slug.isEmpty() ? QString() : QLatin1Char('-') + slug);
}

SlideExport::SlideExport(MainWindow* window, LessonPlayer* player, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_player(player)
{
    connect(player, &LessonPlayer::stepShown, this, &SlideExport::shown);
    connect(player, &LessonPlayer::stepFailed, this, [this](int index, const QString& message) {
        if (m_running)
            end(tr("step %1: %2").arg(index + 1).arg(message));
    });
}

void SlideExport::start(const QString& dir, const QString& pdf, const SlideOptions& options)
{
    m_dir = dir;
    m_pdf = pdf;
    m_options = options;
    m_slides.clear();
    m_written.clear();
    m_error.clear();
    if (m_player->lesson().steps.isEmpty()) {
        m_error = tr("the lesson has no steps");
        Q_EMIT finished(false);
        return;
    }
    if (!dir.isEmpty() && !QDir().mkpath(dir)) {
        m_error = tr("cannot make the folder %1").arg(dir);
        Q_EMIT finished(false);
        return;
    }
    m_running = true;
    Q_EMIT progressed(0, static_cast<int>(m_player->lesson().steps.size()), m_player->lesson().steps.front().title);
    m_player->play(0);
}

void SlideExport::stop()
{
    if (m_running)
        end(tr("stopped after %1 of %2 steps").arg(m_slides.size()).arg(m_player->lesson().steps.size()));
}

void SlideExport::shown(int index)
{
    if (!m_running || index != m_slides.size())
        return;
    const LessonStep& step = m_player->lesson().steps[index];
    ViewTab* view = m_window->tab(step.view);
    const QImage slide = composeSlide(view ? view->exportImage() : QImage(), step.title, step.notes, m_options);
    m_slides.append(slide);
    if (!m_dir.isEmpty()) {
        const QString file = QDir(m_dir).filePath(slideFileName(index, step.title));
        if (const QString error = savePngAtomically(slide, file); !error.isEmpty()) {
            end(tr("cannot write %1: %2").arg(file, error));
            return;
        }
        m_written << file;
    }
    const int total = static_cast<int>(m_player->lesson().steps.size());
    Q_EMIT progressed(index + 1, total, index + 1 < total ? m_player->lesson().steps[index + 1].title : QString());
    if (index + 1 < total) {
        m_player->play(index + 1);
        return;
    }
    if (!m_pdf.isEmpty()) {
        if (const QString error = writeSlidesPdf(m_slides, m_pdf); !error.isEmpty()) {
            end(tr("cannot write %1: %2").arg(m_pdf, error));
            return;
        }
        m_written << m_pdf;
    }
    end({});
}

void SlideExport::end(const QString& error)
{
    m_running = false;
    m_error = error;
    Q_EMIT finished(error.isEmpty());
}

} // namespace convscope
