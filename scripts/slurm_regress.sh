#!/usr/bin/env bash
# slurm_regress.sh: the regression (`make regress ENGINE=slurm`) as Slurm job
# arrays: the same CTest tests a local `make regress` runs, one array task
# each, then their JUnit files joined into BUILD/regress/junit.xml, from
# which the Makefile prints the same table.
#
#   scripts/slurm_regress.sh BUILD [REGEX]      (REGEX: ctest -R, as REGRESS=)
#
# First array: the fixtures that build the simulators (hw_build_<model>), one
# task a model, each simulator built once into BUILD/hw/, which every node
# must see (a shared folder: BUILD on NFS or the like). Second array, after
# the first (afterany): the runs regress_<model>_<stall>, with CTest's
# fixtures left out (-FA), reading the shared simulators. A run whose
# simulator did not build fails, as it would locally.
# Environment: SLURM_CONF (which cluster: the Makefile points it at
# scripts/slurm_local.sh's when that runs), SBATCH_ARGS (e.g. "--partition=x
# --time=30"), passed to both sbatch calls.
set -euo pipefail
die() { echo "slurm_regress.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: slurm_regress.sh BUILD [REGEX]"
BUILD=$(cd "$1" && pwd); FILTER=${2:-}
command -v sbatch > /dev/null || die "no sbatch (bash scripts/setup.sh installs slurm-wlm; make slurm-start starts a local cluster)"
J="$BUILD/regress/slurm"
rm -rf "$J" && mkdir -p "$J/junit"

(cd "$BUILD" && ctest -N -L regress ${FILTER:+-R "$FILTER"}) | sed -nE 's/^ *Test +#[0-9]+: (regress_[^ ]+)$/\1/p' > "$J/runs.txt"
[ -s "$J/runs.txt" ] || die "no regress test matches '${FILTER}'"
sed -E 's/^regress_(.*)_[^_]+$/hw_build_\1/' "$J/runs.txt" | sort -u > "$J/builds.txt"

# One task: line SLURM_ARRAY_TASK_ID+1 of LIST, as one CTest run writing its JUnit.
cat > "$J/task.sh" <<TASK
#!/usr/bin/env bash
name=\$(sed -n "\$((SLURM_ARRAY_TASK_ID + 1))p" "\$1")
cd "$BUILD" && exec ctest -R "^\${name}\\\$" -FA '.*' --output-on-failure --output-junit "$J/junit/\$2-\${name}.xml" > "$J/\${name}.log" 2>&1
TASK
chmod +x "$J/task.sh"

nb=$(wc -l < "$J/builds.txt"); nr=$(wc -l < "$J/runs.txt")
# shellcheck disable=SC2086
build_job=$(sbatch --parsable ${SBATCH_ARGS:-} -J cnn-build --array=0-$((nb - 1)) -o "$J/build-%a.out" \
  "$J/task.sh" "$J/builds.txt" 0) || die "sbatch failed (is a cluster up? SLURM_CONF=${SLURM_CONF:-unset})"
echo "slurm: job $build_job builds $nb simulators; then $nr runs (logs in $J)"
t0=$(date +%s)
# shellcheck disable=SC2086
sbatch --parsable --wait ${SBATCH_ARGS:-} -J cnn-regress --dependency=afterany:"$build_job" --array=0-$((nr - 1)) \
  -o "$J/run-%a.out" "$J/task.sh" "$J/runs.txt" 1 > "$J/run_job" || true
echo "slurm: jobs $build_job and $(cat "$J/run_job") done in $(( $(date +%s) - t0 )) s"
got=$(ls "$J/junit" | wc -l)
[ "$got" = $((nb + nr)) ] || echo "slurm_regress.sh: $((nb + nr - got)) of $((nb + nr)) tasks wrote no JUnit (see $J/*.out)" >&2
"$BUILD/sim/regress_report" merge-junit "$BUILD/regress/junit.xml" "$J"/junit/*.xml
