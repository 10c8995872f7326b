#pragma once

#include "core/model_metadata.h"

#include <QObject>
#include <QString>

#include <functional>

class QProcess;

namespace convscope {

// Opens a model in a child process before the GUI does: a hostile or broken
// TorchScript archive can crash, hang or exhaust memory inside LibTorch, and
// in the GUI's own process that would take the user's work down with it. The
// child is the CLI's `layers --json` (the same load and forward pass the GUI
// runs), on the CPU, under a wall-clock limit and an address-space limit.
class ModelValidator final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelValidator)
public:
    struct Limits {
        int seconds = 60;
        qint64 memoryBytes = 0; // 0: half the machine's memory, at least 4 GiB
    };
    // ok, or the one line saying what went wrong.
    using Done = std::function<void(bool ok, const QString& message)>;

    // `program` is the convscope executable; empty turns checking off.
    explicit ModelValidator(QObject* parent = nullptr);
    ~ModelValidator() override;

    void setProgram(const QString& program) { m_program = program; }
    QString program() const { return m_program; }
    void setLimits(const Limits& limits) { m_limits = limits; }
    Limits limits() const { return m_limits; }
    bool enabled() const { return !m_program.isEmpty(); }

    // Starts checking `path` with the metadata overrides the GUI will load it
    // with; a check still running is abandoned (its `done` never runs).
    // `done` runs on this object's thread.
    void check(const QString& path, const ModelMetadata& overrides, Done done);
    bool busy() const { return m_process != nullptr; }

private:
    void finish(bool ok, const QString& message);
    QString failureMessage() const;
    qint64 memoryLimit() const;

    QString m_program;
    Limits m_limits;
    QProcess* m_process = nullptr;
    QString m_path;
    Done m_done;
    bool m_timedOut = false;
};

} // namespace convscope
