# weft resume RUN (SPEC §4): after weft is killed with SIGKILL mid-run, the
# next command marks the run interrupted and kills the step's leftovers;
# `weft resume` continues the same run: steps that succeeded keep their
# outputs and are not rerun, the rest run, run.attempt increases. Failed and
# cancelled runs resume too; secret params must be given again.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"
on_exit 'kill_procs_with "sleep 3301"; kill_procs_with "sleep 3302"'

cat > wf.yaml <<'Y'
name: resumable
params:
  token: {secret: true, default: ""}
steps:
  first:
    run: |
      echo x >> first.count
      echo "v=from-first" >> "$WEFT_OUTPUT"
  slow:
    needs: first
    run: |
      echo x >> slow.count
      if [ ! -e go-fast ]; then
        sleep 3301 &
        touch slow-started
        sleep 3302
      fi
  last:
    needs: slow
    run: |
      echo "attempt ${{ run.attempt }} got ${{ steps.first.outputs.v }}" > last.txt
Y
"$WEFT" --state st.db run wf.yaml >run.out 2>&1 &
pid=$!
wait_for_file slow-started 20
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
# The next command notices the dead owner.
run_weft --state st.db runs --json
expect_rc 0
jget "$out" status
[ "$J" = '"interrupted"' ] || fail "run not interrupted after kill -9: $out"
expect_no_procs "sleep 3301"
expect_no_procs "sleep 3302"
[ "$(sqlite3 st.db 'PRAGMA integrity_check')" = ok ] || fail "integrity_check failed"
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
show_json "$id"
expect_step first status '"success"'
expect_step slow status '"interrupted"'
expect_step last status '"pending"'

touch go-fast
run_weft --state st.db resume "$id"
expect_rc 0
expect_out_has "run $id (resumable) started, attempt 2"
[ "$(wc -l < first.count)" = 1 ] || fail "resume reran a step that had succeeded"
[ "$(wc -l < slow.count)" = 2 ] || fail "resume did not rerun the interrupted step"
[ "$(cat last.txt)" = "attempt 2 got from-first" ] || fail "last.txt: $(cat last.txt)"
show_json "$id"
expect_run_status success
expect_json "$show" attempt 2
[ "$(step_output first v)" = from-first ] || fail "first lost its outputs: $show"
expect_step slow status '"success"'
run_weft --state st.db runs --json
[ "$(wc -l <<<"$out")" = 1 ] || fail "resume created a new run: $out"

# A successful run cannot be resumed.
run_weft --state st.db resume "$id"
expect_rc 2
expect_err_has "only interrupted, failed and cancelled runs"

# A failed run with a secret param: resume needs the secret again.
rm -f go-fast
cat > fail.yaml <<'Y'
name: failing
params:
  token: {secret: true, required: true}
steps:
  a: {run: "echo x >> a.count"}
  b:
    needs: a
    run: '[ -e fixed ] && [ "${{ params.token }}" = tok-123 ]'
Y
run_weft --state st.db run fail.yaml -p token=tok-123
expect_rc 1
fid=$(last_run_id)
touch fixed
run_weft --state st.db resume "$fid"
expect_rc 2
expect_err_has "secret param 'token'"
run_weft --state st.db resume "$fid" -p token=tok-123
expect_rc 0
[ "$(wc -l < a.count)" = 1 ] || fail "resume of a failed run reran its successful step"
if grep -qaF tok-123 st.db st.db-wal 2>/dev/null; then fail "the secret was stored"; fi
run_weft --state st.db resume 999
expect_rc 2

# A workflow that reads the secrets context: --secrets must be given again.
rm -f fixed
cat > sec.yaml <<'Y'
name: secretive
steps:
  s: {run: '[ -e fixed ] && [ "${{ secrets.API }}" = key-777 ]'}
Y
printf 'API=key-777\n' > s.env
run_weft --state st.db run sec.yaml --secrets s.env
expect_rc 1
sid=$(last_run_id)
touch fixed
run_weft --state st.db resume "$sid"
expect_rc 2
expect_err_has "give --secrets FILE again"
run_weft --state st.db resume "$sid" --secrets s.env
expect_rc 0
echo ok
