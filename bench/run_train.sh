#!/usr/bin/env bash
# One LeNet-5 epoch on the digits: ConvScope's trainer against PyTorch, same threads.
#   bench/run_train.sh [BUILD_DIR] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
ours=$("$build/bench/bench_train" --threads "$threads" 2>/dev/null)
theirs=$(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 \
  /usr/bin/python3 "$root/bench/bench_train.py" --threads "$threads")
echo "$ours"
echo "$theirs"
a=$(echo "$ours" | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')
b=$(echo "$theirs" | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')
awk -v a="$a" -v b="$b" 'BEGIN { printf "ratio convscope / pytorch: %.3f\n", a / b }'
