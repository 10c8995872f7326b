#!/usr/bin/env bash
# Capture-every-layer overhead: ConvScope (C++) and PyTorch hooks (Python),
# same models, input size, batch and thread count, one after the other.
#   bench/run_taps.sh [BUILD_DIR] [THREADS] [BATCH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
batch=${3:-1}
archs=(resnet18 mobilenet_v2 googlenet densenet121 squeezenet1_0)
[ -f "$build/fixtures/stamp" ] || /usr/bin/python3 "$root/models/export_torchvision.py" fixtures "$build/fixtures"
models=()
for a in "${archs[@]}"; do models+=("$build/fixtures/${a}_traced.pt" "$build/fixtures/${a}_scripted.pt"); done
echo "# ConvScope: plain module.forward vs one pass capturing every listed layer (threads=$threads)"
"$build/bench/bench_taps" --threads "$threads" --batch "$batch" "${models[@]}" 2>/dev/null
echo
echo "# PyTorch eager: plain forward vs forward hooks on every module (threads=$threads)"
# The same glibc malloc settings ConvScope makes at start-up (core/device.cpp).
MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 \
/usr/bin/python3 "$root/bench/bench_taps.py" --threads "$threads" --batch "$batch" "${archs[@]}"
