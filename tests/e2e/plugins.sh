# Plugin steps (SPEC §7, issue 6): discovery, the example executable and
# shared-library plugins end to end (with, env, event in; outputs to a later
# step; stderr in `weft logs`), every way a plugin can break (segfault of
# both kinds, abort, non-zero exit, hang past its timeout, garbage, no
# result, 100 MB of result), the plugin's own failure told apart from one
# that could not run, retries, cancellation and secret masking, load-time
# errors (unknown plugin, unknown or missing `with` key, ABI mismatch) and
# `weft plugins`.
source "$(dirname "$0")/../support/e2e.sh"
: "${WEFT_EXAMPLE_PLUGINS:?set by CTest: the built example plugins}"
: "${WEFT_TEST_PLUGINS:?set by CTest: the built test plugins}"

markers=("sleep 3201" "sleep 3202")
cleanup() { local m; for m in "${markers[@]}"; do kill_procs_with "$m"; done; }
on_exit cleanup

# Executable plugins written for this test, one per way to misbehave.
mkdir bin
plugin() { # plugin NAME BODY: bin/weft-plugin-NAME, a sh script
  printf '#!/bin/sh\n%s\n' "$2" > "bin/weft-plugin-$1"
  chmod +x "bin/weft-plugin-$1"
}
plugin segv 'echo "about to crash" >&2; kill -SEGV $$'
plugin exit3 'echo "{\"status\": \"failure\", \"message\": \"gave up\"}"; exit 3'
plugin garbage 'echo "this is not JSON"'
plugin silent 'echo "only a log line" >&2'
plugin huge 'head -c 100000000 /dev/zero | tr "\0" x'
plugin hang 'echo "hanging" >&2; exec sleep 3201'
plugin badstatus 'echo "{\"status\": \"maybe\"}"'
# Records its request and stdin, says nothing to --describe (so takes any `with`).
plugin spy 'cat > "$SPY_DIR/request.json"; echo "{\"status\": \"success\", \"outputs\": {\"n\": 42, \"s\": \"x\"}}"'
# Fails on its first attempt, succeeds on the second.
plugin flaky '[ "$1" = --describe ] && exit 1; if [ -e "$FLAKY_FILE" ]; then echo "{\"status\": \"success\"}"; else touch "$FLAKY_FILE"; echo "{\"status\": \"failure\", \"message\": \"not yet\"}"; fi'
export WEFT_PLUGIN_PATH="$T/bin:$WEFT_EXAMPLE_PLUGINS:$WEFT_TEST_PLUGINS"

# --- weft plugins: every plugin found, its kind, version, path, params -------
run_weft plugins
expect_rc 0
grep -Eq "^greet +executable +1\.0\.0 +$WEFT_EXAMPLE_PLUGINS/weft-plugin-greet$" <<<"$out" || fail "weft plugins lacks greet: $out"
grep -Eq "^cgreet +library +1\.0\.0 +$WEFT_EXAMPLE_PLUGINS/weft-plugin-cgreet\.so$" <<<"$out" || fail "weft plugins lacks cgreet: $out"
grep -Eq "^http +built-in +[0-9.]+ +\(built in\)$" <<<"$out" || fail "weft plugins lacks http: $out"
grep -Eq "^wait +built-in +[0-9.]+ +\(built in\)$" <<<"$out" || fail "weft plugins lacks wait: $out"
grep -Eq "^segv +executable +- +$T/bin/weft-plugin-segv$" <<<"$out" || fail "weft plugins lacks segv: $out"
grep -Eq "^newabi +library +- " <<<"$out" || fail "weft plugins lacks newabi: $out"
expect_out_has "    name (required)  Who to greet"
expect_out_has "    url (required)  The URL to request (http or https)"
expect_out_has "    error: it was built for plugin ABI version 99, which this weft does not know"
expect_out_has "    (no --describe: any 'with' is accepted)"

# --- an executable plugin: with, env, event in; outputs and log out ---------
for p in greet cgreet; do
  cat > "$p.yaml" <<Y
name: $p
env: {GREETER: from-env}
steps:
  who:
    run: echo "name=Ada" >> "\$WEFT_OUTPUT"
  hello:
    needs: who
    uses: $p
    with:
      name: \${{ steps.who.outputs.name }}
      punctuation: "?"
  after:
    needs: hello
    run: printf '%s|%s|%s\n' "\${{ steps.hello.outputs.greeting }}" "\${{ steps.hello.outputs.event_kind }}" "\${{ steps.hello.outputs.env_greeter }}" > got-$p
Y
  run_weft run "$p.yaml"
  expect_rc 0
  [ "$(cat "got-$p")" = "hello Ada?|manual|from-env" ] || fail "$p: the later step saw '$(cat "got-$p")'"
  id=$(last_run_id)
  show_json "$id"
  expect_step hello status '"success"'
  [ "$(step_output hello greeting)" = "hello Ada?" ] || fail "$p: show --json greeting: $(step_output hello greeting)"
  run_weft logs "$id" hello
  expect_rc 0
  expect_out_has "greeting Ada in step hello"
done

# The request itself: protocol, with (rendered), env, event, run.
mkdir spy
cat > spy.yaml <<'Y'
name: spy
env: {WF: w}
steps:
  s:
    uses: spy
    env: {STEP_VAR: v}
    with:
      nested: {list: [1, "${{ 1 == 1 }}"], text: "run ${{ run.id }}"}
Y
SPY_DIR=$T/spy run_weft run spy.yaml
expect_rc 0
id=$(last_run_id)
req=$(cat spy/request.json)
expect_json "$req" protocol 1 "request"
expect_json "$req" with '{"nested":{"list":[1,"true"],"text":"run '"$id"'"}}' "request"
jget "$req" env; renv=$J
expect_json "$renv" WF '"w"' "request env"; expect_json "$renv" STEP_VAR '"v"' "request env"
jget "$req" event; expect_json "$J" kind '"manual"' "request event"
jget "$req" run; rrun=$J
expect_json "$rrun" id "$id" "request run"; expect_json "$rrun" workflow '"spy"' "request run"
expect_json "$rrun" step '"s"' "request run"; expect_json "$rrun" attempt 1 "request run"
expect_json "$rrun" run_attempt 1 "request run"
show_json "$id"
expect_step s outputs '{"n":"42","s":"x"}'

# --- crashes fail only their step; independent and always() steps run ------
cat > crash.yaml <<'Y'
name: crash
steps:
  exe:
    uses: segv
  lib:
    uses: crashlib
    with: {how: segv}
  aborts:
    uses: crashlib
    with: {how: abort}
  indep:
    run: echo independent
  cleanup:
    needs: [exe, lib, aborts]
    if: ${{ always() }}
    run: touch cleaned
Y
# handle_segv=0: under the sanitizer build, ASan would catch the plugin
# host's SIGSEGV and exit 1 instead of dying of it.
ASAN_OPTIONS="$ASAN_OPTIONS:handle_segv=0" run_weft run crash.yaml
expect_rc 1
[ -e cleaned ] || fail "the always() step did not run after plugin crashes"
id=$(last_run_id)
show_json "$id"
expect_run_status failure
expect_step indep status '"success"'
expect_step cleanup status '"success"'
for s in exe lib; do
  expect_step $s status '"failure"'
  expect_step $s signal '"SIGSEGV"'
  expect_step $s exit_code null
done
expect_step exe message "\"could not run plugin 'segv': it was killed by SIGSEGV\""
expect_step lib message "\"could not run plugin 'crashlib': it was killed by SIGSEGV\""
expect_step aborts message "\"could not run plugin 'crashlib': it was killed by SIGABRT\""
run_weft logs "$id" lib
expect_out_has "about to misbehave"
run_weft logs "$id" exe
expect_out_has "about to crash"

# --- bad results, a non-zero exit, and the plugin's own failure -------------
cat > bad.yaml <<'Y'
name: bad
steps:
  garbage: {uses: garbage}
  silent: {uses: silent}
  exit3: {uses: exit3}
  badstatus: {uses: badstatus}
  own: {uses: greet, with: {name: ""}}
  own_lib: {uses: cgreet, with: {name: ""}}
Y
run_weft run bad.yaml
expect_rc 1
id=$(last_run_id)
show_json "$id"
expect_step garbage message "\"could not run plugin 'garbage': its result on stdout is not JSON (it starts with 'this is not JSON ')\""
expect_step silent message "\"could not run plugin 'silent': it printed no result on stdout\""
expect_step exit3 message "\"could not run plugin 'exit3': it exited with code 3 (gave up)\""
expect_step exit3 exit_code 3
expect_step badstatus message "\"could not run plugin 'badstatus': its result has status \\\"maybe\\\"; expected \\\"success\\\" or \\\"failure\\\"\""
expect_step own message "\"plugin 'greet' failed: 'name' is empty: nobody to greet\""
expect_step own exit_code null  # SPEC §9.3: its process exited 0
expect_step own_lib message "\"plugin 'cgreet' failed: 'name' is empty: nobody to greet\""
run_weft show "$id"
expect_out_has "plugin 'greet' failed: 'name' is empty: nobody to greet"
expect_out_has "could not run plugin 'silent': it printed no result on stdout"
run_weft logs "$id" silent
expect_out_has "only a log line"
expect_out_has "weft: could not run plugin 'silent': it printed no result on stdout"

# --- 100 MB on stdout: the plugin is killed, weft's memory stays bounded -----
cat > huge.yaml <<'Y'
name: huge
steps:
  huge: {uses: huge}
Y
set +e
# quarantine_size_mb: under the sanitizer build, ASan keeps up to 256 MB of
# freed buffers from reuse, which would count as weft's memory here.
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=8" /usr/bin/time -f '%M' -o rss "$WEFT" run huge.yaml >/dev/null 2>huge.err
rc=$?
set -e
expect_rc 1
rss_kb=$(tail -n 1 rss)
[ "$rss_kb" -lt 100000 ] || fail "weft used ${rss_kb} KiB for a 100 MB result"
run_weft runs huge --json --limit 1
jget "$out" id
show_json "$J"
expect_step huge message "\"could not run plugin 'huge': its result on stdout is larger than 1 MiB; it was killed\""

# --- a hanging plugin is killed at its timeout (both kinds) ------------------
cat > hang.yaml <<'Y'
name: hang
steps:
  exe:
    uses: hang
    timeout: 1s
    kill-grace: 1s
  lib:
    uses: crashlib
    with: {how: hang}
    timeout: 1s
    kill-grace: 1s
Y
t0=$(now_ms)
run_weft run hang.yaml
expect_rc 1
took=$(( $(now_ms) - t0 ))
[ "$took" -lt 15000 ] || fail "hanging plugins took ${took} ms to be killed"
show_json "$(last_run_id)"
expect_step exe message '"timed out after 1s"'
expect_step lib message '"timed out after 1s"'
expect_no_procs "sleep 3201"

# --- weft cancel stops running plugins of both kinds ------------------------
cat > cancel.yaml <<'Y'
name: cancel
steps:
  exe:
    uses: hang
    kill-grace: 1s
  builtin:
    uses: wait
    with: {file: never-there, interval: 100ms}
  mark:
    run: touch started
Y
"$WEFT" --state cancel.db run cancel.yaml -j 3 >cancel.out 2>cancel.err &
pid=$!
wait_for_file started 20
sleep 0.5
cid=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' cancel.out | head -n 1)
[ -n "$cid" ] || fail "no run id in: $(cat cancel.out)"
t0=$(now_ms)
run_weft --state cancel.db cancel "$cid"
expect_rc 0
set +e; wait "$pid"; wrc=$?; set -e
[ "$wrc" = 1 ] || fail "weft run exited $wrc after cancel: $(cat cancel.out cancel.err)"
(( $(now_ms) - t0 < 10000 )) || fail "cancelling plugins took too long"
expect_no_procs "sleep 3201"
WEFT_ARGS="--state cancel.db" show_json "$cid"
expect_run_status cancelled
expect_step exe status '"cancelled"'
expect_step builtin status '"cancelled"'

# --- retries and secret masking work as for shell steps ----------------------
cat > retry.yaml <<'Y'
name: retry
steps:
  flaky:
    uses: flaky
    retry: {attempts: 2}
Y
FLAKY_FILE=$T/flaky.once run_weft run retry.yaml
expect_rc 0
show_json "$(last_run_id)"
expect_step flaky status '"success"'
expect_step flaky attempts 2

printf 'TOKEN=s3cr3t-value\n' > secrets.env
cat > secret.yaml <<'Y'
name: secret
steps:
  hello:
    uses: greet
    with: {name: "${{ secrets.TOKEN }}"}
Y
run_weft run secret.yaml --secrets secrets.env
expect_rc 0
id=$(last_run_id)
[[ $out != *s3cr3t-value* ]] || fail "the secret was printed: $out"
show_json "$id"
[ "$(step_output hello greeting)" = "hello ***!" ] || fail "the secret in an output is not masked: $(step_output hello greeting)"
run_weft logs "$id"
expect_out_has "greeting *** in step hello"
[[ $out != *s3cr3t-value* ]] || fail "the secret is in the logs: $out"

# --- load-time errors (exit 2) ----------------------------------------------
cat > unknown.yaml <<'Y'
name: unknown
steps:
  a:
    uses: gret
Y
run_weft validate unknown.yaml
expect_rc 2
expect_err_has "unknown.yaml:4:11: error: unknown plugin 'gret' (did you mean 'greet'?): no weft-plugin-gret or weft-plugin-gret.so in $T/bin, $WEFT_EXAMPLE_PLUGINS, $WEFT_TEST_PLUGINS,"
expect_err_has "and no built-in 'gret' (built-ins: 'http' and 'wait')"
run_weft run unknown.yaml
expect_rc 2

cat > keys.yaml <<'Y'
name: keys
steps:
  a:
    uses: greet
    with:
      nme: Ada
  b:
    uses: cgreet
    with: {name: x, volume: 11}
  c:
    uses: http
    with: {url: "http://127.0.0.1:1/", metod: POST}
Y
run_weft validate keys.yaml
expect_rc 2
expect_err_has "keys.yaml:4:11: error: plugin 'greet' needs 'name' in 'with'"
expect_err_has "keys.yaml:6:7: error: unknown key 'nme' in 'with' of plugin 'greet' (did you mean 'name'?); it accepts 'name' and 'punctuation'"
expect_err_has "keys.yaml:9:21: error: unknown key 'volume' in 'with' of plugin 'cgreet'; it accepts 'name' and 'punctuation'"
expect_err_has "keys.yaml:12:40: error: unknown key 'metod' in 'with' of plugin 'http' (did you mean 'method'?)"

cat > abi.yaml <<'Y'
name: abi
steps:
  a:
    uses: newabi
Y
run_weft validate abi.yaml
expect_rc 2
expect_err_has "abi.yaml:4:11: error: plugin 'newabi' ($WEFT_TEST_PLUGINS/weft-plugin-newabi.so): it was built for plugin ABI version 99, which this weft does not know (it knows version 1); rebuild it against this weft's <weft/plugin.h>"

# An executable plugin that does not describe itself takes any `with`.
cat > anykey.yaml <<'Y'
name: anykey
steps:
  a:
    uses: silent
    with: {whatever: 1}
Y
run_weft validate anykey.yaml
expect_rc 0

echo "plugins: ok"
