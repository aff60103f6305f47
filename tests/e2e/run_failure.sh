# weft run when steps fail (SPEC §2 "A step without if...", §4, §6): a
# failed step skips its dependents, `if: always()` / `if: failure()` steps
# and independent steps still run, continue-on-error lets dependents run,
# fail-fast starts nothing new, a run-level timeout ends the run; exit 1.
source "$(dirname "$0")/../support/e2e.sh"

# expect_files_absent FILE...: none of these exist (the steps that would
# create them must not have run).
expect_files_absent() {
  local f
  for f in "$@"; do [ ! -e "$f" ] || fail "$f exists: the step that creates it ran but must not"; done
}
expect_files_present() {
  local f
  for f in "$@"; do [ -e "$f" ] || fail "$f missing: the step that creates it did not run; stdout: $out"; done
}

# --- a failure skips dependents; always()/failure()/independent steps run --
cat > fail.yaml <<'Y'
name: fail
steps:
  bad: {run: exit 4}
  dep: {needs: bad, run: touch dep}
  dep2: {needs: dep, run: touch dep2}
  ons: {needs: bad, if: success(), run: touch ons}
  alw: {needs: bad, if: always(), run: touch alw}
  onf: {needs: [bad], if: "${{ failure() }}", run: touch onf}
  okf: {needs: alw, if: failure(), run: touch okf}
  ind: {run: sleep 0.3; touch ind}
  bad2: {run: exit 7}
Y
run_weft run fail.yaml -j 4
expect_rc 1
expect_files_absent dep dep2 ons
expect_files_present alw onf ind
id=$(last_run_id)
show_json "$id"
expect_run_status failure
expect_step bad status '"failure"'
expect_step bad exit_code 4
expect_step bad signal null
expect_step bad attempts 1
expect_step dep status '"skipped"'
expect_step dep2 status '"skipped"'
expect_step ons status '"skipped"'
expect_step dep started null
expect_step alw status '"success"'
expect_step onf status '"success"'
expect_step ind status '"success"'
# Every failure of a run is reported: the independent bad2 ran too.
expect_step bad2 status '"failure"'
expect_step bad2 exit_code 7
expect_out_has "bad: failure in"
expect_out_has "bad2: failure in"
expect_out_has "(exit code 4)"
expect_out_has "dep: skipped"
expect_out_has "run $id (fail): failure in"
# failure() is true once any step of the run failed, so okf (needing a
# successful step) also runs; GitHub Actions does the same.
expect_step okf status '"success"'

# --- a step that only needs successful steps still runs ---------------------
cat > partial.yaml <<'Y'
steps:
  a: {run: touch a}
  b: {needs: a, run: touch b}
  x: {run: exit 1}
  c: {needs: [a, x], run: touch c}
Y
run_weft run partial.yaml
expect_rc 1
expect_files_present a b
expect_files_absent c
show_json "$(last_run_id)"
expect_step b status '"success"'
expect_step c status '"skipped"'

# --- continue-on-error: dependents run, and the run succeeds ---------------
cat > coe.yaml <<'Y'
steps:
  flaky: {run: exit 5, continue-on-error: true}
  after: {needs: flaky, run: touch after}
  after2: {needs: after, run: touch after2}
Y
run_weft run coe.yaml
expect_rc 0
expect_files_present after after2
show_json "$(last_run_id)"
expect_run_status success
expect_step flaky status '"failure"'
expect_step flaky exit_code 5
expect_step after status '"success"'
expect_step after2 status '"success"'

# continue-on-error false (the default, also when written) skips dependents.
sed 's/continue-on-error: true/continue-on-error: false/' coe.yaml > nocoe.yaml
rm -f after after2
run_weft run nocoe.yaml
expect_rc 1
expect_files_absent after after2

# --- fail-fast: after a failure start nothing new ---------------------------
# -j 2: `bad` fails while `slow` runs; `slow` (already running) finishes,
# the independent later* steps (waiting for a slot) never start.
cat > ff.yaml <<'Y'
steps:
  bad: {run: sleep 0.3; exit 4}
  slow: {run: sleep 1; touch slow}
  later1: {needs: slow, run: touch later1}
  later2: {run: touch later2}
  later3: {run: touch later3}
Y
check_fail_fast() { # WHAT
  expect_rc 1
  expect_files_present slow
  expect_files_absent later1 later2 later3
  show_json "$(last_run_id)"
  expect_run_status failure
  expect_step bad status '"failure"'
  expect_step slow status '"success"'
  local s
  for s in later1 later2 later3; do
    expect_step "$s" attempts 0
    expect_step "$s" started null
    sget "$s" status
    [[ $J == '"skipped"' || $J == '"cancelled"' ]] || fail "$1: step $s is $J, expected skipped or cancelled"
  done
}
run_weft run ff.yaml -j 2 --fail-fast
check_fail_fast "--fail-fast"
rm -f slow
{ echo "fail-fast: true"; cat ff.yaml; } > ff2.yaml
run_weft run ff2.yaml -j 2
check_fail_fast "fail-fast: true"

# Without fail-fast the same workflow starts the independent steps.
rm -f slow
run_weft run ff.yaml -j 2
expect_rc 1
expect_files_present slow later1 later2 later3

# --- run-level timeout ------------------------------------------------------
cat > rt.yaml <<'Y'
name: rt
timeout: 1s
defaults: {kill-grace: 1s}
steps:
  long: {run: sleep 30; touch long}
  next: {needs: long, run: touch next}
Y
t0=$(now_ms)
run_weft run rt.yaml
ms=$(( $(now_ms) - t0 ))
expect_rc 1
[ "$ms" -lt 6000 ] || fail "run timeout 1s: the run took ${ms} ms, expected well under 6 s"
[ "$ms" -ge 900 ] || fail "run timeout 1s: the run ended after ${ms} ms, before its timeout"
expect_files_absent long next
expect_out_has "timed out"
show_json "$(last_run_id)"
jget "$show" status
[[ $J == '"failure"' || $J == '"cancelled"' ]] || fail "run timeout: run status is $J, expected failure or cancelled"
sget long status
[[ $J == '"failure"' || $J == '"cancelled"' ]] || fail "run timeout: step long is $J, expected failure or cancelled"
expect_step next attempts 0
run_weft show "$(last_run_id)"
expect_rc 0
expect_out_has "timed out"

echo "run_failure: ok"
