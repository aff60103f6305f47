# weft run: no process of a step outlives it (SPEC §4): a timeout, SIGINT or
# SIGTERM kills the step's whole process group and the descendants that
# left it (setsid); SIGINT exits 130, SIGTERM 143, the run is recorded as
# cancelled (SPEC §6). Each process gets a unique `sleep 31NN` so this test
# never confuses its processes with another's.
source "$(dirname "$0")/../support/e2e.sh"

markers=("sleep 3101" "sleep 3102" "sleep 3103" "sleep 3104" "sleep 3105"
  "sleep 3106" "sleep 3107" "sleep 3111" "sleep 3112" "sleep 3113"
  "sleep 3121" "sleep 3122" "sleep 3123" "sleep 3131" "sleep 3132")
cleanup() { local m; for m in "${markers[@]}"; do kill_procs_with "$m"; done; }
on_exit cleanup

# The detector itself finds a process with a marker, and only that one.
sleep 3131 &
probe=$!
[ "$(procs_with "sleep 3131")" = "$probe" ] || fail "procs_with 'sleep 3131' found '$(procs_with "sleep 3131")', expected $probe"
[ -z "$(procs_with "sleep 313")" ] || fail "procs_with matched a prefix of an argument"
kill "$probe"
wait "$probe" 2>/dev/null || true
expect_no_procs "sleep 3131"

# --- a 1 s timeout kills background and escaped processes ------------------
cat > timeout.yaml <<'Y'
name: timeout
steps:
  bg:
    timeout: 1s
    run: |
      sleep 3101 &
      sleep 3102
  escaped:
    timeout: 1s
    run: |
      setsid sleep 3103 &
      bash -c 'setsid sleep 3104 >/dev/null 2>&1 & sleep 3105'
  daemon:
    timeout: 1s
    run: |
      ( setsid sleep 3106 >/dev/null 2>&1 & )
      sleep 3107
Y
t0=$(now_ms)
run_weft run timeout.yaml -j 3
ms=$(( $(now_ms) - t0 ))
expect_rc 1
[ "$ms" -lt 8000 ] || fail "1 s timeouts took ${ms} ms to end the run"
for m in "sleep 3101" "sleep 3102" "sleep 3103" "sleep 3104" "sleep 3105" "sleep 3106" "sleep 3107"; do
  expect_no_procs "$m"
done
show_json "$(last_run_id)"
expect_run_status failure
for s in bg escaped daemon; do
  expect_step "$s" status '"failure"'
  expect_step "$s" exit_code null
  expect_step "$s" signal '"SIGTERM"'
  expect_step "$s" attempts 1
  grep -q "^$s: failure in .*timed out after 1s" <<<"$out" || fail "no '$s: failure in ... timed out after 1s' line; stdout: $out"
done
run_weft show "$(last_run_id)"
expect_rc 0
grep -q '^bg .*failure.*timed out' <<<"$out" || fail "weft show does not say bg timed out: $out"

# --- a step that ignores SIGTERM is SIGKILLed after kill-grace -------------
cat > grace.yaml <<'Y'
defaults: {kill-grace: 1s}
steps:
  stubborn:
    timeout: 1s
    run: |
      trap '' TERM
      sleep 3111 &
      sleep 3112
Y
t0=$(now_ms)
run_weft run grace.yaml
ms=$(( $(now_ms) - t0 ))
expect_rc 1
[ "$ms" -ge 1900 ] || fail "kill-grace 1s: a step ignoring SIGTERM ended after ${ms} ms, before timeout + grace"
[ "$ms" -lt 8000 ] || fail "kill-grace 1s: the run took ${ms} ms"
expect_no_procs "sleep 3111"
expect_no_procs "sleep 3112"
show_json "$(last_run_id)"
expect_step stubborn status '"failure"'
expect_step stubborn signal '"SIGKILL"'
expect_step stubborn exit_code null

# --- a step that succeeds leaves nothing behind either ----------------------
cat > leaver.yaml <<'Y'
steps:
  leaver:
    run: |
      sleep 3113 >/dev/null 2>&1 &
      setsid sleep 3113 >/dev/null 2>&1 &
      echo left
Y
run_weft run leaver.yaml
expect_rc 0
expect_no_procs "sleep 3113"

# --- SIGINT and SIGTERM to weft run ----------------------------------------
cat > intr.yaml <<'Y'
name: intr
steps:
  long:
    run: |
      sleep 3121 &
      setsid sleep 3122 >/dev/null 2>&1 &
      touch started
      sleep 3123
  next: {needs: long, run: touch next}
Y
# signal_run SIG: start weft run in the background, wait for the step to
# start, send SIG, and leave the exit code in $rc and stdout in $out.
signal_run() {
  rm -f started
  "$WEFT" run intr.yaml >sig.out 2>sig.err &
  local pid=$! t0
  wait_for_file started 15
  t0=$(now_ms)
  kill "-$1" "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  ms=$(( $(now_ms) - t0 ))
  out=$(cat sig.out) err=$(cat sig.err)
  [ "$ms" -lt 8000 ] || fail "SIG$1: weft took ${ms} ms to stop"
}
for sig in INT TERM; do
  signal_run "$sig"
  if [ "$sig" = INT ]; then expect_rc 130; else expect_rc 143; fi
  for m in "sleep 3121" "sleep 3122" "sleep 3123"; do expect_no_procs "$m"; done
  [ ! -e next ] || fail "SIG$sig: the dependent step ran after the run was interrupted"
  id=$(last_run_id)
  expect_out_has "run $id (intr): cancelled"
  show_json "$id"
  expect_run_status cancelled
  expect_step long status '"cancelled"'
  expect_step next attempts 0
  sget next status
  [[ $J == '"cancelled"' || $J == '"skipped"' ]] || fail "SIG$sig: step next is $J, expected cancelled or skipped"
  run_weft runs --json --limit 1
  expect_rc 0
  expect_json "$out" id "$id" "weft runs --json"
  expect_json "$out" status '"cancelled"' "weft runs --json"
done

echo "run_kill: ok"
