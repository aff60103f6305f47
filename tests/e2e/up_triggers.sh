# weft up, trigger filters and outcomes (SPEC §9.2): event.workflow as
# {name, run, status}; on.workflow.names globs (`*`: every workflow but
# itself) and the set check with a did-you-mean; stdin `match:` and `if:`
# (1,000 lines, 10 pass: 10 runs and 990 `filtered` events); `weft trigger`
# prints the outcome with exit 0 for a run, 1 for a skip; `weft events`;
# `weft status` and `weft list` agree on the soonest next fire; `weft list`
# shows descriptions.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'kill -KILL ${UP_PID:-0} 2>/dev/null || true'

mkdir wf
cat > wf/fails.yaml <<'Y'
name: fails
steps:
  s:
    run: exit 1
Y
cat > wf/works.yaml <<'Y'
name: works
description: Does the work.
params:
  who:
    description: Whom it is for.
    default: me
steps:
  s:
    run: "true"
Y
cat > wf/notify.yaml <<'Y'
name: notify
on:
  workflow:
    names: ["*"]
    status: [failure]
steps:
  s:
    shell: sh
    run: |
      echo "${{ event.workflow.name }} ${{ event.workflow.run }} ${{ event.workflow.status }}" >> notify.out
      exit 1
Y
cat > wf/busy.yaml <<'Y'
name: busy
concurrency: {limit: 1, on-busy: skip}
steps:
  s:
    run: touch busy.started; while [ ! -e release ]; do sleep 0.05; done
Y
cat > wf/sched.yaml <<'Y'
name: sched
on:
  schedule:
    - cron: "0 3 * * *"
      timezone: UTC
    - every: 1h
    - cron: "*/5 * * * *"
steps:
  s:
    run: "true"
Y

# A misspelt name is an error of weft up and of weft validate given
# several files, with a did-you-mean.
mkdir typo
cp wf/fails.yaml typo/
printf 'name: n\non: {workflow: {names: [fials]}}\nsteps: {s: {run: echo}}\n' > typo/n.yaml
run_weft --state st2.db up typo
expect_rc 2
expect_err_has "typo/n.yaml:2:25: on.workflow.names: 'fials' matches no other workflow of the set (did you mean 'fails'?)"
run_weft validate typo/fails.yaml typo/n.yaml
expect_rc 2
expect_err_has "'fials' matches no other workflow of the set (did you mean 'fails'?)"
run_weft validate typo/n.yaml
expect_rc 0

start_up wf

# weft trigger prints the outcome: a run (exit 0), a skip (exit 1).
run_weft --state st.db trigger fails
expect_rc 0
expect_out_has "for fails: run "
fails_run=$(sed -n 's/.*: run \([0-9]*\)$/\1/p' <<<"$out")
wait_runs fails 1
wait_runs notify 1
run_weft --state st.db trigger works
expect_rc 0
wait_runs works 1
# notify failed too, and follows every workflow but itself: one line only.
still_runs notify 1 1
[ "$(cat notify.out)" = "fails $fails_run failure" ] || fail "notify.out: $(cat notify.out)"

run_weft --state st.db trigger busy
expect_rc 0
expect_out_has "for busy: run "
wait_for_file busy.started
run_weft --state st.db trigger busy
expect_rc 1
expect_out_has "for busy: skipped"
skipped_event=$(sed -n 's/^event \([0-9]*\) .*/\1/p' <<<"$out")
touch release
wait_runs busy 1

# weft events: newest first, with the outcome per workflow.
run_weft --state st.db events
expect_rc 0
expect_out_has "busy: skipped"
expect_out_has "notify: run "
run_weft --state st.db events busy --json --limit 1
expect_rc 0
expect_out_has "\"id\":$skipped_event"
expect_out_has '"outcomes":[{"outcome":"skipped","workflow":"busy"}]'
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "--limit 1 gave: $out"
run_weft --state st.db events --json
grep -q '"kind":"workflow","outcomes":\[{"outcome":"run","run":[0-9]*,"workflow":"notify"}\],"summary":"fails#'"$fails_run"' failure"' <<<"$out" ||
  fail "no workflow event in: $out"

# weft status and weft list agree on the soonest next fire (every: included).
agree() {
  run_weft --state st.db status
  status_next=$(sed -n '/^sched /,/^[a-z]/s/^  next fire: //p' <<<"$out")
  run_weft list wf
  list_next=$(sed -n '/^sched /,/^[a-z]/s/^  next: //p' <<<"$out" | head -1)
  [ -n "$status_next" ] && [ "$status_next" = "$list_next" ]
}
agree || agree || fail "status says '$status_next', list says '$list_next'"
stop_up

# weft list shows the descriptions of workflows and params, also in --json.
run_weft list wf
expect_out_has "works (wf/works.yaml)
  Does the work.
  param who: Whom it is for."
run_weft list wf --json
expect_out_has '"description":"Does the work."'
expect_out_has '"params":[{"default":"me","description":"Whom it is for.","name":"who","required":false}]'

# stdin match: and if: 1,000 lines, 10 pass; 990 are recorded as filtered.
mkdir alerts
cat > alerts/alerts.yaml <<'Y'
name: alerts
on:
  stdin:
    match: '^ERROR\b'
    if: "!contains(event.line, 'ignore')"
steps:
  s:
    shell: sh
    run: echo "${{ event.line }}" >> alerts.out
Y
for i in $(seq 1000); do
  if ((i % 100 == 0)); then echo "ERROR disk $i"
  elif ((i % 100 == 50)); then echo "ERROR ignore $i"
  else echo "INFO line $i ERROR"; fi
done > input.txt
timeout 120 "$WEFT" --state st3.db up alerts <input.txt >alerts.up 2>alerts.err ||
  fail "weft up on the alerts exited $?: $(tail -5 alerts.err)"
[ "$(wc -l <alerts.out)" -eq 10 ] || fail "alerts.out: $(cat alerts.out)"
[ "$(head -1 alerts.out)" = "ERROR disk 100" ] || fail "alerts.out: $(head -1 alerts.out)"
run_weft --state st3.db runs alerts --json --limit 10000
[ "$(grep -c '"id"' <<<"$out")" -eq 10 ] || fail "runs: $out"
run_weft --state st3.db events --json --limit 10000
[ "$(grep -c '"outcome":"filtered"' <<<"$out")" -eq 990 ] || fail "filtered: $(grep -c '"outcome":"filtered"' <<<"$out")"
[ "$(grep -c '"outcome":"run"' <<<"$out")" -eq 10 ] || fail "run outcomes: $(grep -c '"outcome":"run"' <<<"$out")"
# Every event is announced, a filtered one too (SPEC §9.2).
[ "$(grep -c '^event [0-9]* (stdin: .*) -> filtered by alerts$' alerts.up)" -eq 990 ] ||
  fail "filtered events announced: $(grep -c 'filtered by alerts' alerts.up)"
echo "ok: up_triggers"
