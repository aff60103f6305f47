# Under GitHub Actions (SPEC §9.3): load errors are file annotations; a
# continue-on-error failure is a ::warning, not an ::error; a run stopped by
# its `timeout` raises an ::error; GITHUB_STEP_SUMMARY gets a Markdown table
# of the steps and the last lines of each failed step.
source "$(dirname "$0")/../support/e2e.sh"
export GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$T/summary.md"

# --- load errors: annotations on the file ---------------------------------
printf 'name: bad\nsteps:\n  a:\n    ruun: echo hi\n' > bad.yaml
run_weft --state st.db validate bad.yaml
expect_rc 2
expect_err_has "bad.yaml:4:5: error: "
grep -qE '^::error file=bad.yaml,line=4,col=5::unknown key .ruun.' <<<"$err" ||
  fail "no file annotation for the load error; stderr: $err"
run_weft --state st.db run bad.yaml
expect_rc 2
expect_err_has "::error file=bad.yaml,line=4,col=5::"
[ ! -e summary.md ] || fail "a run that never started wrote a summary"

# --- warnings, errors and the summary --------------------------------------
cat > ci.yaml <<'Y'
name: ci
steps:
  build:
    run: echo built
  lint:
    continue-on-error: true
    run: |
      echo "lint says | no"
      exit 4
  test:
    needs: build
    run: |
      for i in $(seq 1 30); do echo "test line $i"; done
      exit 2
  deploy:
    needs: test
    run: echo never
Y
run_weft --state st.db run ci.yaml
expect_rc 1
expect_out_has "::warning title=lint::step lint failed (exit code 4); continue-on-error"
expect_out_has "::error title=test::step test failed (exit code 2)"
if grep -q '^::error title=lint' <<<"$out"; then fail "continue-on-error raised an ::error: $out"; fi
[ -f summary.md ] || fail "no summary written to GITHUB_STEP_SUMMARY"
summary=$(cat summary.md)
has() { grep -qF -- "$1" <<<"$summary" || fail "summary lacks '$1'; it was:
$summary"; }
has "### weft: run 1 (ci): failure in "
has "| Step | Status | Duration |"
grep -qE '^\| build \| success \| [0-9.]+m?s \|$' <<<"$summary" || fail "no build row: $summary"
has "| lint | failure (exit code 4) |"
has "| test | failure (exit code 2) |"
has "| deploy | skipped | - |"
has "#### lint: failure (exit code 4)"
has "lint says | no"
has "#### test: failure (exit code 2)"
# The last 20 lines of the failed step, not the first ones.
has "test line 30"
has "test line 11"
if grep -qx "test line 10" <<<"$summary"; then fail "summary holds more than the last 20 lines"; fi

# --- a run that hit its timeout: an ::error, appended to the summary -------
cat > slow.yaml <<'Y'
name: slow
timeout: 1s
steps:
  wait:
    run: sleep 30
Y
run_weft --state st.db run slow.yaml
expect_rc 1
expect_out_has "::error title=run 2 (slow)::the run timed out after 1s"
summary=$(cat summary.md)
has "### weft: run 1 (ci)"
has "### weft: run 2 (slow): failure in "
has "> the run timed out after 1s"
has "| wait | cancelled"

# --- weft's own log line stays one line: a param with a newline cannot
# smuggle a workflow command into the job's output ------------------------
cat > nl.yaml <<'Y'
params:
  d: {default: here}
steps:
  s:
    working-directory: ${{ params.d }}
    run: echo never
Y
run_weft --state st.db run nl.yaml -p "d=a
::error::injected"
expect_rc 1
if grep -q '^::error::injected' <<<"$out"; then
  echo "FAIL: a param's newline started a workflow command: $out" >&2
  exit 1
fi
expect_out_has 'a\n::error::injected'

# --- an unwritable summary is a warning, not a failure ---------------------
GITHUB_STEP_SUMMARY="$T/no/such/dir/summary.md" run_weft --state st.db run ci.yaml --only build
expect_rc 0
expect_err_has "weft: warning: GITHUB_STEP_SUMMARY $T/no/such/dir/summary.md: No such file or directory"
echo ok
