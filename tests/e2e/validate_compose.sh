# weft validate on SPEC §9.1 workflows: `finally`, a dynamic matrix, templated
# sources and `matrix.OS` for the key `os` are valid; a step that runs only
# after a failure but needs nothing is a warning pointing at `finally`;
# `on-restart` takes resume or leave.
source "$(dirname "$0")/../support/e2e.sh"

cat > good.yaml <<'Y'
on-restart: leave
env-file: [.env]
steps:
  list:
    run: echo 'l=["a"]' >> "$WEFT_OUTPUT"
  t:
    needs: list
    matrix: {os: "${{ fromJSON(steps.list.outputs.l) }}"}
    sources: ["src/${{ matrix.OS }}/*.c"]
    run: echo ${{ matrix.OS }}
finally:
  notify: {if: failure(), run: 'echo ${{ steps.t.status }}'}
Y
run_weft validate good.yaml
expect_rc 0
expect_out "good.yaml: ok (3 steps, 3 to run)"

cat > warn.yaml <<'Y'
steps:
  build: {run: make}
  alert:
    if: failure()
    run: echo failed
Y
run_weft validate warn.yaml
expect_rc 0
expect_err_has "warn.yaml:4:9: warning: step 'alert' runs only after a failure or a cancel ('if: failure()') but needs no step, so it can never run; to run it after the other steps whatever their outcome, move it under 'finally'"

printf 'on-restart: later\nsteps: {a: {run: x}}\n' > bad.yaml
run_weft validate bad.yaml
expect_rc 2
expect_err_has "bad.yaml:1:13: error: invalid on-restart 'later': expected 'resume' or 'leave'"
# env-file is read before any context exists: a ${{ }} in it is an error.
printf 'params: {f: {default: .env}}\nenv-file: "${{ params.f }}"\nsteps: {a: {run: x}}\n' > ef.yaml
run_weft validate ef.yaml
expect_rc 2
expect_err_has "ef.yaml:2:11: error: 'env-file' is a path read as written; it cannot hold '\${{ }}'"

# A status function outside `if` is an error (GitHub's rule), not a `true`.
cat > st.yaml <<'Y'
steps:
  a: {run: exit 1}
  b:
    needs: a
    if: failure()
    run: echo "${{ failure() }}"
Y
run_weft validate st.yaml
expect_rc 2
expect_err_has "st.yaml:6:19: error: success(), failure(), cancelled() and always() may only be used in 'if'"
# A directory is its *.yaml and *.yml files, checked as one set.
mkdir -p set && printf 'name: n\non: {workflow: {names: [bakup]}}\nsteps: {a: {run: x}}\n' > set/n.yaml
printf 'name: backup\nsteps: {a: {run: x}}\n' > set/b.yml
run_weft validate set
expect_rc 2
expect_out_has "set/b.yml: ok"
expect_err_has "set/n.yaml:2:25: error: on.workflow.names: 'bakup' matches no other workflow of the set (did you mean 'backup'?)"
echo "validate_compose: ok"
