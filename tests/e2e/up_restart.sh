# weft up stopped or killed during a run (SPEC §9.2 "Stop and restart"): the
# next weft up on the database resumes that same run before anything else,
# says so, does not rerun its finished step, and the run ends success. With
# on-restart: leave the run stays interrupted; so does a run with a secret
# param, and the engine names the `weft resume` that finishes it.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"

mkdir wf
cat > wf/two.yaml <<'Y'
name: two
params:
  token:
    default: ""
    secret: true
steps:
  first:
    run: echo first >> first.log
  second:
    needs: [first]
    shell: sh
    run: |
      if [ -f go ]; then echo done >> second.log; else touch second.started; exec sleep 300; fi
Y

# interrupt SIGNAL: start an engine, trigger `two`, send SIGNAL during its
# second step; set $RUN to the run's id.
interrupt() {
  rm -f go second.started up.out up.err
  start_up wf
  run_weft --state st.db trigger two "${@:2}"
  expect_rc 0
  wait_for_file second.started 30
  RUN=$("$WEFT" --state st.db runs two --limit 1 --json | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  kill "-$1" "$UP_PID"
  wait "$UP_PID" 2>/dev/null || true
}

for sig in TERM KILL; do
  rm -f first.log second.log
  interrupt "$sig"
  run_weft --state st.db show "$RUN" --json
  grep -q '"status":"interrupted"' <<<"$out" || fail "$sig: run $RUN is not interrupted: $out"
  touch go
  start_up wf
  grep -q "^resuming run $RUN (two), interrupted when the engine before stopped$" up.out ||
    fail "$sig: no resume line: $(cat up.out up.err)"
  wait_runs two 1 30
  run_weft --state st.db show "$RUN" --json
  grep -q '"status":"success"' <<<"$out" || fail "$sig: run $RUN did not end success: $out"
  [ "$(cat first.log)" = first ] || fail "$sig: the finished step ran again: $(cat first.log)"
  [ "$(cat second.log)" = done ] || fail "$sig: second.log: $(cat second.log)"
  grep -q "^\[two#$RUN\] success in " up.out || fail "$sig: no end line: $(cat up.out)"
  stop_up
done

# on-restart: leave: the run waits for a person.
sed -i 's/^name: two$/name: two\non-restart: leave/' wf/two.yaml
interrupt TERM
touch go
start_up wf
for ((i = 0; i < 100; i++)); do grep -q "stays interrupted" up.err && break; sleep 0.05; done
grep -qF "run $RUN (two) stays interrupted: on-restart: leave; 'weft resume $RUN' continues it" up.err ||
  fail "on-restart: leave: no warning: $(cat up.out up.err)"
sleep 0.5
run_weft --state st.db show "$RUN" --json
grep -q '"status":"interrupted"' <<<"$out" || fail "on-restart: leave: run resumed: $out"
stop_up
sed -i '/^on-restart: leave$/d' wf/two.yaml

# A secret param: never stored, so the run stays interrupted, and the engine
# says how to finish it.
interrupt KILL -p token=s3cret
touch go
start_up wf
for ((i = 0; i < 100; i++)); do grep -q "stays interrupted" up.err && break; sleep 0.05; done
grep -qF "run $RUN (two) stays interrupted: it had secret params, never stored: finish it with 'weft resume $RUN -p token=VALUE'" up.err ||
  fail "no stays-interrupted warning: $(cat up.out up.err)"
run_weft --state st.db show "$RUN" --json
grep -q '"status":"interrupted"' <<<"$out" || fail "the secret run is not interrupted: $out"
stop_up
echo ok
