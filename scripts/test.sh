#!/usr/bin/env bash
# Sets up (if needed), builds, and runs every test with offscreen Qt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" test
# A short libFuzzer pass over every parser we own, the committed corpus and the
# regressions first (the long runs: scripts/fuzz.sh 1860); 8 s each keeps CI under 40 minutes.
FUZZ_JOBS=2 "$root/scripts/fuzz.sh" 8
cd "$root/build/test"
QT_QPA_PLATFORM=offscreen ctest --output-on-failure --parallel 2 --timeout 900
