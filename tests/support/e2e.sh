# Shared helpers for end-to-end tests: each test script sources this, runs the
# real binary ($WEFT) in a fresh temp dir, and fails loudly on any mismatch.
set -euo pipefail
: "${WEFT:?WEFT must name the weft binary}"
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"

# Output depends on these (GitHub Actions' groups, colour): a test that
# wants them sets them itself, so the suite passes inside CI too.
unset GITHUB_ACTIONS NO_COLOR

# Under the sanitizer build (README): libfaketime is LD_PRELOADed before the
# ASan runtime in the time tests, which ASan refuses unless told not to
# check. A build without ASan ignores the variable.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

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

# ---- Helpers for the `weft run` tests (tests/e2e/run_*.sh). ----------------
# JSON is checked with bash alone (no python, no jq), so a fresh machine
# needs nothing extra: json_members splits one JSON object or array into its
# top-level members, one a line (JSON strings never hold a raw newline).

# json_split JSON: set the array $JM to the top-level members of the object
# or array JSON, whitespace outside strings removed: `"key":RAW` for an
# object, `RAW` for an array. (No subshell: forks are slow on busy CI.)
json_split() {
  local LC_ALL=C
  local s=$1 n=${#1} i c depth=0 instr=0 esc=0 buf=""
  JM=()
  for ((i = 0; i < n; i++)); do
    c=${s:i:1}
    if ((instr)); then
      buf+=$c
      if ((esc)); then esc=0
      elif [[ $c == '\' ]]; then esc=1
      elif [[ $c == '"' ]]; then instr=0
      fi
      continue
    fi
    case $c in
      '"') instr=1; buf+=$c ;;
      '{' | '[') depth=$((depth + 1)); ((depth > 1)) && buf+=$c ;;
      '}' | ']')
        depth=$((depth - 1))
        if ((depth > 0)); then buf+=$c
        else
          [[ -n $buf ]] && JM+=("$buf")
          buf=""
        fi ;;
      ',') if ((depth == 1)); then JM+=("$buf"); buf=""; else buf+=$c; fi ;;
      ' ' | $'\t' | $'\r' | $'\n') ;;
      *) buf+=$c ;;
    esac
  done
}

# json_members JSON: print the members json_split finds, one a line.
json_members() { json_split "$1"; ((${#JM[@]} == 0)) || printf '%s\n' "${JM[@]}"; }

# jget JSON KEY: set $J to the raw JSON value of top-level KEY of object
# JSON (strings keep their quotes); returns 1 when KEY is absent.
jget() {
  local m prefix="\"$2\":"
  json_split "$1"
  for m in "${JM[@]}"; do
    if [[ $m == "$prefix"* ]]; then
      J=${m#"$prefix"}
      return 0
    fi
  done
  J=""
  return 1
}

# json_get JSON KEY: print what jget finds; status 1 when KEY is absent.
json_get() { jget "$1" "$2" && printf '%s\n' "$J"; }

# junq RAW: set $U to the text of JSON string RAW (\n \t \r \" \\ \/
# decoded; other escapes kept as written); non-strings are kept as they are.
junq() {
  local s=$1
  if [[ $s != \"*\" ]]; then U=$s; return; fi
  s=${s:1:${#s}-2}
  local LC_ALL=C i c n=${#s}
  U=""
  for ((i = 0; i < n; i++)); do
    c=${s:i:1}
    if [[ $c == '\' ]]; then
      i=$((i + 1)); c=${s:i:1}
      case $c in
        n) U+=$'\n' ;; t) U+=$'\t' ;; r) U+=$'\r' ;;
        '"' | '\' | '/') U+=$c ;;
        *) U+="\\$c" ;;
      esac
    else
      U+=$c
    fi
  done
}

# json_unquote RAW: print what junq decodes (no trailing newline).
json_unquote() { junq "$1"; printf '%s' "$U"; }

# show_json RUN: run `weft show RUN --json` (extra global args in
# $WEFT_ARGS, e.g. --state) and leave the object in $show and its steps in
# $show_steps (an associative array from step id to its object); fails the
# test unless it exits 0 with one JSON object that has "steps". $out, $err
# and $rc keep what the command before it left there.
show_json() {
  local args=(${WEFT_ARGS:-}) steps item id
  local saved_out=${out-} saved_err=${err-} saved_rc=${rc-0}
  run_weft "${args[@]}" show "$1" --json
  [ "$rc" -eq 0 ] || fail "weft show $1 --json exited $rc: $err"
  [[ $out == \{*\} ]] || fail "weft show $1 --json: not one JSON object: $out"
  show=$out
  out=$saved_out err=$saved_err rc=$saved_rc
  unset show_steps
  declare -gA show_steps=()
  jget "$show" steps || fail "show --json has no \"steps\": $show"
  json_split "$J"
  local items=("${JM[@]}")
  for item in "${items[@]}"; do
    jget "$item" id || fail "a step without \"id\" in show --json: $item"
    junq "$J"
    show_steps[$U]=$item
  done
}

# show_step STEP: the object for step STEP (e.g. 't[os=a,cc=x]') in $show;
# fails the test when there is none.
show_step() {
  [ -n "${show_steps[$1]+set}" ] || fail "show --json has no step '$1': $show"
  printf '%s\n' "${show_steps[$1]}"
}

# expect_json JSON KEY RAW [WHAT]: top-level KEY of JSON is exactly RAW
# (raw JSON text: '"success"', 3, null).
expect_json() {
  jget "$1" "$2" || fail "${4:-JSON} has no key \"$2\": $1"
  [ "$J" = "$3" ] || fail "${4:-JSON}: \"$2\" is $J, expected $3; in: $1"
}

# expect_step STEP KEY RAW: in $show, step STEP's KEY is exactly RAW.
expect_step() {
  [ -n "${show_steps[$1]+set}" ] || fail "show --json has no step '$1': $show"
  expect_json "${show_steps[$1]}" "$2" "$3" "step '$1' in show --json"
}

# sget STEP KEY: set $J to the raw value of STEP's KEY in $show (no subshell).
sget() {
  [ -n "${show_steps[$1]+set}" ] || fail "show --json has no step '$1': $show"
  jget "${show_steps[$1]}" "$2" || fail "step '$1' in show --json has no key \"$2\": ${show_steps[$1]}"
}

# expect_run_status STATUS: in $show, the run's status is STATUS.
expect_run_status() { expect_json "$show" status "\"$1\"" "run in show --json"; }

# step_output STEP KEY: print the decoded value of output KEY of STEP in $show.
step_output() {
  [ -n "${show_steps[$1]+set}" ] || fail "show --json has no step '$1': $show"
  jget "${show_steps[$1]}" outputs || fail "step '$1' has no \"outputs\": ${show_steps[$1]}"
  local outs=$J
  jget "$outs" "$2" || fail "step '$1' has no output '$2': $outs"
  json_unquote "$J"
}

# last_run_id: the id in the first "run N (...) started" line of $out.
last_run_id() {
  local id
  id=$(sed -n 's/^run \([0-9][0-9]*\) (.*) started$/\1/p' <<<"$out" | head -n 1)
  [ -n "$id" ] || fail "no 'run N (NAME) started' line in stdout: $out"
  printf '%s\n' "$id"
}

# now_ms: wall-clock milliseconds (for generous elapsed-time bounds only).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_for_file FILE [SECONDS]: wait (default 10 s) until FILE exists.
wait_for_file() {
  local i limit=$(( ${2:-10} * 20 ))
  for ((i = 0; i < limit; i++)); do
    [ -e "$1" ] && return 0
    sleep 0.05
  done
  fail "timed out waiting for $1"
}

# procs_with MARKER: pids of processes whose command line contains MARKER,
# words separated by single spaces (e.g. 'sleep 3101'; letters, digits and
# `_.-` only). Scans /proc with one grep (needs no procps); grep's own
# command line holds the pattern in escaped form, so it never matches itself.
procs_with() {
  local pat=${1//./\\.} f
  printf 'a\0b\0' | grep -qaP 'a\x00b' ||
    fail "procs_with needs GNU grep with -P (PCRE) to match NUL-separated command lines"
  pat=${pat// /\\x00}
  for f in $(grep -laP -- "(^|\\x00)$pat(\\x00|$)" /proc/[0-9]*/cmdline 2>/dev/null); do
    f=${f#/proc/}
    echo "${f%/cmdline}"
  done
  return 0
}

# expect_no_procs MARKER: no process with MARKER in its command line remains
# (allows 2 s for the kernel to finish tearing them down).
expect_no_procs() {
  local i left
  for ((i = 0; i < 40; i++)); do
    left=$(procs_with "$1")
    [ -z "$left" ] && return 0
    sleep 0.05
  done
  local p desc=""
  for p in $left; do desc+=" $p:$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done
  fail "processes with '$1' still alive:$desc"
}

# kill_procs_with MARKER: clean-up only: SIGKILL the processes this test
# started that carry MARKER, by pid.
kill_procs_with() {
  local p
  for p in $(procs_with "$1"); do kill -KILL "$p" 2>/dev/null || true; done
}

# on_exit CMD: run CMD when the script ends, before the temp dir is removed.
on_exit() { trap "$1; rm -rf \"\$T\"" EXIT; }
