# SIGHUP (a closed terminal or ssh session) is handled like SIGTERM by
# `weft run` (issue 17 item 8, SPEC §9.4): the running step is stopped, the
# run recorded cancelled, and weft exits 129; no process of the step is left.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"
on_exit 'kill_procs_with "sleep 3219"'

cat > hup.yaml <<'Y'
name: hup
steps:
  slow:
    run: |
      sleep 3219 &
      touch started
      wait
  after:
    needs: slow
    run: touch after-ran
Y
# Its own session, as under an ssh login whose connection drops.
setsid "$WEFT" --state st.db run hup.yaml >run.out 2>run.err &
pid=$!
wait_for_file started 20
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
[ -n "$id" ] || fail "no run id in: $(cat run.out)"
kill -HUP "$pid"
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 129 ] || fail "weft run exited $wrc after SIGHUP: $(cat run.out run.err)"
expect_no_procs "sleep 3219"
[ ! -e after-ran ] || fail "a step after the cancelled one ran"
show_json "$id"
expect_run_status cancelled
expect_step slow status '"cancelled"'
grep -q "interrupted by SIGHUP" run.out run.err || fail "no reason given: $(cat run.out run.err)"
echo ok
