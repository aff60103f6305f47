#!/usr/bin/env bash
# `weft prune` of ten million log lines beside a running `weft run` and a
# running `weft up` (issue 17): both must finish their runs, with no
# "database is locked". Prints the prune's wall time and longest write
# transaction, the longest wait of a probe that takes the write lock in a
# loop meanwhile, and what the run and the engine did. bench/README.md holds
# the latest numbers.
# Usage: bench/prune.sh [LINES]   (default 10,000,000; in 100 runs, pruned,
#        plus one more run of the same size, kept as the newest)
# env: WEFT (weft binary, default build/weft). Needs the sqlite3 CLI and
#      about 3 GB of disk in $TMPDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
lines=${1:-10000000}
runs=100
per=$((lines / runs))
command -v sqlite3 >/dev/null || { echo "prune.sh: the sqlite3 CLI is missing" >&2; exit 1; }
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dir=$(mktemp -d)
up_pid=
trap '[ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null; rm -rf "$dir"' EXIT
cp "$WEFT" "$dir/weft"
weft="$dir/weft"
cd "$dir"
db=$dir/st.db
ms() { echo $(($(date +%s%N) / 1000000)); }

# The history: run 1 for real, then copies of it with $per log lines each.
printf 'name: big\nretention: {runs: 1000}\nsteps:\n  s: {run: echo hello}\n' >big.yaml
"$weft" --state "$db" -q run big.yaml >/dev/null
t0=$(ms)
sqlite3 "$db" "
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < $runs + 1)
INSERT INTO runs(workflow, file, status, event_id, started, ended)
  SELECT workflow, file, status, event_id, started, ended FROM runs, r WHERE runs.id = 1;
INSERT INTO steps(run_id, step, position, status) SELECT id, 's', 0, 'success' FROM runs WHERE id > 1;
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < $per)
INSERT INTO logs(run_id, step, time, stream, text)
  SELECT runs.id, 's', runs.started, 1, 'line ' || i || ' of the output of a build step, sixty chars'
  FROM runs, r WHERE runs.id > 1 ORDER BY runs.id, i;"
echo "filled: $(sqlite3 "$db" "SELECT count(*) FROM logs") log lines in $(($(ms) - t0)) ms," \
  "database $(du -m "$db" | cut -f1) MB"
sed -i 's/runs: 1000/runs: 1/' big.yaml

# The writers: an engine firing a workflow every second, and a run whose
# step prints a line every 10 ms until told to stop.
mkdir wf
printf 'name: tick\non:\n  schedule:\n    - every: 1s\nsteps:\n  s: {run: echo tick}\n' >wf/tick.yaml
cat >busy.yaml <<'Y'
name: busy
steps:
  talk:
    run: |
      i=0
      while [ ! -e stop ]; do i=$((i + 1)); echo "line $i"; sleep 0.01; done
  after: {needs: talk, run: echo done}
Y
"$weft" --state "$db" up wf </dev/null >up.out 2>&1 &
up_pid=$!
"$weft" --state "$db" run busy.yaml >busy.out 2>&1 &
busy_pid=$!
sleep 3

t0=$(ms)
"$weft" -v --state "$db" prune >prune.out 2>&1 &
prune_pid=$!
probes=0
max_wait=0
while kill -0 "$prune_pid" 2>/dev/null; do
  p0=$(ms)
  sqlite3 -cmd ".timeout 10000" "$db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>>probe.err || echo "probe failed" >>probe.err
  w=$(($(ms) - p0))
  probes=$((probes + 1))
  ((w > max_wait)) && max_wait=$w
  sleep 0.05
done
set +e
wait "$prune_pid"
prune_rc=$?
set -e
prune_ms=$(($(ms) - t0))
sleep 2
touch stop
set +e
wait "$busy_pid"
busy_rc=$?
set -e
kill -TERM "$up_pid"
set +e
wait "$up_pid"
up_rc=$?
set -e
up_pid=

cat prune.out
echo "prune: exit $prune_rc, $prune_ms ms wall"
echo "probe: $probes lock acquisitions, longest $max_wait ms (including sqlite3's start)" \
  "$( [ -s probe.err ] && echo "; errors: $(sort -u probe.err | tr '\n' ' ')")"
echo "weft run: exit $busy_rc, $(grep -c . busy.out) output lines"
ticks=$(sqlite3 "$db" "SELECT count(*) || ' runs, ' || sum(status = 'success') || ' succeeded' FROM runs WHERE workflow = 'tick'")
echo "weft up: exit $up_rc, tick: $ticks"
locked=$(cat prune.out busy.out up.out probe.err | grep -c "locked" || true)
echo "'database is locked': $locked"
[ "$prune_rc" -eq 0 ] && [ "$busy_rc" -eq 0 ] && [ "$up_rc" -eq 0 ] && [ "$locked" -eq 0 ]
