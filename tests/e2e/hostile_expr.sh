# Hostile expressions and expansion (issue 7 item 6): `${{ }}` nested
# 10,000 deep or 1 MB long, in `run:` and in `if:`, at load time and at run
# time; fromJSON of deep JSON; a matrix of 10^10 instances. Each case: exit
# code and message, no crash, no hang (20 s). Known failures are known_bug.
# Run: WEFT=build/weft bash tests/e2e/hostile_expr.sh
source "$(dirname "$0")/../support/hostile.sh"

rep() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

# wf_run FILE EXPR: a workflow whose step runs `echo ${{ EXPR }}` (line 3).
wf_run() { { printf 'steps:\n  a:\n    run: echo ${{ '; printf '%s' "$2"; printf ' }}\n'; } > "$1"; }
# wf_if FILE EXPR: a workflow whose step has `if: ${{ EXPR }}` (line 4).
wf_if() { { printf 'steps:\n  a:\n    run: echo ran\n    if: ${{ '; printf '%s' "$2"; printf ' }}\n'; } > "$1"; }

# load_ok_or_clear FILE LINE: the file validates, or is refused with a
# FILE:LINE: error (never a crash).
load_ok_or_clear() {
  if [ "$rc" -eq 0 ]; then want_out "$1: ok (1 step, 1 to run)"
  else want_rc 2; want_err "$1:$2:"; fi
}

# --- nested 10,000 deep -------------------------------------------------------
wf_run paren_run.yaml "$(rep 10000 '(')1$(rep 10000 ')')"
begin "10,000 nested parentheses in run"
hw validate paren_run.yaml
want_rc 2
want_err_re '^paren_run\.yaml:3:[0-9]+: error: expression is (nested too deeply|too long: more than 2048 tokens)$'
ok

wf_if paren_if.yaml "$(rep 10000 '(')true$(rep 10000 ')')"
begin "10,000 nested parentheses in if"
hw run paren_if.yaml
want_rc 2
want_err_re '^paren_if\.yaml:4:[0-9]+: error: expression is (nested too deeply|too long: more than 2048 tokens)$'
ok

wf_if not_if.yaml "$(rep 10000 '!')true"
begin "10,000 '!' in if"
hw validate not_if.yaml
want_rc 2
want_err_re '^not_if\.yaml:4:[0-9]+: error: expression is (nested too deeply|too long: more than 2048 tokens)$'
ok

wf_run call_run.yaml "$(rep 10000 'format(')'x'$(rep 10000 ')')"
begin "10,000 nested function calls in run"
hw validate call_run.yaml
want_rc 2
want_err_re '^call_run\.yaml:3:[0-9]+: error: expression is (nested too deeply|too long: more than 2048 tokens)$'
ok

# --- 1 MB long --------------------------------------------------------------
wf_run str_run.yaml "'$(rep 1000000 x)'"
begin "a 1 MB string literal in run (weft run)"
hw --state st.db run str_run.yaml
want_rc 0
want_out "run 1 (str_run): success"
line=$(grep '^a | x' <<<"$out" || true)
want "the 1 MB value was not printed whole (a line of ${#line} chars)" [ "${#line}" -eq 1000004 ]
ok

wf_run or_run.yaml "1$(rep 333333 '||1')"
begin "1 MB of '1||1||...' in run"
hw validate or_run.yaml
load_ok_or_clear or_run.yaml 3
ok

wf_if or_if.yaml "1$(rep 333333 '||1')"
begin "1 MB of '1||1||...' in if"
hw validate or_if.yaml
load_ok_or_clear or_if.yaml 4
ok

wf_run dot_run.yaml "env$(rep 500000 '.a')"
begin "1 MB of 'env.a.a.a...' in run"
hw validate dot_run.yaml
load_ok_or_clear dot_run.yaml 3
ok

wf_if dot_if.yaml "env$(rep 500000 '.a')"
begin "1 MB of 'env.a.a.a...' in if"
hw validate dot_if.yaml
load_ok_or_clear dot_if.yaml 4
ok
rm -f or_run.yaml or_if.yaml dot_run.yaml dot_if.yaml str_run.yaml

# --- long but loadable: evaluation at run time --------------------------------
# An expression of more than 2048 tokens is refused when the file loads, so
# weft run never evaluates one (no recursion can run out of stack).
wf_run or_eval.yaml "false$(rep 100000 '||false')"
begin "100,000 '||' in run (weft run)"
hw --state st.db run or_eval.yaml
want_rc 2
want_err "error: expression is too long: more than 2048 tokens"
want_err_not "Segmentation"
ok

wf_if and_eval.yaml "true$(rep 100000 '&&true')"
begin "100,000 '&&' in if (weft run)"
hw --state st.db run and_eval.yaml
want_rc 2
want_err "error: expression is too long: more than 2048 tokens"
ok

wf_if and_ok.yaml "true$(rep 1000 '&&true')"
begin "1,000 '&&' in if (weft run): under the limit, evaluated"
hw --state st.db run and_ok.yaml
want_rc 0
want_out "a | ran"
ok

# fromJSON of JSON nested 100,000 deep: an expression that fails at run
# time fails its step with the message in the log (SPEC §2).
{ printf "steps:\n  a:\n    run: echo \${{ toJSON(fromJSON('"; rep 100000 '['; rep 100000 ']'; printf "')) }}\n"; } > deep_json.yaml
begin "fromJSON of JSON nested 100,000 deep"
hw --state st.db run deep_json.yaml
want_rc 1
want_out "a: failure"
ok

# --- unterminated ---------------------------------------------------------------
printf 'steps:\n  a:\n    run: echo ${{ 1 ==\n' > open_expr.yaml
begin "unterminated \${{"
hw validate open_expr.yaml
want_rc 2
want_err "open_expr.yaml:3:15: error: unterminated '\${{' (missing '}}')"
ok

# --- expansion: a matrix of 10^10 instances -------------------------------------
{ printf 'steps:\n  s:\n    run: echo\n    matrix:\n'; for ((i = 0; i < 10; i++)); do printf '      k%d: [0,1,2,3,4,5,6,7,8,9]\n' "$i"; done; } > matrix_bomb.yaml
begin "matrix of 10^10 instances"
hw validate matrix_bomb.yaml
want_rc 2
want_err "matrix_bomb.yaml:5:7: error: 'matrix' in step 's' expands to more than 4096 instances"
want_err_not "warning"
ok

# --- values bash evaluates as code (issue 17 item 1) ----------------------------
# In arithmetic, array subscripts and variable names bash runs `a[$(cmd)]`
# whatever the quoting (bash 5.2). Every payload, as a param (weft run) and
# as a stdin record (weft up), through every construct, one step each: each
# step is refused with a clear error or runs harmlessly; nothing creates pwned.
constructs=(
  '[[ X -gt 100 ]]' '[[ 1 -eq "X" ]]' '[[ 1 -eq 2 || X -le 3 ]]' '[[ -v X ]]' 'test -v X'
  '[ -v "X" ]' 'let v=X' 'let -- X' 'for ((i=X;;)); do break; done' 'declare -i v; v="X"'
  'v="X"; declare -i v' 'declare -i v=X' 'declare -i v; v+=X' 'declare -ai v; v[0]=X'
  'declare -i v; v=(1 X)' 'f() { local -i v=X; }; f' 'declare X=1' 'f() { local X=1; }; f'
  'typeset X=1' 'declare -g X=1' 'declare -n r=X; echo "$r"' 'declare -n r; r=X; echo "$r"'
  'printf -v X %s 1' 'read X <<< 1' 'read -r -a X <<< 1' 'sleep 0 & wait -p X' 'a[X]=1'
  'a[X]+=1' 'a=([X]=1)' 'declare a[X]=1' 'declare -a b="X"' 'declare -a b="(X)"' 'unset a[X]'
  'unset X' 'test -v "a[X]"' 'printf -v "a[X]" %s 1' 'read "a[X]" <<< 1'
  'declare -A m; printf -v "m[X]" %s 1' 'declare -A m; declare m[X]=1' 'builtin declare X=1'
  'echo "$(declare X=1)"' '(( X ))' 'echo $(( X ))' 'echo $[ X ]'
)
payloads=(
  'x[$(touch pwned)]' 'a[$(touch pwned)]' '$(touch pwned)' '`touch pwned`' '1+x[$(touch pwned)]'
  '([$(touch pwned)]=1)' 'x[`touch pwned`]' '0]+x[$(touch pwned)' 'a[$(touch pwned)]=1'
  'x[$(touch pwned)]2' '-x[$(touch pwned)]' 'm[$(touch pwned)]'
)
# inj_wf FILE EXPR [TRIGGER]: one step per construct, X standing for ${{ EXPR }}.
inj_wf() {
  {
    printf 'name: inj\n%s\nsteps:\n' "$3"
    local i=0 c
    for c in "${constructs[@]}"; do
      i=$((i + 1))
      printf '  s%d:\n    run: |\n      a=(1 2); x=(1 2); declare -A m\n      %s\n' "$i" "${c//X/\$\{\{ $2 \}\}}"
    done
  } > "$1"
}
inj_wf inj_param.yaml params.n $'params:\n  n: {}'
mkdir inj_stdin && inj_wf inj_stdin/inj.yaml event.line $'on:\n  stdin:'
begin "injection payloads as params through ${#constructs[@]} arithmetic, subscript and name constructs"
for p in "${payloads[@]}"; do
  hw --state inj.db run inj_param.yaml -p "n=$p"
  want_rc 1
  [ -e pwned ] && problem "payload '$p' as a param ran: pwned exists" && rm -f pwned
done
# The audit's payload is refused in every construct but `declare -a b="X"` (harmless there).
hw --state inj.db run inj_param.yaml -p 'n=x[$(touch pwned)]'
want_out "s1: failure"
[ "$(grep -c ': failure' <<<"$out")" -ge $((${#constructs[@]} - 1)) ] ||
  problem "the audit's payload was not refused in every construct: $(clip "$out")"
want_out "s1: failure in"
want_out "(run: only an integer can be inserted as an operand of '[[ -gt ]]': bash evaluates it as arithmetic, where text such as 'a[\$(cmd)]' runs cmd)"
want_out "only a variable name (letters, digits and '_') can be inserted as the variable name in 'declare NAME='"
ok
begin "injection payloads as stdin records through the same constructs (weft up)"
# One engine for every record: each run's steps fail before a process starts,
# and the next queued run must still be scheduled (an engine bug, now fixed).
set +e
printf '%s\n' "${payloads[@]}" | timeout -k 5 60 "$WEFT" --state inj_up.db up inj_stdin >inj_up.out 2>inj_up.err
rc=$?
set -e
want_rc 0
[ -e pwned ] && problem "a payload as a stdin record ran: pwned exists" && rm -f pwned
hw --state inj_up.db runs inj --json --limit 100
[ "$(grep -c '"status":"failure"' <<<"$out")" -eq ${#payloads[@]} ] ||
  problem "expected ${#payloads[@]} failed runs of the stdin workflow: $(clip "$out")"
ok
found=$(find . -name pwned)
[ -z "$found" ] || { begin "no payload ran anywhere"; problem "pwned created: $found"; ok; }

summary hostile_expr
