# Shared helpers for end-to-end tests: each test script sources this, runs the
# real binary ($WEFT) in a fresh temp dir, and fails loudly on any mismatch.
set -euo pipefail
: "${WEFT:?WEFT must name the weft binary}"
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }

# run_weft ARGS...: run weft, capturing stdout in $out, stderr in $err and
# the exit code in $rc; never aborts the script.
run_weft() {
  set +e
  "$WEFT" "$@" >"$T/.out" 2>"$T/.err"
  rc=$?
  set -e
  out=$(cat "$T/.out")
  err=$(cat "$T/.err")
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "expected exit $1, got $rc; stdout: $out; stderr: $err"; }
expect_out() { [ "$out" = "$1" ] || fail "stdout differs. expected:
$1
got:
$out
stderr: $err"; }
expect_err_has() { grep -qF -- "$1" <<<"$err" || fail "stderr lacks '$1'; stderr was:
$err"; }
expect_out_has() { grep -qF -- "$1" <<<"$out" || fail "stdout lacks '$1'; stdout was:
$out"; }
