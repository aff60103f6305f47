# weft up with weft trigger, weft status and weft list; concurrency (queue,
# skip, cancel-running, max-queued); workflow chains; a workflow edited while
# the engine runs (and an invalid edit); a second engine refused; events
# queued at a stop run after a restart; load errors of a set of workflows.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'kill -KILL ${UP_PID:-0} 2>/dev/null || true; kill_procs_with "sleep 3411"'

mkdir wf
cat > wf/greet.yaml <<'Y'
name: greet
params:
  who: {required: true}
  greeting: {default: hello}
steps:
  say:
    run: echo "${{ params.greeting }} ${{ params.who }}" >> greet.out
Y
cat > wf/param.yaml <<'Y'
name: param
params:
  v: {required: true}
  token: {secret: true}
steps:
  s:
    run: printf '%s|%s\n' "${{ params.v }}" "${{ params.token }}" >> param.out
Y
cat > wf/queue.yaml <<'Y'
name: queue
concurrency: {limit: 1}
steps:
  s:
    run: echo "start $WEFT_RUN_ID" >> queue.out; sleep 1; echo "end $WEFT_RUN_ID" >> queue.out
Y
cat > wf/skip.yaml <<'Y'
name: skip
concurrency: {limit: 1, on-busy: skip}
steps:
  s:
    run: touch skip.started; sleep 1.5
Y
cat > wf/latest.yaml <<'Y'
name: latest
concurrency: {limit: 1, on-busy: cancel-running}
steps:
  s:
    kill-grace: 1s
    run: sleep 3411
Y
cat > wf/after.yaml <<'Y'
name: after
on:
  workflow:
    names: [greet, skip]
    status: [success]
steps:
  s:
    run: echo "after ${{ event.workflow.name }} ${{ event.workflow.status }}" >> after.out
Y

# No engine yet.
run_weft --state st.db trigger greet
expect_rc 3
expect_err_has "no engine is running"
run_weft --state st.db status
expect_rc 3

start_up wf

# A second engine on the same database is refused, naming the first.
run_weft --state st.db up wf
expect_rc 3
expect_err_has "an engine already runs on this database (pid $UP_PID)"

# weft trigger with params; the chain runs after it.
run_weft --state st.db trigger greet -p who=world
expect_rc 0
expect_out_has "for greet: run "
wait_runs greet 1
wait_runs after 1
[ "$(cat greet.out)" = "hello world" ] || fail "greet.out: $(cat greet.out)"
grep -qx "after greet success" after.out || fail "after.out: $(cat after.out)"
run_weft --state st.db trigger greet
expect_rc 2
expect_err_has "missing required param 'who'"
run_weft --state st.db trigger greet -p who=x -p colour=red
expect_rc 2
expect_err_has "unknown param 'colour'"
run_weft --state st.db trigger gret -p who=x
expect_rc 2
expect_err_has "no workflow 'gret' is armed (did you mean 'greet'?)"

# -p KEY=@FILE, @- and @@ (SPEC §9.4): weft trigger reads the value, and
# the engine gets it as if it had been typed.
printf 'from a file\n' > v.txt
printf 's3cr3t-token\n' > token.txt
run_weft --state st.db trigger param -p v=@v.txt -p token=@token.txt
expect_rc 0
wait_runs param 1
grep -qx "from a file|s3cr3t-token" param.out || fail "-p v=@v.txt: param.out: $(cat param.out)"
run_weft --state st.db trigger param -p v=@- -p token=@@at <<<"from stdin"
expect_rc 0
wait_runs param 2
grep -qx "from stdin|@at" param.out || fail "-p v=@- and @@: param.out: $(cat param.out)"
run_weft --state st.db trigger param -p v=@no-such.txt
expect_rc 2
expect_err_has "weft: error: -p v=@no-such.txt: No such file or directory"
run_weft --state st.db trigger param -p v=@- -p token=@- <<<"x"
expect_rc 2
expect_err_has "weft: error: -p token=@-: standard input is already the value of -p v=@-"
still_runs param 2 0.3

# weft status, text and JSON.
run_weft --state st.db status
expect_rc 0
expect_out_has "engine pid $UP_PID"
expect_out_has "after (wf/after.yaml): 0 running, 0 queued"
expect_out_has "  workflow: greet skip (success)"
run_weft --state st.db status --json
expect_rc 0
expect_out_has "\"pid\":$UP_PID"
expect_out_has '"name":"queue"'

# queue: three triggers, one at a time, in order.
for i in 1 2 3; do run_weft --state st.db trigger queue; expect_rc 0; done
wait_runs queue 3 20
[ "$(grep -c start queue.out)" -eq 3 ] || fail "queue: $(cat queue.out)"
paste -d' ' - - <queue.out | grep -vq '^start \([0-9]*\) end \1$' && fail "queue runs overlapped: $(cat queue.out)"

# skip: a trigger while busy is skipped.
run_weft --state st.db trigger skip
wait_for_file skip.started
run_weft --state st.db trigger skip
expect_rc 1
expect_out_has "for skip: skipped"
wait_runs skip 1
still_runs skip 1 0.5
grep -q "skip: event [0-9]* skipped" up.out || fail "no skip line: $(tail up.out)"

# cancel-running: the newer event cancels the running run.
run_weft --state st.db trigger latest
sleep 0.5
run_weft --state st.db trigger latest
for ((i = 0; i < 100; i++)); do
  [ "$("$WEFT" --state st.db runs latest --status running --json | grep -c '"id"')" -eq 1 ] &&
    [ "$("$WEFT" --state st.db runs latest --status cancelled --json | grep -c '"id"')" -eq 1 ] && break
  sleep 0.1
done
[ "$("$WEFT" --state st.db runs latest --status cancelled --json | grep -c '"id"')" -eq 1 ] || fail "no cancelled run of latest"
newest=$("$WEFT" --state st.db runs latest --status running --json | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$newest" ] || fail "the newer run of latest is not running"
run_weft --state st.db cancel "$newest"
expect_rc 0

# An edited workflow is re-read; an invalid edit keeps the previous version.
sed -i 's/echo "${{ params.greeting }}/echo "edited ${{ params.greeting }}/' wf/greet.yaml
for ((i = 0; i < 100; i++)); do grep -q "reloaded" up.out && break; sleep 0.05; done
grep -q "reloaded" up.out || fail "the edit was not picked up: $(tail up.out)"
run_weft --state st.db trigger greet -p who=again
wait_runs greet 2
grep -qx "edited hello again" greet.out || fail "the edit did not apply: $(cat greet.out)"
printf 'name: greet\nsteps:\n  say:\n    run: [oops\n' > wf/greet.yaml
for ((i = 0; i < 100; i++)); do grep -q "invalid edit" up.out && break; sleep 0.05; done
grep -q "wf/greet.yaml: invalid edit; the previous version stays armed" up.out || fail "no invalid-edit line: $(tail up.out)"
grep -q "wf/greet.yaml:[0-9]*:[0-9]*: error" up.err || fail "the invalid edit's diagnostics are missing: $(cat up.err)"
run_weft --state st.db trigger greet -p who=still
expect_rc 0
wait_runs greet 3
grep -qx "edited hello still" greet.out || fail "the previous version is not armed: $(cat greet.out)"

# Events queued at a stop run after a restart (an invalid file stops a
# fresh engine from starting, so greet is made valid again first).
printf 'name: greet\nparams: {who: {required: true}}\nsteps: {say: {run: echo}}\n' > wf/greet.yaml
kill -TERM "$("$WEFT" --state st.db status --json | sed 's/.*"pid":\([0-9]*\).*/\1/')" 2>/dev/null || true
set +e; wait "$UP_PID"; set -e
before=$(count_runs queue)
"$WEFT" --state st.db show 1 --json >/dev/null
start_up wf
for i in 1 2 3; do run_weft --state st.db trigger queue; done
stop_up
after_stop=$(count_runs queue)
[ "$after_stop" -lt $((before + 3)) ] || fail "no event left queued at the stop"
start_up wf
wait_runs queue $((before + 3)) 20
stop_up

# --json prints JSON lines only; SIGHUP re-reads every workflow.
"$WEFT" --state st.db up --json wf </dev/null >json.out 2>json.err &
UP_PID=$!
for ((i = 0; i < 200; i++)); do grep -q '"type":"armed"' json.out && break; sleep 0.05; done
grep -q "\"pid\":$UP_PID" json.out || fail "no armed line in --json output: $(cat json.out json.err)"
run_weft --state st.db trigger greet -p who=json
expect_rc 0
for ((i = 0; i < 200; i++)); do grep -q '"type":"run_finished"' json.out && break; sleep 0.05; done
grep -q '"kind":"manual".*"type":"event"' json.out || fail "no event line: $(cat json.out json.err; "$WEFT" --state st.db status)"
grep -v '^{.*}$' json.out && fail "--json printed a line that is not JSON"
printf 'name: hup\nsteps: {a: {run: echo}}\n' > wf/hup.yaml
kill -HUP "$UP_PID"
for ((i = 0; i < 200; i++)); do grep -q '"type":"reload"' json.out && break; sleep 0.05; done
run_weft --state st.db trigger hup
expect_rc 0
wait_runs hup 1
stop_up

# The engine prunes each workflow's history as its retention says, at start.
mkdir keep
printf 'name: keep\nsteps: {a: {run: echo}}\n' > keep/keep.yaml
for i in 1 2 3 4; do "$WEFT" --state st4.db run keep/keep.yaml >/dev/null; done
printf 'name: keep\nretention: {runs: 2}\nsteps: {a: {run: echo}}\n' > keep/keep.yaml
"$WEFT" --state st4.db up keep </dev/null >keep.out 2>&1 &
UP_PID=$!
for ((i = 0; i < 100; i++)); do grep -q "pruned 2 old run(s) of keep" keep.out && break; sleep 0.05; done
grep -q "pruned 2 old run(s) of keep" keep.out || fail "no prune at start: $(cat keep.out)"
[ "$("$WEFT" --state st4.db runs keep --json | grep -c '"id"')" -eq 2 ] || fail "retention not applied"
kill -TERM "$UP_PID"; wait "$UP_PID"

# Load errors of the set: two workflows with one name, a cycle of triggers.
mkdir bad1 bad2
printf 'name: x\nsteps: {a: {run: echo}}\n' > bad1/a.yaml
printf 'name: x\nsteps: {a: {run: echo}}\n' > bad1/b.yaml
run_weft --state st3.db up bad1
expect_rc 2
expect_err_has "two workflows are named 'x': bad1/a.yaml and bad1/b.yaml"
printf 'name: p\non: {workflow: {names: [q]}}\nsteps: {a: {run: echo}}\n' > bad2/p.yaml
printf 'name: q\non: {workflow: {names: [p]}}\nsteps: {a: {run: echo}}\n' > bad2/q.yaml
run_weft --state st3.db up bad2
expect_rc 2
expect_err_has "a cycle of workflow triggers"
run_weft --state st3.db up missing-dir
expect_rc 2
expect_err_has "missing-dir: no such file or directory"

# weft list: workflows, triggers and next fire times, without an engine.
printf 'name: nightly\non: {schedule: [{cron: "0 3 * * *", timezone: UTC}]}\nsteps: {a: {run: echo}}\n' > wf/nightly.yaml
printf 'name: greet\nparams: {who: {required: true}}\nsteps: {say: {run: echo}}\n' > wf/greet.yaml
TZ=UTC run_weft list wf
expect_rc 0
expect_out_has "nightly (wf/nightly.yaml)"
expect_out_has "  schedule: cron 0 3 * * * (UTC)"
grep -qE '^  next: [0-9-]{10}T03:00:00\+00:00$' <<<"$out" || fail "no next fire in: $out"
echo "ok: up_control"
