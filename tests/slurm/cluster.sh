#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the cluster tests and CI.
#
#   tests/slurm/cluster.sh install   # Debian packages: slurmctld, slurmd, slurm-client, munge
#   tests/slurm/cluster.sh start     # munged, slurmctld, slurmd; waits until the node is idle
#   tests/slurm/cluster.sh stop      # scontrol shutdown, then munged; nothing left running
#
# State, logs and slurm.conf live under $CURATE_SLURM_DIR (default /tmp/curate-slurm).
# `start` prints the SLURM_CONF to export. Needs root (the daemons run as root, no systemd).
set -euo pipefail

dir="${CURATE_SLURM_DIR:-/tmp/curate-slurm}"
conf="$dir/slurm.conf"

install() {
  if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v munged >/dev/null \
    && command -v pgrep >/dev/null; then
    return
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge procps >/dev/null
}

write_conf() {
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  # CPUs=4 with config_overrides: four array tasks at once on a two-core machine.
  # MaxArraySize=5 (array indices 0-4): a launch of 7 tasks is split into two arrays, as
  # on a cluster whose limit is below the task count.
  cat >"$conf" <<CONF
ClusterName=curate
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MaxArraySize=5
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  install
  # From a clean slate: daemons a crashed run left behind would hold the ports.
  stop
  write_conf
  mkdir -p /run/munge
  chown munge:munge /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --force
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  # --force: a socket left by a killed munged is replaced.
  runuser -u munge -- /usr/sbin/munged --force
  munge -n | unmunge >/dev/null || { echo "error: munged does not answer" >&2; exit 1; }
  export SLURM_CONF="$conf"
  slurmctld -f "$conf"
  slurmd -f "$conf" -N localhost
  for _ in $(seq 1 60); do
    state="$(timeout 5 sinfo -h -o %T 2>/dev/null || true)"
    if [ "$state" = "idle" ] || [ "$state" = "mixed" ] || [ "$state" = "allocated" ]; then
      echo "export SLURM_CONF=$conf"
      return
    fi
    sleep 0.5
  done
  echo "error: the Slurm node did not become idle; see $dir/log" >&2
  tail -n 20 "$dir/log/"*.log >&2 || true
  exit 1
}

# Whether a daemon of this name is alive (zombies left by a dead parent do not count).
alive() {
  local pid
  for pid in $(pgrep -x "$1" || true); do
    if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != "Z" ]; then
      return 0
    fi
  done
  return 1
}

stop() {
  export SLURM_CONF="$conf"
  if alive slurmctld || alive slurmd; then
    [ -f "$conf" ] && timeout 10 scontrol shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 40); do
      alive slurmctld || alive slurmd || break
      sleep 0.25
    done
    pkill -x slurmstepd 2>/dev/null || true
    pkill -x slurmd 2>/dev/null || true
    pkill -x slurmctld 2>/dev/null || true
  fi
  if [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
  pkill -x munged 2>/dev/null || true
  for _ in $(seq 1 40); do
    alive munged || alive slurmctld || alive slurmd || return 0
    sleep 0.25
  done
  pkill -9 -x slurmd 2>/dev/null || true
  pkill -9 -x slurmctld 2>/dev/null || true
  pkill -9 -x munged 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
