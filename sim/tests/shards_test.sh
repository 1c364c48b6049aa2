#!/usr/bin/env bash
# shards_test.sh BUILD ENGINE N MODEL [simulator options]: the run split in N
# shards (sim/shards.sh, ENGINE local or slurm) gives the report a single run
# with --threads N gives (sim/tests/same_report.py: timing aside).
# ENGINE=slurm without a reachable cluster: see slurm_ready in slurm_env.sh.
set -euo pipefail
BUILD=$(cd "$1" && pwd); ENGINE=$2; N=$3; MODEL=$4; shift 4
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$ENGINE" != slurm ] || { source "$HERE/slurm_env.sh"; slurm_ready; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
EXE=$("$HERE/../flow.sh" "$BUILD" "$MODEL" | tail -1)
"$EXE" --model "$MODEL" "$@" --threads "$N" --quiet --report "$T/single.json" > "$T/single.out" || true
CNN_PLOTS=0 ENGINE=$ENGINE "$HERE/../shards.sh" "$BUILD" "$MODEL" "$N" "$@" --report "$T/sharded.json" > "$T/sharded.out" || true
[ -f "$T/single.json" ] && [ -f "$T/sharded.json" ] || { cat "$T"/*.out; echo "shards_test: a run wrote no report"; exit 1; }
/usr/bin/python3 "$HERE/same_report.py" "$T/single.json" "$T/sharded.json"
# The printed reports too, but for the timing and report lines.
strip() { grep -vE '^  (simulation|report) ' "$1"; }
diff <(strip "$T/single.out") <(strip "$T/sharded.out") || { echo "shards_test: the printed reports differ"; exit 1; }
echo "shards_test: $N shards ($ENGINE) = one run with $N instances: $(head -1 "$T/sharded.out")"
