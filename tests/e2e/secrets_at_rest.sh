# Secrets at rest (SPEC §4, §9.4; issue 17 item 6): after runs with a
# `--secrets` file and a `secret: true` param, a failing `wait` step and a
# `working-directory` whose error names a secret, and a `weft up` workflow
# whose triggers (`weft trigger -p token=...`) queue while it is busy, no
# secret value is in the database, its WAL or its shared memory file: while
# the processes still run (before any checkpoint), after a clean stop, and
# after a restart that finds an entry queued with a secret param. That entry
# is reported and dropped, never run without its secret. `weft show --json`,
# `weft logs` and the engine's output never print one either.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'for p in ${UP_PID:-} ${RUN_PID:-}; do kill -KILL "$p" 2>/dev/null || true; done'
WEFT_ARGS="--state run.db"

P1=tok-AtRest-5521      # a secret param of weft run
F1=file-AtRest-7731     # a --secrets variable
Q1=queued-AtRest-9043   # secret params of weft trigger
Q2=queued-AtRest-9044
Q3=queued-AtRest-9045
Q4=queued-AtRest-9046
ALL="$P1 $F1 $Q1 $Q2 $Q3 $Q4"

# no_secret_at_rest WHEN: no secret value in either database (weft run's
# run.db, weft up's st.db), its WAL or its shared memory file.
no_secret_at_rest() {
  local f v
  for f in {run,st}.db{,-wal,-shm}; do
    [ -e "$f" ] || continue
    for v in $ALL; do
      if grep -qaF -- "$v" "$f"; then fail "$1: secret '$v' stored in $f"; fi
    done
  done
}
# not_printed WHAT TEXT: no secret value in TEXT.
not_printed() {
  local v
  for v in $ALL; do
    if grep -qF -- "$v" <<<"$2"; then fail "secret '$v' printed by $1: $2"; fi
  done
}

# --- weft run: messages of a plugin step and of a working directory ---------
cat > run.yaml <<'Y'
name: atrest
params:
  token: {secret: true, required: true}
steps:
  wait:
    uses: wait
    with: {port: "${{ params.token }}", timeout: 1s}
  cwd:
    working-directory: "missing-${{ secrets.API_KEY }}"
    run: echo never
  ok:
    run: echo "token ${{ params.token }} key $API_KEY"
  hold:
    needs: [wait, cwd, ok]
    if: ${{ always() }}
    run: |
      touch holding
      for i in $(seq 600); do [ -e go-on ] && break; sleep 0.05; done
Y
printf 'API_KEY=%s\n' "$F1" > secrets.env
# While weft run still has the database open (the ends of the other steps
# committed, nothing checkpointed yet), then after it exits.
"$WEFT" --state run.db run run.yaml -p "token=$P1" --secrets secrets.env >run.out 2>run.err &
RUN_PID=$!
wait_for_file holding 20
no_secret_at_rest "while weft run runs"
touch go-on
set +e; wait "$RUN_PID"; rc=$?; set -e
out=$(cat run.out) err=$(cat run.err)
expect_rc 1
not_printed "weft run" "$out$err"
no_secret_at_rest "after weft run"
id=$(last_run_id)
show_json "$id"
not_printed "weft show --json" "$show"
sget wait message
junq "$J"
[ "$U" = "plugin 'wait' failed: 'port': expected HOST:PORT, got '***'" ] ||
  fail "wait's message: $U"
sget cwd message
junq "$J"
grep -qF "working directory 'missing-***'" <<<"$U" || fail "cwd's message: $U"
run_weft --state run.db show "$id"
not_printed "weft show" "$out$err"
run_weft --state run.db logs "$id"
not_printed "weft logs" "$out$err"
grep -qF "token *** key ***" <<<"$out" || fail "logs lack the masked line: $out"

# --- weft up: queued secret params live only in the engine's memory ---------
mkdir wf
cat > wf/busy.yaml <<'Y'
name: busy
concurrency: {limit: 1, on-busy: queue}
params:
  token: {secret: true, required: true}
steps:
  s:
    run: |
      echo "run $WEFT_RUN_ID has ${{ params.token }}"
      case "${{ params.token }}" in queued-AtRest-*) touch "real.$WEFT_RUN_ID" ;; esac
      while [ ! -e release ]; do sleep 0.05; done
Y
start_up wf
run_weft --state st.db trigger busy -p "token=$Q1"
expect_rc 0
wait_for_file real.1
run_weft --state st.db trigger busy -p "token=$Q2"
expect_rc 0
expect_out_has "for busy: queued"
no_secret_at_rest "an event queued behind a running run"
touch release
wait_runs busy 2
[ -e real.2 ] || fail "the queued run did not get its secret param: $(ls; cat up.out up.err)"
rm release
run_weft --state st.db trigger busy -p "token=$Q3"
wait_for_file real.3
run_weft --state st.db trigger busy -p "token=$Q4"
expect_rc 0
no_secret_at_rest "a second event queued"
stop_up
no_secret_at_rest "after a clean stop with an event queued"
[ "$(count_runs busy)" -eq 3 ] || fail "runs before the restart: $(count_runs busy)"

# The restart finds the entry without its secret: reported, dropped, not run.
touch release
start_up wf
for ((i = 0; i < 100; i++)); do
  grep -q "secret" up.out && break
  sleep 0.05
done
grep -q "^busy: event [0-9]* dropped from the queue: its secret params" up.out ||
  fail "the dropped entry was not reported: $(cat up.out up.err)"
still_runs busy 3 1
run_weft --state st.db status --json
expect_rc 0
jget "$out" queued || fail "no queued in status --json: $out"
[ "$J" = 0 ] || fail "the entry is still queued: $out"
run_weft --state st.db status
not_printed "weft status" "$out"
no_secret_at_rest "after the restart"
stop_up
no_secret_at_rest "after the last stop"
not_printed "weft up" "$(cat up.out up.err)"
for id in 1 2 3; do
  run_weft --state st.db show "$id" --json
  not_printed "weft show $id --json" "$out"
  run_weft --state st.db logs "$id"
  not_printed "weft logs $id" "$out"
done
echo ok
