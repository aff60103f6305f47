#!/usr/bin/env bash
# End-to-end: `weft cron EXPR [--tz ZONE] [--from RFC3339] [--count N]` prints
# the next fire times, one RFC 3339 instant a line: UTC with milliseconds, or
# with --tz that zone's time and offset (SPEC §3 "schedule", §6, §9.2). Run: WEFT=build/weft bash tests/e2e/cron_cli.sh
set -euo pipefail

: "${WEFT:?set WEFT to the weft binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_lines "EXPECTED LINES" ARGS... : stdout must be exactly these lines, exit 0.
expect_lines() {
    local want=$1
    shift
    local got rc=0
    got=$("$WEFT" cron "$@" 2>"$work/stderr") || rc=$?
    # With --tz the instants are printed in that zone (SPEC §9.2): compared
    # as UTC instants, as the table below gives them.
    if [[ $rc -eq 0 && -n $got && " $* " == *" --tz "* ]]; then
        local line utc=""
        while IFS= read -r line; do
            [[ $line =~ [+-][0-9][0-9]:[0-9][0-9]$ ]] || fail "weft cron $*: '$line' has no offset"
            utc+="$(date -u -d "$line" +%Y-%m-%dT%H:%M:%S.000Z)"$'\n'
        done <<<"$got"
        got=${utc%$'\n'}
    fi
    if [[ $rc -ne 0 ]]; then
        fail "weft cron $* exited $rc: $(cat "$work/stderr")"
    elif [[ "$got" != "$want" ]]; then
        fail "weft cron $*"$'\n'"--- want"$'\n'"$want"$'\n'"--- got"$'\n'"$got"
    fi
}

# expect_error CODE STDERR_SUBSTRING ARGS... : exit CODE, stderr mentions the text, stdout empty.
expect_error() {
    local code=$1 text=$2
    shift 2
    local out rc=0
    out=$("$WEFT" cron "$@" 2>"$work/stderr") || rc=$?
    if [[ $rc -ne $code ]]; then
        fail "weft cron $*: exit $rc, want $code (stderr: $(cat "$work/stderr"))"
    elif ! grep -qF -- "$text" "$work/stderr"; then
        fail "weft cron $*: stderr lacks '$text': $(cat "$work/stderr")"
    elif [[ -n "$out" ]]; then
        fail "weft cron $*: unexpected stdout: $out"
    fi
}

# Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z.
# Fixed-time job: the skipped 02:30 fires once, at the jump.
expect_lines "2026-03-29T01:00:00.000Z
2026-03-30T00:30:00.000Z
2026-03-31T00:30:00.000Z" \
    '30 2 * * *' --tz Europe/Berlin --from 2026-03-28T12:00:00Z --count 3

# `15,45 2 * * *` fires once at the jump too.
expect_lines "2026-03-29T01:00:00.000Z
2026-03-30T00:15:00.000Z" \
    '15,45 2 * * *' --tz Europe/Berlin --from 2026-03-28T12:00:00Z --count 2

# Wall-clock job: 02:00 does not exist that night.
expect_lines "2026-03-29T00:00:00.000Z
2026-03-29T01:00:00.000Z
2026-03-29T02:00:00.000Z" \
    '0 * * * *' --tz Europe/Berlin --from 2026-03-28T23:30:00Z --count 3

# Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00Z.
# Wall-clock: 02:00 fires twice; fixed-time: 02:30 only the first time.
expect_lines "2026-10-24T23:00:00.000Z
2026-10-25T00:00:00.000Z
2026-10-25T01:00:00.000Z
2026-10-25T02:00:00.000Z" \
    '0 * * * *' --tz Europe/Berlin --from 2026-10-24T22:30:00Z --count 4
expect_lines "2026-10-25T00:30:00.000Z
2026-10-26T01:30:00.000Z" \
    '30 2 * * *' --tz Europe/Berlin --from 2026-10-24T12:00:00Z --count 2

# Australia/Lord_Howe, 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11) at
# 2026-10-03T15:30Z. Fixed-time 02:15 fires at the jump; wall-clock */15
# skips 02:00 and 02:15.
expect_lines "2026-10-02T15:45:00.000Z
2026-10-03T15:30:00.000Z
2026-10-04T15:15:00.000Z" \
    '15 2 * * *' --tz Australia/Lord_Howe --from 2026-10-02T00:00:00Z --count 3
expect_lines "2026-10-03T15:15:00.000Z
2026-10-03T15:30:00.000Z
2026-10-03T15:45:00.000Z" \
    '*/15 * * * *' --tz Australia/Lord_Howe --from 2026-10-03T15:10:00Z --count 3

# Leap days, and the default count of 5.
expect_lines "2028-02-29T00:00:00.000Z
2032-02-29T00:00:00.000Z
2036-02-29T00:00:00.000Z
2040-02-29T00:00:00.000Z
2044-02-29T00:00:00.000Z" \
    '0 0 29 2 *' --tz UTC --from 2026-01-01T00:00:00Z

# Strictly after --from; a 6-field expression with seconds; a nickname.
expect_lines "2026-01-01T00:00:20.000Z
2026-01-01T00:00:40.000Z" \
    '*/20 * * * * *' --tz UTC --from 2026-01-01T00:00:00Z --count 2
expect_lines "2026-02-01T00:00:00.000Z" \
    '@monthly' --tz UTC --from 2026-01-01T00:00:00Z --count 1

# Invalid expressions and zones: exit 2, the message names what is wrong.
expect_error 2 "minute field" '61 * * * *'
expect_error 2 "minute field: value 61 out of range 0-59" '61 * * * *'
expect_error 2 "day-of-week field: unknown name 'FUN'" '0 0 * * FUN'
expect_error 2 "hour field: step 0 must be at least 1" '0 */0 * * *'
expect_error 2 "expected 5 or 6 fields, got 4" '* * * *'
expect_error 2 "unknown time zone 'Mars/Olympus_Mons'" '0 * * * *' --tz Mars/Olympus_Mons

# RFC 3339 ends at 9999-12-31 (four-digit years): no instant of the year
# 10000 is printed; a note on stderr says how many of --count were shown.
expect_lines "9999-01-01T00:00:00.000Z" '0 0 1 1 *' --tz UTC --from 9998-06-01T00:00:00Z --count 3
grep -qF "weft: note: 1 of 3 fire times shown: the others are past the year 9999" "$work/stderr" ||
    fail "weft cron past the year 9999: no note on stderr: $(cat "$work/stderr")"
expect_lines "" '0 0 1 1 *' --tz UTC --from 9999-06-01T00:00:00Z --count 2
grep -qF "weft: note: 0 of 2 fire times shown" "$work/stderr" ||
    fail "weft cron from the end of 9999: no note on stderr: $(cat "$work/stderr")"
expect_lines "9999-12-31T23:59:00.000Z" '59 23 31 12 *' --tz UTC --from 9999-12-31T23:58:00Z --count 1
[[ ! -s "$work/stderr" ]] || fail "weft cron: a note although every fire time fit: $(cat "$work/stderr")"

# Without --from: instants after now, in order, in the output format.
now_lines=$("$WEFT" cron '* * * * *' --count 3)
if [[ $(wc -l <<<"$now_lines") -ne 3 ]] ||
    grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00\.000Z$' <<<"$now_lines"; then
    fail "weft cron '* * * * *' without --from printed: $now_lines"
fi
if [[ "$(sort <<<"$now_lines")" != "$now_lines" ]] ||
    [[ "$(head -n1 <<<"$now_lines")" < "$(date -u +%Y-%m-%dT%H:%M:%S)" ]]; then
    fail "weft cron without --from: not upcoming instants in order: $now_lines"
fi

# The local times of --tz, as printed (SPEC §9.2); UTC without it.
out=$("$WEFT" cron '30 2 * * *' --tz Europe/Berlin --from 2026-03-28T12:00:00Z --count 2)
[[ "$out" == $'2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00' ]] ||
    fail "weft cron --tz Europe/Berlin printed: $out"
out=$("$WEFT" cron '0 3 * * *' --tz America/St_Johns --from 2026-12-01T00:00:00Z --count 1)
[[ "$out" == 2026-12-01T03:00:00-03:30 ]] || fail "weft cron --tz America/St_Johns printed: $out"
out=$(TZ=Europe/Berlin "$WEFT" cron '0 3 * * *' --from 2026-12-01T00:00:00Z --count 1)
[[ "$out" == 2026-12-01T02:00:00.000Z ]] || fail "weft cron without --tz printed: $out"

if [[ $failures -ne 0 ]]; then
    echo "cron_cli: $failures failure(s)" >&2
    exit 1
fi
echo "cron_cli: ok"
