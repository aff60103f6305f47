# Hostile command lines (issue 7 item 6): unknown flags and commands,
# missing arguments, bad -j and -p, bad --event and --secrets files, bad
# run ids, show/logs/cancel/resume of missing or running runs. Each case:
# exit code and message, no crash, no hang (20 s). Known failures are
# known_bug. Run: WEFT=build/weft bash tests/e2e/hostile_cli.sh
source "$(dirname "$0")/../support/hostile.sh"

printf 'params:\n  p: {default: x}\nsteps:\n  a:\n    run: echo "p=${{ params.p }}"\n' > ok.yaml
S=(--state st.db)
"$WEFT" "${S[@]}" run ok.yaml >/dev/null 2>&1 || fail "setup: weft run ok.yaml failed"

# --- unknown and missing arguments --------------------------------------------
begin "unknown subcommand"
hw frobnicate
want_rc 2
want_err "unknown command 'frobnicate'"
ok

begin "unknown flag of weft run"
hw "${S[@]}" run ok.yaml --frobnicate
want_rc 2
want_err "weft: error: The following argument was not expected: --frobnicate"
ok

begin "weft run without FILE"
hw run
want_rc 2
want_err "weft: error: FILE is required"
ok

begin "weft show without RUN"
hw "${S[@]}" show
want_rc 2
want_err "weft: error: RUN is required"
ok

begin "-C to a missing directory"
hw -C /nonexistent/weft-dir runs
want_rc 2
want_err "weft: error: -C /nonexistent/weft-dir: No such file or directory"
ok

begin "-C with an empty directory"
hw -C '' runs
want_rc 2
want_err "weft: error: -C: the directory is empty"
ok

begin "-C with an empty directory after the command"
hw runs -C ''
want_rc 2
want_err "weft: error: -C: the directory is empty"
ok

begin "--state with an empty path"
hw --state '' runs
want_rc 2
want_err "weft: error: --state: the path is empty"
ok

begin "--state with an empty path after the command"
hw runs --state ''
want_rc 2
want_err "weft: error: --state: the path is empty"
ok

begin "--color with a bad value"
hw --color sometimes runs
want_rc 2
want_err "--color: sometimes not in {auto,always,never}"
ok

# --- -j ------------------------------------------------------------------------
begin "-j abc"
hw "${S[@]}" run ok.yaml -j abc
want_rc 2
want_err "--jobs = abc"
ok

begin "-j -1"
hw "${S[@]}" run ok.yaml -j -1
want_rc 2
want_err "weft: error: -j must be at least 1"
ok

begin "-j 0"
hw "${S[@]}" run ok.yaml -j 0
want_rc 2
want_err "weft: error: -j must be at least 1"
want_out_not "started"
ok

# --- -p -------------------------------------------------------------------------
begin "-p =x (empty key)"
hw "${S[@]}" run ok.yaml -p =x
want_rc 2
want_err "weft: error: -p =x: expected KEY=VALUE"
ok

begin "-p '' (empty)"
hw "${S[@]}" run ok.yaml -p ''
want_rc 2
want_err "weft: error: -p : expected KEY=VALUE"
ok

printf 'steps:\n  a:\n    run: echo\n' > noparams.yaml
begin "-p for a workflow without params"
hw "${S[@]}" run noparams.yaml -p x=1
want_rc 2
want_err "weft: error: unknown param 'x' for workflow 'noparams'"
ok

# --- --event --------------------------------------------------------------------
echo 'this is not JSON' > ev_text.json
begin "--event file that is not JSON"
hw "${S[@]}" run ok.yaml --event ev_text.json
want_rc 2
want_err "weft: error: --event ev_text.json: expected a JSON object"
ok

echo '[{"kind": "manual"}]' > ev_array.json
begin "--event file that is a JSON array"
hw "${S[@]}" run ok.yaml --event ev_array.json
want_rc 2
want_err "weft: error: --event ev_array.json: expected a JSON object"
ok

begin "--event file that does not exist"
hw "${S[@]}" run ok.yaml --event missing.json
want_rc 2
want_err "missing.json"
want_err "No such file or directory"
ok

echo '{"kind": 5}' > ev_kind.json
begin "--event with a number for kind"
hw "${S[@]}" run ok.yaml --event ev_kind.json
want_rc 2
want_err "--event ev_kind.json:"
want_err "kind"
ok

{ printf '{"kind":"manual","params":'; for ((i = 0; i < 100000; i++)); do printf '['; done; for ((i = 0; i < 100000; i++)); do printf ']'; done; printf '}\n'; } > ev_deep.json
begin "--event JSON nested 100,000 deep"
hw "${S[@]}" run ok.yaml --event ev_deep.json
want_rc 2
want_err "--event ev_deep.json:"
ok

# --- --secrets ------------------------------------------------------------------
mkdir secrets_dir
begin "--secrets is a directory"
hw "${S[@]}" run ok.yaml --secrets secrets_dir
want_rc 2
want_err "secrets_dir"
want_err "Is a directory"
ok

printf '\0\xff\xfe\x01binary\n' > secrets_bin.env
begin "--secrets binary file"
hw "${S[@]}" run ok.yaml --secrets secrets_bin.env
want_rc 2
want_err "secrets_bin.env:1:1: error: expected KEY=VALUE with KEY a variable name"
ok

printf '=value\n' > secrets_nokey.env
begin "--secrets line with an empty key"
hw "${S[@]}" run ok.yaml --secrets secrets_nokey.env
want_rc 2
want_err "secrets_nokey.env:1:1: error: expected KEY=VALUE with KEY a variable name"
ok

# --- run ids --------------------------------------------------------------------
begin "weft show abc"
hw "${S[@]}" show abc
want_rc 2
want_err "'abc' is not a run id"
ok

begin "weft show 0"
hw "${S[@]}" show 0
want_rc 2
want_err "weft: error: no run 0"
ok

begin "weft show 99999"
hw "${S[@]}" show 99999
want_rc 2
want_err "weft: error: no run 99999"
ok

begin "weft show of an id beyond 64 bits"
hw "${S[@]}" show 99999999999999999999999
want_rc 2
want_err "99999999999999999999999"
ok

begin "weft logs of a missing run"
hw "${S[@]}" logs 99999
want_rc 2
want_err "weft: error: no run 99999"
ok

begin "weft logs of a missing step"
hw "${S[@]}" logs 1 nosuchstep
want_rc 2
want_err "weft: error: run 1 has no step 'nosuchstep'"
ok

begin "weft cancel of run 0"
hw "${S[@]}" cancel 0
want_rc 2
want_err "weft: error: run ids are positive integers"
ok

begin "weft resume of a missing run"
hw "${S[@]}" resume 99999
want_rc 2
want_err "weft: error: no run 99999"
ok

# A running run cannot be resumed; cancel it afterwards.
printf 'steps:\n  s:\n    run: touch started; sleep 3301\n' > slow.yaml
"$WEFT" "${S[@]}" run slow.yaml > slow.out 2>&1 &
slow_pid=$!
on_exit "kill_procs_with 'sleep 3301'; kill $slow_pid 2>/dev/null || true"
wait_for_file started 15
slow_id=$(sed -n 's/^run \([0-9][0-9]*\) (slow) started$/\1/p' slow.out)
[ -n "$slow_id" ] || fail "no run id for slow.yaml: $(cat slow.out)"
begin "weft resume of a running run"
hw "${S[@]}" resume "$slow_id"
want_rc 2
want_err "weft: error: run $slow_id is running; only interrupted, failed and cancelled runs can be resumed"
ok
"$WEFT" "${S[@]}" cancel "$slow_id" >/dev/null 2>&1 || true
wait "$slow_pid" 2>/dev/null || true

# --- a workflow "file" that never ends ------------------------------------------
begin "weft validate /dev/zero"
hw validate /dev/zero
want_rc 2
want_err "/dev/zero"
ok

summary hostile_cli
