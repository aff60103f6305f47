# weft run: params (-p KEY=VALUE, defaults, required, unknown), invalid
# workflows and expressions (exit 2, SPEC §1, §2, §6), --only STEP.
source "$(dirname "$0")/../support/e2e.sh"

# runs_count: how many runs `weft runs --json` lists.
runs_count() {
  local saved_out=$out saved_err=$err saved_rc=$rc
  run_weft runs --json
  [ "$rc" -eq 0 ] || fail "weft runs --json exited $rc: $err"
  if [ -z "$out" ]; then n_runs=0; else n_runs=$(grep -c '^{' <<<"$out"); fi
  out=$saved_out err=$saved_err rc=$saved_rc
}

cat > params.yaml <<'Y'
name: pw
params:
  target: {default: release, description: Build type}
  version: {required: true}
  opt: {}
steps:
  show:
    run: echo "target=${{ params.target }} version=${{ params.version }} opt=[${{ params.opt }}]" > vals
Y

# --- -p, defaults, optional params -----------------------------------------
run_weft run params.yaml -p version=1.2
expect_rc 0
[ "$(cat vals)" = "target=release version=1.2 opt=[]" ] || fail "defaults: got '$(cat vals)'"
show_json "$(last_run_id)"
jget "$show" event
event=$J
expect_json "$event" kind '"manual"' "event"
jget "$event" params || fail "the manual event has no params: $show"
eparams=$J
expect_json "$eparams" version '"1.2"' "event.params"
expect_json "$eparams" target '"release"' "event.params"

run_weft run params.yaml -p version=1=2 -p target=debug -p "opt=with space"
expect_rc 0
[ "$(cat vals)" = "target=debug version=1=2 opt=[with space]" ] || fail "-p values: got '$(cat vals)'"

# --param is the long form.
run_weft run params.yaml --param version=3
expect_rc 0
[ "$(cat vals)" = "target=release version=3 opt=[]" ] || fail "--param: got '$(cat vals)'"

# An empty value is a value.
run_weft run params.yaml -p version=
expect_rc 0
[ "$(cat vals)" = "target=release version= opt=[]" ] || fail "empty -p value: got '$(cat vals)'"

# --- usage errors: exit 2, no run started -----------------------------------
rm -f vals
runs_count; before=$n_runs

run_weft run params.yaml
expect_rc 2
expect_err_has "version"
expect_err_has "missing required param 'version'"
[ -z "$out" ] || fail "a missing required param printed on stdout: $out"

run_weft run params.yaml -p version=1 -p tagret=x
expect_rc 2
expect_err_has "unknown param 'tagret'"
expect_err_has "did you mean 'target'?"

run_weft run params.yaml -p version
expect_rc 2
expect_err_has "KEY=VALUE"

run_weft run no-such-file.yaml
expect_rc 2
expect_err_has "no-such-file.yaml"

[ ! -e vals ] || fail "a step ran although weft run failed with a usage error"
runs_count
[ "$n_runs" -eq "$before" ] || fail "usage errors recorded runs: $before before, $n_runs after"

# --- invalid workflows and expressions: exit 2, every error, FILE:LINE:COL --
cat > bad.yaml <<'Y'
steps:
  a: {run: touch a-ran, nedds: [b]}
  b: {needs: [zz], run: touch b-ran}
Y
run_weft run bad.yaml
expect_rc 2
expect_err_has "bad.yaml:2:25: error: unknown key 'nedds' in step 'a' (did you mean 'needs'?)"
expect_err_has "bad.yaml:3:15: error: step 'b' needs unknown step 'zz'"
[ ! -e a-ran ] || fail "a step of an invalid workflow ran"

cat > cycle.yaml <<'Y'
steps:
  a: {needs: c, run: touch a-ran}
  b: {needs: a, run: touch b-ran}
  c: {needs: b, run: touch c-ran}
Y
run_weft run cycle.yaml
expect_rc 2
expect_err_has "dependency cycle: a -> c -> b -> a"

cat > badexpr.yaml <<'Y'
steps:
  a: {run: "echo ${{ params.nope }}"}
  b: {run: "echo ${{ steps.a.outputs.x }}"}
  c: {run: "echo ${{ 'unterminated }}"}
Y
run_weft run badexpr.yaml
expect_rc 2
expect_err_has "badexpr.yaml:2:"
expect_err_has "unknown param 'nope'"
expect_err_has "badexpr.yaml:3:"
expect_err_has "badexpr.yaml:4:"
[ "$(grep -c 'error:' <<<"$err")" -eq 3 ] || fail "expected 3 errors for badexpr.yaml, got: $err"

runs_count
[ "$n_runs" -eq "$before" ] || fail "invalid workflows recorded runs: $before before, $n_runs after"

# --- --only STEP runs that step and what it needs ---------------------------
cat > only.yaml <<'Y'
name: only
steps:
  configure: {run: touch configure}
  compile: {needs: configure, run: touch compile}
  test: {needs: compile, run: touch test}
  docs: {run: touch docs}
  package: {needs: [test, docs], run: touch package}
Y
run_weft run only.yaml --only test
expect_rc 0
for f in configure compile test; do [ -e "$f" ] || fail "--only test: needed step $f did not run"; done
for f in docs package; do [ ! -e "$f" ] || fail "--only test: step $f ran but is not needed by test"; done
show_json "$(last_run_id)"
expect_run_status success
for s in configure compile test; do expect_step "$s" status '"success"'; done
for s in docs package; do
  if [ -n "${show_steps[$s]+set}" ]; then
    expect_step "$s" attempts 0
    sget "$s" status
    [ "$J" != '"success"' ] || fail "--only test: step $s is success in show --json"
  fi
done

rm -f configure compile test docs package
run_weft run only.yaml --only compile --only docs
expect_rc 0
for f in configure compile docs; do [ -e "$f" ] || fail "--only compile --only docs: step $f did not run"; done
for f in test package; do [ ! -e "$f" ] || fail "--only compile --only docs: step $f ran"; done

rm -f configure compile test docs package
run_weft run only.yaml --only compil
expect_rc 2
expect_err_has "compil"
expect_err_has "did you mean 'compile'?"
for f in configure compile test docs package; do [ ! -e "$f" ] || fail "--only with an unknown step ran $f"; done

# --- -p KEY=@FILE, @- and @@ (SPEC §9.4) ------------------------------------
cat > atfile.yaml <<'Y'
name: atfile
params:
  a: {}
  b: {}
  token: {secret: true}
steps:
  w:
    run: |
      printf '%s' "${{ params.a }}" > a.val
      printf '%s' "${{ params.b }}" > b.val
      printf '%s' "${{ params.token }}" > token.val
      [ ! -e fail-once ]
Y
printf 'from a file\n' > a.txt
run_weft run atfile.yaml -p a=@a.txt
expect_rc 0
[ "$(cat a.val)" = "from a file" ] || fail "-p a=@a.txt: got '$(cat a.val)'"
# One trailing newline is removed, no more; other bytes stay.
printf 'two\n\n' > a.txt
run_weft run atfile.yaml -p a=@a.txt
expect_rc 0
printf 'two\n' | cmp -s - a.val || fail "-p a=@a.txt with two newlines: got '$(od -c a.val)'"
printf 'no newline' > a.txt
run_weft run atfile.yaml -p a=@a.txt
expect_rc 0
[ "$(cat a.val)" = "no newline" ] || fail "-p a=@a.txt without a newline: got '$(cat a.val)'"
# @- reads standard input; a pipe or FIFO is a file too.
run_weft run atfile.yaml -p a=@- -p b=@<(printf 'piped\n') <<<"from stdin"
expect_rc 0
[ "$(cat a.val)" = "from stdin" ] || fail "-p a=@-: got '$(cat a.val)'"
[ "$(cat b.val)" = "piped" ] || fail "-p b=@<(...): got '$(cat b.val)'"
# @@ is a literal @; a lone @ elsewhere in the value is text.
run_weft run atfile.yaml -p a=@@home -p b=x@y
expect_rc 0
[ "$(cat a.val)" = "@home" ] || fail "-p a=@@home: got '$(cat a.val)'"
[ "$(cat b.val)" = "x@y" ] || fail "-p b=x@y: got '$(cat b.val)'"
# A secret from a file: used by the step, stored masked.
printf 's3cr3t-from-file\n' > token.txt
run_weft run atfile.yaml -p token=@token.txt
expect_rc 0
[ "$(cat token.val)" = "s3cr3t-from-file" ] || fail "-p token=@token.txt: got '$(cat token.val)'"
show_json "$(last_run_id)"
jget "$show" event
jget "$J" params
expect_json "$J" token '"***"' "event.params of a secret from a file"

# Resume takes the run's stored values as they are: a value that was given
# as @@x is the text @x, not a file to read.
touch fail-once
run_weft run atfile.yaml -p a=@@x -p b=@a.txt
expect_rc 1
failed_run=$(last_run_id)
rm -f fail-once a.val
run_weft resume "$failed_run"
expect_rc 0
[ "$(cat a.val)" = "@x" ] || fail "resume of -p a=@@x: got '$(cat a.val)'"
[ "$(cat b.val)" = "no newline" ] || fail "resume of -p b=@a.txt: got '$(cat b.val)'"

# Errors: exit 2, no run recorded.
runs_count; before=$n_runs
run_weft run atfile.yaml -p a=@no-such.txt
expect_rc 2
expect_err_has "weft: error: -p a=@no-such.txt: No such file or directory"
mkdir -p adir
run_weft run atfile.yaml -p a=@adir
expect_rc 2
expect_err_has "weft: error: -p a=@adir: Is a directory"
run_weft run atfile.yaml -p a=@- -p b=@- <<<"once"
expect_rc 2
expect_err_has "weft: error: -p b=@-: standard input is already the value of -p a=@-"
printf 'a\0b' > nul.txt
run_weft run atfile.yaml -p a=@nul.txt
expect_rc 2
expect_err_has "weft: error: -p a=@nul.txt: the value holds a NUL byte"
head -c 1048577 /dev/zero | tr '\0' x > big.txt
run_weft run atfile.yaml -p a=@big.txt
expect_rc 2
expect_err_has "weft: error: -p a=@big.txt: larger than 1 MiB"
# Every bad -p is named, each on its own line.
run_weft run atfile.yaml -p a=@no-such.txt -p nokey
expect_rc 2
expect_err_has "weft: error: -p a=@no-such.txt: No such file or directory"
expect_err_has "weft: error: -p nokey: expected KEY=VALUE"
runs_count
[ "$n_runs" -eq "$before" ] || fail "-p @FILE errors recorded runs: $before before, $n_runs after"

echo "run_params: ok"
