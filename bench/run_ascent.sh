#!/usr/bin/env bash
# Gradient ascent: steps/s of the Plain preset against the same loop in PyTorch
# (ResNet-18 fixture at 112 px, one image, class 0; processes alternate round by
# round), then the whole-layer batch against one run per channel.
#   bench/run_ascent.sh [BUILD_DIR] [THREADS] [ROUNDS] [STEPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
rounds=${3:-3}
steps=${4:-50}
[ -f "$build/fixtures/stamp" ] || /usr/bin/python3 "$root/models/export_torchvision.py" fixtures "$build/fixtures"
echo "# gradient ascent, plain preset, threads $threads"
for ((r = 1; r <= rounds; r++)); do
  echo "round $r convscope: $("$build/bench/bench_ascent" steps --model "$build/fixtures/resnet18_traced.pt" \
    --steps "$steps" --threads "$threads" 2>/dev/null)"
  echo "round $r pytorch:   $(/usr/bin/python3 "$root/bench/bench_ascent.py" --steps "$steps" --threads "$threads")"
done
"$build/bench/bench_ascent" layer --model "$root/models/lenet5_digits.pt" --layer conv2 --steps 100 --threads "$threads" 2>/dev/null
"$build/bench/bench_ascent" layer --model "$build/fixtures/resnet18_traced.pt" --layer layer1.0.conv1 --steps 10 \
  --threads "$threads" 2>/dev/null
