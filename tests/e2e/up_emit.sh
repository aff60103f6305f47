# weft emit (SPEC §9.2): records from emit's stdin go, in order and each
# committed before the next is sent, to a running engine that also watches
# files; a killed emit loses at most the record in flight and a new emit on
# the same descriptor goes on after it, nothing twice; bad usage exits 2, no
# engine 3. An engine whose stdin is /dev/null (or closed) with only stdin
# workflows keeps running and takes records from emit.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"

mkdir wf src
cat > wf/alerts.yaml <<'Y'
name: alerts
on:
  stdin:
retention:
  runs: 10000
steps:
  s:
    shell: sh
    run: echo "$WEFT_EVENT_LINE" >> alerts.out
Y
cat > wf/build.yaml <<'Y'
name: build
on:
  file:
    paths: [src/**]
steps:
  s:
    run: "true"
Y
start_up wf

# Usage errors: exit 2, with a did-you-mean; nothing is sent.
run_weft --state st.db emit alert </dev/null
expect_rc 2
expect_err_has "no workflow 'alert' in this engine (did you mean 'alerts'?)"
run_weft --state st.db emit build </dev/null
expect_rc 2
expect_err_has "workflow 'build' has no 'on: stdin' trigger"
run_weft --state st.db emit --format json </dev/null
expect_rc 2
expect_err_has "the receiving workflows read 'lines' records, not 'json'"
run_weft --state other.db emit </dev/null
expect_rc 3
expect_err_has "no engine is running on other.db"

# 1,000 records: 1,000 runs, in order, none lost.
seq 1000 > input.txt
t0=$(now_ms)
run_weft --state st.db emit <input.txt
expect_rc 0
echo "1000 records emitted in $(( $(now_ms) - t0 )) ms"
wait_runs alerts 1000 180
cmp -s alerts.out input.txt || fail "alerts.out differs from the input: $(diff alerts.out input.txt | head)"
[ "$(count_runs alerts)" -eq 1000 ] || fail "expected 1000 runs, have $(count_runs alerts)"
grep -q '^event [0-9]* (stdin: "1000") -> alerts$' up.out || fail "stdin event not announced: $(tail -5 up.out)"
grep -q '^\[alerts#[0-9]*\] s: success in ' up.out || fail "step lines not named: $(tail -5 up.out)"
grep -q '^\[alerts#[0-9]*\] success in ' up.out || fail "run lines not named: $(tail -5 up.out)"

# Killed halfway, then a new emit on the same descriptor (a regular file,
# then a pipe): at most the record in flight lost, none twice, in order.
for kind in file pipe; do
  : > alerts.out
  seq 1 400 > part.txt
  if [ "$kind" = file ]; then exec 3<part.txt; else exec 3< <(cat part.txt); fi
  before=$(sqlite3 st.db "SELECT count(*) FROM events WHERE kind = 'stdin'")
  "$WEFT" --state st.db emit <&3 2>emit1.err &
  epid=$!
  # Killed once the engine recorded 50 of its records (emit sends about a
  # thousand a second: it is far from done then).
  for ((i = 0; i < 3000; i++)); do
    [ "$(sqlite3 st.db "SELECT count(*) FROM events WHERE kind = 'stdin'")" -ge $((before + 50)) ] && break
    sleep 0.01
  done
  kill -KILL "$epid" 2>/dev/null || fail "$kind: emit ended before it could be killed"
  wait "$epid" 2>/dev/null || true
  run_weft --state st.db emit <&3
  expect_rc 0
  exec 3<&-
  for ((i = 0; i < 600; i++)); do
    [ "$(tail -n 1 alerts.out)" = 400 ] && break
    sleep 0.05
  done
  n=$(wc -l <alerts.out)
  [ -z "$(sort -n alerts.out | uniq -d)" ] || fail "$kind: records twice: $(sort -n alerts.out | uniq -d | head)"
  sort -n -c alerts.out || fail "$kind: records out of order"
  [ "$n" -ge 399 ] && [ "$n" -le 400 ] || fail "$kind: $n of 400 records arrived"
  echo "$kind: $n of 400 records after a killed emit"
done
stop_up

# stdin /dev/null or closed, only stdin workflows: the engine stays up and
# takes records from emit.
for input in null closed; do
  rm -f alerts.out up.out up.err
  if [ "$input" = null ]; then
    "$WEFT" --state st2.db up wf/alerts.yaml </dev/null >up.out 2>up.err &
  else
    "$WEFT" --state st2.db up wf/alerts.yaml <&- >up.out 2>up.err &
  fi
  UP_PID=$!
  for ((i = 0; i < 200; i++)); do grep -q "armed" up.out 2>/dev/null && break; sleep 0.05; done
  sleep 1
  kill -0 "$UP_PID" 2>/dev/null || fail "$input stdin: weft up exited: $(cat up.err)"
  run_weft --state st2.db status
  expect_out_has "stdin: not read"
  printf 'a\nb\nc\n' | "$WEFT" --state st2.db emit || fail "$input stdin: emit failed"
  for ((i = 0; i < 200; i++)); do [ "$(cat alerts.out 2>/dev/null)" = "$(printf 'a\nb\nc')" ] && break; sleep 0.05; done
  [ "$(cat alerts.out)" = "$(printf 'a\nb\nc')" ] || fail "$input stdin: alerts.out: $(cat alerts.out)"
  sleep 0.5
  kill -0 "$UP_PID" 2>/dev/null || fail "$input stdin: weft up exited after emit: $(cat up.err)"
  if [ "$input" = null ]; then
    # A 3 MB line is cut at max-record (1 MiB), and the next record is whole.
    { head -c 3000000 /dev/zero | tr '\0' x; printf '\nafter\n'; } | "$WEFT" --state st2.db emit ||
      fail "emit of a 3 MB line failed"
    for ((i = 0; i < 200; i++)); do [ "$(tail -n 1 alerts.out)" = after ] && break; sleep 0.05; done
    [ "$(wc -l <alerts.out)" -eq 5 ] || fail "after a 3 MB line: $(wc -l <alerts.out) lines"
    grep -q '^event [0-9]* (stdin: "xxxx*"\.\.\.) -> alerts$' up.out || fail "no cut event: $(tail -3 up.out)"
    cat up.out up.err | grep -q 'warning: event [0-9]*: an emitted record longer than 1 MiB' ||
      fail "no warning for the cut record: $(tail -3 up.err)"
  fi
  stop_up
done

# A workflow named twice gets the record once; an engine stopped while emit
# sends from a file: a new engine and a new emit on the same file end with
# every record exactly once (the record the engine never answered for is
# looked up in the database before it is given back).
mkdir -p wf3 && cat > wf3/a.yaml <<'Y'
name: a
on: {stdin: {}}
steps:
  s:
    run: "true"
Y
"$WEFT" --state st3.db up wf3 </dev/null >up3.out 2>&1 &
UP_PID=$!
for ((i = 0; i < 200; i++)); do grep -q "armed" up3.out 2>/dev/null && break; sleep 0.05; done
echo dup | "$WEFT" --state st3.db emit a a || fail "emit a a failed"
[ "$(sqlite3 st3.db 'SELECT count(*) FROM runs')" = 1 ] || fail "emit a a: $(sqlite3 st3.db 'SELECT count(*) FROM runs') runs"
seq 1 3000 > many.txt
exec 3<many.txt
"$WEFT" --state st3.db emit <&3 2>emit3.err &
epid=$!
for ((i = 0; i < 3000; i++)); do
  [ "$(sqlite3 st3.db "SELECT count(*) FROM events WHERE kind = 'stdin'")" -ge 100 ] && break
  sleep 0.01
done
kill -TERM "$UP_PID"
wait "$UP_PID" || true
wait "$epid" && fail "emit went on without its engine"
"$WEFT" --state st3.db up wf3 </dev/null >up3.out 2>&1 &
UP_PID=$!
for ((i = 0; i < 200; i++)); do grep -q "armed" up3.out 2>/dev/null && break; sleep 0.05; done
run_weft --state st3.db emit <&3
expect_rc 0
exec 3<&-
stop_up
n=$(sqlite3 st3.db "SELECT count(*), count(DISTINCT json_extract(payload, '$.line')) FROM events WHERE kind = 'stdin'")
[ "$n" = "3001|3001" ] || fail "after an engine stop mid-emit: $n (events|distinct lines), expected 3001|3001"
echo "ok"
