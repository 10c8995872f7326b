#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, clang with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for SECONDS on its corpus.
#   scripts/fuzz.sh [SECONDS per harness, default 10] [HARNESS ...]
# The corpus grows in build/fuzz/corpus/NAME (the committed one, merged from
# the 30-minute runs: tests/fuzz/corpus/NAME); a crash leaves its input in
# build/fuzz/artifacts/ and fails the script; inputs that crashed once live
# in tests/fuzz/regressions/ and are run first.
# FUZZ_JOBS=N runs N harnesses at once (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(metadata idx digits folder caches session cli)
build=${FUZZ_BUILD:-$root/build/fuzz}

cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build "$build" --parallel "$(nproc)"

# LibTorch, Qt and OpenCV are not instrumented; what they allocate at start-up
# and keep for the process's life is not a leak of ours (tests/fuzz/lsan.supp).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0
export OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen

max_len() {
  case "$1" in
    digits) echo 1048576 ;; # the real sheet is 721 KB
    folder) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

run_one() {
  local name=$1 corpus=$build/corpus/$1 log=$build/logs/$1.log
  mkdir -p "$corpus" "$build/artifacts" "$build/logs"
  [ "$name" != digits ] || cp -n /usr/share/doc/opencv-doc/examples/data/digits.png "$corpus/real-digits.png" 2>/dev/null || true
  # The inputs that once crashed a harness (tests/fuzz/regressions) must pass first.
  local found=("$root"/tests/fuzz/regressions/"$name"-*)
  if [ -e "${found[0]}" ] && ! "$build/fuzz_$name" -close_fd_mask=1 "${found[@]}" >"$log" 2>&1; then
    echo "fuzz $name: a past crash is back (see $log)"; return 1
  fi
  if "$build/fuzz_$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len="$(max_len "$name")" \
      -close_fd_mask=1 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
      "$corpus" "$root/tests/fuzz/corpus/$name" >"$log" 2>&1; then
    echo "fuzz $name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${seconds} s," \
         "$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1), no crash"
  else
    echo "fuzz $name: FAILED (see $log)"; grep -m 20 -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" || tail -20 "$log"
    return 1
  fi
}

status=0
jobs=${FUZZ_JOBS:-1}
pids=()
for name in "${names[@]}"; do
  run_one "$name" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
