# The log cap (SPEC §4): of each step attempt's output, at most the cap
# (default 10 MiB, WEFT_LOG_CAP) is stored; the rest is counted, noted in the
# log, and reported by `weft logs` and `weft show`.
source "$(dirname "$0")/../support/e2e.sh"

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is missing (bootstrap.sh installs it)"
db=.weft/state.db
q() { sqlite3 "$db" "$1"; }

# 2000 lines of exactly 100 bytes (99 digits and a newline): 200000 bytes.
cat > big.yaml <<'Y'
name: big
steps:
  loud:
    run: |
      i=0
      while [ $i -lt 2000 ]; do printf '%099d\n' $i; i=$((i + 1)); done
  quiet:
    run: echo small
Y

# --- a small cap through WEFT_LOG_CAP ----------------------------------------
WEFT_LOG_CAP=64K run_weft run big.yaml
expect_rc 0
# What a run prints live is not capped: only what is stored.
[ "$(grep -c '^loud | ' <<<"$out")" -eq 2000 ] || fail "weft run printed $(grep -c '^loud | ' <<<"$out") lines of loud, expected all 2000"

# 64 KiB = 65536 bytes hold 655 lines of 100 bytes; 1345 lines (134500 bytes) are dropped.
stored=$(q "SELECT count(*), sum(length(CAST(text AS BLOB)) + 1) FROM logs WHERE run_id = 1 AND step = 'loud' AND attempt_id IS NOT NULL AND text NOT LIKE 'weft: log cap%'")
[ "$stored" = "655|65500" ] || fail "stored lines|bytes of loud: $stored, expected 655|65500"
[ "$(q "SELECT count(*) FROM logs WHERE run_id = 1 AND text = 'weft: log cap 64 KiB reached; later lines of this attempt are counted, not stored'")" = 1 ] ||
  fail "the cap is not noted once in the log: $(q "SELECT text FROM logs WHERE text LIKE 'weft:%'")"
[ "$(q "SELECT log_dropped_lines, log_dropped_bytes, log_cap FROM attempts WHERE run_id = 1 AND step = 'loud'")" = "1345|134500|65536" ] ||
  fail "attempt's dropped count: $(q "SELECT log_dropped_lines, log_dropped_bytes, log_cap FROM attempts WHERE run_id = 1 AND step = 'loud'")"
[ "$(q "SELECT log_dropped_lines, log_cap IS NULL FROM attempts WHERE run_id = 1 AND step = 'quiet'")" = "0|1" ] ||
  fail "quiet's attempt counts dropped lines"
# The stored lines are the first ones, in order.
[ "$(q "SELECT text FROM logs WHERE run_id = 1 AND step = 'loud' ORDER BY seq LIMIT 1")" = "$(printf '%099d' 0)" ] ||
  fail "the first stored line is not the first line"
[ "$(q "SELECT text FROM logs WHERE run_id = 1 AND step = 'loud' AND text NOT LIKE 'weft:%' ORDER BY seq DESC LIMIT 1")" = "$(printf '%099d' 654)" ] ||
  fail "the last stored line is not line 654"

note="… 1345 lines (134500 bytes) dropped: log cap 64 KiB reached"
run_weft logs 1 loud
expect_rc 0
[ "$(grep -c . <<<"$out")" -eq 657 ] || fail "weft logs 1 loud: expected 655 lines, the note and the count; got $(grep -c . <<<"$out") lines"
[ "$(tail -n 1 <<<"$out")" = "$note" ] || fail "weft logs 1 loud does not end with '$note': $(tail -n 3 <<<"$out")"
run_weft logs 1
expect_rc 0
expect_out_has "loud | $note"
expect_out_has "quiet | small"
run_weft logs 1 quiet
expect_rc 0
expect_out "small"
run_weft show 1
expect_rc 0
expect_out_has "    log: $note"
show_json 1
sget loud log_dropped
[ "$J" = '{"bytes":134500,"cap":65536,"lines":1345}' ] || fail "show --json log_dropped of loud: $J"
jget "$(show_step quiet)" log_dropped && fail "show --json has log_dropped for quiet: $(show_step quiet)"

# --- the cap is per attempt: a retry stores its own log ------------------------
cat > retry.yaml <<'Y'
name: retry
steps:
  flaky:
    retry: {attempts: 2}
    run: |
      i=0
      while [ $i -lt 20 ]; do printf '%099d\n' $i; i=$((i + 1)); done
      [ -e second ] && exit 0
      touch second
      exit 1
Y
WEFT_LOG_CAP=1000 run_weft run retry.yaml
expect_rc 0
[ "$(q "SELECT number, log_dropped_lines, log_dropped_bytes FROM attempts WHERE run_id = 2 ORDER BY number" | tr '\n' ' ')" = "1|10|1000 2|10|1000 " ] ||
  fail "per-attempt counts: $(q "SELECT number, log_dropped_lines, log_dropped_bytes FROM attempts WHERE run_id = 2")"
run_weft logs 2 flaky
expect_rc 0
expect_out_has "… 10 lines (1000 bytes) dropped: log cap 1000 bytes reached (attempt 1)"
expect_out_has "… 10 lines (1000 bytes) dropped: log cap 1000 bytes reached (attempt 2)"

# --- WEFT_LOG_CAP=0: no cap; a value that is not a size: exit 2 ------------------
WEFT_LOG_CAP=0 run_weft -q run big.yaml
expect_rc 0
[ "$(q "SELECT count(*) FROM logs WHERE run_id = 3 AND step = 'loud'")" = 2000 ] || fail "WEFT_LOG_CAP=0 capped the log"
WEFT_LOG_CAP=lots run_weft run big.yaml
expect_rc 2
expect_err_has "WEFT_LOG_CAP: invalid size 'lots'"

# --- the default cap: 10 MiB of 11 ---------------------------------------------
# 11 MiB in 11264 lines of 1024 bytes (1023 and a newline; fold leaves the
# last without one, and the cap counts it as if it had one): 10240 lines
# (10 MiB) stored, 1024 dropped.
cat > huge.yaml <<'Y'
name: huge
steps:
  flood:
    run: head -c 11523072 /dev/zero | tr '\0' x | fold -w 1023
Y
run_weft -q run huge.yaml
expect_rc 0
id=$(q "SELECT max(id) FROM runs")
[ "$(q "SELECT log_dropped_lines, log_dropped_bytes, log_cap FROM attempts WHERE run_id = $id")" = "1024|1048576|10485760" ] ||
  fail "default cap: $(q "SELECT log_dropped_lines, log_dropped_bytes, log_cap FROM attempts WHERE run_id = $id")"
[ "$(q "SELECT sum(length(CAST(text AS BLOB)) + 1) FROM logs WHERE run_id = $id AND text NOT LIKE 'weft: log cap%'")" = 10485760 ] ||
  fail "default cap: stored bytes differ from 10 MiB"
run_weft logs "$id" flood
expect_rc 0
[ "$(tail -n 1 <<<"$out")" = "… 1024 lines (1048576 bytes) dropped: log cap 10 MiB reached" ] ||
  fail "weft logs of the flood does not end with the count: $(tail -n 1 <<<"$out")"

echo "log_cap: ok"
