#!/usr/bin/env bash
# fifo_depths.sh: the skip FIFO depths a residual model needs, found by
# simulation.
#
#   sim/fifo_depths.sh BUILD MODEL [COUNT]     (make fifo-depths MODEL=...)
#
# 1. Builds the model with every skip FIFO a whole tensor deep (FIFO=skip=full:
#    nothing a residual block does can fill it) and simulates COUNT random
#    images (default 8) at full rate and under random and heavy stalls,
#    recording each FIFO's peak occupancy (the harness counts beats in and
#    out of every FIFO, every cycle).
# 2. The peak over those runs is the smallest depth at which the same runs
#    are cycle-identical to unbounded FIFOs: at that depth a FIFO is never
#    full when a beat arrives without one leaving. Printed beside the depth
#    the analysis planned (gen/emit.cpp skip_fifos), with the search's time.
# 3. Builds the model again at exactly those depths and checks that the runs
#    give the same cycles, bit-exact, without a watchdog.
# Needs a model with at least one Add.
set -euo pipefail
die() { echo "fifo_depths.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: fifo_depths.sh BUILD MODEL [COUNT]"
BUILD=$1; MODEL=$2; COUNT=${3:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
now() { date +%s%N; }
ms() { echo $(( ($(now) - $1) / 1000000 )); }

t=$(now)
DEEP=$(FIFO=skip=full "$HERE/flow.sh" "$BUILD" "$MODEL" | tail -1) || die "building $MODEL with deep skip FIFOs failed"
build_deep=$(ms "$t")
t=$(now)
for stall in off random heavy; do
  "$DEEP" --random "$COUNT" --stall "$stall" --seed 1 --report "$TMP/deep-$stall.json" > "$TMP/deep-$stall.txt" 2>&1 \
    || { cat "$TMP/deep-$stall.txt" >&2; die "the run with deep skip FIFOs failed (stall $stall)"; }
done
search=$(ms "$t")
# "  skip FIFO l3_skip_b    depth 1088 (planned 384), peak occupancy 291"
peaks=$(cat "$TMP"/deep-*.txt | awk '$1 == "skip" && $2 == "FIFO" {
          n = $3
          match($0, /peak occupancy [0-9]+/); p = substr($0, RSTART + 15, RLENGTH - 15) + 0
          match($0, /planned [0-9]+/); pl = substr($0, RSTART + 8, RLENGTH - 8) + 0
          if (!(n in peak) || p > peak[n]) peak[n] = p; plan[n] = pl }
        END { for (n in peak) print n, (peak[n] > 0 ? peak[n] : 1), plan[n] }' | sort)
[ -n "$peaks" ] || die "$MODEL has no skip FIFO (no Add)"
spec=$(echo "$peaks" | awk '{ printf "%s%s=%d", (NR > 1 ? "," : ""), $1, $2 }')
echo "skip FIFOs of $(basename "$MODEL") ($COUNT random images, stall off/random/heavy):"
printf "  %-14s %10s %10s\n" FIFO minimum planned
echo "$peaks" | while read -r n p pl; do printf "  %-14s %10d %10d\n" "$n" "$p" "$pl"; done
echo "  search: $(( search / 1000 )).$(( search % 1000 / 100 )) s of simulation (3 x $COUNT images; build with deep FIFOs $(( build_deep / 1000 )) s)"

# 3. The same runs at exactly those depths.
t=$(now)
EXACT=$(FIFO=$spec "$HERE/flow.sh" "$BUILD" "$MODEL" | tail -1) || die "building $MODEL at FIFO=$spec failed"
build_exact=$(ms "$t")
for stall in off random heavy; do
  "$EXACT" --random "$COUNT" --stall "$stall" --seed 1 --report "$TMP/exact-$stall.json" > "$TMP/exact-$stall.txt" 2>&1 \
    || { cat "$TMP/exact-$stall.txt" >&2; die "the run at FIFO=$spec failed (stall $stall)"; }
  a=$(grep -o '([0-9]* cycles in all)' "$TMP/deep-$stall.txt"); b=$(grep -o '([0-9]* cycles in all)' "$TMP/exact-$stall.txt")
  [ "$a" = "$b" ] || die "stall $stall: $b at the found depths, $a with deep FIFOs: not cycle-identical"
done
echo "  verified: at FIFO=$spec the runs are bit-exact and cycle-identical to the deep ones (build $(( build_exact / 1000 )) s)"
