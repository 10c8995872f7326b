#include "app/shell/model_validation.h"

#include <QProcess>
#include <QTimer>

#include <cstring>

#include <sys/resource.h>
#include <unistd.h>

namespace convscope {

namespace {

QStringList overrideArguments(const ModelMetadata& o)
{
    QStringList args;
    const auto numbers = [](const std::vector<double>& values) {
        QStringList parts;
        for (double v : values)
            parts << QString::number(v, 'g', 17);
        return parts.join(QLatin1Char(','));
    };
    if (o.input)
        args << QStringLiteral("--input")
             << QStringLiteral("%1,%2,%3").arg((*o.input)[0]).arg((*o.input)[1]).arg((*o.input)[2]);
    if (o.mean)
        args << QStringLiteral("--mean") << numbers(*o.mean);
    if (o.std)
        args << QStringLiteral("--std") << numbers(*o.std);
    return args;
}

qint64 physicalMemory()
{
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? qint64(pages) * size : qint64(8) << 30;
}

QString gib(qint64 bytes)
{
    return QString::number(double(bytes) / double(qint64(1) << 30), 'f', 1) + QStringLiteral(" GiB");
}

} // namespace

ModelValidator::ModelValidator(QObject* parent)
    : QObject(parent)
{
}

ModelValidator::~ModelValidator()
{
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

qint64 ModelValidator::memoryLimit() const
{
    return m_limits.memoryBytes > 0 ? m_limits.memoryBytes : std::max(physicalMemory() / 2, qint64(4) << 30);
}

void ModelValidator::check(const QString& path, const ModelMetadata& overrides, Done done)
{
    if (m_process) { // abandoned: a newer model was asked for
        m_process->disconnect(this);
        m_process->kill();
        m_process->deleteLater();
        m_process = nullptr;
    }
    m_done = std::move(done);
    m_path = path;
    m_timedOut = false;
    auto* process = new QProcess(this);
    m_process = process;
    const rlim_t limit = static_cast<rlim_t>(memoryLimit());
    // Runs in the child between fork and exec: only async-signal-safe calls.
    process->setChildProcessModifier([limit] {
        const rlimit memory{limit, limit};
        setrlimit(RLIMIT_AS, &memory);
        const rlimit noCore{0, 0};
        setrlimit(RLIMIT_CORE, &noCore); // a crash here is expected, not a core file
    });
    process->setProcessChannelMode(QProcess::SeparateChannels);
    connect(process, &QProcess::finished, this, [this, process](int code, QProcess::ExitStatus status) {
        if (process != m_process)
            return;
        if (status == QProcess::NormalExit && code == 0)
            finish(true, {});
        else
            finish(false, failureMessage());
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (process != m_process || error != QProcess::FailedToStart)
            return;
        finish(false, tr("%1: cannot start the model checker %2: %3").arg(m_path, m_program, process->errorString()));
    });
    auto* timer = new QTimer(process);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, process] {
        if (process != m_process)
            return;
        m_timedOut = true;
        process->kill(); // `finished` follows and reports the time-out
    });
    timer->start(m_limits.seconds * 1000);
    QStringList args{QStringLiteral("layers"), QStringLiteral("--json"), QStringLiteral("--device"),
                     QStringLiteral("cpu"), QStringLiteral("--threads"), QStringLiteral("1")};
    args << overrideArguments(overrides) << path;
    process->start(m_program, args);
}

// The child's own one-line error when it had one ("convscope layers: ..."),
// else what the operating system saw.
QString ModelValidator::failureMessage() const
{
    if (m_timedOut)
        return tr("%1: opening it took longer than %2 s in a separate process, so ConvScope did not open it "
                  "(its forward() may not end)")
            .arg(m_path)
            .arg(m_limits.seconds);
    const QString errors = QString::fromLocal8Bit(m_process->readAllStandardError());
    QString line;
    for (const QString& l : errors.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        if (l.startsWith(QLatin1String("convscope layers: ")))
            line = l.mid(18).trimmed();
    const bool memory = line.contains(QLatin1String("can't allocate memory")) || line == QLatin1String("out of memory")
        || errors.contains(QLatin1String("std::bad_alloc"));
    if (memory)
        return tr("%1: opening it needed more than %2 of memory in a separate process, so ConvScope did not "
                  "open it")
            .arg(m_path, gib(memoryLimit()));
    if (m_process->exitStatus() == QProcess::CrashExit)
        return tr("%1: opening it crashed a separate process (%2), so ConvScope did not open it: the file is "
                  "damaged or was made to crash its reader")
            .arg(m_path, QString::fromLocal8Bit(strsignal(m_process->exitCode()))); // a crash's exit code is its signal
    // The CLI's own lines name the file already.
    return line.isEmpty() ? tr("%1: the model checker stopped with exit code %2").arg(m_path).arg(m_process->exitCode())
                          : line;
}

void ModelValidator::finish(bool ok, const QString& message)
{
    QProcess* process = m_process;
    m_process = nullptr;
    process->disconnect(this);
    process->deleteLater();
    Done done = std::move(m_done);
    m_done = {};
    if (done)
        done(ok, message);
}

} // namespace convscope
