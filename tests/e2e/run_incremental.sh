# weft run: incremental steps (SPEC §1 sources/generates): a step runs once,
# is up-to-date the second time, runs again when a source, its definition or
# its env changes or a generated file is missing, always under --force, and is
# never up-to-date after a failure; a new secret value alone reruns nothing. --dry-run shows the plan and runs nothing.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"

mkdir -p src/sub
echo 'int a;' > src/a.c
echo 'int b;' > src/sub/b.c
cat > inc.yaml <<'Y'
name: inc
params:
  mode: {default: debug}
steps:
  compile:
    sources: ["src/**/*.c"]
    generates: ["out/app"]
    env: {MODE: "${{ params.mode }}"}
    run: |
      mkdir -p out
      cat src/a.c src/sub/b.c > out/app
      echo "$MODE" >> out/app
      echo x >> compile.count
      echo "size=$(wc -c < out/app)" >> "$WEFT_OUTPUT"
  package:
    needs: compile
    sources: ["out/app"]
    generates: ["out/pkg"]
    run: |
      echo "pkg of ${{ steps.compile.outputs.size }}" > out/pkg
      echo x >> package.count
Y
count() { [ -f "$1.count" ] && wc -l < "$1.count" | tr -d ' ' || echo 0; }
S=(--state st.db)

run_weft "${S[@]}" run inc.yaml
expect_rc 0
[ "$(count compile)" = 1 ] && [ "$(count package)" = 1 ] || fail "first run: $(count compile)/$(count package)"

run_weft "${S[@]}" run inc.yaml
expect_rc 0
expect_out_has "compile: up-to-date"
expect_out_has "package: up-to-date"
[ "$(count compile)" = 1 ] && [ "$(count package)" = 1 ] || fail "second run ran something"
id=$(last_run_id)
show_json "$id"
expect_step compile status '"up-to-date"'
expect_step package status '"up-to-date"'
[ "$(step_output compile size)" -gt 0 ] || fail "up-to-date step lost its outputs: $show"

# The plan says the same, and runs nothing.
run_weft "${S[@]}" run inc.yaml --dry-run
expect_rc 0
expect_out_has "compile  up-to-date"
expect_out_has "package  up-to-date"
run_weft "${S[@]}" runs --json
runs_before=$(wc -l <<<"$out")

# A source changes: both run again (package because out/app changed).
echo 'int b2;' > src/sub/b.c
run_weft "${S[@]}" run inc.yaml --dry-run
expect_out_has "compile  run (its sources or definition changed)"
expect_out_has "package  decide"
[ "$(count compile)" = 1 ] || fail "--dry-run ran a step"
run_weft "${S[@]}" runs --json
[ "$(wc -l <<<"$out")" = "$runs_before" ] || fail "--dry-run recorded a run"
run_weft "${S[@]}" run inc.yaml
expect_rc 0
[ "$(count compile)" = 2 ] && [ "$(count package)" = 2 ] || fail "after a source change: $(count compile)/$(count package)"

# A new file matching the glob counts as a change.
echo 'int c;' > src/sub/c.c
run_weft "${S[@]}" run inc.yaml
[ "$(count compile)" = 3 ] || fail "a new source file did not rerun compile"
[ "$(count package)" = 2 ] || fail "package reran though out/app did not change"

# A param (through env) changes the definition.
run_weft "${S[@]}" run inc.yaml -p mode=release
[ "$(count compile)" = 4 ] || fail "a changed env did not rerun compile"
run_weft "${S[@]}" run inc.yaml -p mode=release
[ "$(count compile)" = 4 ] || fail "unchanged inputs reran compile"

# A generated file is missing.
rm out/pkg
run_weft "${S[@]}" run inc.yaml -p mode=release
expect_out_has "compile: up-to-date"
[ "$(count package)" = 4 ] || fail "a missing generated file did not rerun package ($(count package))"

# --force runs everything.
run_weft "${S[@]}" run inc.yaml -p mode=release --force
[ "$(count compile)" = 5 ] || fail "--force did not run compile"

# A failure is never up-to-date: fail once with the same inputs, then the
# next run must run again even though the inputs match the last success.
cat > flaky.yaml <<'Y'
name: flaky
steps:
  s:
    sources: ["input.txt"]
    run: |
      echo x >> s.count
      [ ! -e fail-now ]
Y
echo 1 > input.txt
run_weft "${S[@]}" run flaky.yaml; expect_rc 0
run_weft "${S[@]}" run flaky.yaml; expect_rc 0
[ "$(count s)" = 1 ] || fail "flaky: second run not up-to-date"
touch fail-now
run_weft "${S[@]}" run flaky.yaml --force; expect_rc 1
rm fail-now
run_weft "${S[@]}" run flaky.yaml; expect_rc 0
[ "$(count s)" = 3 ] || fail "a step that failed last time was up-to-date ($(count s))"

# Secret values are not part of the fingerprint (SPEC §4: never hashed): a
# new secret alone reruns nothing, a change of what is not secret does, and
# the database holds no secret value.
cat > sec.yaml <<'Y'
name: sec
params:
  token: {secret: true, required: true}
  mode: {default: a}
steps:
  s:
    sources: ["input.txt"]
    env: {TOKEN: "${{ params.token }}"}
    run: |
      echo "${{ params.token }} $KEY ${{ secrets.KEY }} ${{ params.mode }}" > /dev/null
      echo x >> sec.count
Y
printf 'KEY=key-Inc-one-31\n' > one.env
printf 'KEY=key-Inc-two-32\n' > two.env
run_weft "${S[@]}" run sec.yaml -p token=tok-Inc-one-41 --secrets one.env; expect_rc 0
run_weft "${S[@]}" run sec.yaml -p token=tok-Inc-two-42 --secrets two.env; expect_rc 0
[ "$(count sec)" = 1 ] || fail "a new secret value reran the step ($(count sec))"
expect_out_has "up-to-date"
run_weft "${S[@]}" run sec.yaml -p token=tok-Inc-two-42 -p mode=b --secrets two.env; expect_rc 0
[ "$(count sec)" = 2 ] || fail "a change of a plain param did not rerun the step"
for f in st.db st.db-wal; do
  [ -e "$f" ] || continue
  for v in tok-Inc-one-41 tok-Inc-two-42 key-Inc-one-31 key-Inc-two-32; do
    if grep -qaF -- "$v" "$f"; then fail "secret '$v' stored in $f"; fi
  done
done
echo ok
