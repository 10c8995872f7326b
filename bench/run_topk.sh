#!/usr/bin/env bash
# Top-k scan throughput against a plain batched forward of the same model over
# the same images, same batch size, same process.
#   bench/run_topk.sh [BUILD_DIR] [THREADS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
threads=${2:-$(nproc)}
runs=${3:-5}
[ -f "$build/fixtures/stamp" ] || /usr/bin/python3 "$root/models/export_torchvision.py" fixtures "$build/fixtures"
echo "# ConvScope top-k scan vs plain batched forward (threads=$threads)"
"$build/bench/bench_topk" --threads "$threads" --runs "$runs" --fixtures "$build/fixtures" 2>/dev/null
