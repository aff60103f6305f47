# Helpers for the `weft up` tests (tests/e2e/up_*.sh), on top of e2e.sh.
# Waits are bounded and generous; no test depends on exact timings.

# start_up [ARGS...]: start `weft --state st.db up ARGS...` in the background
# (stdin from /dev/null unless UP_STDIN names a file), output in up.out and
# up.err, pid in $UP_PID; waits until the engine has armed its triggers.
start_up() {
  "$WEFT" --state st.db up "$@" <"${UP_STDIN:-/dev/null}" >>up.out 2>>up.err &
  UP_PID=$!
  local i
  for ((i = 0; i < 200; i++)); do
    grep -q "engine pid $UP_PID armed" up.out 2>/dev/null && return 0
    kill -0 "$UP_PID" 2>/dev/null || fail "weft up exited early: $(cat up.err)"
    sleep 0.05
  done
  fail "weft up did not arm within 10 s: $(cat up.out up.err)"
}

# stop_up: SIGTERM the engine; it must exit 0 (SPEC §6) within 15 s.
stop_up() {
  kill -TERM "$UP_PID"
  local i
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$UP_PID" 2>/dev/null; then
      set +e
      wait "$UP_PID"
      local code=$?
      set -e
      [ "$code" -eq 0 ] || fail "weft up exited $code after SIGTERM; stderr: $(cat up.err)"
      return 0
    fi
    sleep 0.05
  done
  fail "weft up still running 15 s after SIGTERM"
}

# count_runs [WORKFLOW]: how many runs the database holds (of WORKFLOW).
count_runs() {
  "$WEFT" --state st.db runs ${1:+"$1"} --limit 100000 --json | grep -c '"id"' || true
}

# wait_runs WORKFLOW N [SECONDS]: wait until WORKFLOW has at least N runs,
# all ended.
wait_runs() {
  local i limit=$(( ${3:-20} * 10 )) n busy
  for ((i = 0; i < limit; i++)); do
    n=$(count_runs "$1")
    busy=$("$WEFT" --state st.db runs "$1" --limit 100000 --json | grep -c '"status":"\(running\|queued\)"' || true)
    [ "$n" -ge "$2" ] && [ "$busy" -eq 0 ] && return 0
    sleep 0.1
  done
  fail "wanted $2 ended runs of $1, have $n ($busy running); engine said: $(tail -20 up.out) $(cat up.err)"
}

# still_runs WORKFLOW N SECONDS: after SECONDS, WORKFLOW has exactly N runs.
still_runs() {
  sleep "$3"
  local n
  n=$(count_runs "$1")
  [ "$n" -eq "$2" ] || fail "wanted exactly $2 runs of $1, have $n; engine said: $(tail -20 up.out)"
}
