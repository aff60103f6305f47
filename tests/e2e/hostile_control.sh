# Hostile clients of the control socket (issue 17 item 4): a request of the
# wrong shape gets {"ok":false,"error":...}, never an exception through the
# loop; a silent client is closed after 5 s; at most 64 connections wait at
# once; running out of descriptors does not make the engine spin. Through
# all of it the engine keeps answering `weft cancel`/`weft status` and its
# runs end normally.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
WEFT_ARGS="--state st.db"
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
client() { python3 "$WEFT_SRC/tests/support/control_client.py" "$@"; }
on_exit 'kill_procs_with "sleep 3229"'

bad_requests=(
  '{"op":1}'
  '{"op":null}'
  '{}'
  '[1,2]'
  'not json'
  '{"op":"cancel","run":1,"reason":5}'
  '{"op":"cancel","run":"1"}'
  '{"op":"cancel","run":1.5}'
  '{"op":"cancel"}'
  '{"op":"trigger","workflow":5}'
  '{"op":"trigger","workflow":"w","params":[1]}'
  "{\"op\":\"ping\",\"x\":$(printf '[%.0s' {1..5000})$(printf ']%.0s' {1..5000})}"
)
# check_bad SOCKET: every bad request answered {"ok":false,"error":...}.
check_bad() {
  local replies n=0 r
  replies=$(client "$1" send "${bad_requests[@]}" 2>&1) ||
    fail "the engine stopped answering: $replies"
  while IFS= read -r r; do
    n=$((n + 1))
    [[ $r == '{"error":'*'"ok":false}' || $r == '{"ok":false'*'"error":'* ]] ||
      fail "request $n (${bad_requests[n-1]:0:60}) got: $r"
  done <<<"$replies"
  [ "$n" -eq "${#bad_requests[@]}" ] || fail "expected ${#bad_requests[@]} replies: $replies"
}

# --- weft run -------------------------------------------------------------
cat > wait.yaml <<'Y'
name: wait
steps:
  s:
    run: |
      touch started
      sleep 3229
Y
"$WEFT" --state st.db run wait.yaml >run.out 2>run.err &
pid=$!
wait_for_file started 20
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
sock=$(ls st.db.d/locks/*.sock)
check_bad "$sock"
# A silent client is closed after about 5 s; meanwhile others are served.
client "$sock" idle 20 >idle.out &
idle_pid=$!
sleep 0.5  # connected before the flood below
# 100 silent clients at once: those past 64 are closed at once.
closed=$(client "$sock" flood 100)
(( closed >= 30 )) || fail "only $closed of 100 silent connections were closed at once (bound: 64)"
wait "$idle_pid"
read -r what secs <idle.out
[ "$what" = closed ] || fail "a silent client was not closed: $what after $secs s"
awk -v s="$secs" 'BEGIN { exit !(s >= 4 && s < 9) }' || fail "a silent client closed after $secs s"
kill -0 "$pid" || fail "weft run died: $(cat run.err)"
run_weft --state st.db cancel "$id"
expect_rc 0
expect_out_has "cancelled"
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 1 ] || fail "weft run exited $wrc after the hostile requests and a cancel: $(cat run.err)"
show_json "$id"
expect_run_status cancelled
expect_no_procs "sleep 3229"

# --- Out of descriptors: accepting pauses instead of spinning ---------------
(ulimit -n 32; exec "$WEFT" --state fd.db run wait.yaml >fd.out 2>fd.err) &
pid=$!
rm -f started
wait_for_file started 20
sock=$(ls fd.db.d/locks/*.sock)
client "$sock" flood 40 4 >/dev/null &
flood_pid=$!
sleep 0.5
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
t0=$(ticks)
sleep 2
used=$(( $(ticks) - t0 ))
wait "$flood_pid"
# Spinning costs a core (at least 20 ticks in 2 s even on a loaded machine);
# pausing 100 ms between tries costs next to nothing.
(( used < 6 )) || fail "weft used $used ticks of CPU in 2 s while out of descriptors (spinning)"
run_weft --state fd.db cancel 1
expect_rc 0
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 1 ] || fail "weft run under ulimit -n 32 exited $wrc: $(cat fd.err)"

# --- weft up ----------------------------------------------------------------
mkdir wf
cat > wf/w.yaml <<'Y'
name: w
steps:
  s:
    run: echo done
Y
start_up wf
sock=$(ls st.db.d/locks/*.sock)
check_bad "$sock"
run_weft --state st.db status
expect_rc 0
expect_out_has "w"
run_weft --state st.db trigger w
expect_rc 0
wait_runs w 1
stop_up
echo ok
