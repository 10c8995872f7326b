#!/usr/bin/env bash
# Configures and builds into build/<kind> (release: app only; test: app,
# tests and benchmarks). Used by run.sh and test.sh.
set -euo pipefail
kind=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$kind" in
  release) options=(-DCONVSCOPE_BUILD_TESTS=OFF -DCONVSCOPE_BUILD_BENCH=OFF) ;;
  test) options=(-DCONVSCOPE_BUILD_TESTS=ON -DCONVSCOPE_BUILD_BENCH=ON) ;;
  *) echo "usage: $0 [release|test]" >&2; exit 2 ;;
esac
cmake -S "$root" -B "$root/build/$kind" -G Ninja -DCMAKE_BUILD_TYPE=Release "${options[@]}" >/dev/null
cmake --build "$root/build/$kind" --parallel "$(nproc)"
