# Retention (SPEC §1 `retention`, §5): `weft prune [--dry-run]` deletes the
# runs beyond each workflow's retention and nothing else; `weft run` applies
# its workflow's retention when it ends; a workflow file that is gone means
# the default retention, one with errors means nothing of it is pruned.
source "$(dirname "$0")/../support/e2e.sh"

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is missing (bootstrap.sh installs it)"
command -v faketime >/dev/null || fail "faketime is missing (bootstrap.sh installs it)"

db=.weft/state.db
P=$(pwd -P)   # what weft's getcwd() sees, symlinks resolved
q() { sqlite3 "$db" "$1"; }
# run_ids [WORKFLOW]: the ids `weft runs --json` lists, newest first, on one line.
run_ids() {
  local l ids=""
  run_weft runs ${1:+"$1"} --json --limit 1000
  expect_rc 0
  [ -z "$out" ] && { echo ""; return; }
  while IFS= read -r l; do
    jget "$l" id
    ids+="$J "
  done <<<"$out"
  echo "${ids% }"
}
# Run weft with the clock DAYS days in the past (monotonic clocks untouched:
# timers and timeouts run on them).
weft_days_ago() {
  local days=$1
  shift
  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "-${days}d" "$WEFT" "$@" >/dev/null 2>"$T/.faketime.err" ||
    fail "weft $* under faketime -${days}d failed: $(cat "$T/.faketime.err")"
}

cat > keep.yaml <<'Y'
name: keep
retention: {runs: 10}
steps:
  s:
    run: |
      echo one
      echo two
Y
cat > other.yaml <<'Y'
name: other
steps:
  s: {run: echo other}
Y

for i in 1 2 3 4 5; do
  run_weft run keep.yaml
  expect_rc 0
done
run_weft run other.yaml
expect_rc 0
run_weft run other.yaml
expect_rc 0
[ "$(run_ids)" = "7 6 5 4 3 2 1" ] || fail "expected runs 1-7 before pruning, got: $(run_ids)"

# runs.file is absolute, so prune finds the file from anywhere.
[ "$(q "SELECT file FROM runs WHERE id = 1")" = "$P/keep.yaml" ] ||
  fail "runs.file is not the absolute path of the workflow: $(q "SELECT file FROM runs WHERE id = 1")"

# Nothing beyond any retention yet.
run_weft prune
expect_rc 0
expect_out "pruned 0 runs, 0 log lines"

# --- --dry-run tells and deletes nothing -------------------------------------
sed -i 's/runs: 10/runs: 2/' keep.yaml
counts() { q "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM steps), (SELECT count(*) FROM attempts), (SELECT count(*) FROM logs), (SELECT count(*) FROM events)"; }
before=$(counts)
[ "$before" = "7|7|7|12|7" ] || fail "unexpected row counts before pruning: $before"
run_weft prune --dry-run
expect_rc 0
expect_out "keep: would prune 3 runs (1-3), 6 log lines
would prune 3 runs, 6 log lines"
[ "$(counts)" = "$before" ] || fail "prune --dry-run changed the database: $before -> $(counts)"
[ "$(run_ids)" = "7 6 5 4 3 2 1" ] || fail "prune --dry-run removed runs: $(run_ids)"

# From another directory, with -q: only the summary.
run_weft -C / --state "$T/$db" -q prune --dry-run
expect_rc 0
expect_out "would prune 3 runs, 6 log lines"
[ -z "$err" ] || fail "prune from another directory complained: $err"

# --- prune deletes what retention says, and nothing else -------------------
run_weft prune
expect_rc 0
expect_out "keep: pruned 3 runs (1-3), 6 log lines
pruned 3 runs, 6 log lines"
[ "$(run_ids)" = "7 6 5 4" ] || fail "after prune, expected runs 7 6 5 4, got: $(run_ids)"
[ "$(run_ids keep)" = "5 4" ] || fail "keep's two newest runs should remain: $(run_ids keep)"
[ "$(counts)" = "4|4|4|6|4" ] || fail "row counts after pruning: $(counts), expected 4|4|4|6|4"
for t in steps attempts logs; do
  n=$(q "SELECT count(*) FROM $t WHERE run_id <= 3")
  [ "$n" = 0 ] || fail "$n rows of $t of pruned runs remain"
done
[ "$(q "SELECT count(*) FROM events WHERE id NOT IN (SELECT event_id FROM runs)")" = 0 ] ||
  fail "events of pruned runs remain"
run_weft logs 4 s
expect_rc 0
expect_out "one
two"
run_weft show 2
expect_rc 2
run_weft prune
expect_rc 0
expect_out "pruned 0 runs, 0 log lines"

# --- weft run applies its workflow's retention when it ends -------------------
run_weft run keep.yaml
expect_rc 0
[ "$(run_ids keep)" = "8 5" ] || fail "weft run did not prune keep down to 2 runs: $(run_ids keep)"
[ "$(run_ids other)" = "7 6" ] || fail "weft run of keep pruned other's runs: $(run_ids other)"
run_weft -v run keep.yaml
expect_rc 0
expect_err_has "weft: pruned 1 run of 'keep' (retention: 2 runs, 90 days)"

# --- days: runs that started longer ago go, the newest stays ----------------
cat > aged.yaml <<'Y'
name: aged
retention: {days: 30}
steps:
  s: {run: echo aged}
Y
weft_days_ago 20 run aged.yaml   # run 10
weft_days_ago 10 run aged.yaml   # run 11
run_weft run aged.yaml           # run 12
expect_rc 0
[ "$(run_ids aged)" = "12 11 10" ] || fail "runs within 30 days were pruned: $(run_ids aged)"
started=$(q "SELECT started FROM runs WHERE id = 10")
now=$(now_ms)
(( now - started > 19 * 86400000 && now - started < 21 * 86400000 )) ||
  fail "faketime did not date run 10 twenty days back (started $started, now $now)"
sed -i 's/days: 30/days: 15/' aged.yaml
run_weft prune
expect_rc 0
expect_out "aged: pruned 1 run (10), 1 log line
pruned 1 run, 1 log line"
[ "$(run_ids aged)" = "12 11" ] || fail "days: 15 should prune run 10 only: $(run_ids aged)"
# Only old runs: the newest stays all the same.
cat > stale.yaml <<'Y'
name: stale
retention: {days: 1}
steps:
  s: {run: echo stale}
Y
weft_days_ago 50 run stale.yaml   # run 13
weft_days_ago 40 run stale.yaml   # run 14 (its run prunes run 13)
[ "$(run_ids stale)" = "14" ] || fail "stale: expected only its newest run 14, got: $(run_ids stale)"
run_weft prune
expect_rc 0
[ "$(run_ids stale)" = "14" ] || fail "prune removed the newest run of a workflow: $(run_ids stale)"

# --- a running run is never pruned --------------------------------------------
cat > live.yaml <<'Y'
name: live
retention: {runs: 1, days: 1}
steps:
  s:
    run: |
      touch started
      while [ ! -e finish ]; do sleep 0.05; done
Y
weft_days_ago 60 run live.yaml &   # run 15: old and running
live_pid=$!
on_exit "touch '$T/finish'; kill $live_pid 2>/dev/null || true"
wait_for_file started
rm started
run_weft run other.yaml            # run 16, so that run 15 is not the newest of anything else
expect_rc 0
weft_days_ago 30 run live.yaml &   # run 17: newer, also running
live2_pid=$!
wait_for_file started
# Both old, both running: neither goes.
run_weft prune
expect_rc 0
[ "$(run_ids live)" = "17 15" ] || fail "prune removed a running run: $(run_ids live)"
touch finish
wait "$live_pid" || fail "the first live run failed"
wait "$live2_pid" || fail "the second live run failed"
# Ended now: run 15 is beyond 1 run and old (the end of run 17 pruned it already,
# or this prune does).
run_weft prune
expect_rc 0
[ "$(run_ids live)" = "17" ] || fail "after both ended, expected run 17 only: $(run_ids live)"

# --- a file with errors: nothing of it is pruned; a file gone: the defaults --
cat > fragile.yaml <<'Y'
name: fragile
retention: {days: 200}
steps:
  s: {run: echo fragile}
Y
weft_days_ago 100 run fragile.yaml   # run 18: kept by days: 200, not by the default 90
run_weft run fragile.yaml            # run 19
expect_rc 0
[ "$(run_ids fragile)" = "19 18" ] || fail "fragile: expected runs 19 18, got: $(run_ids fragile)"
printf 'name: fragile\nretention: {days: 200}\nsteps:\n  s: {run: echo x, bogus: 1}\n' > fragile.yaml
run_weft prune
expect_rc 0
expect_err_has "weft: warning: workflow 'fragile': $P/fragile.yaml has errors; none of its runs pruned"
[ "$(run_ids fragile)" = "19 18" ] || fail "prune deleted runs of a workflow whose file has errors: $(run_ids fragile)"
rm fragile.yaml
run_weft prune --dry-run
expect_rc 0
expect_err_has "weft: note: workflow 'fragile': $P/fragile.yaml is gone; pruning with the default retention (500 runs, 90 days)"
expect_out_has "fragile: would prune 1 run (18), 1 log line"
run_weft -q prune
expect_rc 0
[ -z "$err" ] || fail "-q prune printed notes: $err"
[ "$(run_ids fragile)" = "19" ] || fail "with its file gone, fragile's 100-day-old run should go: $(run_ids fragile)"

# --- a large prune beside running writers (issue 17) --------------------------
# Pruning deletes in write transactions of about 100 ms with pauses of
# 110 ms, so writers never wait long: a weft run beside it finishes, and a
# probe that takes the write lock with a 600 ms timeout never fails. In one
# transaction, these 400,000 lines held the lock over a second.
# bench/prune.sh does the same with ten million lines.
mkdir big
big_db=big/state.db
printf 'name: big\nretention: {runs: 100}\nsteps:\n  s: {run: echo hello}\n' > big/big.yaml
run_weft --state "$big_db" run big/big.yaml
expect_rc 0
# Five runs of 100,000 log lines each, copies of run 1; the last is kept.
sqlite3 "$big_db" "
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 5)
INSERT INTO runs(workflow, file, status, event_id, started, ended)
  SELECT workflow, file, status, event_id, started, ended FROM runs, r WHERE runs.id = 1;
INSERT INTO steps(run_id, step, position, status) SELECT id, 's', 0, 'success' FROM runs WHERE id > 1;
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000)
INSERT INTO logs(run_id, step, time, stream, text)
  SELECT runs.id, 's', runs.started, 1, 'line ' || i || ' of the output of a build step, sixty chars'
  FROM runs, r WHERE runs.id > 1 ORDER BY runs.id, i;" ||
  fail "could not fill the database with log lines"
sed -i 's/runs: 100/runs: 1/' big/big.yaml
cat > big/busy.yaml <<'Y'
name: busy
steps:
  talk:
    run: |
      for i in $(seq 1 60); do echo "line $i"; sleep 0.02; done
  after: {needs: talk, run: echo done}
Y
"$WEFT" --state "$big_db" run big/busy.yaml >big/busy.out 2>&1 &
busy_pid=$!
"$WEFT" -v --state "$big_db" prune >big/prune.out 2>&1 &
prune_pid=$!
probes=0
while kill -0 "$prune_pid" 2>/dev/null; do
  sqlite3 -cmd ".timeout 600" "$big_db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>big/probe.err ||
    fail "a writer waited over 600 ms for prune's lock: $(cat big/probe.err)"
  probes=$((probes + 1))
  sleep 0.01
done
set +e
wait "$prune_pid"
prune_rc=$?
wait "$busy_pid"
busy_rc=$?
set -e
[ "$prune_rc" -eq 0 ] || fail "prune failed: $(cat big/prune.out)"
[ "$busy_rc" -eq 0 ] || fail "weft run failed beside a large prune: $(cat big/busy.out)"
! grep -q "locked" big/busy.out big/prune.out || fail "database is locked: $(cat big/busy.out big/prune.out)"
grep -q "pruned 5 runs, 400001 log lines" big/prune.out || fail "prune output: $(cat big/prune.out)"
longest=$(sed -n 's/^longest write transaction: \([0-9]*\) ms$/\1/p' big/prune.out)
[ -n "$longest" ] || fail "prune -v did not print its longest write transaction: $(cat big/prune.out)"
[ "$longest" -lt 500 ] || fail "prune held the write lock for $longest ms"
[ "$probes" -gt 3 ] || fail "the probe ran $probes times only: prune was too quick to show anything"
[ "$(sqlite3 "$big_db" "SELECT count(*) FROM logs WHERE run_id <= 5")" = 0 ] ||
  fail "log lines of pruned runs are left"

# --- an event a queue entry waits with stays ---------------------------------
# a keeps one run; b runs one at a time and queues the rest. Stopped while b
# still queues three records, the queue holds events of a's old runs: their
# delete failed the queue's foreign key, so `weft prune` and the prune
# `weft up` starts with exited 3 until the queue drained.
mkdir qd
printf 'name: a\non: {stdin: {}}\nretention: {runs: 1}\nsteps: {s: {shell: sh, run: echo a}}\n' > qd/a.yaml
printf 'name: b\non: {stdin: {}}\nconcurrency: {limit: 1, on-busy: queue}\nsteps: {s: {shell: sh, run: sleep 4}}\n' > qd/b.yaml
qdb=qd/st.db
qq() { sqlite3 "$qdb" "$1"; }
mkfifo qd/in
"$WEFT" --state "$qdb" up qd <qd/in >qd/up.out 2>&1 &
up_pid=$!
on_exit "kill -KILL $up_pid 2>/dev/null || true"
exec 7>qd/in
printf 'r1\nr2\nr3\nr4\n' >&7
for ((i = 0; i < 100; i++)); do
  [ "$(grep -c '^\[a#[0-9]*\] success' qd/up.out)" = 4 ] && break
  sleep 0.05
done
kill -TERM "$up_pid"
set +e
wait "$up_pid"
set -e
exec 7>&-
[ "$(qq "SELECT count(*) FROM queue")" = 3 ] ||
  fail "expected 3 queued records of b: $(qq "SELECT * FROM queue"); $(cat qd/up.out)"
[ "$(qq "SELECT count(*) FROM runs WHERE workflow = 'a'")" = 4 ] || fail "a's runs: $(cat qd/up.out)"
qq ".backup qd/copy.db"
run_weft --state "$qdb" prune --dry-run
expect_rc 0
expect_out_has "a: would prune 3 runs"
run_weft --state qd/copy.db prune
expect_rc 0
expect_out_has "a: pruned 3 runs"
[ "$(sqlite3 qd/copy.db "SELECT count(*) FROM queue WHERE event_id IN (SELECT id FROM events)")" = 3 ] ||
  fail "prune deleted a queued event"
# weft up prunes at start, then runs b's queued records and ends with stdin
# (an empty file: /dev/null is not read, and never ends an engine).
sed -i 's/sleep 4/echo b/' qd/b.yaml
: >qd/empty
run_weft --state "$qdb" up qd <qd/empty
expect_rc 0
grep -qF "pruned 3 old run(s) of a" <<<"$out$err" || fail "no prune at start: $out $err"
[ "$(qq "SELECT count(*) FROM queue")" = 0 ] || fail "weft up left the queue: $err"
# The run of b the SIGTERM left interrupted is resumed first (SPEC §9.2),
# then the three queued records run.
grep -q "^resuming run [0-9]* (b)" <<<"$out" || fail "b's interrupted run was not resumed: $out $err"
[ "$(qq "SELECT count(*) FROM runs WHERE workflow = 'b' AND status = 'success'")" = 4 ] ||
  fail "b's queued records did not run: $out $err"

# --- usage --------------------------------------------------------------------
run_weft prune extra
expect_rc 2
run_weft help prune
expect_rc 0
expect_out_has "--dry-run"

echo "prune: ok"
