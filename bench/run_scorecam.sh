#!/usr/bin/env bash
# Score-CAM on ResNet-18 at 224x224, layer4 (512 channels, a forward pass each):
# ConvScope against a batched PyTorch implementation, same batch, same threads,
# the two processes alternating round by round; medians and their ratio.
#   bench/run_scorecam.sh [BUILD_DIR] [THREADS] [ROUNDS] [BATCH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
rounds=${3:-5}
batch=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/bench/bench_scorecam.py" --export "$work"
# Our batch size (from the 1 GiB activation budget) unless one is given; PyTorch gets the same.
if [ -z "$batch" ]; then
  batch=$("$build/bench/bench_scorecam" --model "$work/resnet18_224.pt" --image "$work/input.png" --runs 0 \
    --threads "$threads" 2>/dev/null | sed -n 's/.* batch \([0-9]*\)$/\1/p')
fi
echo "# scorecam, ResNet-18 224x224, layer4 (512 channels), batch $batch, threads $threads, $rounds rounds"
ours=() theirs=()
for ((r = 1; r <= rounds; r++)); do
  a=$("$build/bench/bench_scorecam" --model "$work/resnet18_224.pt" --image "$work/input.png" --batch "$batch" \
    --threads "$threads" 2>/dev/null)
  b=$(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 \
    /usr/bin/python3 "$root/bench/bench_scorecam.py" --image "$work/input.png" --batch "$batch" --threads "$threads")
  ours+=("$(echo "$a" | sed -n 's/^run \([0-9.]*\) s/\1/p')")
  theirs+=("$(echo "$b" | sed -n 's/^run \([0-9.]*\) s/\1/p')")
  echo "round $r: convscope ${ours[-1]} s, pytorch ${theirs[-1]} s"
done
echo "convscope: $(echo "$a" | tail -1)"
echo "pytorch:   $(echo "$b" | tail -1)"
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m1=$(median "${ours[@]}")
m2=$(median "${theirs[@]}")
awk -v a="$m1" -v b="$m2" 'BEGIN { printf "median convscope %.3f s, pytorch %.3f s; ratio pytorch / convscope (speed-up): %.3f\n", a, b, b / a }'
