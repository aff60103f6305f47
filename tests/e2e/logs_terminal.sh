# Step output on a terminal (SPEC §9.4, issue 17 item 10): `weft logs` and
# the live view (and the plain lines a narrow terminal gets) replace invalid
# UTF-8 and drop escape sequences other than colour, so a step cannot
# retitle the window, clear the screen or reset the terminal; `weft logs
# --raw` prints the stored bytes; off a terminal the bytes are unchanged.
source "$(dirname "$0")/../support/e2e.sh"

ESC=$'\033'
BEL=$'\a'
FFFD=$'\xef\xbf\xbd'

# in_pty [VAR=VALUE]... -- ARGS...: `weft ARGS` in a pseudo-terminal COLS
# (default 100) wide, TERM=xterm and a UTF-8 locale; exit code in $rc, the
# bytes it printed in $T/pty.out (carriage returns, which the terminal adds,
# removed).
in_pty() {
  local envs=(TERM=xterm LANG=C.UTF-8 LC_ALL= LC_CTYPE=)
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local cmd
  printf -v cmd '%q ' env "${envs[@]}" "$WEFT" "$@"
  set +e
  SHELL=/bin/bash script -qfec "stty cols ${COLS:-100} rows 30 2>/dev/null; $cmd" /dev/null \
    </dev/null >"$T/pty.raw" 2>"$T/pty.err"
  rc=$?
  set -e
  tr -d '\r' <"$T/pty.raw" >"$T/pty.out"
}
has() { grep -qF -- "$1" "$T/pty.out"; }
want() { has "$1" || fail "$2; the terminal got: $(cat -v "$T/pty.out")"; }
want_not() { ! has "$1" || fail "$2; the terminal got: $(cat -v "$T/pty.out")"; }

# want_neutralised WHAT: none of the step's hostile sequences reached the
# terminal; its text around them did, with U+FFFD for the bad bytes.
want_neutralised() {
  want_not "${ESC}]0;PWNED" "$1: a window title (OSC 0) passed"
  want_not "PWNED" "$1: the window title's text was shown"
  want_not "${ESC}[2J" "$1: clear screen passed"
  want_not "${ESC}c" "$1: a terminal reset (ESC c) passed"
  want_not "${ESC}[?1049h" "$1: the alternate screen passed"
  want_not "$BEL" "$1: a BEL passed"
  want_not $'\xff' "$1: invalid UTF-8 passed"
  want "title<>end" "$1: the text around the window title is missing"
  want "clear<>end" "$1: the text around clear screen is missing"
  want "bytes<${FFFD}${FFFD}>end" "$1: invalid UTF-8 not replaced by U+FFFD"
}

cat > hostile.yaml <<'Y'
name: hostile
steps:
  out:
    run: |
      printf 'title<\033]0;PWNED\007>end\n'
      printf 'clear<\033[2J\033[H>end\n'
      printf 'reset<\033c>end\n'
      printf 'alt<\033[?1049h>end\n'
      printf 'bell<\007>end\n'
      printf 'bytes<\377\376>end\n'
      printf 'colour<\033[31mred\033[0m>end\n'
Y
run_weft run hostile.yaml
expect_rc 0
id=$(last_run_id)

# --- weft logs on a terminal ---------------------------------------------------
in_pty -- logs "$id"
expect_rc 0
want_neutralised "weft logs"
want "bell<${FFFD}>end" "weft logs: a BEL not shown as U+FFFD"
want "out | colour<${ESC}[31mred${ESC}[0m>end${ESC}[0m" \
  "weft logs: the step's colour not kept (with a reset at the end of the line)"

in_pty -- logs "$id" out --timestamps
expect_rc 0
want_neutralised "weft logs STEP --timestamps"

in_pty NO_COLOR=1 -- logs "$id"
expect_rc 0
want_neutralised "weft logs with NO_COLOR"
want "colour<red>end" "weft logs with NO_COLOR: the step's colour not dropped"
want_not "${ESC}[31m" "weft logs with NO_COLOR: the step's colour passed"

# --- --raw: the stored bytes -----------------------------------------------------
in_pty -- logs "$id" --raw
expect_rc 0
want "title<${ESC}]0;PWNED${BEL}>end" "weft logs --raw: the stored bytes not printed"
want $'bytes<\xff\xfe>end' "weft logs --raw: invalid UTF-8 not printed as stored"

# --- off a terminal the bytes are unchanged ---------------------------------------
"$WEFT" logs "$id" >"$T/piped.out"
grep -qF "title<${ESC}]0;PWNED${BEL}>end" "$T/piped.out" ||
  fail "weft logs into a pipe changed the bytes: $(cat -v "$T/piped.out")"

# --- the live view (-v streams step output) and a failed step's tail ----------------
in_pty -- run hostile.yaml -v
expect_rc 0
want_neutralised "the live view"
want "colour<${ESC}[31mred${ESC}[0m>end${ESC}[0m" "the live view: the step's colour not kept"

sed 's/^      printf .colour.*/&\n      exit 1/' hostile.yaml >failing.yaml
in_pty -- run failing.yaml
expect_rc 1
want_neutralised "the live view's tail of a failed step"

# --- a terminal too narrow for the live view gets plain lines, made safe too ------
COLS=30 in_pty -- run hostile.yaml
expect_rc 0
want "out | " "a narrow terminal: no plain log lines"
want_neutralised "plain lines on a narrow terminal"

in_pty TERM=dumb -- run hostile.yaml
expect_rc 0
want_neutralised "plain lines with TERM=dumb"

echo "logs_terminal: ok"
