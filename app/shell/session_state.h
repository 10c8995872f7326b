#pragma once

#include <QString>
#include <QStringList>

class QSettings;

namespace convscope {

// What the last session left in the settings: the model, input and view to
// reopen. Read through readSession so that a damaged or hand-edited file
// (a list where a path belongs, a negative position) gives defaults, never
// a crash or an odd state.
struct SessionState {
    QString model;
    QString device = QStringLiteral("auto");
    QString input;
    qint64 position = 0;
    bool walkAll = false; // the position counts all images, not the test split
    QString layer;
    QString tab;
    QStringList recentModels;
    QStringList recentInputs;
};

SessionState readSession(const QSettings& settings);

// If the settings file cannot be parsed, moves it aside (FILE.damaged-DATE),
// so that ConvScope starts from defaults and the old file is kept for the
// user; returns a one-line note saying so, or an empty string when the file is
// fine or absent. `settings` must be the application's QSettings.
QString setAsideDamagedSettings(QSettings& settings);

} // namespace convscope
