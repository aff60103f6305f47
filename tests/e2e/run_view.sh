# What `weft run` prints (SPEC §6): the live view on a terminal (a real
# pseudo-terminal from util-linux `script`), plain lines elsewhere, colour
# and NO_COLOR, GitHub Actions' groups and annotations, JSON lines, and
# output that is not valid UTF-8.
source "$(dirname "$0")/../support/e2e.sh"
command -v script >/dev/null || fail "needs util-linux script (package bsdutils)"
command -v sqlite3 >/dev/null || fail "needs the sqlite3 command (bootstrap.sh installs it)"

ESC=$'\033'
SGR="$ESC\\[[0-9;]*m" # a colour escape sequence, as an extended regex

# in_pty [VAR=VALUE]... -- ARGS...: run `weft ARGS` in a 100x30 pseudo-
# terminal with the environment VAR=VALUE (TERM=xterm and a UTF-8 locale
# unless given); its exit code in $rc, its output in $raw (carriage returns
# removed: the terminal adds them) and in $out without escape sequences
# (colours, cursor moves). COLS overrides the width.
in_pty() {
  local envs=(TERM=xterm LANG=C.UTF-8 LC_ALL= LC_CTYPE=)
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local cmd
  printf -v cmd '%q ' env "${envs[@]}" "$WEFT" "$@"
  set +e
  SHELL=/bin/bash script -qfec "stty cols ${COLS:-100} rows 30 2>/dev/null; $cmd" /dev/null </dev/null >"$T/.out" 2>"$T/.err"
  rc=$?
  set -e
  raw=$(tr -d '\r' <"$T/.out")
  out=$(sed -E "s/${ESC}\\[[0-9;]*[A-Za-z]//g" <<<"$raw")
  err=$(cat "$T/.err")
}
expect_out_lacks() { ! grep -qF -- "$1" <<<"$out" || fail "stdout has '$1' but must not; stdout was:
$out"; }
expect_no_color() { ! grep -qE -- "$SGR" <<<"$raw" || fail "$1: colour escapes in:
$raw"; }

cat > view.yaml <<'Y'
name: view
steps:
  quick: {run: echo quick-out}
  slow: {run: 'sleep 1; echo slow-done'}
  bad:
    needs: quick
    run: |
      for i in $(seq 1 15); do echo "bad line $i"; done
      exit 3
  dep: {needs: bad, run: 'true'}
Y
# view.yaml without its slow step, for what needs no time to pass.
grep -v '^  slow:' view.yaml > lines.yaml
cat > fast.yaml <<'Y'
name: fast
steps:
  quick: {run: echo quick-out}
  bad: {needs: quick, run: 'echo bad-out; exit 3'}
Y

# --- the live view ------------------------------------------------------------
in_pty -- run view.yaml -j 4
expect_rc 1
expect_out_has "run 1 (view) started"
# A running step's line with its elapsed time, redrawn: several values.
ticks=$({ grep -oE "• slow  [0-9]+\.[0-9]s" <<<"$out" || true; } | sort -u | wc -l)
[ "$ticks" -ge 2 ] || fail "live view: expected the running step 'slow' with at least 2 elapsed times; got $ticks in:
$out"
grep -qE "$ESC\\[[0-9]+A" <<<"$raw" || fail "live view: no cursor-up sequence (not redrawn in place):
$raw"
expect_out_has "✓ quick  "
expect_out_has "✓ slow  "
grep -qE "^✗ bad  [0-9.]+m?s \(exit code 3\)$" <<<"$out" || fail "live view: no '✗ bad ... (exit code 3)' line:
$out"
# The failed step's last 10 lines under it, and where to find the rest.
expect_out_has "│ bad line 15"
expect_out_has "│ bad line 6"
expect_out_lacks "│ bad line 5"
expect_out_has "5 earlier lines: weft logs 1 bad"
expect_out_has "- dep  skipped"
expect_out_has "run 1 (view): failure in"
# Step output is not streamed without -v.
expect_out_lacks "quick-out"
expect_out_lacks "slow-done"
grep -qE -- "$SGR" <<<"$raw" || fail "live view: no colour on a terminal:
$raw"

# ASCII markers without a UTF-8 locale.
in_pty LANG=C -- run fast.yaml
expect_rc 1
expect_out_has "ok quick  "
expect_out_lacks "✓"

# -v: step output above the live region, prefixed with the step id.
in_pty -- run fast.yaml -v
expect_rc 1
expect_out_has "quick | quick-out"
expect_out_has "bad | bad-out"

# -q: only failures and the summary line.
in_pty -- run fast.yaml -q
expect_rc 1
expect_out_lacks "started"
expect_out_lacks "quick  "
expect_out_has "bad  "
expect_out_has "│ bad-out"
expect_out_has "(fast): failure in"

# A successful run ends with the plain summary line.
cat > ok.yaml <<'Y'
name: ok
steps:
  a: {run: 'true'}
Y
in_pty -- run ok.yaml
expect_rc 0
grep -qE "^run [0-9]+ \(ok\): success in [0-9.]+m?s$" <<<"$out" || fail "live view: no plain summary line:
$raw"

# --- colour -------------------------------------------------------------------
in_pty NO_COLOR=1 -- run fast.yaml
expect_rc 1
expect_out_has "bad  "
expect_no_color "NO_COLOR=1 on a terminal"
in_pty -- --color never run fast.yaml
expect_rc 1
expect_no_color "--color never on a terminal"
in_pty NO_COLOR=1 -- --color always run fast.yaml
grep -qE -- "$SGR" <<<"$raw" || fail "--color always must win over NO_COLOR:
$raw"
run_weft --color always run fast.yaml
expect_rc 1
grep -qE -- "$SGR" <<<"$out" || fail "--color always: no colour when piped:
$out"
expect_out_has "bad: "
run_weft run fast.yaml
expect_rc 1
! grep -qF "$ESC" <<<"$out" || fail "piped without --color: escape sequences in:
$out"
expect_out_has "quick | quick-out"
run_weft --color sometimes run fast.yaml
expect_rc 2
expect_err_has "--color"
expect_err_has "sometimes"

# --- plain lines on terminals that cannot hold the live view -----------------
in_pty TERM=dumb -- run fast.yaml
expect_rc 1
expect_out_has "quick: started"
expect_out_has "quick | quick-out"
COLS=30 in_pty -- run fast.yaml
expect_rc 1
expect_out_has "quick: started"
grep -qE "$ESC\\[[0-9]+A" <<<"$raw" && fail "a 30-column terminal got the live view:
$raw"

# --- GitHub Actions -----------------------------------------------------------
export GITHUB_ACTIONS=true
run_weft run lines.yaml -j 4
unset GITHUB_ACTIONS
expect_rc 1
expect_out_has "::group::quick (success in"
expect_out_has "::group::bad (failure in"
expect_out_has "bad line 1"
expect_out_has "::endgroup::"
expect_out_has "::error title=bad::step bad failed (exit code 3)"
expect_out_has "dep: skipped"
# A step's lines stay together inside its group.
group=$(sed -n '/^::group::bad /,/^::endgroup::$/p' <<<"$out")
[ "$(grep -c '^bad line' <<<"$group")" -eq 15 ] || fail "GitHub Actions: bad's 15 lines not in its group:
$out"
# GitHub Actions wins over the live view.
in_pty GITHUB_ACTIONS=true -- run fast.yaml
expect_rc 1
expect_out_has "::group::bad (failure in"
expect_out_has "::error title=bad::"

# --- JSON lines ---------------------------------------------------------------
# json_lines FILE: check every line of FILE is one JSON object with a string
# "type", an integer "run" and a string "time" (with SQLite's JSON
# functions), and is valid UTF-8; set $types to the types in order.
json_lines() {
  local lines n valid count good
  lines=$(wc -l <"$1")
  [ "$lines" -gt 0 ] || fail "--json printed nothing"
  iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 || fail "--json output is not valid UTF-8:
$(cat "$1")"
  { printf '['; paste -sd, "$1"; printf ']'; } >"$T/lines.json"
  IFS='|' read -r valid n good types < <(sqlite3 :memory: "
    SELECT json_valid(j), json_array_length(j),
      (SELECT count(*) FROM json_each(j) WHERE type = 'object' AND json_type(value, '\$.type') = 'text'
         AND json_type(value, '\$.run') = 'integer' AND json_type(value, '\$.time') = 'text'),
      (SELECT group_concat(json_extract(value, '\$.type'), ' ') FROM json_each(j))
    FROM (SELECT CAST(readfile('$T/lines.json') AS TEXT) AS j);")
  [ "$valid" = 1 ] || fail "--json: not JSON lines:
$(cat "$1")"
  [ "$n" = "$lines" ] || fail "--json: $lines lines hold $n values; every line must be one object:
$(cat "$1")"
  [ "$good" = "$n" ] || fail "--json: only $good of $n lines are objects with type, run and time:
$(cat "$1")"
}
run_weft run lines.yaml --json -j 4
expect_rc 1
printf '%s\n' "$out" >"$T/json.out"
json_lines "$T/json.out"
[[ $types == "run_started step_started "* ]] || fail "--json: types start '${types:0:40}', expected run_started step_started"
[[ $types == *" run_finished" ]] || fail "--json: the last type is not run_finished: $types"
for t in log step_finished; do [[ " $types " == *" $t "* ]] || fail "--json: no $t line: $types"; done
# In --json mode nothing else is on stdout, even on a terminal.
in_pty -- run fast.yaml --json
expect_rc 1
! grep -qF "$ESC" <<<"$raw" || fail "--json on a terminal: escape sequences in: $raw"
printf '%s\n' "$raw" >"$T/json.out"
json_lines "$T/json.out"
run_weft run missing.yaml --json
expect_rc 2
[ -z "$out" ] || fail "--json: an error printed on stdout: $out"

# --- output that is not valid UTF-8 -------------------------------------------
cat > bytes.yaml <<'Y'
name: bytes
steps:
  raw: {run: "printf 'raw \\377\\376 end\\n'; printf 'no newline \\342\\202'"}
Y
run_weft run bytes.yaml --json
expect_rc 0
printf '%s\n' "$out" >"$T/json.out"
json_lines "$T/json.out"
grep -qF "raw �� end" "$T/json.out" || fail "--json: invalid UTF-8 not replaced with U+FFFD:
$out"
run_weft run bytes.yaml
expect_rc 0
expect_out_has "raw | raw �� end"
expect_out_has "raw | no newline ��"
id=$(last_run_id)
run_weft logs "$id" raw
expect_rc 0
expect_out_has "raw "
show_json "$id"
expect_step raw status '"success"'
in_pty -- run bytes.yaml -v
expect_rc 0
expect_out_has "raw | raw �� end"

echo "run_view: ok"
