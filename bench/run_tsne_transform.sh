#!/usr/bin/env bash
# Placing new points into a fixed t-SNE map (core/tsne_transform.h): the
# issue's "placement of 100 new points takes <= 1 s on 2 cores". openTSNE,
# the reference implementation, is not in Debian, so these are absolute times.
#   1. LeNet-5's relu4 features of the 5000 digits: a map of 4900, the 100
#      held out placed ROUNDS times with the exact sums over the map (the
#      default up to 10,000 map points) and by Barnes-Hut;
#   2. the 70,000 shifted/rotated digits in 50 dimensions (bench/tsne_data.py):
#      a map of 69,900, the 100 held out placed by Barnes-Hut (the default
#      above 10,000 map points) and with the exact sums.
#   bench/run_tsne_transform.sh [BUILD_DIR] [THREADS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
rounds=${3:-5}

echo "# LeNet-5 relu4 features of 5000 digits: map of 4900, 100 placed, threads $threads"
"$build/bench/bench_tsne_transform" --threads "$threads" --rounds "$rounds" --repulsion auto,barnes-hut

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/bench/tsne_data.py" "$tmp"
echo "# 70,000 digits in 50 dimensions: map of 69,900, 100 placed, threads $threads"
"$build/bench/bench_tsne_transform" --input "$tmp/digits70k50.f32" --n 70000 --d 50 --threads "$threads" \
  --rounds "$rounds" --repulsion auto,exact
