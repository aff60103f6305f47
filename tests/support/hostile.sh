# Helpers for the hostile-input e2e tests (tests/e2e/hostile_*.sh), on top of
# e2e.sh: every weft call runs under `timeout 20`, and every case checks that
# weft neither crashed (a signal, a sanitizer report) nor hung, then asserts
# the exit code and a precise part of the message.
#
#   begin NAME            start a case
#   hw ARGS...            run weft (timeout 20 s); sets $out $err $rc $ms
#   want_rc N             the exit code is N
#   want_err TEXT         stderr contains TEXT
#   want_err_re RE        stderr matches the extended regex RE
#   want_err_not TEXT     stderr does not contain TEXT
#   want_out TEXT         stdout contains TEXT
#   want_out_not TEXT     stdout does not contain TEXT
#   want_same FILE SUM    FILE's sha256 is still SUM (weft did not touch it)
#   want TEXT CMD...      CMD succeeds, else the problem TEXT
#   ok                    end the case: any problem fails the script
#   known_bug WHY         end the case for a known bug: problems print as
#                         "KNOWN BUG: ..." and the script stays green; when
#                         there are none, it says the bug no longer reproduces
#
# A case asserts the right behaviour (SPEC.md); known_bug marks the ones
# the binary gets wrong today, so that the lead can turn them into `ok`.
source "$(dirname "${BASH_SOURCE[0]}")/e2e.sh"

HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-20}
cases=0
known=0
fixed=0
case_name=""
problems=()

begin() {
  case_name=$1
  problems=()
  cases=$((cases + 1))
}

problem() { problems+=("$*"); }

# clip TEXT: at most 400 characters of TEXT on one line, for messages.
clip() {
  local s=${1//$'\n'/\\n}
  if ((${#s} > 400)); then s="${s:0:400}... (${#1} chars)"; fi
  printf '%s' "$s"
}

hw() {
  local t0
  t0=$(now_ms)
  set +e
  # In a subshell whose stderr is dropped, so that bash's own "Segmentation
  # fault" job report does not clutter the output (the case reports it).
  (timeout -k 5 "$HOSTILE_TIMEOUT" "$WEFT" "$@" >"$T/.out" 2>"$T/.err" </dev/null; exit $?) 2>/dev/null
  rc=$?
  set -e
  ms=$(($(now_ms) - t0))
  out=$(head -c 2000000 "$T/.out" | tr -d '\0')
  err=$(head -c 2000000 "$T/.err" | tr -d '\0')
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    problem "hang: no answer within ${HOSTILE_TIMEOUT} s (timeout exit $rc)"
  elif [ "$rc" -ge 128 ]; then
    problem "crash: exit $rc (signal $((rc - 128)))"
  fi
  if grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:|Segmentation fault|terminate called' <<<"$err"; then
    problem "crash: sanitizer or abort report on stderr: $(clip "$err")"
  fi
  if grep -qF 'internal error' <<<"$err"; then
    problem "internal error reported: $(clip "$err")"
  fi
}

want_rc() { [ "$rc" -eq "$1" ] || problem "expected exit $1, got $rc; stderr: $(clip "$err")"; }
want_err() { grep -qF -- "$1" <<<"$err" || problem "stderr lacks '$1'; stderr: $(clip "$err")"; }
want_err_re() { grep -qE -- "$1" <<<"$err" || problem "stderr does not match /$1/; stderr: $(clip "$err")"; }
want_err_not() { ! grep -qF -- "$1" <<<"$err" || problem "stderr should not contain '$1'; stderr: $(clip "$err")"; }
want_out() { grep -qF -- "$1" <<<"$out" || problem "stdout lacks '$1'; stdout: $(clip "$out")"; }
want_out_not() { ! grep -qF -- "$1" <<<"$out" || problem "stdout should not contain '$1'; stdout: $(clip "$out")"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
want_same() { [ "$(sum "$1")" = "$2" ] || problem "weft changed $1"; }
want() {
  local what=$1
  shift
  "$@" || problem "$what"
}

ok() {
  if ((${#problems[@]})); then
    local p
    for p in "${problems[@]}"; do echo "FAIL [$case_name]: $p" >&2; done
    exit 1
  fi
}

known_bug() {
  if ((${#problems[@]})); then
    known=$((known + 1))
    local p
    echo "KNOWN BUG [$case_name]: $1"
    for p in "${problems[@]}"; do echo "    $p"; done
  else
    fixed=$((fixed + 1))
    echo "NOTE [$case_name]: known bug no longer reproduces ($1); make it a hard assertion (ok)"
  fi
}

# summary SCRIPT: the last line of a script.
summary() { echo "$1: $cases cases, $((cases - known)) pass, $known known bugs"; }
