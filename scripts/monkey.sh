#!/usr/bin/env bash
# The GUI monkey test under AddressSanitizer and UndefinedBehaviorSanitizer:
# configures a sanitized build in BUILD_DIR (apart from the normal one), builds
# test_monkey and runs ACTIONS random actions (default 2000) from SEED (default 1)
# on the real window, offscreen. Any sanitizer report stops the run with a
# non-zero status; the test itself fails on a crash, a stuck action or memory
# growing more than 20 % after the first 200 actions.
#
#   scripts/monkey.sh /tmp/basan            # 2000 actions, seed 1
#   scripts/monkey.sh /tmp/basan 500 7      # replay a short walk from seed 7
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [ACTIONS] [SEED]" >&2
  exit 2
fi
build=$1
actions=${2:-2000}
seed=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${CONVSCOPE_JOBS:-2}

# RelWithDebInfo keeps -g for the stack traces and -O2 so that 2000 actions
# finish in reasonable time.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONVSCOPE_SANITIZE=ON -DCONVSCOPE_BUILD_BENCH=OFF -DCONVSCOPE_BUILD_TESTS=ON >/dev/null
nice -n 5 cmake --build "$build" --target test_monkey --parallel "$jobs"

supp=$root/tests/sanitizer
# The first report ends the run (halt_on_error, and -fno-sanitize-recover for
# UBSan) with a stack. LeakSanitizer runs at exit; lsan.supp names the
# third-party libraries whose leaks it ignores (see tests/sanitizer/README.md).
# fast_unwind_on_malloc=0: Debian's libraries have no frame pointers, so ASan's
# fast unwinder records partly wrong, and so ever new, stacks for allocations; its stack
# store never forgets one: 1.0 million stacks (60 MB) after 200 actions, 2.4
# million (140 MB) after 800, more than the walk's memory limit allows. The
# slow unwinder's stacks are right; it grew 34 MB over 1800 actions, and a
# 2000-action walk took 484 s with it, 457 s without (docs/RELIABILITY.md).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:fast_unwind_on_malloc=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=1:${LSAN_OPTIONS:-}"
export QT_QPA_PLATFORM=offscreen
# QtTest aborts a test function after 5 minutes by default; 2000 actions take longer.
export QTEST_FUNCTION_TIMEOUT=${QTEST_FUNCTION_TIMEOUT:-14400000}
export CONVSCOPE_MONKEY_ACTIONS=$actions
export CONVSCOPE_MONKEY_SEED=$seed
cd "$build/tests"
exec ./test_monkey
