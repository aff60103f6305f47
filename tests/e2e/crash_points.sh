# Crash safety (SPEC §4, §5): weft killed with SIGKILL at each named kill
# point (WEFT_TEST_KILL_AT, in WEFT_TEST_HOOKS builds) leaves a database that
# passes integrity_check; the next command marks the run interrupted and no
# step process survives; `weft resume` finishes the run without rerunning
# steps that had succeeded. A recorded pid now used by another process is not
# signalled.
source "$(dirname "$0")/../support/e2e.sh"
if [ "${WEFT_TEST_HOOKS:-0}" != 1 ]; then
  echo "skipped: weft was built without WEFT_TEST_HOOKS (./bootstrap.sh builds with it)"
  exit 0
fi
on_exit 'kill_procs_with "sleep 3401"; kill_procs_with "sleep 3402"'

cat > wf.yaml <<'Y'
name: crashy
steps:
  a:
    run: |
      echo x >> a.count
      printf 'a1\na2\na3\na4\n'
      echo "v=from-a" >> "$WEFT_OUTPUT"
  b:
    run: |
      echo x >> b.count
      sleep 3401 &
      printf 'b1\nb2\n'
      sleep 0.3
  c:
    needs: [a, b]
    run: |
      echo x >> c.count
      echo "got ${{ steps.a.outputs.v }}" > c.txt
Y
count() { [ -f "$1.count" ] && wc -l < "$1.count" | tr -d ' ' || echo 0; }

for point in attempt-recorded attempt-recorded:2 step-ended log-batch; do
  rm -rf st.db* ./*.count c.txt
  run_weft --state st.db run -j 2 wf.yaml
  env_rc=$rc
  set +e
  WEFT_TEST_KILL_AT=$point "$WEFT" --state st.db run -j 2 wf.yaml >run.out 2>&1
  rc=$?
  set -e
  [ "$rc" = 137 ] || fail "$point: weft was not killed (exit $rc): $(cat run.out)"
  [ "$env_rc" = 0 ] || fail "$point: the run without a kill point failed"
  id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
  [ -n "$id" ] || fail "$point: no run id"
  [ "$(sqlite3 st.db 'PRAGMA integrity_check')" = ok ] || fail "$point: integrity_check"
  run_weft --state st.db runs --json
  jget "$(head -n 1 <<<"$out")" status
  [ "$J" = '"interrupted"' ] || fail "$point: run not interrupted: $out"
  expect_no_procs "sleep 3401"
  before_a=$(count a)
  run_weft --state st.db show "$id" --json
  a_done=$(grep -c '"id":"a","status":"success"' <<<"$out" || true)
  run_weft --state st.db resume "$id"
  expect_rc 0
  [ "$(cat c.txt)" = "got from-a" ] || fail "$point: c.txt is $(cat c.txt)"
  if [ "$a_done" = 1 ]; then
    [ "$(count a)" = "$before_a" ] || fail "$point: resume reran a, which had succeeded"
  fi
  [ "$(sqlite3 st.db 'PRAGMA integrity_check')" = ok ] || fail "$point: integrity_check after resume"
  [ "$(sqlite3 st.db "SELECT count(*) FROM runs WHERE status IN ('running','queued')")" = 0 ] ||
    fail "$point: a run left running"
  expect_no_procs "sleep 3401"
done

# A reused pid is never signalled: a dead owner's running attempt whose pid
# now belongs to an unrelated process (another start time).
rm -rf st.db*
run_weft --state st.db run wf.yaml
expect_rc 0
sleep 3402 &
victim=$!
sqlite3 st.db "UPDATE runs SET status = 'running', owner = '999999-1';
  UPDATE attempts SET status = 'running', pid = $victim, pid_start_time = 1 WHERE id = (SELECT max(id) FROM attempts);"
run_weft --state st.db runs
expect_rc 0
sleep 0.3
kill -0 "$victim" 2>/dev/null || fail "recovery signalled a process that only reused a recorded pid"
kill "$victim"
run_weft --state st.db runs --json
jget "$(head -n 1 <<<"$out")" status
[ "$J" = '"interrupted"' ] || fail "the dead owner's run was not interrupted: $out"
echo ok
