# weft up, stdin trigger (SPEC §3 "stdin"): every record is one event, in
# order, none lost; records go to every workflow that declares stdin; at end
# of input an engine whose only triggers are stdin finishes its runs and
# exits 0, like a filter; json records; invalid JSON is reported and skipped.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"

cat > lines.yaml <<'Y'
name: lines
on:
  stdin:
steps:
  s:
    shell: sh
    run: echo "$WEFT_EVENT_LINE" >> lines.out
Y
cat > also.yaml <<'Y'
name: also
on:
  stdin:
    format: lines
concurrency:
  limit: 2
steps:
  s:
    shell: sh
    run: echo "${{ event.line }}" >> also.out
Y

# 1,000 lines: 1,000 runs, in order, none lost; weft up exits 0 by itself.
seq 1000 > input.txt
mkdir wf && cp lines.yaml wf/
t0=$(now_ms)
set +e
timeout 120 "$WEFT" --state st.db up wf <input.txt >up.out 2>up.err
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "weft up < 1000 lines exited $rc: $(tail -5 up.err)"
cmp -s lines.out input.txt || fail "lines.out differs from the input (lost or reordered records)"
[ "$(count_runs lines)" -eq 1000 ] || fail "expected 1000 runs, have $(count_runs lines)"
echo "1000 stdin runs in $(( $(now_ms) - t0 )) ms"

# A pipe (`cat file | weft up wf`), records to two workflows.
rm -f lines.out
printf 'alpha\nbeta\n\ngamma' | timeout 60 "$WEFT" --state st2.db up lines.yaml also.yaml >up2.out 2>up2.err ||
  fail "piped weft up failed: $(cat up2.err)"
[ "$(cat lines.out)" = "$(printf 'alpha\nbeta\ngamma')" ] || fail "lines.out: $(cat lines.out)"
[ "$(sort also.out)" = "$(printf 'alpha\nbeta\ngamma')" ] || fail "also.out: $(cat also.out)"

# json records: values may span lines; a bad one is skipped with a message.
cat > json.yaml <<'Y'
name: json
on:
  stdin:
    format: json
steps:
  s:
    shell: sh
    run: echo "${{ event.json.n }} ${{ event.json.tag }}" >> json.out
Y
printf '{"n": 1, "tag": "a"}\n{"n": 2,\n "tag": "b"}\n{oops}\n{"n": 3, "tag": "c"}\n' |
  timeout 60 "$WEFT" --state st3.db up json.yaml >up3.out 2>up3.err || fail "json weft up failed: $(cat up3.err)"
[ "$(cat json.out)" = "$(printf '1 a\n2 b\n3 c')" ] || fail "json.out: $(cat json.out)"
grep -q "not valid JSON" up3.err || fail "no message for the bad record: $(cat up3.err)"

# One engine reads one stdin: workflows that disagree on its format are an
# error at start (exit 2), with everything armed so far closed cleanly.
run_weft --state st4.db up lines.yaml json.yaml
expect_rc 2
expect_err_has "workflows disagree on the stdin format"

# The event is shown with the run.
run_weft --state st3.db show 2 --json
expect_rc 0
expect_out_has '"kind":"stdin"'
expect_out_has '"tag":"b"'

# With another trigger armed, end of input does not stop the engine.
cat > both.yaml <<'Y'
name: both
on:
  stdin:
  schedule:
    - every: 1h
steps:
  s:
    run: echo "$WEFT_EVENT_LINE" >> both.out
Y
echo one > one.txt
UP_STDIN=one.txt start_up both.yaml
wait_runs both 1
sleep 0.5
kill -0 "$UP_PID" || fail "the engine stopped at end of input although a schedule is armed"
stop_up
echo "ok: up_stdin"
