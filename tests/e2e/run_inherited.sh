# weft run: what weft inherits or leaves behind does not break its steps
# (issue 16's review): an ignored SIGCHLD (the kernel would reap the steps
# before weft could read their ends), a low soft limit on open files (weft
# raises its own to the hard limit and gives its steps the one it was given),
# and orphans a running step leaves behind (reaped while it runs, not piled
# up as zombies against the user's process limit).
source "$(dirname "$0")/../support/e2e.sh"

cat > two.yaml <<'Y'
steps:
  a: {run: 'echo a'}
  b: {needs: [a], run: 'echo b'}
Y
run_weft --state st.db run two.yaml
expect_rc 0
# perl's IGNORE survives exec, as a shell's `trap '' CHLD` cannot pass it on.
set +e
perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV or die' "$WEFT" --state st.db run two.yaml >ign.out 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "with SIGCHLD ignored, weft run exited $rc: $(cat ign.out)"

# --- open files: 24 steps at once under a soft limit of 64 ------------------
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 512 ]; then
  {
    printf 'steps:\n'
    for i in $(seq 1 24); do printf '  s%d: {run: "ulimit -Sn > lim.%d; sleep 0.5"}\n' "$i" "$i"; done
  } > wide.yaml
  set +e
  (ulimit -Sn 64 && exec "$WEFT" --state st.db run wide.yaml -j 24) >wide.out 2>&1
  rc=$?
  set -e
  [ "$rc" = 0 ] || fail "24 steps under a soft limit of 64 open files: exit $rc: $(cat wide.out)"
  for i in $(seq 1 24); do
    [ "$(cat "lim.$i")" = 64 ] || fail "step s$i ran with a soft limit of $(cat "lim.$i"), not 64"
  done
fi

# --- orphans of a running step are reaped while it runs ----------------------
cat > orphans.yaml <<'Y'
steps:
  leave:
    run: |
      for i in $(seq 1 100); do ( true & ); done
      sleep 0.5
      ps -o stat= --ppid "$PPID" | grep -c '^Z' > zombies || true
Y
run_weft --state st.db run orphans.yaml
expect_rc 0
[ "$(cat zombies)" -le 2 ] || fail "$(cat zombies) zombie children of weft while the step ran"
