#!/usr/bin/env bash
# shards.sh: one run split into N shards, their reports joined into one
# (`make sim ... SHARDS=N [ENGINE=local|slurm]`).
#
#   sim/shards.sh BUILD MODEL N [simulator options...]
#
# The simulator is built once, here (sim/flow.sh), into BUILD/hw/, which
# every Slurm node must see. Shard K runs `sim --shard K/N`: the images a run
# with --threads N gives model instance K, as instance K. ENGINE=local runs
# the N shards side by side on this machine, ENGINE=slurm as one job array
# (sbatch --wait; SBATCH_ARGS are passed on). sim/report_merge then prints
# the report of the whole run and writes it to --report's file (default
# BUILD/shards/<model>/report.json, with its pictures unless CNN_PLOTS=0):
# the report a single run with --threads N writes, but for its timing.
# Exit code: the joined run's verdict.
set -euo pipefail
die() { echo "shards.sh: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: shards.sh BUILD MODEL N [options]"
BUILD=$(cd "$1" && pwd); MODEL=$(realpath "$2"); N=$3; shift 3
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "SHARDS=$N is not a positive number"
HERE=$(cd "$(dirname "$0")" && pwd)
ENGINE=${ENGINE:-local}
EXE=$("$HERE/flow.sh" "$BUILD" "$MODEL" | tail -1)
OUT="$BUILD/shards/$(basename "$MODEL" .onnx)"
rm -rf "$OUT" && mkdir -p "$OUT"

# --report is the joined run's; --threads is the shards' business.
report="$OUT/report.json"; args=(); prev=""
for a in "$@"; do
  if [ "$prev" = --report ]; then report=$a; prev=""; continue; fi
  if [ "$prev" = --threads ]; then prev=""; continue; fi
  prev=$a
  case "$a" in --report|--threads) continue ;; esac
  args+=("$a")
done
# Relative paths (images, the report) as seen from here, for every node.
for i in "${!args[@]}"; do [ -e "${args[$i]}" ] && args[$i]=$(realpath "${args[$i]}"); done

printf '%q ' "$EXE" --model "$MODEL" "${args[@]}" --quiet > "$OUT/cmd"
shard_cmd() {  # K -> the command line of shard K
  echo "$(cat "$OUT/cmd") --shard $1/$N --report $OUT/shard.$1.json > $OUT/shard.$1.log 2>&1"
}
t0=$(date +%s%N)
case "$ENGINE" in
  local)
    pids=()
    for ((k = 0; k < N; k++)); do bash -c "$(shard_cmd $k)" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || true; done ;;
  slurm)
    command -v sbatch > /dev/null || die "no sbatch (bash scripts/setup.sh; make slurm-start for a local cluster)"
    printf '#!/usr/bin/env bash\n%s --shard "$SLURM_ARRAY_TASK_ID/%s" --report "%s/shard.$SLURM_ARRAY_TASK_ID.json" > "%s/shard.$SLURM_ARRAY_TASK_ID.log" 2>&1\n' \
      "$(cat "$OUT/cmd")" "$N" "$OUT" "$OUT" > "$OUT/task.sh"
    # shellcheck disable=SC2086
    job=$(sbatch --parsable --wait ${SBATCH_ARGS:-} -J cnn-shards --array=0-$((N - 1)) -o "$OUT/slurm-%a.out" \
      "$OUT/task.sh") || true
    echo "slurm: job ${job:-?}: $N shards" >&2 ;;
  *) die "ENGINE=$ENGINE is not one of local, slurm" ;;
esac
echo "shards: $N shards ($ENGINE) in $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
shards=()
for ((k = 0; k < N; k++)); do
  [ -f "$OUT/shard.$k.json" ] || { tail -3 "$OUT/shard.$k.log" >&2 2>/dev/null; die "shard $k/$N wrote no report (log: $OUT/shard.$k.log)"; }
  shards+=("$OUT/shard.$k.json")
done
rc=0
"$BUILD/sim/report_merge" "$report" "${shards[@]}" || rc=$?
# The pictures of the joined report, as sim/run.sh draws a run's.
if [ -f "$report" ] && [ "${CNN_PLOTS:-1}" != 0 ] && /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$HERE/plot_report.py" "$report" || echo "shards.sh: the pictures failed (see above)" >&2
fi
exit $rc
