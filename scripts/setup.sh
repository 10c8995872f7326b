#!/usr/bin/env bash
# Installs every Debian 12 package that ConvScope's build, app and tests need.
# Idempotent: when everything is present it only checks, in about a second.
# Nothing comes from anywhere but Debian's archive.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkgconf binutils
  # libraries
  libtorch-dev nlohmann-json3-dev zlib1g-dev libhnswlib-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-qpa-plugins
  libopencv-dev
  # GStreamer's appsink and videoconvert, for live streams given as pipelines (tests: videotestsrc)
  gstreamer1.0-plugins-base
  # tests: references from PyTorch itself (and matplotlib's colormaps, PIL to read PNGs back),
  # GoogleTest, the digits and photos of opencv-doc
  python3 python3-torch python3-torchvision python3-sklearn python3-numpy python3-matplotlib python3-pil python3-skimage
  libgtest-dev libgmock-dev opencv-doc
  # the real Fashion-MNIST (60,000 + 10,000 images): the `fashion-mnist` dataset and the shipped MiniVGG
  dataset-fashion-mnist
  # fuzzing the parsers (libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer: tests/fuzz)
  clang-14 libclang-rt-14-dev
  # looking at the GUI without a display
  xvfb xauth imagemagick fonts-dejavu-core
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "setup: run as root (or install sudo): apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
