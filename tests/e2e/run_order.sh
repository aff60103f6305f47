# weft run: steps start when all they need are done, up to -j /
# max-parallel at once (SPEC §4, §6); the order is the DAG's, every time.
source "$(dirname "$0")/../support/e2e.sh"

# elapsed_ms ARGS...: run weft with ARGS, leave the wall time in $ms.
elapsed_ms() {
  local t0
  t0=$(now_ms)
  run_weft "$@"
  ms=$(( $(now_ms) - t0 ))
}

# overlap RUN A B: whether steps A and B of RUN ran at the same time, from
# their started/ended times in show --json (exact, unlike wall time on a busy
# machine).
overlap() {
  show_json "$1"
  local sa ea sb eb
  sget "$2" started; sa=$J
  sget "$2" ended; ea=$J
  sget "$3" started; sb=$J
  sget "$3" ended; eb=$J
  [[ $sa < $eb && $sb < $ea ]]
}

# --- parallelism: two independent 1 s steps -------------------------------
cat > par.yaml <<'Y'
steps:
  a: {run: sleep 1}
  b: {run: sleep 1}
Y
# Wall time on a busy machine (ctest -j) is noisy: the overlap of the steps'
# recorded times is the exact check, and the wall-time bound takes the best
# of three tries.
best=""
for try in 1 2 3; do
  elapsed_ms run par.yaml -j 2
  expect_rc 0
  overlap "$(last_run_id)" a b || fail "-j 2: independent steps a and b did not overlap: $show"
  [ "$ms" -ge 1000 ] || fail "-j 2: took ${ms} ms, less than one step's 1 s"
  best="$best ${ms}"
  [ "$ms" -lt 1800 ] && break
done
[ "$ms" -lt 1800 ] || fail "-j 2: two independent 1 s steps took${best} ms in three tries, expected < 1800 (not run in parallel?)"

elapsed_ms run par.yaml -j 1
expect_rc 0
! overlap "$(last_run_id)" a b || fail "-j 1: steps a and b overlapped: $show"
[ "$ms" -ge 2000 ] || fail "-j 1: two 1 s steps took ${ms} ms, expected >= 2000 (ran at once despite -j 1)"

# max-parallel in the file bounds it too; -j overrides it.
cat > mp.yaml <<'Y'
max-parallel: 1
steps:
  a: {run: sleep 1}
  b: {run: sleep 1}
Y
elapsed_ms run mp.yaml
expect_rc 0
! overlap "$(last_run_id)" a b || fail "max-parallel: 1: steps a and b overlapped: $show"
[ "$ms" -ge 2000 ] || fail "max-parallel: 1: two 1 s steps took ${ms} ms, expected >= 2000"
run_weft run mp.yaml -j 2
expect_rc 0
overlap "$(last_run_id)" a b || fail "max-parallel: 1 with -j 2: a and b did not overlap (-j should override): $show"

# --- needs: a chain and a diamond, each step checks what it needs wrote -----
# The slow producers make a wrong order visible: a consumer started early
# would find the file incomplete.
cat > order.yaml <<'Y'
name: order
steps:
  d:
    needs: [b, c]
    run: |
      test "$(cat trace)" = "$(printf 'a\nb\nc\n')" || test "$(cat trace)" = "$(printf 'a\nc\nb\n')" || { echo "d saw: $(cat trace)"; exit 1; }
      echo d >> trace
  b:
    needs: a
    run: |
      grep -qx a trace || { echo "b ran before a"; exit 1; }
      sleep 0.3
      echo b >> trace
  c:
    needs: [a]
    run: |
      grep -qx a trace || { echo "c ran before a"; exit 1; }
      echo c >> trace
  a:
    run: |
      sleep 0.3
      echo a >> trace
  e:
    needs: d
    run: |
      test "$(tail -n 1 trace)" = d || { echo "e ran before d"; exit 1; }
      echo e >> trace
Y
for round in 1 2; do
  rm -f trace
  run_weft run order.yaml -j 4
  expect_rc 0
  [ "$(head -n 1 trace)" = a ] || fail "round $round: a did not run first: $(cat trace)"
  [ "$(tail -n 2 trace | tr '\n' ' ')" = "d e " ] || fail "round $round: d, e did not run last: $(cat trace)"
  [ "$(wc -l <trace)" -eq 5 ] || fail "round $round: expected 5 steps in trace: $(cat trace)"
  id=$(last_run_id)
  show_json "$id"
  expect_run_status success
  for s in a b c d e; do
    expect_step "$s" status '"success"'
    expect_step "$s" attempts 1
    expect_step "$s" exit_code 0
  done
  # Every step started no earlier than each step it needs ended (RFC 3339
  # UTC with milliseconds compares as text).
  for pair in a:b a:c b:d c:d d:e; do
    dep=${pair%%:*} st=${pair#*:}
    sget "$dep" ended; ended=$J
    sget "$st" started; started=$J
    [[ ! $started < $ended ]] || fail "round $round: $st started ($started) before $dep ended ($ended)"
  done
done

# b and c were able to overlap: c (no sleep) ends while b (0.3 s) runs, so
# c's line comes before b's under -j 4.
rm -f trace
run_weft run order.yaml -j 4
expect_rc 0
[ "$(cat trace | tr '\n' ' ')" = "a c b d e " ] || fail "-j 4: expected 'a c b d e', got: $(cat trace | tr '\n' ' ')"

# Under -j 1 the order stays valid too.
rm -f trace
run_weft run order.yaml -j 1
expect_rc 0
[ "$(head -n 1 trace)$(tail -n 1 trace)" = ae ] || fail "-j 1: bad order: $(cat trace)"

# A step whose need failed does not run (and so never sees a broken input).
cat > gate.yaml <<'Y'
steps:
  a: {run: exit 1}
  b: {needs: a, run: touch b-ran}
Y
run_weft run gate.yaml
expect_rc 1
[ ! -e b-ran ] || fail "b ran although the step it needs failed"

echo "run_order: ok"
