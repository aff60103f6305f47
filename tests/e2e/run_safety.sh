# weft run: shell safety (SPEC §2): in a bash or sh `run` script each ${{ }}
# stands for its value exactly, as text, whatever quoting surrounds it; no
# value ever runs as code; where weft cannot guarantee that (a here-document
# whose delimiter occurs in the value) the step fails with a clear error.
source "$(dirname "$0")/../support/e2e.sh"

# One step per quoting context; each prints the value to its own file.
cat > safe.yaml <<'Y'
name: safe
params:
  v: {required: true}
env:
  V: "${{ params.v }}"
steps:
  echo_plain: {run: "echo ${{ params.v }} > echo_plain.txt"}
  echo_double: {run: "echo \"${{ params.v }}\" > echo_double.txt"}
  echo_single: {run: "echo '${{ params.v }}' > echo_single.txt"}
  plain: {run: "printf '%s\\n' ${{ params.v }} > plain.txt"}
  double: {run: "printf '%s\\n' \"${{ params.v }}\" > double.txt"}
  single: {run: "printf '%s\\n' '${{ params.v }}' > single.txt"}
  dollar_single: {run: "printf '%s\\n' $'${{ params.v }}' > dollar_single.txt"}
  mixed: {run: "printf '%s\\n' \"<${{ params.v }}>\"'<${{ params.v }}>'+${{ params.v }}+ > mixed.txt"}
  heredoc:
    run: |
      cat <<EOF > heredoc.txt
      ${{ params.v }}
      EOF
  heredoc_quoted:
    run: |
      cat <<'END' > heredoc_quoted.txt
      ${{ params.v }}
      END
  subst:
    run: |
      x=$(printf '%s' "${{ params.v }}")
      printf '%s\n' "$x" > subst.txt
  backq:
    run: |
      x=`printf '%s' ${{ params.v }}`
      printf '%s\n' "$x" > backq.txt
  via_env: {run: "printf '%s\\n' \"$V\" > via_env.txt"}
  assign:
    run: |
      x=${{ params.v }}
      printf '%s\n' "$x" > assign.txt
  sh_plain: {shell: sh, run: "printf '%s\\n' ${{ params.v }} > sh_plain.txt"}
  sh_double: {shell: sh, run: "printf '%s\\n' \"${{ params.v }}\" > sh_double.txt"}
  sh_single: {shell: sh, run: "printf '%s\\n' '${{ params.v }}' > sh_single.txt"}
  relay:
    run: |
      printf 'out<<XYZZY\n%s\nXYZZY\n' "$V" >> "$WEFT_OUTPUT"
  from_output:
    needs: relay
    run: |
      printf '%s\n' ${{ steps.relay.outputs.out }} > from_output_plain.txt
      printf '%s\n' "${{ steps.relay.outputs.out }}" > from_output_double.txt
      printf '%s\n' '${{ steps.relay.outputs.out }}' > from_output_single.txt
Y
files=(echo_plain echo_double echo_single plain double single dollar_single
  heredoc heredoc_quoted subst backq via_env assign sh_plain sh_double sh_single
  from_output_plain from_output_double from_output_single)

# A few files an unquoted glob or word split would reveal.
touch aaa bbb

# check_value NAME VALUE: run safe.yaml with v=VALUE; every context printed
# VALUE exactly and no injected command ran.
check_value() {
  local name=$1 v=$2 f
  rm -f pwned* ./*.txt
  run_weft run safe.yaml -p "v=$v" -j 4
  ls pwned* >/dev/null 2>&1 && fail "[$name] a param value ran as code: $(ls pwned*) exists; stdout: $out"
  expect_rc 0
  printf '%s\n' "$v" > expected
  for f in "${files[@]}"; do
    [ -e "$f.txt" ] || fail "[$name] step $f wrote nothing; stdout: $out"
    cmp -s "$f.txt" expected || fail "[$name] step $f printed
$(cat "$f.txt")
instead of
$v"
  done
  printf '<%s><%s>+%s+\n' "$v" "$v" "$v" > expected_mixed
  cmp -s mixed.txt expected_mixed || fail "[$name] step mixed printed $(cat mixed.txt)"
}

check_value dollar_paren '$(touch pwned)'
check_value backquote '`touch pwned2`'
check_value single_quote "it's 'quoted'; touch pwned3; echo '"
check_value double_quote 'say "hi"; touch pwned4; echo "'
check_value newlines $'line1\n$(touch pwned5)\n`touch pwned6`\nline4 \'"'
check_value all_together $'$(touch pwned7) `touch pwned8` \'x\' "y" \\ ${HOME} $HOME * ? [a]\n\ttab; touch pwned9 && echo'
check_value glob_and_spaces '  *  two  spaces  aaa* '
check_value backslashes 'a\b\\c\n\$(touch pwned10)\'
check_value dollar_single_breakout "\\' ; touch pwned11 ; echo \$'"
check_value empty ''

# --- here-documents whose delimiter occurs in the value ---------------------
rm -f pwned* ./*.txt
v=$'x\nEND\ntouch pwned12\nEOF\ntouch pwned13'
run_weft run safe.yaml -p "v=$v" -j 4
ls pwned* >/dev/null 2>&1 && fail "a here-document delimiter in a value let code run: $(ls pwned*)"
expect_rc 1
id=$(last_run_id)
show_json "$id"
expect_step heredoc status '"failure"'
expect_step heredoc_quoted status '"failure"'
expect_step double status '"success"'
run_weft logs "$id" heredoc_quoted
expect_out_has "delimiter"

# --- event data (--event) is just as inert ----------------------------------
cat > ev.yaml <<'Y'
steps:
  p:
    run: |
      printf '%s\n' ${{ event.paths[0] }} > ev_plain.txt
      printf '%s\n' "${{ event.paths[1] }}" > ev_double.txt
      printf '%s\n' ${{ join(event.paths, ',') }} > ev_join.txt
Y
cat > event.json <<'J'
{"kind": "file", "paths": ["$(touch pwned14).txt", "b`touch pwned15`'\"c"]}
J
rm -f pwned*
run_weft run ev.yaml --event event.json
ls pwned* >/dev/null 2>&1 && fail "event.paths ran as code: $(ls pwned*)"
expect_rc 0
[ "$(cat ev_plain.txt)" = '$(touch pwned14).txt' ] || fail "event.paths[0] printed: $(cat ev_plain.txt)"
[ "$(cat ev_double.txt)" = "b\`touch pwned15\`'\"c" ] || fail "event.paths[1] printed: $(cat ev_double.txt)"
[ "$(cat ev_join.txt)" = "\$(touch pwned14).txt,b\`touch pwned15\`'\"c" ] || fail "join(event.paths) printed: $(cat ev_join.txt)"

echo "run_safety: ok"
