# A plugin must never take weft down (issue 17 item 3): a result nested
# 100,000 levels deep (about 200 KB, under the 1 MiB cap) used to crash
# `weft run` and `weft up` with SIGSEGV while printing it, leaving the step
# `running`. It is now the step's failure, with a message, in both.
source "$(dirname "$0")/../support/e2e.sh"

mkdir bin
{
  printf '#!/bin/sh\n[ "$1" = --describe ] && exit 1\n'
  printf 'printf %%s %s\n' "'{\"status\":\"success\",\"outputs\":{\"x\":'"
  printf 'head -c 100000 /dev/zero | tr "\\\\0" "["\n'
  printf 'head -c 100000 /dev/zero | tr "\\\\0" "]"\n'
  printf 'echo "}}"\n'
} >bin/weft-plugin-deep
chmod +x bin/weft-plugin-deep
export WEFT_PLUGIN_PATH="$T/bin"
[ "$(bin/weft-plugin-deep | wc -c)" -gt 200000 ] || fail "the deep plugin prints too little"

cat >deep.yaml <<'Y'
name: deep
on:
  stdin:
steps:
  call:
    uses: deep
  after:
    needs: call
    if: always()
    shell: sh
    run: echo "after ran"
Y

# weft run: the step fails with the reason, the run ends, weft exits 1.
run_weft run deep.yaml
expect_rc 1
expect_out_has "call: failure in"
expect_out_has "its result on stdout is JSON nested deeper than 256 levels"
run_weft show 1 --json
expect_rc 0
grep -q '"status":"failure"' <<<"$out" || fail "run 1 is not a failure: $out"
grep -q '"status":"running"' <<<"$out" && fail "a step of run 1 is still running: $out"
run_weft logs 1 after
expect_out_has "after ran"

# weft up: the same, and the engine goes on to the next record and exits 0
# at the end of its input.
set +e
printf 'one\ntwo\n' | timeout 60 "$WEFT" --state up.db up deep.yaml >up.out 2>up.err
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "weft up exited $rc: $(tail -5 up.err)"
run_weft --state up.db runs --json
[ "$(grep -o '"status":"failure"' <<<"$out" | wc -l)" -eq 2 ] || fail "expected two failed runs: $out"
echo "hostile_plugin: ok"
