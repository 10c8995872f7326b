#!/usr/bin/env bash
# Builds core/, its GoogleTest programs and convscope-core against an upstream
# LibTorch 2.x (the one pip's torch carries) on a machine without Qt and
# OpenCV, then runs the core tests twice: on the CPU and with every test
# model on CUDA (CONVSCOPE_TEST_DEVICE=cuda). docs/RELIABILITY.md records what
# it printed on a GPU machine.
#
#   scripts/device_check.sh prepare      here, on Debian: copies the
#                                        build-only dependencies that such a
#                                        machine lacks (nlohmann-json, hnswlib,
#                                        GoogleTest's sources) into .devdeps/
#   scripts/device_check.sh run OUTDIR   there: python3 must have torch and
#                                        torchvision; logs go to OUTDIR
set -uo pipefail
cd "$(dirname "$0")/.."
deps=$PWD/.devdeps

if [ "${1:-}" = prepare ]; then
  rm -rf "$deps" && mkdir -p "$deps/include" "$deps/share/cmake" "$deps/src"
  cp -r /usr/include/nlohmann /usr/include/hnswlib "$deps/include/"
  cp -r /usr/share/cmake/nlohmann_json "$deps/share/cmake/"
  cp -r /usr/src/googletest "$deps/src/"
  du -sh "$deps"
  exit 0
fi
[ "${1:-}" = run ] && [ -n "${2:-}" ] || { echo "usage: $0 prepare | run OUTDIR" >&2; exit 2; }
out=$2
mkdir -p "$out"
jobs=$(nproc)
build=/tmp/convscope-device

{
  echo "== machine"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI, "torchvision", torchvision.__version__)'
  cmake --version | head -1; c++ --version | head -1; command -v nvcc && nvcc --version | tail -1; nproc
} 2>&1 | tee "$out/machine.txt"

# GoogleTest from the carried sources, installed where find_package(GTest) looks.
cmake -S "$deps/src/googletest" -B /tmp/gtest-build -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX=/tmp/gtest >/tmp/gtest.log 2>&1 &&
  cmake --build /tmp/gtest-build --target install >>/tmp/gtest.log 2>&1 || { echo "GoogleTest build failed"; tail -20 /tmp/gtest.log; exit 1; }

torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
# C++20 there, to be safe with the newest headers (whether 2.11's need it was
# not tried); core/ builds as 17 (Debian's, here) and as 20.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONVSCOPE_BUILD_GUI=OFF \
  -DCONVSCOPE_BUILD_BENCH=OFF -DCONVSCOPE_CXX_STANDARD=20 -DCONVSCOPE_PYTHON="$(command -v python3)" \
  -DCMAKE_PREFIX_PATH="$torch_prefix;/tmp/gtest;$deps" -DCMAKE_CXX_FLAGS="-isystem $deps/include" >/tmp/configure.log 2>&1 ||
  { echo "configure failed"; cp /tmp/configure.log "$out/"; tail -40 /tmp/configure.log; exit 1; }
echo "== build ($jobs jobs)"
start=$(date +%s)
# -k 0: every file that does not compile is in the log, not only the first.
cmake --build "$build" -j "$jobs" -- -k 0 >"$out/build.log" 2>&1
status=$?
echo "build exit $status in $(( $(date +%s) - start )) s"
if [ $status -ne 0 ]; then
  grep -E "error|Error" "$out/build.log" | head -60
  exit 1
fi

cd "$build"
echo "== core tests on the CPU (LibTorch $(python3 -c 'import torch; print(torch.__version__)'))"
CUDA_VISIBLE_DEVICES= OMP_NUM_THREADS=4 ctest -j 4 --timeout 600 --output-on-failure >"$out/ctest_cpu.log" 2>&1
grep -E "tests passed|\((SEGFAULT|ILLEGAL|BUS ERROR|NUMERICAL|Failed|Timeout)|Passed" "$out/ctest_cpu.log"
# A test program that crashes: which test, and where. tests/crash_report.cpp
# prints the faulting instruction, what holds it (a library and offset, or
# memory a JIT wrote), the unwound stack and the return addresses on the
# stack (the machine has no gdb). Then the same program again with oneDNN's
# and MKL's logs on (the last kernel before the crash), and once more with
# one thread and every library held to SSE4: does it still crash?
for name in $(sed -n 's/^.* - \([a-z_]*\) (\(SEGFAULT\|ILLEGAL\|BUS ERROR\|NUMERICAL\))$/\1/p' "$out/ctest_cpu.log" | head -4); do
  echo "== test_$name on the CPU" | tee -a "$out/crashes.txt"
  CUDA_VISIBLE_DEVICES= timeout 120 "tests/test_$name" >/tmp/crash.txt 2>&1
  grep -E "^\[ RUN|Failure|^crash:" /tmp/crash.txt | tail -60 | tee -a "$out/crashes.txt" | head -30
  CUDA_VISIBLE_DEVICES= ONEDNN_VERBOSE=1 DNNL_VERBOSE=1 MKL_VERBOSE=1 timeout 120 "tests/test_$name" >/tmp/verbose.txt 2>&1
  echo "-- last library log lines before the crash" | tee -a "$out/crashes.txt"
  grep -E "^(onednn_verbose|dnnl_verbose|MKL_VERBOSE)|^\[ RUN|^crash: (SIGSEGV|instruction)" /tmp/verbose.txt | tail -8 | tee -a "$out/crashes.txt"
  CUDA_VISIBLE_DEVICES= OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_ENABLE_INSTRUCTIONS=SSE4_2 \
    timeout 120 "tests/test_$name" --gtest_brief=1 >/tmp/narrow.txt 2>&1
  echo "-- one thread, SSE4 only: exit $?" | tee -a "$out/crashes.txt"
done
echo "== core tests with the models on CUDA"
CONVSCOPE_TEST_DEVICE=cuda OMP_NUM_THREADS=4 ctest -j 4 --timeout 600 --output-on-failure >"$out/ctest_cuda.log" 2>&1
grep -E "tests passed|\((SEGFAULT|ILLEGAL|BUS ERROR|NUMERICAL|Failed|Timeout)|Passed|relative to the largest" "$out/ctest_cuda.log"
echo "== PyTorch itself, CUDA against the CPU (logits, error relative to max(|value|, 1))"
python3 - <<'PY'
import torch
torch.manual_seed(0)
for name in ["alexnet_traced", "resnet18_traced"]:
    m = torch.jit.load(f"fixtures/{name}.pt").eval()
    x = torch.rand(1, 3, 112, 112)
    with torch.no_grad():
        ref = m(x)
        m = m.cuda()
        for tf32 in (True, False):
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            out = m(x.cuda()).cpu()
            print(f"{name}: TF32 {'on ' if tf32 else 'off'} {((out - ref).abs() / ref.abs().clamp_min(1)).max().item():.2g}")
PY
echo "== convscope-core on CUDA and on the CPU"
for device in cuda cpu; do
  ./cli_core/convscope-core summary fixtures/resnet18_scripted.pt --device "$device" --json >"/tmp/summary_$device.json" 2>"/tmp/summary_$device.err"
  echo "$device: exit $? $(head -c 200 "/tmp/summary_$device.err")"
done
cmp -s /tmp/summary_cuda.json /tmp/summary_cpu.json && echo "summary JSON identical on both devices" ||
  echo "summary JSON differs between devices"
