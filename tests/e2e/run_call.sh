# Sub-workflow steps (SPEC §9.1): a parent calls a child twice with
# different `with`, a later step reads both children's outputs; each child
# is a run of its own (trigger `call`) linked to its parent in `weft show`,
# its steps nested (`build/greet`) in plain and JSON output;
# a failing child fails its step; `with` errors are located in the parent.
source "$(dirname "$0")/../support/e2e.sh"

mkdir -p lib
cat > lib/child.yaml <<'Y'
name: child
params:
  who: {required: true}
  greeting: {default: hello}
steps:
  greet:
    run: |
      echo "child says ${{ params.greeting }} to ${{ params.who }}"
      echo "line=${{ params.greeting }} ${{ params.who }}" >> "$WEFT_OUTPUT"
      [ -z "${PARENT_ONLY:-}" ] || echo "env leaked: $PARENT_ONLY"
outputs:
  line: ${{ steps.greet.outputs.line }}
  who: ${{ params.who }}
Y
cat > parent.yaml <<'Y'
name: parent
env:
  PARENT_ONLY: "not for the child"
steps:
  build:
    uses: ./lib/child.yaml
    with: {who: Ada}
  test:
    uses: ./lib/child.yaml
    with: {who: "${{ format('{0}!', 'Bob') }}", greeting: hi}
  use:
    needs: [build, test]
    run: printf '%s|%s|%s\n' "${{ steps.build.outputs.line }}" "${{ steps.test.outputs.line }}" "${{ steps.test.outputs.who }}" > got
Y
run_weft validate parent.yaml
expect_rc 0
run_weft run --dry-run parent.yaml
expect_rc 0
expect_out_has "build  run (calls ./lib/child.yaml)"
run_weft run parent.yaml
expect_rc 0
[ "$(cat got)" = "hello Ada|hi Bob!|Bob!" ] || fail "the step after the calls saw: $(cat got)"
parent=$(last_run_id)
# The children's steps are nested under their calling steps, in one run.
expect_out_has "build/greet | child says hello to Ada"
expect_out_has "test/greet | child says hi to Bob!"
expect_out_has "build/greet: success in "
grep -q "(child)" <<<"$out" && fail "a child run is printed as a run of its own: $out"
run_weft run parent.yaml --json
expect_rc 0
expect_out_has '"step":"test/greet","stream":"stdout","text":"child says hi to Bob!"'
expect_out_has '"status":"success","step":"build/greet","time":'
[ "$(grep -c '"type":"run_started"' <<<"$out")" = 1 ] || fail "--json has more than one run: $out"
show_json "$parent"
expect_run_status success
expect_step build status '"success"'
[ "$(step_output build line)" = "hello Ada" ] || fail "build's outputs: $(show_step build)"
jget "$show" children || fail "show --json of the parent has no children: $show"
kids=$J
[[ $kids == '[{"run":'*',"step":"build"},{"run":'*',"step":"test"}]' ]] || fail "children: $kids"
json_split "$kids"
kid=("${JM[@]}")
jget "${kid[0]}" run || fail "children: $kids"
build_run=$J
jget "${kid[1]}" run || fail "children: $kids"
test_run=$J
show_json "$build_run"
expect_run_status success
[ "$(step_output greet line)" = "hello Ada" ] || fail "child run $build_run: $show"
jget "$show" event || fail "show --json of the child has no event: $show"
[[ $J == *'"kind":"call"'* && $J == *"\"run\":$parent"* && $J == *'"step":"build"'* ]] ||
  fail "the child's event: $J"
run_weft logs "$test_run" greet
expect_out_has "child says hi to Bob!"
grep -q "env leaked" <<<"$out" && fail "the parent's env reached the child: $out"

# --- a caller's secret param passed on in `with` stays masked in the child --
cat > secret.yaml <<'Y'
params:
  token: {required: true, secret: true}
steps:
  call:
    uses: ./lib/child.yaml
    with: {who: "${{ params.token }}"}
Y
run_weft run secret.yaml -p token=hunter22
expect_rc 0
grep -q hunter22 <<<"$out" && fail "a secret reached the child's output: $out"
expect_out_has "call/greet | child says hello to ***"
show_json "$(last_run_id)"
jget "$show" children
kid=$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' <<<"$J")
show_json "$kid"
sget greet outputs
[ "$J" = '{"line":"hello ***"}' ] || fail "the child's stored outputs: $J"
for f in .weft/*; do
  [ -f "$f" ] || continue
  if grep -qaF hunter22 "$f"; then fail "a secret is stored in $f"; fi
done

# --- weft graph: a call step is one node; --expand draws the child's steps --
run_weft graph parent.yaml
expect_rc 0
expect_out "build
test
use <- build, test"
run_weft graph --expand parent.yaml
expect_rc 0
expect_out "build/greet
test/greet
use <- build/greet, test/greet"
run_weft graph --expand --format dot parent.yaml
expect_rc 0
expect_out_has '  subgraph cluster_0 {
    label="build";
    "build/greet";
  }'
expect_out_has '  "test/greet" -> "use";'

# --- a failing child fails its step; the run fails --------------------------
cat > lib/bad.yaml <<'Y'
steps:
  boom: {run: exit 3}
Y
cat > fails.yaml <<'Y'
steps:
  call: {uses: ./lib/bad.yaml, retry: {attempts: 2}}
Y
run_weft run fails.yaml
expect_rc 1
show_json "$(last_run_id)"
expect_step call status '"failure"'
expect_step call attempts 2
sget call message
[[ $J == *"of workflow 'bad' ended failure"* ]] || fail "the failed call's message: $J"
# A retry calls the child again, as a new run.
jget "$show" children
[[ $J =~ ^\[\{\"run\":[0-9]+,\"step\":\"call\"\},\{\"run\":[0-9]+,\"step\":\"call\"\}\]$ ]] ||
  fail "a retried call's children: $J"

# --- outputs are checked at load ---------------------------------------------
printf 'outputs:\n  o: ${{ steps.nope.outputs.x }}\nsteps:\n  s: {run: "true"}\n' > lib/badout.yaml
run_weft validate lib/badout.yaml
expect_rc 2
expect_err_has "lib/badout.yaml:2:6: error: output 'o' reads unknown step 'nope'"

# --- `with` that does not fit the child's params: located in the parent -----
cat > badwith.yaml <<'Y'
steps:
  a:
    uses: ./lib/child.yaml
    with: {whom: Ada}
  b:
    uses: ./lib/child.yaml
    with:
      who: [1, 2]
Y
run_weft validate badwith.yaml
expect_rc 2
expect_err_has "badwith.yaml:3:11: error: workflow './lib/child.yaml' needs param 'who' in 'with'"
expect_err_has "badwith.yaml:4:12: error: unknown param 'whom' in 'with' of workflow './lib/child.yaml'"
expect_err_has "badwith.yaml:8:7: error: param 'who' of workflow './lib/child.yaml' is given a list; params are strings"

# --- a call cycle across three files: one error, the path of its calls -----
mkdir -p cyc
printf 'steps:\n  go:\n    uses: ./cyc/b.yaml\n' > cyc/a.yaml
printf 'steps:\n  x: {run: "true"}\n  go:\n    uses: ./cyc/c.yaml\n' > cyc/b.yaml
printf 'steps:\n  go: {uses: ./cyc/a.yaml}\n' > cyc/c.yaml
run_weft run cyc/a.yaml
expect_rc 2
expect_err_has "cyc/a.yaml:3:11: error: call cycle: cyc/a.yaml:3:11 → ./cyc/b.yaml:4:11 → ./cyc/c.yaml:2:14 → cyc/a.yaml"
[ "$(grep -c 'error:' <<<"$err")" = 1 ] || fail "the cycle is one error: $err"
# Calls nest at most 8 deep: l0 calls l1 ... l8 calls l9 is one too many.
mkdir -p deep
for i in 0 1 2 3 4 5 6 7 8; do
  printf 'steps:\n  go:\n    uses: ./deep/l%d.yaml\n' $((i + 1)) > deep/l$i.yaml
done
printf 'steps:\n  s: {run: "true"}\n' > deep/l9.yaml
run_weft validate deep/l1.yaml
expect_rc 0
run_weft validate deep/l0.yaml
expect_rc 2
expect_err_has "deep/l0.yaml:3:11: error: ./deep/l1.yaml:3:11: "
expect_err_has "./deep/l8.yaml:3:11: calls nest more than 8 deep here (./deep/l9.yaml)"
# A child's own error names its file, line and column, at the calling uses.
printf 'steps:\n  go: {uses: ./lib/broken.yaml, with: {a: 1}}\n' > callsbroken.yaml
printf 'params: {a: {}}\nsteps:\n  s: {run: "true", needs: [nope]}\n' > lib/broken.yaml
run_weft validate callsbroken.yaml
expect_rc 2
expect_err_has "callsbroken.yaml:2:14: error: ./lib/broken.yaml:3:28: step 's' needs unknown step 'nope'"
expect_err_has "unknown step 'nope'"
echo ok
