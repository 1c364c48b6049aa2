# Sourced by the Slurm tests: slurm_ready points SLURM_CONF at the local
# single-node cluster (scripts/slurm_local.sh), starting it when it is not
# up. Where that cannot be done (no slurm-wlm, not root) the test is skipped
# with one line (exit 77, CTest's SKIP_RETURN_CODE), except on CI (CI=true),
# where it fails: CI must run the Slurm case.
slurm_ready() {
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  command -v sinfo > /dev/null && sinfo -h > /dev/null 2>&1 && return 0   # a cluster of the site's, or SLURM_CONF's
  export SLURM_CONF; SLURM_CONF=$("$root/scripts/slurm_local.sh" conf)
  if ! sinfo -h > /dev/null 2>&1; then
    if ! command -v sbatch > /dev/null || [ "$(id -u)" != 0 ] || ! "$root/scripts/slurm_local.sh" start > /dev/null 2>&1; then
      if [ "${CI:-}" = true ]; then echo "slurm test: no Slurm cluster on CI (scripts/slurm_local.sh start failed)"; exit 1; fi
      echo "slurm test: SKIPPED: no Slurm cluster (install slurm-wlm and munge, run as root, or make slurm-start)"
      exit 77
    fi
  fi
}
