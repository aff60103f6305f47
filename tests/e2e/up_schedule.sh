# weft up, schedule trigger (SPEC §3 "schedule"): `every:` intervals, a
# seconds-field cron, and `catchup: none | latest | all` after the engine was
# stopped across several fire times; the last fire survives the restart.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'kill -KILL ${UP_PID:-0} 2>/dev/null || true'

mkdir wf
for c in none latest all; do
  cat > "wf/$c.yaml" <<Y
name: $c
catchup: $c
on:
  schedule:
    - cron: "*/2 * * * * *"
steps:
  s:
    shell: sh
    run: echo "\$WEFT_EVENT_TIME" >> $c.times
Y
done
cat > wf/tick.yaml <<'Y'
name: tick
on:
  schedule:
    - every: 700ms
steps:
  s:
    run: echo tick >> tick.out
Y

start_up wf
wait_runs tick 2 10
wait_runs all 1 10
# Fires are on the even second, with the scheduled instant as the event time.
grep -qE 'T[0-9]{2}:[0-9]{2}:[0-9][02468]\.000Z$' all.times || fail "cron event times: $(cat all.times)"
stop_up

# Down for about 7 s: three or four fires of */2 missed.
for c in none latest all; do cp "$c.times" "$c.before"; done
sleep 7
t_restart=$(date -u +%s)
start_up wf
sleep 1.5
stop_up
missed() { # fires recorded for instants before the restart, beyond those seen before the stop
  local n=0 t
  while read -r t; do
    [ "$(date -u -d "$t" +%s)" -lt "$t_restart" ] && n=$((n + 1))
  done <"$1.times"
  echo $((n - $(wc -l <"$1.before")))
}
[ "$(missed none)" -eq 0 ] || fail "catchup none ran $(missed none) missed fires"
[ "$(missed latest)" -eq 1 ] || fail "catchup latest ran $(missed latest) missed fires (want 1)"
m=$(missed all)
[ "$m" -ge 3 ] && [ "$m" -le 4 ] || fail "catchup all ran $m missed fires (want 3 or 4)"
# Each engine start fires on time too.
[ "$(wc -l <none.times)" -gt "$(wc -l <none.before)" ] || fail "catchup none: no on-time fire after the restart"

# A late fire's event says so.
run_weft --state st.db runs all --json --limit 100
expect_rc 0
echo "ok: up_schedule"
