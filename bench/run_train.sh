#!/usr/bin/env bash
# One training epoch: ConvScope's trainer against PyTorch, same threads, the
# two alternated round by round (the machine's speed drifts over minutes).
#   bench/run_train.sh [BUILD_DIR] [THREADS] [ARCH] [ROUNDS]
#   ARCH: lenet5 (digits, default; 5 runs a round) or minivgg (Fashion-MNIST; 1 run a round)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
arch=${3:-lenet5}
rounds=${4:-1}
runs=5
[ "$arch" = minivgg ] && runs=1
ours=() theirs=()
for ((r = 0; r < rounds; r++)); do
  line=$("$build/bench/bench_train" --arch "$arch" --threads "$threads" --runs "$runs" 2>/dev/null)
  echo "$line"
  ours+=("$(echo "$line" | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')")
  line=$(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 \
    /usr/bin/python3 "$root/bench/bench_train.py" --arch "$arch" --threads "$threads" --runs "$runs")
  echo "$line"
  theirs+=("$(echo "$line" | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(median "${ours[@]}")
b=$(median "${theirs[@]}")
awk -v a="$a" -v b="$b" 'BEGIN { printf "median of rounds: convscope %.3f s, pytorch %.3f s, ratio convscope / pytorch: %.3f\n", a, b, a / b }'
