# `last` names the newest run wherever a RUN is taken (SPEC §9.3); `weft
# logs RUN STEP` of a matrix step prints every instance's lines, each
# prefixed with its instance id.
source "$(dirname "$0")/../support/e2e.sh"
S=(--state st.db)

run_weft "${S[@]}" show last
expect_rc 2
expect_err_has "weft: error: 'last': there are no runs yet"

cat > m.yaml <<'Y'
name: m
steps:
  test:
    matrix: {suite: [unit, e2e]}
    run: echo "ran ${{ matrix.suite }}"
  after:
    needs: test
    run: echo after
Y
run_weft "${S[@]}" run m.yaml
expect_rc 0
run_weft "${S[@]}" run m.yaml --force
expect_rc 0

run_weft "${S[@]}" show last --json
expect_rc 0
grep -qF '},"id":2,"status"' <<<"$out" || fail "show last is not run 2: $out"
grep -qF '"children":[]' <<<"$out" || fail "show --json lacks children: $out"

run_weft "${S[@]}" logs last test
expect_rc 0
# The two instances run side by side: their lines come in the order they
# were written, which either may win.
out=$(sort <<<"$out")
expect_out "test[suite=e2e] | ran e2e
test[suite=unit] | ran unit"
run_weft "${S[@]}" logs 1 'test[suite=e2e]'
expect_rc 0
expect_out "ran e2e"
run_weft "${S[@]}" logs last tst
expect_rc 2
expect_err_has "run 2 has no step 'tst'"
expect_err_has "test"

run_weft "${S[@]}" show lats
expect_rc 2
expect_err_has "'lats' is not a run id (a number or 'last'; see 'weft runs')"
run_weft "${S[@]}" cancel last
expect_rc 0
expect_out_has "run 2 (m) already ended: success"
echo ok
