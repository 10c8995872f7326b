#!/usr/bin/env bash
# t-SNE speed and quality (issue 9), side by side with scikit-learn's TSNE on
# the same points (processes alternate round by round; medians and ratio):
#   1. the 5000 digits reduced to 50 dimensions (bench/tsne_data.py), 1000
#      iterations, perplexity 30, PCA initialization, both on THREADS threads;
#   2. 70,000 shifted/rotated digits in 50 dimensions, ConvScope only (the
#      issue's target: under 90 s on 2 cores).
#   bench/run_tsne.sh [BUILD_DIR] [THREADS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
rounds=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/bench/tsne_data.py" "$tmp"
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { sed -E "s/.*\"$1\": ([0-9.]+).*/\\1/"; }

echo "# 5000 digits, 50 dimensions, 1000 iterations, threads $threads"
ours=() theirs=()
for ((r = 1; r <= rounds; r++)); do
  a=$("$build/bench/bench_tsne" --input "$tmp/digits50.f32" --n 5000 --d 50 --threads "$threads")
  b=$(/usr/bin/python3 "$root/bench/bench_tsne.py" "$tmp/digits50" 5000 50 1000 "$threads")
  echo "round $r convscope:    $a"
  echo "round $r scikit-learn: $b"
  ours+=("$(echo "$a" | field seconds_total)")
  theirs+=("$(echo "$b" | field seconds_total)")
done
awk -v a="$(median "${ours[@]}")" -v b="$(median "${theirs[@]}")" \
  'BEGIN { printf "median convscope %.2f s, scikit-learn %.2f s; ratio scikit-learn / convscope (speed-up): %.1f\n", a, b, b / a }'

echo "# 70,000 digits, 50 dimensions, 1000 iterations, threads $threads"
for ((r = 1; r <= rounds; r++)); do
  echo "round $r convscope: $("$build/bench/bench_tsne" --input "$tmp/digits70k50.f32" --n 70000 --d 50 --threads "$threads")"
done
