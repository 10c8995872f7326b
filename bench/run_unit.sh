#!/usr/bin/env bash
# The Unit page of a ResNet-18 (224 x 224, random weights) layer3 channel in
# the real window, against the same model work in PyTorch, same threads.
#   bench/run_unit.sh [BUILD_DIR] [THREADS] [CHANNELS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
channels=${3:-8}
work=$build/bench_unit_data
mkdir -p "$work"
[ -f "$work/resnet18_224.pt" ] || /usr/bin/python3 "$root/models/export_torchvision.py" export resnet18 \
  "$work/resnet18_224.pt" --input 224 2>/dev/null
# 256 Fashion-MNIST test images as an idx file: the dataset the page scans.
/usr/bin/python3 - "$work" <<'PY'
import gzip, struct, sys
n = 256
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = f.read()[16:16 + n * 784]
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f:
    labels = f.read()[8:8 + n]
open(sys.argv[1] + "/part-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, n, 28, 28) + images)
open(sys.argv[1] + "/part-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, n) + labels)
PY
echo "# Unit page, ResNet-18 224 layer3 (threads=$threads)"
"$build/bench/bench_unit" --model "$work/resnet18_224.pt" --data "$work/part-images-idx3-ubyte" \
  --threads "$threads" --channels "$channels" 2>/dev/null
/usr/bin/python3 "$root/bench/bench_unit.py" --data "$work/part-images-idx3-ubyte" --threads "$threads" \
  --channels "$channels"
