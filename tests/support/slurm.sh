# A real one-node Slurm cluster for the Slurm tests, in "$T/slurm" (source
# after e2e.sh). start_slurm writes a configuration for this host on its own
# ports, starts munged when it is not running, then slurmctld and slurmd in
# the foreground of background jobs, and waits until sinfo shows the node
# idle; the daemons it started are stopped when the script ends. Where Slurm
# is not installed or cannot start, the test is skipped (exit 77, CTest's
# SKIP_RETURN_CODE) with a loud message: bootstrap.sh installs slurm-wlm and
# munge, so a skip on CI is a setup bug to look at.

slurm_skip() {
  echo "SKIP: the Slurm tests did not run: $*" >&2
  echo "SKIP: (they need the Debian packages slurm-wlm and munge, and root to start munged)" >&2
  exit 77
}

SLURM_PIDS=()
stop_slurm() {
  local p
  for p in "${SLURM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${SLURM_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}

start_slurm() {
  local cmd
  for cmd in slurmctld slurmd sbatch squeue scancel sinfo munge unmunge; do
    command -v "$cmd" >/dev/null 2>&1 || slurm_skip "'$cmd' is not installed"
  done
  command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || slurm_skip "'munged' is not installed"
  # munge: one key and daemon per host, shared by every cluster on it.
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || slurm_skip "munged is not running and only root can start it"
    if [ ! -s /etc/munge/munge.key ]; then
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
      chown munge:munge /etc/munge/munge.key
      chmod 0400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge
    su -s /bin/sh munge -c '/usr/sbin/munged --force' >"$T/munged.log" 2>&1 ||
      slurm_skip "munged did not start: $(cat "$T/munged.log")"
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || slurm_skip "munge does not work after starting munged"
  fi
  [ "$(id -u)" -eq 0 ] || slurm_skip "the test cluster runs its daemons as root"
  local d="$T/slurm" host port
  host=$(hostname -s)
  port=$(( 20000 + RANDOM % 20000 ))
  mkdir -p "$d/state" "$d/spool"
  cat >"$d/slurm.conf" <<EOF
ClusterName=weft$port
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
KillWait=2
SchedulerParameters=sched_interval=1
NodeName=$host CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$d/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" >>"$d/slurmctld.out" 2>&1 &
  SLURM_PIDS+=($!)
  slurmd -D -f "$SLURM_CONF" >>"$d/slurmd.out" 2>&1 &
  SLURM_PIDS+=($!)
  local i state=""
  for ((i = 0; i < 200; i++)); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.1
  done
  if [ "$state" != idle ]; then
    stop_slurm
    slurm_skip "the one-node cluster did not come up (node state '$state'): $(tail -n 5 "$d/slurmctld.log" "$d/slurmd.log" 2>&1)"
  fi
  echo "slurm: one-node cluster up (SLURM_CONF=$SLURM_CONF)" >&2
}

# job_state ID: the state squeue gives job ID (empty once Slurm forgot it).
job_state() { squeue -h --states=all -j "$1" -o %T 2>/dev/null || true; }

# wait_job_state ID STATE [SECONDS]: wait (default 20 s) until job ID is in STATE.
wait_job_state() {
  local i limit=$(( ${3:-20} * 10 ))
  for ((i = 0; i < limit; i++)); do
    [ "$(job_state "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "job $1 is '$(job_state "$1")', not $2, after ${3:-20} s"
}

# jobs_named PREFIX: how many jobs Slurm knows whose name starts with PREFIX.
jobs_named() { squeue -h --states=all -o %j | grep -c "^$1" || true; }
