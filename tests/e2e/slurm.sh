# `runs-on: slurm` (SPEC §8) against a real one-node Slurm cluster started by
# this script: a DAG mixing local and Slurm steps with outputs flowing between
# them, logs and secrets; a failing job; a Slurm-side failure; a step timeout
# and a run cancel (scancel); a retry (a second job); weft killed with -9 while
# a job runs, then resumed: the job is followed again or settled from its
# files, never submitted twice; a job that left no trace becomes interrupted.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/slurm.sh"
on_exit 'stop_slurm'
start_slurm
WEFT_ARGS="--state st.db"
mkdir work

# --- 1. A DAG of local and Slurm steps; outputs, env, secrets, logs.
cat > mix.yaml <<'Y'
name: mix
env:
  GREETING: hello
steps:
  prepare:
    run: echo "n=41" >> "$WEFT_OUTPUT"
  compute:
    needs: prepare
    runs-on: slurm
    slurm: {cpus: 1, time: 5m}
    working-directory: work
    env:
      N: ${{ steps.prepare.outputs.n }}
    run: |
      echo "job $SLURM_JOB_ID step $WEFT_STEP attempt $WEFT_ATTEMPT run $WEFT_RUN_ID"
      echo "$GREETING from slurm, n is $N, token is $TOKEN"
      echo "to stderr" >&2
      test "$(cat "$WEFT_EVENT_JSON" | head -c 1)" = "{"
      echo "answer=$((N + 1))" >> "$WEFT_OUTPUT"
      printf 'multi<<EOF\nline 1\nline 2\nEOF\n' >> "$WEFT_OUTPUT"
      echo done > result.txt
  report:
    needs: compute
    run: |
      echo "answer is ${{ steps.compute.outputs.answer }}"
      test "$(cat work/result.txt)" = done
Y
printf 'TOKEN=s3cr3t-value\n' > secrets.env
t0=$(now_ms)
run_weft --state st.db run mix.yaml --secrets secrets.env
expect_rc 0
id=$(last_run_id)
show_json "$id"
expect_run_status success
expect_step compute status '"success"'
[ "$(step_output compute answer)" = 42 ] || fail "compute's answer: $(step_output compute answer)"
[ "$(step_output compute multi)" = $'line 1\nline 2' ] || fail "multi-line output: $(step_output compute multi)"
sget compute slurm_job
job=$(json_unquote "$J")
[[ $job =~ ^[0-9]+$ ]] || fail "no Slurm job id in show --json: $show"
wait_job_state "$job" COMPLETED
run_weft --state st.db logs "$id"
expect_out_has "job $job step compute attempt 1 run $id"
expect_out_has "hello from slurm, n is 41, token is ***"
expect_out_has "to stderr"
expect_out_has "answer is 42"
grep -q s3cr3t-value <<<"$out" && fail "the secret is in the logs: $out"
# The job's name identifies run, step and attempt; its files are gone once
# the run has ended; the secret was never on sbatch's command line.
[ "$(jobs_named "weft-$id-compute-1-")" = 1 ] || fail "no job named weft-$id-compute-1-*: $(squeue -h --states=all -o %j)"
[ ! -e .weft/slurm/run-$id ] && [ ! -e st.db.d/slurm/run-$id ] || fail "the run's job directory outlived it"
echo "mix: $(( $(now_ms) - t0 )) ms" >&2

# --- 2. A failing job fails the run with its exit code; one Slurm ended
# itself shows as such; a bad partition is sbatch's own message.
cat > fail.yaml <<'Y'
name: fail
defaults:
  runs-on: slurm
steps:
  bad:
    run: |
      echo "about to fail"
      exit 3
  killed:
    run: |
      scancel "$SLURM_JOB_ID"
      sleep 30
  signalled:
    run: |
      # As if the batch script had outlived the step and written the
      # signal's exit code before Slurm ended it.
      echo 143 > "$(dirname "$WEFT_OUTPUT")/exit_code"
      scancel "$SLURM_JOB_ID"
      sleep 30
  nowhere:
    slurm: {partition: no-such-partition}
    run: echo never
Y
run_weft --state st.db run fail.yaml
expect_rc 1
id=$(last_run_id)
show_json "$id"
expect_run_status failure
expect_step bad status '"failure"'
expect_step bad exit_code 3
expect_step bad message '"exit code 3"'
expect_step killed status '"failure"'
sget killed message
[[ $J == *"it was cancelled outside weft (CANCELLED"* ]] || fail "killed's message: $J"
expect_step signalled status '"failure"'
expect_step signalled exit_code 143
sget signalled message
[[ $J == *"it was cancelled outside weft (CANCELLED"* ]] || fail "signalled's message: $J"
expect_step nowhere status '"failure"'
sget nowhere message
[[ $J == *"cannot submit the Slurm job: sbatch: error: invalid partition specified: no-such-partition"* ]] ||
  fail "nowhere's message: $J"
run_weft --state st.db show "$id"
expect_out_has "it was cancelled outside weft"
expect_out_has "    slurm: attempt 1: job "

# --- 3. A step timeout cancels its job; a retry submits a new job.
cat > timeout.yaml <<'Y'
name: timeout
defaults:
  runs-on: slurm
steps:
  slow:
    timeout: 2s
    run: sleep 300
  flaky:
    retry: {attempts: 2, delay: 100ms}
    run: |
      if [ "$WEFT_ATTEMPT" = 1 ]; then exit 7; fi
      echo "ok=$WEFT_ATTEMPT" >> "$WEFT_OUTPUT"
Y
t0=$(now_ms)
run_weft --state st.db run timeout.yaml
expect_rc 1
(( $(now_ms) - t0 < 20000 )) || fail "the timeout took $(( $(now_ms) - t0 )) ms"
id=$(last_run_id)
show_json "$id"
expect_step slow status '"failure"'
expect_step slow message '"timed out after 2s"'
sget slow slurm_job
job=$(json_unquote "$J")
wait_job_state "$job" CANCELLED
expect_step flaky status '"success"'
expect_step flaky attempts 2
[ "$(step_output flaky ok)" = 2 ] || fail "flaky's output"
[ "$(jobs_named "weft-$id-flaky-")" = 2 ] || fail "the retry did not submit a second job"

# The run's timeout cancels its jobs too.
cat > runtimeout.yaml <<'Y'
name: runtimeout
timeout: 2s
steps:
  slow:
    runs-on: slurm
    run: sleep 300
Y
run_weft --state st.db run runtimeout.yaml
expect_rc 1
id=$(last_run_id)
show_json "$id"
expect_run_status failure
sget slow slurm_job
job=$(json_unquote "$J")
wait_job_state "$job" CANCELLED

# --- 4. weft cancel RUN cancels its jobs.
cat > long.yaml <<'Y'
name: long
steps:
  long:
    runs-on: slurm
    run: |
      touch "$PWD/long-started"
      sleep 300
Y
"$WEFT" --state st.db run long.yaml >run.out 2>run.err &
pid=$!
for _ in $(seq 100); do grep -q "^run [0-9]* (long) started" run.out && break; sleep 0.1; done
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
[ -n "$id" ] || fail "no run id: $(cat run.out run.err)"
wait_for_file long-started 20
run_weft --state st.db cancel "$id"
expect_rc 0
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 1 ] || fail "weft run exited $wrc after cancel: $(cat run.out run.err)"
show_json "$id"
expect_run_status cancelled
expect_step long status '"cancelled"'
sget long slurm_job
job=$(json_unquote "$J")
wait_job_state "$job" CANCELLED

# --- 5. kill -9 of weft while a job runs. Recovery leaves the job alone;
# `weft resume` follows it to its end (no second job), with its log and
# outputs; a job that finished while weft was down is settled from its files.
cat > crash.yaml <<'Y'
name: crash
steps:
  job:
    runs-on: slurm
    run: |
      echo "before"
      touch "$PWD/started.$WEFT_ATTEMPT"
      while [ ! -e "$PWD/go" ]; do sleep 0.2; done
      echo "after"
      echo "v=1" >> "$WEFT_OUTPUT"
  then:
    needs: job
    run: echo "then got ${{ steps.job.outputs.v }}"
Y
for case in running finished; do
  rm -f go started.1
  # The shared job directory: the default, then WEFT_SLURM_DIR (which
  # `weft resume` needs not be given again: each attempt records its own).
  shared=$PWD/st.db.d/slurm
  if [ "$case" = finished ]; then shared=$PWD/shared; fi
  WEFT_SLURM_DIR=$([ "$case" = finished ] && echo "$shared" || true) \
    "$WEFT" --state st.db run crash.yaml >run.out 2>run.err &
  pid=$!
  wait_for_file started.1 20
  id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
  [ -n "$id" ] || fail "no run id: $(cat run.out run.err)"
  # Its variables travel in a file only its owner can read.
  [ "$(stat -c %a "$shared/run-$id/job.1/env")" = 600 ] || fail "$case: no 0600 env file in $shared/run-$id/job.1"
  # The job's output reaches the log while it runs.
  for _ in $(seq 100); do
    run_weft --state st.db logs "$id"
    grep -q before <<<"$out" && break
    sleep 0.1
  done
  expect_out_has "before"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  show_json "$id" # recovery
  expect_run_status interrupted
  expect_step job status '"interrupted"'
  sget job message
  [[ $J == *"was left to finish; 'weft resume $id' collects it"* ]] || fail "job's message after the crash: $J"
  sget job slurm_job
  job=$(json_unquote "$J")
  [ "$(job_state "$job")" = RUNNING ] || fail "recovery touched job $job: $(job_state "$job")"
  touch go
  [ "$case" = finished ] && wait_job_state "$job" COMPLETED
  run_weft --state st.db resume "$id"
  expect_rc 0
  show_json "$id"
  expect_run_status success
  expect_step job status '"success"'
  expect_step job attempts 1
  [ "$(step_output job v)" = 1 ] || fail "$case: job's output after resume"
  [ "$(jobs_named "weft-$id-job-")" = 1 ] || fail "$case: a second job was submitted: $(squeue -h --states=all -o %j)"
  [ ! -e "$shared/run-$id" ] || fail "$case: the run's job directory outlived it"
  run_weft --state st.db logs "$id"
  [ "$(grep -c '^.*before$' <<<"$out")" = 1 ] || fail "$case: 'before' not once in the logs: $out"
  expect_out_has "after"
  expect_out_has "then got 1"
done

# weft killed right after sbatch, before it wrote the job's id (test-hook
# builds): recovery finds the job by its name; resume follows it.
if [ "${WEFT_TEST_HOOKS:-0}" = 1 ]; then
  rm -f go started.1
  set +e
  WEFT_TEST_KILL_AT=job-submitted "$WEFT" --state st.db run crash.yaml >run.out 2>run.err
  wrc=$?
  set -e
  [ "$wrc" = 137 ] || fail "weft was not killed at job-submitted: $wrc $(cat run.out run.err)"
  id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
  show_json "$id"
  expect_step job status '"interrupted"'
  sget job slurm_job
  job=$(json_unquote "$J")
  [[ $job =~ ^[0-9]+$ ]] || fail "recovery did not find the job by its name: $show"
  touch go
  run_weft --state st.db resume "$id"
  expect_rc 0
  show_json "$id"
  expect_step job status '"success"'
  expect_step job attempts 1
  [ "$(jobs_named "weft-$id-job-")" = 1 ] || fail "a second job was submitted after the kill at job-submitted"
fi

# A Slurm attempt whose job left no trace (Slurm forgot it, no files) is
# interrupted, never success; resume submits a new job.
rm -f go started.1
"$WEFT" --state st.db run crash.yaml >run.out 2>run.err &
pid=$!
wait_for_file started.1 20
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' run.out | head -n 1)
job=$(squeue -h -o '%i %j' | sed -n "s/^\([0-9]*\) weft-$id-job-1-.*/\1/p")
[ -n "$job" ] || fail "no job of run $id"
# Forget it as Slurm would after MinJobAge: another id, no directory.
sqlite3 st.db "UPDATE attempts SET slurm = json_set(slurm, '\$.job', '999999', '\$.dir', '/nonexistent') WHERE run_id = $id"
scancel "$job"
show_json "$id"
expect_step job status '"interrupted"'
touch go
run_weft --state st.db resume "$id"
expect_rc 0
show_json "$id"
expect_step job status '"success"'
expect_step job attempts 2
run_weft --state st.db show "$id" --json
echo ok
