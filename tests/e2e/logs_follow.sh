# weft logs RUN [STEP] --follow [--timestamps] (SPEC §6): follow a run that
# another weft process is running, printing lines as they are stored, and
# exit once the run (or the step) has ended and every line is printed; SIGINT
# ends it with 130; a run whose weft was killed does not keep it waiting.
source "$(dirname "$0")/../support/e2e.sh"

# wait_for_line FILE LINE [SECONDS]: wait (default 10 s) until FILE has LINE.
wait_for_line() {
  local i limit=$(( ${3:-10} * 20 ))
  for ((i = 0; i < limit; i++)); do
    grep -qxF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "timed out waiting for the line '$2' in $1; it holds:
$(cat "$1" 2>/dev/null)"
}
# wait_exit PID [SECONDS]: wait (default 10 s) for PID to end and set $rc to
# its exit code; fails the test when it does not end in time.
wait_exit() {
  local i limit=$(( ${2:-10} * 20 ))
  for ((i = 0; i < limit; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$1" 2>/dev/null && fail "process $1 did not end within ${2:-10} s"
  set +e
  wait "$1"
  rc=$?
  set -e
}
alive() { kill -0 "$1" 2>/dev/null; }

# Each step waits for a file the test creates, so the test decides when the
# next line comes: no timing guesses.
cat > slow.yaml <<'Y'
name: slow
steps:
  talk:
    run: |
      echo first
      while [ ! -e go1 ]; do sleep 0.05; done
      echo second >&2
  after:
    needs: talk
    run: |
      while [ ! -e go2 ]; do sleep 0.05; done
      echo third
Y
pids=""
on_exit 'touch "$T/go1" "$T/go2" "$T/go3"; for p in $pids; do kill "$p" 2>/dev/null || true; done'

# --- the whole run: lines as they come, exit when the run ends -------------
"$WEFT" run slow.yaml >run1.out 2>&1 &
run_pid=$!
pids+=" $run_pid"
"$WEFT" logs 1 --follow >follow.out 2>follow.err &
follow_pid=$!
pids+=" $follow_pid"
# The follower may start before the run exists: it then exits 2 (no run 1)
# and is started again.
for ((i = 0; i < 200; i++)); do
  grep -qxF "talk | first" follow.out 2>/dev/null && break
  if ! alive "$follow_pid"; then
    wait "$follow_pid" || true
    "$WEFT" logs 1 --follow >follow.out 2>follow.err &
    follow_pid=$!
    pids+=" $follow_pid"
  fi
  sleep 0.05
done
wait_for_line follow.out "talk | first"
sleep 0.3
alive "$follow_pid" || fail "logs --follow exited while the run was still running: $(cat follow.out follow.err)"
[ "$(cat follow.out)" = "talk | first" ] || fail "logs --follow printed more than was written: $(cat follow.out)"
touch go1
wait_for_line follow.out "talk | second"
alive "$follow_pid" || fail "logs --follow exited before the run ended: $(cat follow.out follow.err)"
touch go2
wait_exit "$follow_pid"
[ "$rc" -eq 0 ] || fail "logs --follow exited $rc: $(cat follow.err)"
expected="talk | first
talk | second
after | third"
[ "$(cat follow.out)" = "$expected" ] || fail "logs --follow printed:
$(cat follow.out)
expected:
$expected"
wait_exit "$run_pid"
[ "$rc" -eq 0 ] || fail "weft run failed: $(cat run1.out)"
# A run that has ended: everything at once, then exit 0.
run_weft logs 1 --follow
expect_rc 0
expect_out "$expected"

# --- one step, with timestamps: exit when the step ends, the run goes on ---
rm -f go1 go2
"$WEFT" run slow.yaml >run2.out 2>&1 &
run_pid=$!
pids+=" $run_pid"
for ((i = 0; i < 200; i++)); do
  "$WEFT" logs 2 talk >/dev/null 2>&1 && break
  sleep 0.05
done
"$WEFT" logs 2 talk --follow --timestamps >step.out 2>step.err &
follow_pid=$!
pids+=" $follow_pid"
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
for ((i = 0; i < 200; i++)); do
  grep -Eq "^$ts first$" step.out && break
  sleep 0.05
done
grep -Eqx "$ts first" step.out || fail "logs --follow --timestamps: no 'TIME first' line: $(cat step.out step.err)"
alive "$follow_pid" || fail "logs STEP --follow exited while the step was running: $(cat step.out step.err)"
touch go1
wait_exit "$follow_pid"
[ "$rc" -eq 0 ] || fail "logs STEP --follow exited $rc: $(cat step.err)"
[ "$(grep -c . step.out)" -eq 2 ] || fail "logs STEP --follow: expected 2 lines, got: $(cat step.out)"
grep -Eqx "$ts second" step.out || fail "logs STEP --follow: no 'TIME second' line: $(cat step.out)"
alive "$run_pid" || fail "the run ended before step 'after' was let go"
touch go2
wait_exit "$run_pid"
[ "$rc" -eq 0 ] || fail "weft run failed: $(cat run2.out)"

# --- SIGINT ends a follower with 130 --------------------------------------------
rm -f go1 go2
"$WEFT" run slow.yaml >run3.out 2>&1 &
run_pid=$!
pids+=" $run_pid"
for ((i = 0; i < 200; i++)); do
  "$WEFT" logs 3 >/dev/null 2>&1 && break
  sleep 0.05
done
"$WEFT" logs 3 --follow >int.out 2>int.err &
follow_pid=$!
pids+=" $follow_pid"
wait_for_line int.out "talk | first"
kill -INT "$follow_pid"
wait_exit "$follow_pid" 5
[ "$rc" -eq 130 ] || fail "logs --follow after SIGINT exited $rc, expected 130: $(cat int.err)"
alive "$run_pid" || fail "SIGINT to the follower ended the run"

# --- the run's weft is killed: the follower notices and ends ----------------
"$WEFT" logs 3 --follow >dead.out 2>dead.err &
follow_pid=$!
pids+=" $follow_pid"
wait_for_line dead.out "talk | first"
disown "$run_pid"   # no "Killed" report from bash
kill -KILL "$run_pid"
wait_exit "$follow_pid" 10
[ "$rc" -eq 0 ] || fail "logs --follow of a run whose weft died exited $rc: $(cat dead.err)"
run_weft runs --json --limit 1
expect_json "$out" status '"interrupted"' "the run whose weft was killed"
touch go1 go2   # let the orphaned step (if any survived) go

# --- usage ------------------------------------------------------------------
run_weft logs 99 --follow
expect_rc 2
run_weft logs 1 nope --follow
expect_rc 2
expect_err_has "run 1 has no step 'nope'"

echo "logs_follow: ok"
