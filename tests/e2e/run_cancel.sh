# weft cancel RUN from a second shell stops a `weft run` in another process:
# its steps get SIGTERM (then SIGKILL after kill-grace), the run ends
# cancelled, the `weft run` exits 1 and no process of the step is left.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"
on_exit 'kill_procs_with "sleep 3207"; kill_procs_with "sleep 3208"'

cat > long.yaml <<'Y'
name: long
steps:
  slow:
    kill-grace: 1s
    run: |
      trap '' TERM           # ignores SIGTERM: needs the SIGKILL
      sleep 3207 &
      setsid sleep 3208 &
      touch started
      wait
  after:
    needs: slow
    run: touch after-ran
Y
"$WEFT" --state st.db run long.yaml >run.out 2>run.err &
pid=$!
wait_for_file started 20
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
[ -n "$id" ] || fail "no run id in: $(cat run.out)"
t0=$(now_ms)
run_weft --state st.db cancel "$id"
expect_rc 0
expect_out_has "run $id (long): cancelled"
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 1 ] || fail "weft run exited $wrc after cancel: $(cat run.out run.err)"
(( $(now_ms) - t0 < 10000 )) || fail "cancel took too long"
[ ! -e after-ran ] || fail "a step after the cancelled one ran"
expect_no_procs "sleep 3207"
expect_no_procs "sleep 3208"
show_json "$id"
expect_run_status cancelled
expect_step slow status '"cancelled"'

# Cancelling again: already ended, exit 0. Unknown run: exit 2.
run_weft --state st.db cancel "$id"
expect_rc 0
expect_out_has "already ended: cancelled"
run_weft --state st.db cancel 999
expect_rc 2
expect_err_has "no run 999"
# The control socket is owner-only and gone with its process.
[ -z "$(ls st.db.d/locks/ 2>/dev/null | grep '\.sock$' || true)" ] || fail "a control socket outlived its process"
echo ok
