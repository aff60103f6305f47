# Sub-workflow steps stopped (SPEC §9.1): `weft cancel` of the parent
# cancels the child run and kills its running step, so does Ctrl-C of
# `weft run`; a call step's timeout
# cancels its child; kill -9 of weft mid-child, then `weft resume PARENT`,
# goes on with the same child run without rerunning its finished steps.
source "$(dirname "$0")/../support/e2e.sh"
on_exit "kill_procs_with 'sleep 3191'; kill_procs_with 'sleep 3192'"

mkdir -p lib
cat > lib/slow.yaml <<'Y'
outputs:
  n: ${{ steps.nap.outputs.n }}
steps:
  first: {run: "echo ran >> first.count"}
  nap:
    needs: [first]
    run: |
      touch napping
      [ -e go ] || sleep 3191
      echo n=7 >> "$WEFT_OUTPUT"
  after: {needs: [nap], run: "echo after"}
Y
cat > parent.yaml <<'Y'
steps:
  call: {uses: ./lib/slow.yaml}
  use: {needs: [call], run: "echo got ${{ steps.call.outputs.n }} > used"}
Y

# --- weft cancel PARENT: both runs cancelled, the child's process gone ------
"$WEFT" run parent.yaml >run.out 2>&1 &
pid=$!
wait_for_file napping
parent=$(sed -n 's/^run \([0-9]*\) (parent) started$/\1/p' run.out)
run_weft cancel "$parent"
expect_rc 0
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "weft run of a cancelled parent exited 0: $(cat run.out)"
expect_no_procs 'sleep 3191'
show_json "$parent"
expect_run_status cancelled
expect_step call status '"cancelled"'
jget "$show" children
child=$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' <<<"$J")
show_json "$child"
expect_run_status cancelled
expect_step nap status '"cancelled"'
expect_step after status '"cancelled"'

# --- Ctrl-C of weft run: both runs cancelled, exit 130 -----------------------
rm -f napping first.count
"$WEFT" run parent.yaml >run.out 2>&1 &
pid=$!
wait_for_file napping
parent=$(sed -n 's/^run \([0-9]*\) (parent) started$/\1/p' run.out)
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 130 ] || fail "weft run after SIGINT exited $rc: $(cat run.out)"
expect_no_procs 'sleep 3191'
show_json "$parent"
expect_run_status cancelled
jget "$show" children
show_json "$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' <<<"$J")"
expect_run_status cancelled
expect_step nap status '"cancelled"'

# --- a call step's timeout cancels its child --------------------------------
rm -f napping first.count
cat > timeout.yaml <<'Y'
steps:
  call: {uses: ./lib/slow.yaml, timeout: 1s}
Y
run_weft run timeout.yaml
expect_rc 1
show_json "$(last_run_id)"
expect_step call status '"failure"'
expect_step call message '"timed out after 1s"'
expect_no_procs 'sleep 3191'

# --- kill -9 mid-child, then weft resume PARENT: the same child run ---------
rm -f napping first.count
"$WEFT" run parent.yaml >run.out 2>&1 &
pid=$!
wait_for_file napping
parent=$(sed -n 's/^run \([0-9]*\) (parent) started$/\1/p' run.out)
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
kill_procs_with 'sleep 3191'
touch go
run_weft resume "$parent"
expect_rc 0
[ "$(cat used)" = "got 7" ] || fail "the step after the resumed call saw: $(cat used)"
[ "$(cat first.count)" = "ran" ] || fail "the child's finished step ran again: $(cat first.count)"
show_json "$parent"
jget "$show" children
[[ $J =~ ^\[\{\"run\":[0-9]+,\"step\":\"call\"\}\]$ ]] || fail "resume called a second child run: $J"
echo ok
