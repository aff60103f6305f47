# weft run: `retry` (SPEC §4): a failed attempt (non-zero exit, signal,
# timeout) is retried after delay * backoff^(n-1), capped at max-delay;
# every attempt is recorded and `weft show --json` counts them.
source "$(dirname "$0")/../support/e2e.sh"

# gaps_ms FILE: the gaps between the nanosecond stamps in FILE, in ms, one a line.
gaps_ms() {
  local prev="" t
  while read -r t; do
    [ -n "$prev" ] && echo $(( (t - prev) / 1000000 ))
    prev=$t
  done <"$1"
}

cat > retry.yaml <<'Y'
name: retry
steps:
  always_fails:
    retry: {attempts: 3, delay: 300ms, backoff: 2}
    run: |
      echo "attempt $WEFT_ATTEMPT" >> tries
      date +%s%N >> stamps
      echo "log of attempt $WEFT_ATTEMPT"
      exit 3
  second_time_lucky:
    retry: {attempts: 3, delay: 100ms}
    run: |
      n=$(cat count 2>/dev/null || echo 0)
      n=$((n + 1))
      echo "$n" > count
      echo "lucky try $n"
      [ "$n" -ge 2 ]
  after_lucky:
    needs: second_time_lucky
    run: touch after_lucky
  capped:
    retry: {attempts: 3, delay: 400ms, backoff: 10, max-delay: 500ms}
    run: |
      date +%s%N >> capped_stamps
      exit 1
  fine:
    retry: {attempts: 3, delay: 100ms}
    run: echo fine >> fine_runs
Y
run_weft run retry.yaml -j 4
expect_rc 1
id=$(last_run_id)

# Three attempts, each with its own WEFT_ATTEMPT.
[ "$(cat tries)" = "$(printf 'attempt 1\nattempt 2\nattempt 3')" ] || fail "always_fails attempts were: $(cat tries)"
show_json "$id"
expect_run_status failure
expect_step always_fails attempts 3
expect_step always_fails status '"failure"'
expect_step always_fails exit_code 3

# Delay then backoff: ~300 ms, then ~600 ms (lower bounds are exact; upper
# bounds generous).
mapfile -t gaps < <(gaps_ms stamps)
[ "${#gaps[@]}" -eq 2 ] || fail "expected 3 stamps in always_fails, got: $(cat stamps)"
[ "${gaps[0]}" -ge 300 ] && [ "${gaps[0]}" -lt 3000 ] || fail "first retry came after ${gaps[0]} ms, expected 300 ms (delay) + overhead"
[ "${gaps[1]}" -ge 600 ] && [ "${gaps[1]}" -lt 4000 ] || fail "second retry came after ${gaps[1]} ms, expected 600 ms (delay * backoff) + overhead"
[ "${gaps[1]}" -gt "${gaps[0]}" ] || fail "backoff 2: the second gap (${gaps[1]} ms) is not longer than the first (${gaps[0]} ms)"

# max-delay caps delay * backoff^(n-1): 400 ms, then 500 ms (not 4 s).
mapfile -t gaps < <(gaps_ms capped_stamps)
[ "${#gaps[@]}" -eq 2 ] || fail "expected 3 attempts of capped, got: $(cat capped_stamps)"
[ "${gaps[0]}" -ge 400 ] || fail "capped: first retry after ${gaps[0]} ms, expected >= 400 ms"
[ "${gaps[1]}" -ge 500 ] && [ "${gaps[1]}" -lt 3000 ] || fail "capped: second retry after ${gaps[1]} ms, expected 500 ms (max-delay), not 4 s"
expect_step capped attempts 3

# Succeeds on its second attempt: success, attempts 2, its dependent runs.
[ "$(cat count)" = 2 ] || fail "second_time_lucky ran $(cat count) times, expected 2"
expect_step second_time_lucky status '"success"'
expect_step second_time_lucky attempts 2
expect_step second_time_lucky exit_code 0
expect_step after_lucky status '"success"'
[ -e after_lucky ] || fail "after_lucky did not run after its need succeeded on a retry"

# A step that succeeds at once is not retried.
[ "$(cat fine_runs)" = fine ] || fail "fine ran more than once: $(cat fine_runs)"
expect_step fine attempts 1

# The plain output names the failed attempts and the retries.
expect_out_has "always_fails: attempt 1 failed in"
expect_out_has "second_time_lucky: success in"

# Every attempt is recorded: the log keeps the lines of all three.
run_weft logs "$id" always_fails
expect_rc 0
expect_out_has "log of attempt 1"
expect_out_has "log of attempt 2"
expect_out_has "log of attempt 3"
run_weft logs "$id" second_time_lucky
expect_rc 0
expect_out_has "lucky try 1"
expect_out_has "lucky try 2"

# --- signals and timeouts are failed attempts too --------------------------
cat > retry2.yaml <<'Y'
steps:
  killed:
    retry: {attempts: 2, delay: 0s}
    run: |
      echo "killed try $WEFT_ATTEMPT" >> killed_tries
      kill -KILL $$
  slowpoke:
    timeout: 300ms
    retry: {attempts: 2, delay: 0s}
    run: |
      echo "slow try $WEFT_ATTEMPT" >> slow_tries
      sleep 5
Y
t0=$(now_ms)
run_weft run retry2.yaml -j 2
ms=$(( $(now_ms) - t0 ))
expect_rc 1
[ "$ms" -lt 4500 ] || fail "two 300 ms timeouts took ${ms} ms in all (the 5 s sleep was not cut short?)"
[ "$(wc -l <killed_tries)" -eq 2 ] || fail "a step killed by SIGKILL was not retried: $(cat killed_tries)"
[ "$(wc -l <slow_tries)" -eq 2 ] || fail "a step that timed out was not retried: $(cat slow_tries)"
show_json "$(last_run_id)"
expect_step killed attempts 2
expect_step killed status '"failure"'
expect_step killed exit_code null
expect_step killed signal '"SIGKILL"'
expect_step slowpoke attempts 2
expect_step slowpoke status '"failure"'
expect_step slowpoke exit_code null
expect_out_has "timed out"

echo "run_retry: ok"
