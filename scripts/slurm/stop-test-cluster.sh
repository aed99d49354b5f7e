#!/usr/bin/env bash
# Stop a cluster started by start-test-cluster.sh: cancel its jobs, stop slurmd, slurmctld and
# munged by their pid files, then end any process still carrying this cluster's SLURM_CONF
# (job steps that outlived slurmd). With --remove, delete DIR as well.
#
#   scripts/slurm/stop-test-cluster.sh DIR [--remove]
set -uo pipefail
DIR=${1:?usage: stop-test-cluster.sh DIR [--remove]}
[ -d "$DIR" ] || exit 0
DIR=$(cd "$DIR" && pwd)
export SLURM_CONF="$DIR/slurm.conf"

if [ -f "$DIR/slurmctld.pid" ] && command -v scancel >/dev/null; then
  timeout 10 scancel --quiet --full --user="$(id -un)" 2>/dev/null || true
  for _ in $(seq 20); do
    [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.5
  done
fi

stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
stop_pidfile "$DIR/slurmd.pid"
stop_pidfile "$DIR/slurmctld.pid"
stop_pidfile "$DIR/munged.pid"

# Leftovers (slurmstepd, job scripts): only processes whose environment names this cluster's conf.
for env in /proc/[0-9]*/environ; do
  pid=${env#/proc/}; pid=${pid%/environ}
  [ "$pid" = $$ ] && continue
  if tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

[ "${2:-}" = --remove ] && rm -rf "$DIR"
exit 0
