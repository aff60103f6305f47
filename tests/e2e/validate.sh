# weft validate and weft graph on real files: exit codes, every error of
# every file, the FILE:LINE:COL format with source line and caret.
source "$(dirname "$0")/../support/e2e.sh"

cat > good.yaml <<'Y'
steps:
  a: {run: echo a}
  b: {needs: a, run: echo b}
  t:
    needs: b
    matrix: {os: [linux, mac]}
    run: echo ${{ matrix.os }}
Y
cat > bad.yaml <<'Y'
catchup: sometimes
steps:
  a:
    run: echo a
    nedds: [b]
  b:
    needs: [c]
    run: echo b
Y
printf 'steps:\n  x:\n    run: "oops\n' > unterminated.yaml

run_weft validate good.yaml
expect_rc 0
expect_out "good.yaml: ok (3 steps, 4 to run)"

run_weft validate bad.yaml good.yaml unterminated.yaml missing.yaml
expect_rc 2
expect_err_has "bad.yaml:1:10: error: invalid catchup 'sometimes': expected 'none', 'latest' or 'all'"
expect_err_has "bad.yaml:5:5: error: unknown key 'nedds' in step 'a' (did you mean 'needs'?)"
expect_err_has "bad.yaml:7:13: error: step 'b' needs unknown step 'c'"
expect_err_has "unterminated.yaml:3:10: error: unterminated double-quoted string"
expect_err_has "missing.yaml: error: cannot read file: No such file or directory"
expect_err_has "    5 |     nedds: [b]"
expect_out "good.yaml: ok (3 steps, 4 to run)"
[ "$(grep -c 'error:' <<<"$err")" -eq 5 ] || fail "expected 5 errors, got: $err"

# -C changes the directory relative paths are read from.
mkdir sub && cp good.yaml sub/in-sub.yaml
run_weft -C sub validate in-sub.yaml
expect_rc 0

run_weft graph good.yaml
expect_rc 0
expect_out "a
b <- a
t[os=linux] <- b
t[os=mac] <- b"

run_weft graph good.yaml --format dot
expect_rc 0
expect_out_has '"b" -> "t[os=linux]";'
expect_out_has 'digraph "good" {'

run_weft graph good.yaml --format mermaid
expect_rc 0
expect_out_has 'flowchart LR'
expect_out_has '  n3["t[os=mac]"]'
expect_out_has '  n1 --> n3'

run_weft graph good.yaml --format svg
expect_rc 2
run_weft graph bad.yaml
expect_rc 2

# Usage errors are exit 2, help and version exit 0.
run_weft validate
expect_rc 2
run_weft --no-such-flag
expect_rc 2
run_weft frobnicate
expect_rc 2
run_weft --version
expect_rc 0
expect_out_has "weft 0."
run_weft help cron
expect_rc 0
expect_out_has "--tz"
run_weft help nosuch
expect_rc 2

# Every example workflow shipped in the repository is valid.
for f in "$WEFT_SRC"/workflows/*.yaml; do
  run_weft validate "$f"
  expect_rc 0
done
echo "validate: ok"
