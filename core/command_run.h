#pragma once

// How both CLIs (app/cli/ and cli_core/) end a command: one line on
// stderr and exit code 1 for every failure, so that they fail alike.

#include <functional>
#include <string>

namespace convscope {

// `command`'s exit code; or, when it throws, 1 and "PREFIX: message" on
// stderr (a convscope::Error as it is, LibTorch's without its backtrace).
int runCommand(const std::string& prefix, const std::function<int()>& command);

} // namespace convscope
