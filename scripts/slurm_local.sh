#!/usr/bin/env bash
# slurm_local.sh: a single-node Slurm cluster on this machine, for the tests
# and CI: munged, slurmctld and slurmd, this host the controller and the only
# node, every file under one folder.
#
#   scripts/slurm_local.sh start | stop | status | conf
#
# CNN_SLURM_DIR (default /tmp/cnn-slurm) holds slurm.conf, the state and
# spool folders, the logs and pid files. `start` is idempotent and waits until
# the node takes jobs; `conf` prints the slurm.conf path. Clients (sbatch,
# squeue) find this cluster through SLURM_CONF=$CNN_SLURM_DIR/slurm.conf; the
# Makefile sets it when this cluster runs (see the README, "Slurm", for a real
# cluster: leave SLURM_CONF to the site's own and share the build folder).
# Needs root (munged runs as the munge user, the Slurm daemons as root) and
# Debian's slurm-wlm and munge (scripts/setup.sh installs them).
set -euo pipefail
D=${CNN_SLURM_DIR:-/tmp/cnn-slurm}
CONF="$D/slurm.conf"
HOST=$(hostname -s)
die() { echo "slurm_local.sh: $*" >&2; exit 1; }
running() { [ -f "$D/$1.pid" ] && kill -0 "$(cat "$D/$1.pid")" 2>/dev/null; }

write_conf() {
  mkdir -p "$D/state" "$D/spool"
  cat > "$CONF" <<CONF
# Written by scripts/slurm_local.sh: $HOST is the controller and the only node.
ClusterName=cnnstream
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldPort=${CNN_SLURM_PORT:-6817}
SlurmdPort=$(( ${CNN_SLURM_PORT:-6817} + 1 ))
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}

start() {
  command -v slurmctld > /dev/null && command -v munged > /dev/null || die "slurm-wlm and munge are not installed (bash scripts/setup.sh)"
  [ "$(id -u)" = 0 ] || die "needs root (munged and the Slurm daemons)"
  mkdir -p "$D"
  write_conf
  # munged: its socket folder belongs to munge before it starts.
  if ! pgrep -u munge -x munged > /dev/null; then
    [ -f /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key && chown munge:munge /etc/munge/munge.key; }
    mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged || die "munged did not start"
  fi
  running slurmctld || SLURM_CONF=$CONF slurmctld || die "slurmctld did not start (log: $D/slurmctld.log)"
  running slurmd || SLURM_CONF=$CONF slurmd -N "$HOST" || die "slurmd did not start (log: $D/slurmd.log)"
  for _ in $(seq 1 60); do
    state=$(SLURM_CONF=$CONF sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
    case "$state" in idle*|mix*|alloc*) echo "slurm_local.sh: $HOST up ($state), SLURM_CONF=$CONF"; return 0 ;; esac
    sleep 1
  done
  die "the node did not come up (state '${state:-none}'; logs in $D)"
}

stop() {
  for d in slurmd slurmctld; do
    if running $d; then kill "$(cat "$D/$d.pid")"; fi
  done
  for _ in $(seq 1 20); do running slurmd || running slurmctld || break; sleep 0.5; done
  echo "slurm_local.sh: stopped (munged left running)"
}

status() {
  running slurmctld && running slurmd || { echo "slurm_local.sh: not running ($D)"; return 1; }
  SLURM_CONF=$CONF sinfo
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  conf) echo "$CONF" ;;
  *) die "usage: slurm_local.sh start|stop|status|conf" ;;
esac
