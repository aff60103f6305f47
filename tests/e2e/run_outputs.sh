# weft run: what a step sees and what it hands on (SPEC §1 matrix, §2
# contexts, §3 WEFT_* variables, §4 environment, stdin, outputs, shells):
# outputs flow through ${{ steps.X.outputs.K }} and into show --json, a
# matrix fans out into instances, env precedence, working-directory,
# /dev/null stdin, `shell: sh` and a custom `shell`.
source "$(dirname "$0")/../support/e2e.sh"

rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

# --- outputs: key=value and key<<DELIM heredocs -----------------------------
cat > outs.yaml <<'Y'
name: outs
steps:
  prod:
    run: |
      echo "single=hello world" >> "$WEFT_OUTPUT"
      echo "eq=a=b=c" >> "$WEFT_OUTPUT"
      echo "empty=" >> "$WEFT_OUTPUT"
      {
        echo "multi<<EOF_MARK"
        echo "line one"
        echo "  line two, indented"
        echo "EOF_MARK"
      } >> "$WEFT_OUTPUT"
      echo "not an output, just log"
  mid:
    needs: prod
    run: echo "relay=[${{ steps.prod.outputs.single }}]" >> "$WEFT_OUTPUT"
  cons:
    needs: mid
    run: |
      printf '%s\n' "${{ steps.prod.outputs.single }}" > got_single
      printf '%s\n' "${{ steps.prod.outputs.multi }}" > got_multi
      printf '%s\n' "${{ steps.prod.outputs.eq }}" > got_eq
      printf '[%s]\n' "${{ steps.prod.outputs.empty }}" > got_empty
      printf '%s\n' "${{ steps.mid.outputs.relay }}" > got_relay
      printf '%s\n' ${{ steps.prod.outputs.single }} > got_unquoted
Y
run_weft run outs.yaml
expect_rc 0
[ "$(cat got_single)" = "hello world" ] || fail "steps.prod.outputs.single: got '$(cat got_single)'"
[ "$(cat got_multi)" = "$(printf 'line one\n  line two, indented')" ] || fail "heredoc output multi: got '$(cat got_multi)'"
[ "$(cat got_eq)" = "a=b=c" ] || fail "an output whose value holds '=': got '$(cat got_eq)'"
[ "$(cat got_empty)" = "[]" ] || fail "an empty output: got '$(cat got_empty)'"
[ "$(cat got_relay)" = "[hello world]" ] || fail "an output of a transitive need: got '$(cat got_relay)'"
[ "$(cat got_unquoted)" = "hello world" ] || fail "an unquoted \${{ }} must be one word: got '$(cat got_unquoted)'"
show_json "$(last_run_id)"
expect_step prod outputs '{"empty":"","eq":"a=b=c","multi":"line one\n  line two, indented","single":"hello world"}'
[ "$(step_output prod multi)" = "$(printf 'line one\n  line two, indented')" ] || fail "show --json multi output: $(step_output prod multi)"
expect_step mid outputs '{"relay":"[hello world]"}'
expect_step cons outputs '{}'
run_weft show "$(last_run_id)"
expect_rc 0
expect_out_has "single = hello world"

# --- a 3x2 matrix, and a step that needs it waits for all six instances ----
cat > matrix.yaml <<'Y'
name: mx
steps:
  t:
    matrix: {os: [a, b, c], cc: [x, y]}
    run: |
      sleep 0.$(( RANDOM % 3 ))
      echo "${{ matrix.os }}-${{ matrix.cc }}" >> seen
      echo "combo=${{ matrix.os }}${{ matrix.cc }}" >> "$WEFT_OUTPUT"
  after:
    needs: t
    run: sort seen | tr '\n' ' ' > after_saw
Y
run_weft run matrix.yaml -j 4
expect_rc 0
[ "$(sort seen | tr '\n' ' ')" = "a-x a-y b-x b-y c-x c-y " ] || fail "matrix instances saw: $(cat seen)"
[ "$(cat after_saw)" = "a-x a-y b-x b-y c-x c-y " ] || fail "'after' ran before all matrix instances ended; it saw: $(cat after_saw)"
show_json "$(last_run_id)"
[ "${#show_steps[@]}" -eq 7 ] || fail "expected 6 instances + after in show --json, got ${#show_steps[@]}: ${!show_steps[*]}"
latest_end=""
for os in a b c; do
  for cc in x y; do
    inst="t[os=$os,cc=$cc]"
    expect_step "$inst" status '"success"'
    expect_step "$inst" outputs "{\"combo\":\"$os$cc\"}"
    sget "$inst" ended
    [[ $J > $latest_end ]] && latest_end=$J
  done
done
sget after started
[[ ! $J < $latest_end ]] || fail "'after' started at $J, before the last matrix instance ended at $latest_end"
expect_out_has "t[os=a,cc=x]: started"
expect_out_has "t[os=c,cc=y]: success in"

# matrix.exclude drops a combination (as in GitHub Actions).
cat > mxe.yaml <<'Y'
steps:
  t:
    matrix:
      os: [a, b]
      cc: [x, y]
      exclude: [{os: b, cc: y}]
    run: touch "m-${{ matrix.os }}-${{ matrix.cc }}"
Y
run_weft run mxe.yaml
expect_rc 0
[ -e m-a-x ] && [ -e m-a-y ] && [ -e m-b-x ] || fail "matrix.exclude: missing instances: $(ls m-* 2>/dev/null | tr '\n' ' ')"
[ ! -e m-b-y ] || fail "matrix.exclude: the excluded combination os=b,cc=y ran"

# --- WEFT_* variables -------------------------------------------------------
cat > vars.yaml <<'Y'
name: vars-wf
steps:
  probe:
    run: |
      echo "$WEFT_RUN_ID" > v_run
      echo "$WEFT_WORKFLOW" > v_wf
      echo "$WEFT_STEP" > v_step
      echo "$WEFT_ATTEMPT" > v_attempt
      echo "$WEFT_EVENT_KIND" > v_kind
      echo "$WEFT_EVENT_TIME" > v_time
      test -n "$WEFT_OUTPUT" && echo ok > v_output
      cp "$WEFT_EVENT_JSON" v_event.json
      echo "run.id=${{ run.id }} run.attempt=${{ run.attempt }} workflow.name=${{ workflow.name }} event.kind=${{ event.kind }}" > v_ctx
      echo "via=output" >> "$WEFT_OUTPUT"
Y
run_weft run vars.yaml
expect_rc 0
id=$(last_run_id)
[ "$(cat v_run)" = "$id" ] || fail "WEFT_RUN_ID is '$(cat v_run)', the run is $id"
[ "$(cat v_wf)" = vars-wf ] || fail "WEFT_WORKFLOW is '$(cat v_wf)'"
[ "$(cat v_step)" = probe ] || fail "WEFT_STEP is '$(cat v_step)'"
[ "$(cat v_attempt)" = 1 ] || fail "WEFT_ATTEMPT is '$(cat v_attempt)'"
[ "$(cat v_kind)" = manual ] || fail "WEFT_EVENT_KIND is '$(cat v_kind)'"
grep -Eq "$rfc3339" v_time || fail "WEFT_EVENT_TIME is not RFC 3339 UTC with ms: '$(cat v_time)'"
[ -s v_event.json ] || fail "WEFT_EVENT_JSON did not name a readable file"
grep -Eq '"kind" *: *"manual"' v_event.json || fail "WEFT_EVENT_JSON lacks \"kind\":\"manual\": $(cat v_event.json)"
[ "$(cat v_ctx)" = "run.id=$id run.attempt=1 workflow.name=vars-wf event.kind=manual" ] || fail "expression contexts: $(cat v_ctx)"
show_json "$id"
expect_step probe outputs '{"via":"output"}'
jget "$show" event
expect_json "$J" kind '"manual"' "the event in show --json"

# --- environment precedence: weft's own < workflow env < step env < WEFT_* --
cat > env.yaml <<'Y'
env: {A: wf, B: wf, WEFT_RUN_ID: bogus}
steps:
  s:
    env: {B: step, D: "${{ env.A }}-d"}
    run: echo "A=$A B=$B C=$C D=$D run=$WEFT_RUN_ID" > envs
  t:
    run: echo "A=$A B=$B C=$C" > envs_t
Y
A=proc B=proc C=proc run_weft run env.yaml
expect_rc 0
id=$(last_run_id)
[ "$(cat envs)" = "A=wf B=step C=proc D=wf-d run=$id" ] || fail "env precedence in s: got '$(cat envs)', expected 'A=wf B=step C=proc D=wf-d run=$id'"
[ "$(cat envs_t)" = "A=wf B=wf C=proc" ] || fail "env precedence in t: got '$(cat envs_t)'"

# --- stdin is /dev/null: cat ends at once, read fails ----------------------
cat > stdin.yaml <<'Y'
steps:
  reader:
    timeout: 10s
    run: |
      cat > from_cat
      if read -r x; then echo "read got '$x'" > read_result; else echo "read failed" > read_result; fi
Y
t0=$(now_ms)
run_weft run stdin.yaml </dev/zero
ms=$(( $(now_ms) - t0 ))
expect_rc 0
[ "$ms" -lt 5000 ] || fail "a step running 'cat' took ${ms} ms: its stdin is not at EOF"
[ -e from_cat ] && [ ! -s from_cat ] || fail "cat read something from the step's stdin: $(head -c 100 from_cat | od -c | head -2)"
[ "$(cat read_result)" = "read failed" ] || fail "read on the step's stdin: $(cat read_result)"

# --- shells: bash -eo pipefail by default, sh -e, a custom command with {0} --
cat > shells.yaml <<'Y'
steps:
  pipefail:
    run: |
      false | true
      touch pipefail_continued
  errexit_sh:
    shell: sh
    run: |
      false
      touch sh_continued
  sh_ok:
    shell: sh
    run: |
      echo "$0" > sh_script
      [ -z "${BASH_VERSION:-}" ] && echo not-bash > sh_is
  custom:
    shell: "bash -x {0}"
    run: |
      echo custom-ran > custom_ran
  default_shell:
    run: echo "${BASH_VERSION:+bash}" > default_is
Y
run_weft run shells.yaml
expect_rc 1
[ ! -e pipefail_continued ] || fail "the default shell does not use -o pipefail (or -e): 'false | true' did not stop the script"
[ ! -e sh_continued ] || fail "shell: sh does not use -e: 'false' did not stop the script"
[ "$(cat sh_is 2>/dev/null)" = not-bash ] || fail "shell: sh ran bash"
[ "$(cat default_is)" = bash ] || fail "the default shell is not bash"
[ "$(cat custom_ran)" = custom-ran ] || fail "shell: 'bash -x {0}' did not run the script"
show_json "$(last_run_id)"
expect_step pipefail status '"failure"'
expect_step errexit_sh status '"failure"'
expect_step sh_ok status '"success"'
expect_step custom status '"success"'
run_weft logs "$(last_run_id)" custom
expect_rc 0
expect_out_has "+ echo custom-ran"

# --- working-directory, and WEFT_OUTPUT / WEFT_EVENT_JSON after a cd --------
# The default working directory is weft's own (SPEC §1), and working-directory
# is relative to it; the WEFT_* paths must stay usable from anywhere.
mkdir -p sub/deeper
cat > wd.yaml <<'Y'
steps:
  here:
    run: pwd > pwd_default
  there:
    working-directory: sub
    run: |
      pwd > pwd_sub
      echo "where=sub" >> "$WEFT_OUTPUT"
  wandering:
    run: |
      cd sub/deeper
      echo "after_cd=yes" >> "$WEFT_OUTPUT"
      cat "$WEFT_EVENT_JSON" > event_copy.json
  expr_dir:
    working-directory: "${{ 'sub' }}/deeper"
    run: pwd > pwd_expr
Y
run_weft run wd.yaml
[ "$(cat pwd_default 2>/dev/null)" = "$T" ] || fail "default working directory: '$(cat pwd_default 2>/dev/null)', expected $T"
[ "$(cat sub/pwd_sub 2>/dev/null)" = "$T/sub" ] || fail "working-directory: sub: the step did not run in $T/sub; rc=$rc stdout: $out"
[ "$(cat sub/deeper/pwd_expr 2>/dev/null)" = "$T/sub/deeper" ] || fail "working-directory with an expression did not run in sub/deeper; stdout: $out"
[ -s sub/deeper/event_copy.json ] || fail "WEFT_EVENT_JSON is unreadable after the step changes directory (a relative path?); stdout: $out"
expect_rc 0
show_json "$(last_run_id)"
expect_step there outputs '{"where":"sub"}'
expect_step wandering outputs '{"after_cd":"yes"}'

echo "run_outputs: ok"
