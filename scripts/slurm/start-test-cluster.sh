#!/usr/bin/env bash
# A throwaway one-node Slurm cluster on this machine, for testing `ldr sweep --slurm`.
#
#   scripts/slurm/start-test-cluster.sh [DIR]    (root; installs slurm-wlm and munge if missing)
#
# Everything lives in DIR (default: a new /tmp/ldr-slurm-XXXXXX): slurm.conf, munge key and
# socket, state, spool, logs and pid files. On success the last line on stdout is
#   SLURM_CONF=DIR/slurm.conf
# which every Slurm command (sbatch, squeue, sinfo, scancel) needs in its environment.
# Stop it with scripts/slurm/stop-test-cluster.sh DIR. On failure: exit 3 when Slurm cannot
# be had here (not root, no apt), exit 1 when the daemons do not come up; one line on stderr says why.
set -euo pipefail

say() { echo "start-test-cluster: $*" >&2; }
cannot() { say "$*"; exit 3; }

[ "$(id -u)" = 0 ] || cannot "needs root (to install packages and run slurmd), running as uid $(id -u)"

missing() { for c in sbatch squeue sinfo scancel slurmctld slurmd munged mungekey; do command -v "$c" >/dev/null || return 0; done; return 1; }
if missing; then
  command -v apt-get >/dev/null || cannot "slurm-wlm/munge are not installed and there is no apt-get"
  say "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1; then
    apt-get update >/dev/null 2>&1 || cannot "apt-get update failed"
    apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1 || cannot "apt-get install slurm-wlm munge failed"
  fi
  missing && cannot "slurm-wlm/munge installed but their commands are not on PATH"
fi

DIR=${1:-$(mktemp -d /tmp/ldr-slurm-XXXXXX)}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
chmod 700 "$DIR"
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
chmod 700 "$DIR/munge"
HOST=$(hostname -s)
CPUS=$(nproc)
# Ports away from the defaults (6817/6818), so that a real or another test cluster does not collide.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo 26817
}
CTLD_PORT=$(free_port)
SLURMD_PORT=$(free_port)
[ "$SLURMD_PORT" = "$CTLD_PORT" ] && SLURMD_PORT=$((CTLD_PORT + 1))

# munge: our own key, socket, pid and log file (the system's munged, if any, is left alone).
mungekey --create --keyfile="$DIR/munge/munge.key" --force >/dev/null 2>&1 ||
  { dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none; }
chmod 400 "$DIR/munge/munge.key"
SOCKET="$DIR/munge/munge.socket"
munged --force --key-file="$DIR/munge/munge.key" --socket="$SOCKET" --pid-file="$DIR/munged.pid" \
  --log-file="$DIR/munged.log" --seed-file="$DIR/munge/munged.seed" ||
  { say "munged did not start (see $DIR/munged.log)"; exit 1; }

cat >"$DIR/slurm.conf" <<CONF
# One-node test cluster written by scripts/slurm/start-test-cluster.sh
ClusterName=ldrtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MailProg=/bin/true
# Quick turnaround for tests: scancel's SIGTERM is followed by SIGKILL after KillWait seconds.
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$DIR/slurm.conf"
slurmctld -c -f "$SLURM_CONF" || { say "slurmctld did not start (see $DIR/slurmctld.log)"; exit 1; }
slurmd -f "$SLURM_CONF" -N "$HOST" || { say "slurmd did not start (see $DIR/slurmd.log)"; exit 1; }

# Ready when sinfo shows the node idle.
for _ in $(seq 120); do
  state=$(sinfo -h -N -n "$HOST" -o '%T' 2>/dev/null | head -1 || true)
  if [ "$state" = idle ]; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
say "node $HOST is not idle after 60 s (sinfo: ${state:-no answer}); logs in $DIR"
exit 1
