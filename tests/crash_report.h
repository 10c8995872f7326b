#pragma once

namespace convscope::test {

// Installs handlers that, when a test program dies of SIGSEGV, SIGBUS, SIGILL
// or SIGFPE, print where to stderr before the default action: the faulting
// instruction and what holds it (a library and offset, or anonymous memory:
// code that a JIT wrote), the unwound stack, and the return addresses found on
// the stack. Written for scripts/device_check.sh, whose machine has no
// debugger. Returns true, so that it can initialise a static.
bool installCrashReport();

} // namespace convscope::test
