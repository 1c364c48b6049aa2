#!/usr/bin/env bash
# run.sh: run the cnnc fuzzer for a set time and summarise it.
#   fuzz/run.sh FUZZER WORKDIR SECONDS
# Environment: FUZZ_SEED (libFuzzer's -seed; default 1, so that a run on the
# same code and corpus explores the same inputs; 0 = a random seed).
# The corpus lives in WORKDIR/corpus (kept between runs, seeded from
# models/zoo/*.onnx and models/*.onnx), findings in WORKDIR/findings
# (WORKDIR/findings/<date>/: crash-*, timeout-*, oom-*, leak-*, each an
# input that reproduces with `FUZZER FILE`, and fuzz.log). Prints one summary line; exits 1 on any finding.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: fuzz/run.sh FUZZER WORKDIR SECONDS" >&2; exit 2; }
FUZZER=$1; WORK=$2; SECONDS_=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FINDINGS="$WORK/findings/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$WORK/corpus" "$FINDINGS"
cp -n "$ROOT"/models/zoo/*.onnx "$ROOT"/models/*.onnx "$WORK/corpus/" 2>/dev/null || true
LOG="$FINDINGS/fuzz.log"

# -timeout: an input over 10 s is a finding. -rss_limit_mb / -malloc_limit_mb:
# a model that makes cnnc allocate over 2 GiB is one too (the resource guard
# and the reader's limits should refuse it first). The seeds are up to 46 kB.
set +e
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$FUZZER" -max_total_time="$SECONDS_" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=2048 \
  -max_len=65536 -seed="${FUZZ_SEED:-1}" -print_final_stats=1 -artifact_prefix="$FINDINGS/" \
  "$WORK/corpus" > "$LOG" 2>&1
rc=$?
set -e

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -1)
counts=$(sed -n 's/^fuzz-counts: //p' "$LOG" | tail -1)  # absent after a crash
crashes=$(ls "$FINDINGS" | grep -c '^crash-\|^leak-\|^oom-\|^deadly' || true)
timeouts=$(ls "$FINDINGS" | grep -c '^timeout-\|^slow-unit' || true)
echo "fuzz: ${SECONDS_} s, ${execs:-0} execs (${speed:-0}/s), $crashes crashes, $timeouts timeouts; ${counts:-no counts}"
if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$timeouts" -ne 0 ]; then
  grep -m1 -A30 'ERROR: \|==ERROR\|fuzz: internal\|runtime error' "$LOG" | head -40 >&2 || tail -30 "$LOG" >&2
  echo "fuzz: findings in $FINDINGS (full log: $LOG)" >&2
  exit 1
fi
