#!/usr/bin/env bash
# Dataset-mode PGD (10 steps) throughput against the same loop in PyTorch on
# the same images (processes alternate round by round; medians and ratio):
#   1. the shipped LeNet-5 on 1000 digits, eps 0.1, batch 128, early stop on;
#   2. the same without early stop (every sample takes all 10 steps);
#   3. the ResNet-18 fixture at 112 px on 32 digits, eps 8/255, batch 32, no early stop.
#   bench/run_attack.sh [BUILD_DIR] [THREADS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
rounds=${3:-3}
[ -f "$build/fixtures/stamp" ] || /usr/bin/python3 "$root/models/export_torchvision.py" fixtures "$build/fixtures"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
seconds() { sed -E 's/.*: ([0-9.]+) s,.*/\1/'; }

compare() { # name, C++ args, Python args
  local name=$1 ours=() theirs=() a b
  echo "# $name, threads $threads"
  for ((r = 1; r <= rounds; r++)); do
    a=$("$build/bench/bench_attack" $2 --threads "$threads" --dump "$tmp/data" 2>/dev/null)
    b=$(/usr/bin/python3 "$root/bench/bench_attack.py" $3 --dump "$tmp/data" --threads "$threads")
    echo "round $r convscope: $a"
    echo "round $r pytorch:   $b"
    ours+=("$(echo "$a" | seconds)")
    theirs+=("$(echo "$b" | seconds)")
  done
  awk -v a="$(median "${ours[@]}")" -v b="$(median "${theirs[@]}")" \
    'BEGIN { printf "median convscope %.3f s, pytorch %.3f s; ratio pytorch / convscope (speed-up): %.2f\n", a, b, b / a }'
}

lenet="$root/models/lenet5_digits.pt"
compare "LeNet-5, 1000 digits, PGD-10 eps 0.1, early stop" \
  "--model $lenet --eps 0.1 --samples 1000 --batch 128 --early-stop 1" \
  "--arch lenet --model $lenet --eps 0.1 --batch 128 --early-stop 1"
compare "LeNet-5, 1000 digits, PGD-10 eps 0.1, all steps" \
  "--model $lenet --eps 0.1 --samples 1000 --batch 128 --early-stop 0" \
  "--arch lenet --model $lenet --eps 0.1 --batch 128 --early-stop 0"
compare "ResNet-18 at 112 px, 32 digits, PGD-10 eps 8/255, all steps" \
  "--model $build/fixtures/resnet18_traced.pt --eps 0.03137254901960784 --samples 32 --batch 32 --early-stop 0" \
  "--arch resnet18 --size 112 --eps 0.03137254901960784 --batch 32 --early-stop 0"
