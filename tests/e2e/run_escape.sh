# weft run: a step's processes die with it however they escape (issue 17
# item 7): a new session with a cleared environment (`setsid -f env -i`),
# `exec -c`, a double fork with an empty environment. Where weft can make a
# cgroup v2 (root here), each attempt runs in its own and cgroup.kill ends
# it; a process killed with its cgroup never carries weft's marker. Checked
# with a `timeout: 1s` and with a step that simply exits, then once more for
# a `kill -9` of weft and the next command's recovery. Unique `sleep 47NN`.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"

markers=("sleep 4701" "sleep 4702" "sleep 4703" "sleep 4711" "sleep 4712" "sleep 4713"
  "sleep 4721" "sleep 4722" "sleep 4731" "sleep 4790")
cleanup() { local m; for m in "${markers[@]}"; do kill_procs_with "$m"; done; }
on_exit cleanup

cg=$(awk '$9 == "cgroup2" && $4 == "/" {print $5; exit}' /proc/self/mountinfo)
have_cgroup=0
if [ -n "$cg" ] && [ "$(id -u)" = 0 ] && [ -w "$cg" ]; then have_cgroup=1; fi
# Without a cgroup (WEFT_TEST_NO_CGROUP, test builds only), the subreaper's
# adopted children die with the steps running when weft first saw them.
modes=()
[ "$have_cgroup" = 1 ] && modes+=(cgroup)
[ "${WEFT_TEST_HOOKS:-0}" = 1 ] && modes+=(fallback)
[ ${#modes[@]} -gt 0 ] || { echo "SKIP: no writable cgroup v2 and no test hooks"; exit 0; }

escapes() {  # escapes N: three escapees marked sleep 47N1..47N3
  cat <<Y
      setsid -f env -i sleep 47${1}1
      setsid -f bash -c 'exec -c sleep 47${1}2'
      env -i /bin/sh -c '( setsid /bin/sh -c "sleep 47${1}3 &" & )'
Y
}
{ printf 'steps:\n  leave:\n    run: |\n'; escapes 0; printf '      sleep 0.3\n'; } > leave.yaml
{ printf 'steps:\n  slow:\n    timeout: 1s\n    run: |\n'; escapes 1; printf '      sleep 4790\n'; } > slow.yaml

for mode in "${modes[@]}"; do
  if [ "$mode" = fallback ]; then export WEFT_TEST_NO_CGROUP=1; fi
  # --- a step that exits at once --------------------------------------------
  run_weft --state st.db run leave.yaml
  expect_rc 0
  for m in "sleep 4701" "sleep 4702" "sleep 4703"; do expect_no_procs "$m"; done
  # --- a 1 s timeout ---------------------------------------------------------
  t0=$(now_ms)
  run_weft --state st.db run slow.yaml
  expect_rc 1
  [ $(( $(now_ms) - t0 )) -lt 8000 ] || fail "$mode: the timeout took too long"
  for m in "sleep 4711" "sleep 4712" "sleep 4713" "sleep 4790"; do expect_no_procs "$m"; done
  unset WEFT_TEST_NO_CGROUP
done
[ "$have_cgroup" = 1 ] || exit 0

# --- an empty cgroup serves the next attempt; one with a leftover never -------
cat > reuse.yaml <<'Y'
steps:
  a: {run: 'sed -n "s/^0:://p" /proc/self/cgroup > cg.a'}
  b: {needs: [a], run: 'sed -n "s/^0:://p" /proc/self/cgroup > cg.b; setsid -f env -i sleep 4731'}
  c: {needs: [b], run: 'sed -n "s/^0:://p" /proc/self/cgroup > cg.c'}
  d: {needs: [c], run: 'sed -n "s/^0:://p" /proc/self/cgroup > cg.d'}
Y
run_weft --state st.db run reuse.yaml
expect_rc 0
grep -q '/weft-[0-9]*-[0-9]*/a-[0-9]*$' cg.a || fail "step a ran outside an attempt cgroup: $(cat cg.a)"
[ "$(cat cg.a)" = "$(cat cg.b)" ] || fail "b did not reuse a's empty cgroup: $(cat cg.a cg.b)"
[ "$(cat cg.c)" != "$(cat cg.b)" ] || fail "c ran in b's cgroup, which held b's leftover"
[ "$(cat cg.d)" = "$(cat cg.c)" ] || fail "d did not reuse c's empty cgroup: $(cat cg.c cg.d)"
expect_no_procs "sleep 4731"

# --- weft killed with -9: the next command's recovery kills them ---------------
cat > dies.yaml <<'Y'
steps:
  stays:
    run: |
      setsid -f env -i sleep 4721
      env -i /bin/sh -c '( setsid /bin/sh -c "sleep 4722 &" & )'
      touch started
      sleep 4790
Y
"$WEFT" --state st.db run dies.yaml >/dev/null 2>&1 &
wpid=$!
wait_for_file started
sleep 0.2
kill -9 "$wpid"
wait "$wpid" 2>/dev/null || true
[ -n "$(procs_with "sleep 4721")" ] || fail "the escapee should outlive a killed weft until recovery"
run_weft --state st.db runs
for m in "sleep 4721" "sleep 4722" "sleep 4790"; do expect_no_procs "$m"; done
# No cgroup of the dead weft is left behind.
left=$(ls -d "$cg"/weft-"$wpid"-* 2>/dev/null || true)
[ -z "$left" ] || fail "the dead weft's cgroup is left: $left"
