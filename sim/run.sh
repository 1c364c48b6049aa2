#!/usr/bin/env bash
# run.sh: build (or reuse) a model's simulator and run it.
#   sim/run.sh BUILD MODEL [simulator options...]     (see sim/sim_main.cpp)
#   sim/run.sh BUILD MODEL --build-only
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: run.sh BUILD MODEL [options]" >&2; exit 2; }
BUILD=$1; MODEL=$2; shift 2
SIM=$("$(dirname "$0")/flow.sh" "$BUILD" "$MODEL" | tail -1)
[ "${1:-}" = "--build-only" ] && exit 0
exec "$SIM" --manifest "$(dirname "$(dirname "$SIM")")/gen/manifest.json" --model "$MODEL" "$@"
