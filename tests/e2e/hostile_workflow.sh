# Hostile workflow files (issue 7 item 6): empty, binary, not UTF-8, 50 MB,
# nested 10,000 deep, an alias bomb, merge keys, unterminated
# quotes, tabs, scalars where maps belong; YAML tags outside the core
# schema and `every:` under 1s (issue 17 item 11). Each case: exit code and
# message, no crash, no hang (20 s).
# Run: WEFT=build/weft bash tests/e2e/hostile_workflow.sh
source "$(dirname "$0")/../support/hostile.sh"

# rep N TEXT: TEXT N times (no subshell per repetition).
rep() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

# --- empty and comment-only files ------------------------------------------
: > empty.yaml
begin "empty file"
hw validate empty.yaml
want_rc 2
want_err "empty.yaml:1:1: error: the workflow file is empty"
ok

printf '# nothing but a comment\n\n   \n' > comment.yaml
begin "comment-only file"
hw run comment.yaml
want_rc 2
want_err "comment.yaml:1:1: error: the workflow file is empty"
ok

# --- binary ---------------------------------------------------------------
head -c 65536 /dev/urandom > random.yaml
begin "random bytes (64 KiB of /dev/urandom)"
hw validate random.yaml
want_rc 2
want_err_re '^random\.yaml:[0-9]+:[0-9]+: error: '
ok

# A valid workflow followed by a NUL and a PNG signature: the error should
# point at the NUL (3:1) and say what is wrong with it.
printf 'steps:\n  a: {run: echo}\n\0\x01\xff\xfe\x89PNG\r\n\x1a\n' > nul.yaml
begin "NUL byte and binary junk after a valid workflow"
hw validate nul.yaml
want_rc 2
want_err "nul.yaml:3:1: error:"
want_err "NUL"
ok

# --- not UTF-8 --------------------------------------------------------------
# YAML streams are Unicode; a Latin-1 byte is not a character. Expected: a
# clear error at its position rather than silently passing raw bytes on.
printf 'name: caf\xe9\nsteps:\n  a: {run: echo caf\xe9}\n' > latin1.yaml
begin "Latin-1 (not UTF-8) bytes"
hw validate latin1.yaml
want_rc 2
want_err "latin1.yaml:1:10: error:"
want_err "UTF-8"
ok

# A UTF-8 byte order mark is fine.
printf '\xef\xbb\xbfsteps:\n  a: {run: echo}\n' > bom.yaml
begin "UTF-8 byte order mark"
hw validate bom.yaml
want_rc 0
want_out "bom.yaml: ok (1 step, 1 to run)"
ok

# --- 50 MB ------------------------------------------------------------------
# 50 MB: one step whose `run` is 650 copies of 1,000 lines of 78 bytes.
line=$(rep 7 '0123456789')
for ((i = 0; i < 1000; i++)); do printf '      echo %s\n' "$line"; done > chunk.txt
{ printf 'steps:\n  a:\n    run: |\n'; for ((i = 0; i < 650; i++)); do cat chunk.txt; done; } > big_script.yaml
rm -f chunk.txt
size=$(stat -c %s big_script.yaml)
begin "50 MB file, one huge script"
want "big_script.yaml is only $size bytes" [ "$size" -ge 50000000 ]
hw validate big_script.yaml
want_rc 0
want_out "big_script.yaml: ok (1 step, 1 to run)"
echo "    (50 MB, one script: validate took $ms ms)"
ok

# 50 MB of small steps (about 770,000): must load or be refused clearly
# within the timeout. Today it loads in ~30 s with ~2.9 GB of memory.
awk 'BEGIN { print "steps:"; for (i = 0; i < 770000; i++) printf "  s%07d: {run: echo %040d}\n", i, i }' > big_steps.yaml
size=$(stat -c %s big_steps.yaml)
begin "50 MB file, 770,000 steps"
want "big_steps.yaml is only $size bytes" [ "$size" -ge 50000000 ]
hw validate big_steps.yaml
if [ "$rc" -eq 0 ]; then want_out "big_steps.yaml: ok (770000 steps"; else want_rc 2; want_err "big_steps.yaml:"; fi
echo "    (50 MB, 770,000 steps: validate took $ms ms, exit $rc)"
ok
rm -f big_script.yaml big_steps.yaml

# --- nesting 10,000 deep ------------------------------------------------------
{ printf 'steps:\n  a:\n    run: echo\n    with: '; rep 10000 '['; rep 10000 ']'; echo; } > flow_seq.yaml
begin "flow sequences nested 10,000 deep"
hw validate flow_seq.yaml
want_rc 2
want_err "flow_seq.yaml:4:"
want_err "nest"
want "stderr is ${#err} bytes: the 20,000-column source line is echoed in full" [ "${#err}" -lt 4096 ]
ok

{ printf 'steps:\n  a:\n    run: echo\n    env: '; rep 10000 '{a: '; printf x; rep 10000 '}'; echo; } > flow_map.yaml
begin "flow maps nested 10,000 deep"
hw validate flow_map.yaml
want_rc 2
want_err "flow_map.yaml:4:"
want_err "nest"
ok

# One space per level: at two the file is 100 MB, past the 64 MiB limit, and
# refused before any YAML is read.
awk 'BEGIN { print "steps:\n  a:\n    run: echo\n    env:"; ind = "      ";
  for (i = 0; i < 10000; i++) { printf "%sk%d:\n", ind, i; ind = ind " " } printf "%sleaf\n", ind }' > block.yaml
begin "block maps nested 10,000 deep"
hw validate block.yaml
want_rc 2
want_err "block.yaml:"
want_err "nest"
ok
rm -f flow_seq.yaml flow_map.yaml block.yaml

# --- alias bomb, matrix bomb, merge keys -----------------------------------
{
  printf 'steps:\n  s:\n    run: echo\n    with:\n      a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n'
  for ((i = 1; i < 10; i++)); do
    printf '      a%d: &a%d [' "$i" "$i"
    for ((j = 0; j < 10; j++)); do printf '*a%d,' $((i - 1)); done
    printf '*a%d]\n' $((i - 1))
  done
} > bomb.yaml
begin "billion laughs (aliases nested 10 x 10 deep)"
hw validate bomb.yaml
want_rc 2
want_err "bomb.yaml:5:"
want_err "aliases expand to more than"
want_err "(an alias bomb?)"
ok

printf 'x-base: &base {run: echo}\nsteps:\n  a:\n    <<: *base\n' > merge.yaml
begin "merge key <<"
hw validate merge.yaml
want_rc 2
want_err "merge.yaml:4:5: error: merge keys ('<<') are not supported; write the keys out, or alias the whole map"
ok

# --- unterminated double quotes ---------------------------------------------
printf 'steps:\n  a:\n    run: "echo hi' > unterm_eof.yaml
begin "unterminated double quote at end of file (no newline)"
hw validate unterm_eof.yaml
want_rc 2
want_err "unterm_eof.yaml:3:10: error: unterminated double-quoted string"
ok

printf 'steps:\n  a: {run: "echo hi}\n' > unterm_flow.yaml
begin "unterminated double quote inside a flow map"
hw validate unterm_flow.yaml
want_rc 2
want_err "unterm_flow.yaml:2:12: error: unterminated double-quoted string"
ok

printf '"steps: 1\nsteps:\n  a: {run: echo}\n' > unterm_key.yaml
begin "unterminated double quote on the first line"
hw validate unterm_key.yaml
want_rc 2
want_err "unterm_key.yaml:1:1: error: unterminated double-quoted string"
ok

# --- tabs -------------------------------------------------------------------
printf 'steps:\n\ta:\n\t\trun: echo\n' > tabs.yaml
begin "tab-indented file"
hw validate tabs.yaml
want_rc 2
want_err "tabs.yaml:2:1: error:"
want_err "tab"
ok

# Tabs anywhere but an indentation are fine: in scalars, in a block literal
# after its indentation, in and before comments.
printf 'steps:\n  a:\n    run: |\n      printf "a\\tb"\n      \tmore\n    env: {A: "x\ty"}  # a\tcomment\n\t# an indented comment\n' > tabs_ok.yaml
begin "tabs in scalars, block literals and comments"
hw validate tabs_ok.yaml
want_rc 0
want_out "tabs_ok.yaml: ok (1 step, 1 to run)"
ok

# --- scalars and lists where maps belong --------------------------------------
printf 'steps: 5\n' > steps_num.yaml
begin "steps: 5"
hw validate steps_num.yaml
want_rc 2
want_err "steps_num.yaml:1:8: error: expected a map for 'steps', got a scalar"
ok

printf 'steps: {a: 5}\n' > step_num.yaml
begin "steps: {a: 5}"
hw validate step_num.yaml
want_rc 2
want_err "step_num.yaml:1:12: error: expected a map for step 'a', got a scalar"
ok

printf 'steps: [a, b]\n' > steps_list.yaml
begin "steps: [a, b]"
hw run steps_list.yaml
want_rc 2
want_err "steps_list.yaml:1:8: error: expected a map for 'steps', got a list"
ok

printf -- '- a\n- b\n' > top_list.yaml
begin "a list at the top level"
hw validate top_list.yaml
want_rc 2
want_err "top_list.yaml:1:1: error: expected a map of workflow keys at the top level, got a list"
ok

printf 'name: {a: 1}\nsteps:\n  a:\n    run: echo\n    timeout: [1]\n' > wrong_types.yaml
begin "a map for name, a list for timeout"
hw validate wrong_types.yaml
want_rc 2
want_err "wrong_types.yaml:1:7: error: expected a string for 'name', got a map"
want_err "wrong_types.yaml:5:14: error: expected a string for 'timeout', got a list"
ok

# --- YAML tags (issue 17 item 11, SPEC §9.4) -----------------------------------
# A tag outside YAML's core schema was read as if it were not there: the
# file meant one thing to the tool that wrote it and another to weft.
core="weft reads only the core schema's tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq)"
printf 'steps:\n  a:\n    run: !!binary ZWNobyBoaQ==\n  b:\n    run: echo\n    env: !!python/object:os.system {A: b}\n' > tags.yaml
begin "!!binary and !!python/object tags"
hw validate tags.yaml
want_rc 2
want_err "tags.yaml:3:10: error: unsupported YAML tag '!!binary': $core"
want_err "tags.yaml:6:10: error: unsupported YAML tag '!!python/object:os.system': $core"
ok

printf 'steps:\n  a: {run: !shell echo hi}\n' > local_tag.yaml
begin "a local tag, through weft run"
hw run local_tag.yaml
want_rc 2
want_err "local_tag.yaml:2:12: error: unsupported YAML tag '!shell': $core"
want_out_not "hi"
ok

printf 'steps: !!map\n  a: {run: !!int echo}\n' > misfit_tag.yaml
begin "a core tag that does not fit its value"
hw validate misfit_tag.yaml
want_rc 2
want_err "misfit_tag.yaml:2:12: error: YAML tag '!!int' on 'echo', which is not an integer"
ok

printf 'steps: !!map\n  a: {run: !!str echo hi, continue-on-error: !!bool true, timeout: !!str 5s}\n' > core_tags.yaml
begin "core tags that fit are fine"
hw validate core_tags.yaml
want_rc 0
want_out "core_tags.yaml: ok (1 step, 1 to run)"
ok

# --- schedule intervals (issue 17 item 11, SPEC §9.4) ---------------------------
# `every: 1ms` made weft up record an event and start a run 400 times a second.
printf 'on:\n  schedule:\n    - every: 1ms\n    - every: 999ms\n    - every: 1s\nsteps:\n  a: {run: echo}\n' > every_fast.yaml
begin "every: 1ms and every: 999ms"
hw validate every_fast.yaml
want_rc 2
want_err "every_fast.yaml:3:14: error: 'every' must be at least 1s, got 1ms"
want_err "every_fast.yaml:4:14: error: 'every' must be at least 1s, got 999ms"
want_err_not "every_fast.yaml:5:"
ok

# --- not a file -------------------------------------------------------------
mkdir adir.yaml
begin "a directory as the workflow file"
hw validate adir.yaml
want_rc 2
want_err "adir.yaml: error: a directory with no workflow file (*.yaml, *.yml)"
ok

summary hostile_workflow
