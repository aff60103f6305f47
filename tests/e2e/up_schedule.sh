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
    run: echo "\$WEFT_EVENT_TIME \${{ event.late && 'late' || 'on-time' }}" >> $c.times
Y
done
cat > wf/tick.yaml <<'Y'
name: tick
on:
  schedule:
    - every: 1s
steps:
  s:
    run: echo tick >> tick.out
Y

start_up wf
wait_runs tick 2 10
wait_runs all 1 10
# Fires are on the even second, with the scheduled instant as the event time.
grep -qE 'T[0-9]{2}:[0-9]{2}:[0-9][02468]\.000Z on-time$' all.times || fail "cron event times: $(cat all.times)"
stop_up

# Down for about 7 s: three or four fires of */2 missed (five on a slow start).
for c in none latest all; do cp "$c.times" "$c.before"; done
grep -q late all.before && fail "late fires before any downtime: $(cat all.before)"
sleep 7
start_up wf
sleep 2.6 # an even second (a */2 fire) passes, whenever the start was
stop_up
late() { grep -c ' late$' "$1.times" || true; }
[ "$(late none)" -eq 0 ] || fail "catchup none ran $(late none) missed fires: $(cat none.times)"
[ "$(late latest)" -eq 1 ] || fail "catchup latest ran $(late latest) missed fires (want 1): $(cat latest.times)"
m=$(late all)
[ "$m" -ge 3 ] && [ "$m" -le 5 ] || fail "catchup all ran $m missed fires (want 3 to 5): $(cat all.times)"
# Each engine start fires on time too.
[ "$(grep -c ' on-time$' none.times)" -gt "$(wc -l <none.before)" ] || fail "catchup none: no on-time fire after the restart"
# The missed fires run oldest first, before the on-time ones.
grep -A100 -m1 ' late$' all.times | grep -q ' on-time$' || fail "no on-time fire after the late ones: $(cat all.times)"

# A late fire's event says so.
run_weft --state st.db runs all --json --limit 100
expect_rc 0
echo "ok: up_schedule"
