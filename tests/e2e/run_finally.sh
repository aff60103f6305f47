# `finally` (SPEC §9.1): its steps run after every step of `steps` has
# ended: after a failure, after `weft cancel`, after Ctrl-C of `weft run`
# (which still exits 130, the run cancelled) and after the run's timeout,
# and see the outcome; a second Ctrl-C skips them.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"
on_exit 'kill_procs_with "sleep 3301"'

# finally_yaml NAME STEPS: a workflow whose finally steps record what they saw.
finally_yaml() {
  cat > "$1.yaml" <<Y
name: $1
$2
finally:
  report:
    run: |
      echo "\${{ steps.a.status }} \${{ steps.a.outputs.v }}" > report.txt
      touch report-started
      if [ -e slow-finally ]; then sleep 3301; fi
  on-failure: {if: failure(), run: touch saw-failure}
  on-success: {if: success(), run: touch saw-success}
  on-cancel: {if: cancelled(), run: touch saw-cancel}
  after-report: {needs: report, run: touch after-report}
Y
}
reset() { rm -f report.txt report-started saw-* after-report started slow-finally; }

# --- after a failure: it reads a step's status and outputs -----------------
finally_yaml fails 'steps:
  a: {run: "echo v=out-a >> $WEFT_OUTPUT; exit 3"}
  b: {needs: a, run: touch b-ran}'
reset
run_weft --state st.db run fails.yaml
expect_rc 1
[ "$(cat report.txt)" = "failure " ] || fail "report saw: $(cat report.txt)"
[ -e saw-failure ] && [ ! -e saw-success ] && [ ! -e saw-cancel ] && [ -e after-report ] ||
  fail "after a failure: $(ls)"
[ ! -e b-ran ] || fail "b ran after a failed need"
id=$(last_run_id)
show_json "$id"
expect_run_status failure
expect_step report status '"success"'
expect_step on-success status '"skipped"'

# weft resume of the failed run runs finally again, at its end.
rm -f report.txt after-report
sed -i 's/exit 3/exit 0/' fails.yaml
run_weft --state st.db resume "$id"
expect_rc 0
[ "$(cat report.txt)" = "success out-a" ] || fail "finally after resume saw: $(cat report.txt)"
[ -e after-report ] && [ -e b-ran ] || fail "after resume: $(ls)"
show_json "$id"
expect_run_status success
expect_step report status '"success"'

# --- a success: success() ones run; a failing finally step fails the run ---
finally_yaml ok 'steps:
  a: {run: "echo v=out-a >> $WEFT_OUTPUT"}'
reset
run_weft --state st.db run ok.yaml
expect_rc 0
[ "$(cat report.txt)" = "success out-a" ] || fail "report saw: $(cat report.txt)"
[ -e saw-success ] && [ ! -e saw-failure ] || fail "after a success: $(ls)"
cat > okfail.yaml <<'Y'
name: okfail
steps:
  a: {run: "true"}
finally:
  f: {run: exit 4}
Y
run_weft --state st.db run okfail.yaml
expect_rc 1
show_json "$(last_run_id)"
expect_run_status failure

# --- after weft cancel: the run stays cancelled ----------------------------
finally_yaml long 'steps:
  a: {run: "touch started; sleep 3301"}'
reset
"$WEFT" --state st.db run long.yaml >run.out 2>run.err &
pid=$!
wait_for_file started 20
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
run_weft --state st.db cancel "$id"
expect_rc 0
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 1 ] || fail "weft run exited $wrc after cancel: $(cat run.out run.err)"
[ "$(cat report.txt)" = "cancelled " ] || fail "report saw: $(cat report.txt)"
[ -e saw-cancel ] && [ ! -e saw-failure ] && [ -e after-report ] || fail "after cancel: $(ls)"
show_json "$id"
expect_run_status cancelled
expect_step on-cancel status '"success"'

# --- after Ctrl-C of weft run: exit 130, cancelled, finally ran -----------
for sig in INT TERM; do
  reset
  "$WEFT" --state st.db run long.yaml >run.out 2>run.err &
  pid=$!
  wait_for_file started 20
  kill "-$sig" "$pid"
  set +e; wait "$pid"; wrc=$?; set -e
  want=130; [ "$sig" = TERM ] && want=143
  [ "$wrc" = "$want" ] || fail "SIG$sig: weft run exited $wrc: $(cat run.out run.err)"
  [ -e saw-cancel ] && [ -e after-report ] || fail "SIG$sig: finally did not run: $(ls)"
  show_json "$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)"
  expect_run_status cancelled
done
expect_no_procs "sleep 3301"

# --- a second Ctrl-C skips them ---------------------------------------------
reset
touch slow-finally
"$WEFT" --state st.db run long.yaml >run.out 2>run.err &
pid=$!
wait_for_file started 20
kill -INT "$pid"
wait_for_file report-started 20
kill -INT "$pid"
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 130 ] || fail "two Ctrl-C: weft run exited $wrc: $(cat run.out run.err)"
[ ! -e after-report ] || fail "a finally step ran after the second Ctrl-C"
show_json "$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)"
expect_run_status cancelled
expect_step report status '"cancelled"'
sget after-report status
[[ $J == '"skipped"' ]] || fail "after-report is $J after a second Ctrl-C"
expect_no_procs "sleep 3301"

# --- after the run's timeout, which does not bound finally ------------------
finally_yaml timed 'timeout: 1s
steps:
  a: {run: "sleep 3301"}'
sed -i 's/^  report:$/  report:\n    timeout: 30s/' timed.yaml
reset
run_weft --state st.db run timed.yaml
expect_rc 1
[ "$(cat report.txt)" = "cancelled " ] || fail "report saw: $(cat report.txt)"
[ -e saw-failure ] && [ ! -e saw-cancel ] && [ -e after-report ] || fail "after a timeout: $(ls)"
show_json "$(last_run_id)"
expect_run_status failure
expect_no_procs "sleep 3301"
echo "run_finally: ok"
