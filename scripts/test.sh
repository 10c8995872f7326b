#!/usr/bin/env bash
# Sets up (if needed), builds, and runs every test with offscreen Qt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" test
# A short libFuzzer pass over every parser we own (the long runs: scripts/fuzz.sh 1800).
FUZZ_JOBS=2 "$root/scripts/fuzz.sh" 15
cd "$root/build/test"
QT_QPA_PLATFORM=offscreen ctest --output-on-failure --parallel 2 --timeout 900
