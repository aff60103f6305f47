# weft run and the state database (SPEC §5, §6): .weft/state.db 0600 in a
# 0700 directory, --state and WEFT_STATE, `weft runs --json`, `weft show
# --json`, `weft logs`, refusal of foreign and newer databases (exit 3), and
# the plain output lines of weft run.
source "$(dirname "$0")/../support/e2e.sh"

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is missing (bootstrap.sh installs it)"

rfc3339='^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"$'
# expect_time RAW WHAT: RAW is a JSON string holding an RFC 3339 UTC time with ms.
expect_time() { grep -Eq "$rfc3339" <<<"$1" || fail "$2 is not an RFC 3339 UTC time with milliseconds: $1"; }
# expect_keys JSON WHAT KEY...: JSON has exactly these top-level keys, or more.
expect_keys() {
  local json=$1 what=$2 k
  shift 2
  for k in "$@"; do jget "$json" "$k" || fail "$what lacks \"$k\": $json"; done
}

cat > ok.yaml <<'Y'
name: okwf
steps:
  greet:
    run: |
      echo "hello out"
      echo "hello err" >&2
      printf 'no newline at end'
  second:
    needs: greet
    run: echo "second line"
Y
cat > bad.yaml <<'Y'
name: badwf
steps:
  x: {run: echo failing; exit 1}
Y

# --- the plain output of a run, and the default database --------------------
(
  umask 000
  run_weft run ok.yaml
  printf '%s' "$rc" > rc1
  printf '%s' "$out" > out1
)
rc=$(cat rc1) out=$(cat out1) err=""
expect_rc 0
# Not on a terminal: plain lines; step lines interleave only in ways the
# DAG allows, so check each line and the order of the ones that are ordered.
expected_lines=("run 1 (okwf) started" "greet: started" "greet | hello out" "greet | hello err"
  "greet | no newline at end" "second: started" "second | second line")
for l in "${expected_lines[@]}"; do
  grep -qxF -- "$l" <<<"$out" || fail "plain output lacks the line '$l'; stdout:
$out"
done
grep -Eqx 'greet: success in [0-9.]+m?s' <<<"$out" || fail "no 'greet: success in DURATION' line: $out"
grep -Eqx 'second: success in [0-9.]+m?s' <<<"$out" || fail "no 'second: success in DURATION' line: $out"
[ "$(head -n 1 <<<"$out")" = "run 1 (okwf) started" ] || fail "the first line is not 'run 1 (okwf) started': $out"
grep -Eq '^run 1 \(okwf\): success in [0-9.]+m?s$' <<<"$(tail -n 1 <<<"$out")" || fail "the last line is not 'run 1 (okwf): success in ...': $out"
[ "$(grep -n 'second: started' <<<"$out" | cut -d: -f1)" -gt "$(grep -n 'greet: success' <<<"$out" | cut -d: -f1)" ] ||
  fail "'second: started' printed before 'greet: success': $out"

# The database: .weft/state.db, 0600 in a 0700 directory even under umask 000.
[ -f .weft/state.db ] || fail ".weft/state.db was not created"
[ "$(stat -c %a .weft)" = 700 ] || fail ".weft has mode $(stat -c %a .weft), expected 700"
[ "$(stat -c %a .weft/state.db)" = 600 ] || fail ".weft/state.db has mode $(stat -c %a .weft/state.db), expected 600"
[ "$(sqlite3 .weft/state.db 'PRAGMA journal_mode')" = wal ] || fail "the database is not in WAL mode"
ver=$(sqlite3 .weft/state.db 'PRAGMA user_version')
[ "$ver" -ge 1 ] || fail "the database has no schema version (user_version $ver)"

run_weft run bad.yaml
expect_rc 1
expect_out_has "x: failure in"
expect_out_has "run 2 (badwf): failure in"
run_weft run ok.yaml
expect_rc 0

# --- weft runs --json -------------------------------------------------------
run_weft runs --json
expect_rc 0
mapfile -t lines <<<"$out"
[ "${#lines[@]}" -eq 3 ] || fail "weft runs --json: expected 3 lines, got: $out"
ids=""
for l in "${lines[@]}"; do
  expect_keys "$l" "weft runs --json line" id workflow status trigger started ended
  expect_json "$l" trigger '"manual"' "weft runs --json line"
  jget "$l" started; expect_time "$J" "runs --json started"
  jget "$l" ended; expect_time "$J" "runs --json ended"
  jget "$l" id; ids+="$J "
done
[ "$ids" = "3 2 1 " ] || fail "weft runs --json is not newest first: ids $ids"
expect_json "${lines[0]}" workflow '"okwf"' "the newest run"
expect_json "${lines[0]}" status '"success"' "the newest run"
expect_json "${lines[1]}" workflow '"badwf"' "run 2"
expect_json "${lines[1]}" status '"failure"' "run 2"

run_weft runs --json --status failure
expect_rc 0
[ "$(grep -c . <<<"$out")" -eq 1 ] || fail "runs --status failure: expected one run, got: $out"
expect_json "$out" id 2 "runs --status failure"

run_weft runs --json --limit 2
expect_rc 0
mapfile -t lines <<<"$out"
[ "${#lines[@]}" -eq 2 ] || fail "runs --limit 2 printed ${#lines[@]} lines: $out"
expect_json "${lines[0]}" id 3 "runs --limit 2"
expect_json "${lines[1]}" id 2 "runs --limit 2"

run_weft runs okwf --json
expect_rc 0
[ "$(grep -c . <<<"$out")" -eq 2 ] || fail "weft runs okwf: expected runs 3 and 1, got: $out"
grep -q '"badwf"' <<<"$out" && fail "weft runs okwf listed a badwf run: $out"

run_weft runs
expect_rc 0
expect_out_has "okwf"
expect_out_has "badwf"

# --- weft show RUN --json ---------------------------------------------------
show_json 1
expect_keys "$show" "show --json" id workflow status attempt event steps
expect_json "$show" id 1 "show --json"
expect_json "$show" workflow '"okwf"' "show --json"
expect_json "$show" attempt 1 "show --json"
expect_run_status success
jget "$show" event
expect_json "$J" kind '"manual"' "show --json event"
[ "${#show_steps[@]}" -eq 2 ] || fail "show --json: expected 2 steps, got: ${!show_steps[*]}"
jget "$show" steps
json_split "$J"
[[ ${JM[0]} == *'"id":"greet"'* && ${JM[1]} == *'"id":"second"'* ]] || fail "show --json steps are not in the file's order: $J"
for s in greet second; do
  expect_keys "${show_steps[$s]}" "step $s" id status attempts exit_code signal started ended outputs
  expect_step "$s" status '"success"'
  expect_step "$s" attempts 1
  expect_step "$s" exit_code 0
  expect_step "$s" signal null
  expect_step "$s" outputs '{}'
  sget "$s" started; expect_time "$J" "step $s started"
  sget "$s" ended; expect_time "$J" "step $s ended"
done
show_json 2
expect_run_status failure
expect_step x exit_code 1

run_weft show 1
expect_rc 0
expect_out_has "greet"
expect_out_has "success"

run_weft show 99 --json
expect_rc 2
run_weft show 99
expect_rc 2

# --- weft logs --------------------------------------------------------------
run_weft logs 1
expect_rc 0
for l in "greet | hello out" "greet | hello err" "greet | no newline at end" "second | second line"; do
  grep -qxF -- "$l" <<<"$out" || fail "weft logs 1 lacks '$l'; stdout:
$out"
done
[ "$(grep -c . <<<"$out")" -eq 4 ] || fail "weft logs 1: expected 4 lines, got: $out"

run_weft logs 1 greet
expect_rc 0
[ "$(sort <<<"$out")" = "$(printf 'hello err\nhello out\nno newline at end')" ] || fail "weft logs 1 greet printed:
$out"
grep -q second <<<"$out" && fail "weft logs 1 greet printed another step's lines: $out"
[ "$(grep -n 'hello out' <<<"$out" | cut -d: -f1)" -lt "$(grep -n 'no newline' <<<"$out" | cut -d: -f1)" ] ||
  fail "weft logs 1 greet: stdout lines out of order: $out"

run_weft logs 1 --timestamps
expect_rc 0
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z .*hello out' <<<"$out" || fail "weft logs --timestamps: no RFC 3339 time before the line: $out"

run_weft logs 2 x
expect_rc 0
expect_out "failing"

run_weft logs 99
expect_rc 2

# --- output that is not UTF-8 is replaced, never a crash -------------------
cat > binary.yaml <<'Y'
steps:
  bin:
    run: |
      printf 'caf\xe9 \xff\xfe end\n'
      printf 'k=v\xff\n' >> "$WEFT_OUTPUT"
Y
run_weft run binary.yaml
expect_rc 0
bin_id=$(last_run_id)
show_json "$bin_id"
expect_step bin status '"success"'
run_weft logs "$bin_id" bin
expect_rc 0
expect_out_has "end"
run_weft runs --json --limit 1
expect_rc 0
expect_json "$out" id "$bin_id" "runs --json after binary output"

# --- --state PATH and WEFT_STATE --------------------------------------------
run_weft --state other/s.db run ok.yaml
expect_rc 0
[ -f other/s.db ] || fail "--state other/s.db: the database was not created there"
[ "$(stat -c %a other/s.db)" = 600 ] || fail "--state database has mode $(stat -c %a other/s.db)"
[ "$(stat -c %a other)" = 700 ] || fail "--state: the directory weft created has mode $(stat -c %a other), expected 700"
expect_out_has "run 1 (okwf) started"
run_weft --state other/s.db runs --json
expect_rc 0
[ "$(grep -c . <<<"$out")" -eq 1 ] || fail "--state other/s.db: expected its one run, got: $out"
WEFT_STATE="$T/env.db" run_weft run bad.yaml
expect_rc 1
expect_out_has "run 1 (badwf) started"
[ -f env.db ] || fail "WEFT_STATE=$T/env.db: the database was not created"
WEFT_STATE="$T/env.db" run_weft runs --json
expect_json "$out" workflow '"badwf"' "WEFT_STATE runs"
# --state wins over WEFT_STATE.
WEFT_STATE="$T/env.db" run_weft --state other/s.db runs --json
expect_json "$out" workflow '"okwf"' "--state over WEFT_STATE"
# The default database did not see any of these.
run_weft runs --json
[ "$(grep -c . <<<"$out")" -eq 4 ] || fail "runs with --state/WEFT_STATE leaked into .weft/state.db: $out"
WEFT_ARGS="--state other/s.db" show_json 1
expect_run_status success

# --- foreign and newer databases are refused: exit 3 ------------------------
echo "not a database" > notdb
run_weft --state notdb run ok.yaml
expect_rc 3
expect_err_has "notdb"
[ "$(cat notdb)" = "not a database" ] || fail "weft changed a file that is not its database"
sqlite3 foreign.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1);'
run_weft --state foreign.db runs
expect_rc 3
expect_err_has "foreign.db"
sqlite3 .weft/state.db ".backup newer.db"   # a consistent copy, WAL included
sqlite3 newer.db 'PRAGMA user_version = 99'
run_weft --state newer.db runs --json
expect_rc 3
expect_err_has "newer"
rm -f ran
cat > touch.yaml <<'Y'
steps:
  t: {run: touch ran}
Y
run_weft --state newer.db run touch.yaml
expect_rc 3
[ ! -e ran ] || fail "a step ran although the database was refused"
[ "$(sqlite3 newer.db 'PRAGMA user_version')" = 99 ] || fail "weft changed the version of a newer database"
run_weft --state notdb show 1
expect_rc 3

# --- two databases in one directory do not share run files ------------------
# Each run's scripts and WEFT_OUTPUT files must be its own: run 1 of a.db
# and run 1 of b.db, at the same time, in the same directory.
mkdir shared
cat > slow_out.yaml <<'Y'
steps:
  s:
    run: |
      sleep 1
      echo "who=slow" >> "$WEFT_OUTPUT"
Y
cat > fast_out.yaml <<'Y'
steps:
  s:
    run: echo "who=fast" >> "$WEFT_OUTPUT"
Y
"$WEFT" --state shared/a.db run slow_out.yaml >slow.out 2>&1 &
slow_pid=$!
sleep 0.3
run_weft --state shared/b.db run fast_out.yaml
expect_rc 0
set +e
wait "$slow_pid"
slow_rc=$?
set -e
[ "$slow_rc" -eq 0 ] || fail "a run with --state shared/a.db failed when a run with --state shared/b.db ran beside it (shared run files?); its output:
$(cat slow.out)"
WEFT_ARGS="--state shared/a.db" show_json 1
expect_step s outputs '{"who":"slow"}'

# --- a state directory another user can reach (SPEC §9.4) -------------------
# The audit's attack: DB.d pre-created writable by all, with a link planted
# where run 1's script goes; weft used to write the script through it,
# truncating the link's target. Now weft refuses the directory (exit 3),
# runs nothing and leaves the target alone.
cat > victim.yaml <<'Y'
steps:
  s: {run: echo ran > ran.txt}
Y
echo precious > target.txt
mkdir -p evil.db.d/tmp/run-1
chmod -R 0777 evil.db.d
ln -s "$T/target.txt" evil.db.d/tmp/run-1/s.1.sh
run_weft --state evil.db run victim.yaml
expect_rc 3
expect_err_has "weft: error: $T/evil.db.d is writable by others (mode 0777); another user could plant files in it: run chmod go-w $T/evil.db.d"
[ "$(cat target.txt)" = precious ] || fail "weft wrote through a link planted in a world-writable DB.d"
[ ! -e ran.txt ] || fail "weft ran a step with a world-writable DB.d"
# Every subdirectory too, and links in place of one.
for sub in locks tmp slurm; do
  mkdir -p "sub-$sub.db.d/$sub"
  chmod 0700 "sub-$sub.db.d"
  chmod 0777 "sub-$sub.db.d/$sub"
  run_weft --state "sub-$sub.db" run victim.yaml
  expect_rc 3
  expect_err_has "$T/sub-$sub.db.d/$sub is writable by others (mode 0777)"
done
mkdir -m 0700 link.db.d elsewhere
ln -s "$T/elsewhere" link.db.d/tmp
run_weft --state link.db run victim.yaml
expect_rc 3
expect_err_has "$T/link.db.d/tmp is a symbolic link; weft follows none in its state directory"
ln -s "$T/elsewhere" whole.db.d
run_weft --state whole.db runs
expect_rc 3
expect_err_has "$T/whole.db.d is a symbolic link"
if [ "$(id -u)" = 0 ]; then
  mkdir -m 0700 theirs.db.d
  chown 65534:65534 theirs.db.d
  run_weft --state theirs.db run victim.yaml
  expect_rc 3
  expect_err_has "$T/theirs.db.d is owned by uid 65534, not by this user (uid 0)"
fi
[ ! -e ran.txt ] || fail "weft ran a step in a state directory it should refuse"
# weft's own: DB.d, locks/, tmp/ and slurm/ are 0700 whatever the umask,
# so the next command accepts them.
(
  umask 000
  run_weft --state mine.db run victim.yaml
  expect_rc 0
  run_weft --state mine.db run victim.yaml
  expect_rc 0
)
for d in mine.db.d mine.db.d/locks mine.db.d/tmp mine.db.d/slurm; do
  [ "$(stat -c %a "$d")" = 700 ] || fail "$d is $(stat -c %a "$d"), not 700"
done

echo "run_state: ok"
