#!/usr/bin/env bash
# Live activations from a video: frames/s through the whole window (read,
# forward, top-5, tiles, paint) against the bare forward in the same process
# and PyTorch's forward, for the shipped LeNet-5 and ResNet-18 at 224x224.
#   bench/run_live.sh [BUILD_DIR] [THREADS] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
seconds=${3:-10}
video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/models/export_torchvision.py" export resnet18 "$work/resnet18.pt" --input 224 --trace >/dev/null
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864
run() { # MODEL LAYER C H W
  "$build/bench/bench_live" --threads "$threads" --seconds "$seconds" "$1" "$video" "$2" 2>/dev/null
  /usr/bin/python3 "$root/bench/bench_live.py" --threads "$threads" --seconds "$seconds" "$1" "$3" "$4" "$5"
}
echo "# threads=$threads, $seconds s per measurement, $video played as fast as the model goes"
run "$root/models/lenet5_digits.pt" conv2 1 28 28
run "$work/resnet18.pt" layer1.0.conv1 3 224 224
