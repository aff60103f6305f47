# A hostile state database (issue 7 item 6): truncated, corrupt, from a
# newer schema, not a database, another application's, a directory,
# read-only, on a full disk. weft must exit 3 with a clear message naming
# the database, never crash, and never make things worse (the file is left
# as it was, no step runs). run_state.sh covers a text file, a foreign
# SQLite file and user_version 99 for `runs`/`run`/`show`; these are others.
# Known failures are known_bug. Run: WEFT=build/weft bash tests/e2e/hostile_state.sh
source "$(dirname "$0")/../support/hostile.sh"

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is missing (bootstrap.sh installs it)"

mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
on_exit cleanup

# A real database with three runs and their logs, checkpointed into one file.
printf 'steps:\n  a:\n    run: seq 1 3000\n' > wf.yaml
printf 'steps:\n  t:\n    run: touch ran\n' > touch.yaml
for i in 1 2 3; do "$WEFT" --state real.db run wf.yaml >/dev/null 2>&1 || fail "setup: run $i failed"; done
# Waiting for any lock (the CLI has no busy timeout), and only then dropping
# the WAL: a checkpoint that reported busy has not copied it all.
ck=$(sqlite3 -cmd '.timeout 10000' real.db 'PRAGMA wal_checkpoint(TRUNCATE);')
[[ $ck == "0|"* ]] || fail "setup: the checkpoint did not complete: $ck"
rm -f real.db-wal real.db-shm
size=$(stat -c %s real.db)
page=$(sqlite3 real.db 'PRAGMA page_size')
pages=$((size / page))
((pages > 8)) || fail "setup: the database has only $pages pages"

# no_step_ran: the step of touch.yaml did not run.
no_step_ran() { [ ! -e ran ] || problem "a step ran although the database is unusable"; rm -f ran; }

# --- truncated: half of a real file --------------------------------------------
cp real.db trunc.db
truncate -s $((size / 2)) trunc.db
trunc_sum=$(sum trunc.db)
begin "truncated database: weft runs"
hw --state trunc.db runs
want_rc 3
want_err "state database trunc.db"
want_err "database disk image is malformed"
want_same trunc.db "$trunc_sum"
ok

begin "truncated database: weft run"
hw --state trunc.db run touch.yaml
want_rc 3
want_err "state database trunc.db"
want_same trunc.db "$trunc_sum"
no_step_ran
ok

begin "truncated database: the message is for users, not SQL"
hw --state trunc.db show 1
want_rc 3
want_err "state database trunc.db"
want_err_not "SELECT"
ok

# --- corrupt: the b-tree page headers of every page but the first --------------
# Since schema 6 the schema itself may run past page 1, so SQLite reports
# either a malformed database or a malformed schema: both say "malformed",
# with weft's advice.
cp real.db corrupt.db
printf '\xff%.0s' {1..64} > ff.bin
for ((p = 1; p < pages; p++)); do
  dd if=ff.bin of=corrupt.db bs=1 seek=$((p * page + 8)) conv=notrunc status=none
done
corrupt_sum=$(sum corrupt.db)
begin "corrupt database: weft runs"
hw --state corrupt.db runs
want_rc 3
want_err "state database corrupt.db"
want_err "malformed"
want_err "the file is damaged"
want_same corrupt.db "$corrupt_sum"
ok

begin "corrupt database: weft run"
hw --state corrupt.db run touch.yaml
want_rc 3
want_err "state database corrupt.db"
want_err "malformed"
want_err "the file is damaged"
want_same corrupt.db "$corrupt_sum"
no_step_ran
ok

begin "corrupt database: weft prune"
hw --state corrupt.db prune
want_rc 3
want_err "state database corrupt.db"
want_same corrupt.db "$corrupt_sum"
ok

# Whether weft first tries to recover interrupted runs (and so meets the
# corruption) varies from call to call; ask six times.
begin "corrupt database: weft show 1 (six times)"
for i in 1 2 3 4 5 6; do
  hw --state corrupt.db show 1
  want_rc 3
  want_err "state database corrupt.db"
done
want_same corrupt.db "$corrupt_sum"
ok

begin "corrupt database: weft resume 1 (six times)"
for i in 1 2 3 4 5 6; do
  hw --state corrupt.db resume 1
  want_rc 3
  want_err "state database corrupt.db"
done
want_same corrupt.db "$corrupt_sum"
no_step_ran
ok

# --- a newer schema: user_version 999 -------------------------------------------
cp real.db v999.db
sqlite3 v999.db 'PRAGMA user_version = 999'
v999_sum=$(sum v999.db)
for cmd in "logs 1" "cancel 1" "prune" "resume 1"; do
  begin "schema 999: weft $cmd"
  hw --state v999.db $cmd
  want_rc 3
  want_err "weft: error: cannot use state database v999.db: created by a newer weft (schema 999, this weft knows up to "
  want_same v999.db "$v999_sum"
  ok
done

# --- not a database -------------------------------------------------------------
head -c 8192 /dev/urandom > random.db
random_sum=$(sum random.db)
begin "random bytes as the database"
hw --state random.db runs
want_rc 3
want_err "weft: error: cannot use state database random.db: not a weft database (not an SQLite file)"
want_same random.db "$random_sum"
ok

{ printf 'SQLite format 3\0'; head -c 8192 /dev/urandom; } > header.db
header_sum=$(sum header.db)
begin "an SQLite header followed by garbage"
hw --state header.db run touch.yaml
want_rc 3
want_err "weft: error: cannot use state database header.db: not a weft database"
want_same header.db "$header_sum"
no_step_ran
ok

sqlite3 other.db 'PRAGMA application_id = 1234; CREATE TABLE runs(id INTEGER);'
other_sum=$(sum other.db)
begin "another application's SQLite database"
hw --state other.db run touch.yaml
want_rc 3
want_err "weft: error: cannot use state database other.db: not a weft database (an SQLite database of another application)"
want_same other.db "$other_sum"
no_step_ran
ok

mkdir adir.db
begin "a directory as the database"
hw --state adir.db runs
want_rc 3
want_err "weft: error: cannot use state database adir.db: cannot open"
ok

echo "a file" > afile
begin "the database's directory is a file"
hw --state afile/state.db runs
want_rc 3
want_err "weft: error: cannot use state database afile/state.db: cannot create the file: Not a directory"
[ "$(cat afile)" = "a file" ] || problem "weft changed afile"
ok

cp real.db walgarbage.db
head -c 40000 /dev/urandom > walgarbage.db-wal
begin "a good database beside a garbage WAL file"
hw --state walgarbage.db runs --json
want_rc 0
want "weft runs did not list the 3 runs: $(clip "$out")" [ "$(grep -c '"id"' <<<"$out")" -eq 3 ]
ok

# --- read-only ----------------------------------------------------------------------
# As root, chmod does not stop writes: use a read-only bind mount instead.
mkdir rodir
cp real.db rodir/state.db
ro=""
if [ "$(id -u)" -ne 0 ]; then
  chmod 0400 rodir/state.db && chmod 0500 rodir && ro=chmod
elif mount --bind rodir rodir 2>/dev/null; then
  mounts+=("$T/rodir")
  mount -o remount,bind,ro rodir 2>/dev/null && ro=bind
fi
if [ -n "$ro" ]; then
  ro_sum=$(sum rodir/state.db)
  begin "read-only database ($ro): weft run"
  hw --state rodir/state.db run touch.yaml
  want_rc 3
  want_err "state database rodir/state.db"
  want_same rodir/state.db "$ro_sum"
  no_step_ran
  ok

  begin "read-only database ($ro): the message says read-only"
  hw --state rodir/state.db run touch.yaml
  want_rc 3
  want_err "read-only"
  want_err_not "SELECT"
  ok
else
  echo "SKIP: read-only database: running as root and a read-only bind mount is not available"
fi
[ "$ro" = chmod ] && chmod 0700 rodir

# --- a full disk --------------------------------------------------------------------
# A tmpfs with 1 MB free beside the database; the step prints 3 MB of log.
mkdir full
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=$((size / 1024 + 1024))k tmpfs full 2>/dev/null; then
  mounts+=("$T/full")
  cp real.db full/state.db
  printf 'steps:\n  a:\n    run: head -c 3000000 /dev/zero | tr "\\0" x | fold -w 100\n  b:\n    needs: a\n    run: echo b-ran > b.txt\n' > bigout.yaml
  begin "full disk: weft run"
  hw --state full/state.db run bigout.yaml
  want_rc 3
  want_err "full/state.db"
  want_err "database or disk is full"
  check=$(sqlite3 full/state.db 'PRAGMA integrity_check' 2>&1)
  [ "$check" = ok ] || problem "the database is damaged after the full disk: $check"
  ok

  begin "full disk: no success is claimed for an unrecorded run"
  last=$(tail -n 1 "$T/.out")
  [[ $last != *"): success"* ]] || problem "stdout ends '$last' although weft exited $rc"
  want_err_not "state database: state database"
  want_err "'weft resume 4' continues it"
  [ ! -e b.txt ] || problem "step b ran although a's end was never recorded"
  ok

  # With room again, nothing was lost: the run is interrupted (its owner is
  # gone) and resumes to success.
  begin "full disk: after more room, the run resumes"
  if mount -o remount,size=64m full 2>/dev/null; then
    hw --state full/state.db runs --json
    want_rc 0
    st=$(grep -E '"id": ?4[,}]' <<<"$out" | grep -oE '"status": ?"[a-z]+"' | grep -oE '[a-z]+"$' | tr -d '"')
    [ "$st" = interrupted ] || problem "run 4 is '$st', not interrupted"
    hw --state full/state.db resume 4
    want_rc 0
    hw --state full/state.db show 4
    want_out "run 4  bigout  success  attempt 2"
    [ "$(cat b.txt 2>/dev/null)" = b-ran ] || problem "step b did not run on resume"
    check=$(sqlite3 full/state.db 'PRAGMA integrity_check' 2>&1)
    [ "$check" = ok ] || problem "integrity_check after resume: $check"
  else
    echo "    (cannot remount the tmpfs larger; skipped)"
  fi
  ok

  # weft up on a full disk: it stops (exit 3) rather than run on unrecorded.
  mkdir full2
  if mount -t tmpfs -o size=$((size / 1024 + 1024))k tmpfs full2 2>/dev/null; then
    mounts+=("$T/full2")
    cp real.db full2/state.db
    printf 'name: upfull\non:\n  stdin:\nsteps:\n  a:\n    run: head -c 400000 /dev/zero | tr "\\0" y | fold -w 100\n' > upfull.yaml
    begin "full disk: weft up stops with exit 3"
    set +e
    seq 1 40 | timeout -k 5 60 "$WEFT" --state full2/state.db up upfull.yaml >"$T/.out" 2>"$T/.err"
    rc=$?
    set -e
    err=$(head -c 20000 "$T/.err")
    want_rc 3
    want_err "full2/state.db"
    want_err "database or disk is full"
    check=$(sqlite3 full2/state.db 'PRAGMA integrity_check' 2>&1)
    [ "$check" = ok ] || problem "the database is damaged after weft up met a full disk: $check"
    if mount -o remount,size=64m full2 2>/dev/null; then
      hw --state full2/state.db runs --json
      want_rc 0
      want_out_not '"status":"running"'
    fi
    ok
  fi
else
  echo "SKIP: full disk: cannot mount a small tmpfs (not root, or mount not permitted)"
fi

summary hostile_state
