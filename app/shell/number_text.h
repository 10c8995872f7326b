#pragma once

// Numbers typed as text, the same in the CLI's options and the tabs' fields.

#include <QString>

namespace convscope
{

// A number, or a fraction such as 8/255; Error naming option `name` otherwise.
double numberText(const QString& text, const QString& name);

} // namespace convscope
