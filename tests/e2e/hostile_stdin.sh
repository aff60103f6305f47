# Hostile stdin for `weft up` (issue 17 item 9, SPEC §9.4): a record longer
# than on.stdin.max-record (default 1 MiB) is cut there at a character
# boundary, marked truncated, warned about, and the engine's memory stays
# bounded; a cut JSON record is not parsed, and the rest of it (to the
# value's end, across lines) starts no run. Also: runs whose steps all fail
# before a process starts (a render error) never stall the ones queued
# behind them.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"

# --- Steps failing at render time, one run after another ------------------
# `$(( ${{ event.line }} ))` refuses the record `a` (not an integer in an
# arithmetic position): every run fails before its step's process starts.
# Each run's end starts the next queued one; the last ones must not hang.
# The workflow sits alone in its directory: nothing written beside it (the
# database, the output) wakes the engine through its definition watcher.
mkdir arith
cat > arith/arith.yaml <<'Y'
name: arith
on:
  stdin:
steps:
  s:
    run: echo $(( ${{ event.line }} ))
Y
set +e
printf 'a\n%.0s' {1..40} | timeout 60 "$WEFT" --state ar.db up arith/arith.yaml >ar.out 2>ar.err
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "weft up with 40 render failures exited $rc (124: it hung): $(tail -3 ar.err)"
n=$("$WEFT" --state ar.db runs arith --limit 1000 --json | grep -c '"status":"failure"' || true)
[ "$n" -eq 40 ] || fail "expected 40 failed runs, have $n"

# --- One 20 MB line, default bound ----------------------------------------
cat > big.yaml <<'Y'
name: big
on:
  stdin:
steps:
  s:
    shell: sh
    run: |
      printf '%s %s\n' "$(wc -c < "$WEFT_EVENT_JSON")" "${#WEFT_EVENT_LINE}" >> sizes.out
      grep -c '"truncated":true' "$WEFT_EVENT_JSON" >> truncated.out || true
Y
{ head -c 20000000 /dev/zero | tr '\0' x; printf '\nafter\n'; } > big.txt
set +e
/usr/bin/time -f '%M' -o rss.txt timeout 120 "$WEFT" --state big.db up big.yaml <big.txt >big.out 2>big.err
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "weft up < a 20 MB line exited $rc: $(tail -3 big.err)"
rss_kb=$(tail -n 1 rss.txt)
echo "peak RSS with a 20 MB stdin line: $((rss_kb / 1024)) MiB"
(( rss_kb < 64 * 1024 )) || fail "peak RSS $rss_kb KiB with a 20 MB line: the record was buffered whole"
[ "$(wc -l < sizes.out)" -eq 2 ] || fail "expected 2 runs: $(cat sizes.out) $(cat big.out)"
read -r ev_size _ < sizes.out
(( ev_size > 1048576 && ev_size < 1048576 + 4096 )) ||
  fail "the stored event of the cut record is $ev_size bytes, wanted 1 MiB and a little"
[ "$(head -n 1 truncated.out)" = 1 ] || fail "the cut record's event is not marked truncated"
[ "$(tail -n 1 truncated.out)" = 0 ] || fail "the next record is marked truncated too"
grep -q 'warning: event 1: a stdin record longer than 1 MiB' big.err ||
  fail "no warning about the cut record: $(cat big.out big.err)"
db_kb=$(du -ck big.db* | tail -n 1 | cut -f 1)
(( db_kb < 8 * 1024 )) || fail "the database holds $db_kb KiB after one cut record"

# --- max-record, a character boundary, json --------------------------------
cat > small.yaml <<'Y'
name: small
on:
  stdin:
    max-record: 10
steps:
  s:
    shell: sh
    run: printf '%s|\n' "$WEFT_EVENT_LINE" >> small.out
Y
# `é` is 2 bytes at offsets 9-10: the cut falls before it, not inside.
printf 'aaaaaaaaa\303\251bbbbbbbbbbbbbbbbbbbb\nshort\n' |
  timeout 60 "$WEFT" --state small.db up small.yaml >small.up 2>&1 || fail "$(cat small.up)"
[ "$(cat small.out)" = "$(printf 'aaaaaaaaa|\nshort|')" ] || fail "small.out: $(cat small.out)"

cat > js.yaml <<'Y'
name: js
on:
  stdin:
    format: json
    max-record: 1KiB
steps:
  s:
    shell: sh
    run: |
      echo "${{ event.json == null }} ${{ event.truncated }} ${{ event.json.k }}" >> js.out
Y
{ printf '{"k": "%s"}\n' "$(head -c 5000 /dev/zero | tr '\0' y)"; echo '{"k": "fine"}'; } |
  timeout 60 "$WEFT" --state js.db up js.yaml >js.up 2>&1 || fail "$(cat js.up)"
[ "$(cat js.out)" = "$(printf 'true true \nfalse  fine')" ] || fail "js.out: $(cat js.out)"

# A pretty-printed value cut at max-record: the rest of it, on later lines,
# is dropped to the value's end; none of it starts a run of its own. Its
# string is longer than the reader takes in one wake-up (4 x 64 KiB), so
# the cut comes before the value's end has arrived, whatever the timing.
cat > pretty.yaml <<'Y'
name: pretty
on:
  stdin:
    format: json
    max-record: 64
steps:
  s:
    shell: sh
    run: |
      echo "${{ event.truncated }}|${{ event.json }}" >> pretty.out
Y
{ printf '{\n  "k": "%s",\n  "n": 5,\n  "s": "} \\" {",\n  "a": [\n    1,\n    2\n  ]\n}\n' \
    "$(head -c 1000000 /dev/zero | tr '\0' y)"
  printf '{\n  "n": 6\n}\n'; } |
  timeout 60 "$WEFT" --state pretty.db up pretty.yaml >pretty.up 2>&1 || fail "$(cat pretty.up)"
[ "$(cat pretty.out)" = "$(printf 'true|\n|{"n":6}')" ] || fail "pretty.out: $(cat pretty.out)"
grep -q 'not valid JSON' pretty.up && fail "the rest of the cut value was parsed: $(cat pretty.up)"

# A bad size is an error at its place.
printf 'on:\n  stdin:\n    max-record: 12 parsecs\nsteps:\n  s: {run: "true"}\n' > bad.yaml
run_weft validate bad.yaml
expect_rc 2
expect_err_has "bad.yaml:3:17"
expect_err_has "max-record"
printf 'on:\n  stdin:\n    max-record: 0\nsteps:\n  s: {run: "true"}\n' > zero.yaml
run_weft validate zero.yaml
expect_rc 2
expect_err_has "max-record must be from 1 byte to 1 GiB"
echo ok
