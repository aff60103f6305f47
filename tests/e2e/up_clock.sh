# weft up across wall-clock jumps, under libfaketime (SPEC §3, DESIGN.md §2):
# a jump forward fires the missed cron times as `catchup` says (latest: once)
# instead of every one of them, then fires on time again; a jump backward
# never fires an instant twice.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'kill -KILL ${UP_PID:-0} 2>/dev/null || true'

lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$lib" ] || fail "libfaketime is missing (Debian package faketime; ./bootstrap.sh installs it)"

cat > c.yaml <<'Y'
name: c
catchup: latest
on:
  schedule:
    - cron: "*/2 * * * * *"
steps:
  s:
    shell: sh
    run: echo "$WEFT_EVENT_TIME" >> times
Y
echo "@2026-03-01 10:00:00" > ft.txt
export FAKETIME_TIMESTAMP_FILE=$PWD/ft.txt FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
LD_PRELOAD=$lib start_up c.yaml
wait_runs c 2 10
grep -q '^2026-03-01T10:00:0[0-9]\.000Z$' times || fail "no fire before the jump: $(cat times)"

echo "@2026-03-01 13:00:00" > ft.txt # forward 3 hours: 5,400 fires missed
for ((i = 0; i < 100; i++)); do grep -q '^2026-03-01T13:00:0[2-9]' times && break; sleep 0.1; done
grep -q '^2026-03-01T13:00:0[2-9]' times || fail "no on-time fire after the jump: $(cat times)"
missed=$(grep -c '^2026-03-01T1[012]:' times | tr -d ' ')
before=$(grep -c '^2026-03-01T10:00:0' times | tr -d ' ')
[ $((missed - before)) -eq 1 ] || fail "catchup latest fired $((missed - before)) missed times: $(cat times)"

echo "@2026-03-01 11:00:00" > ft.txt # backward 2 hours
n=$(wc -l <times)
sleep 3
grep -q '^2026-03-01T11:' times && fail "instants fired again after the clock went back: $(cat times)"
[ "$(wc -l <times)" -eq "$n" ] || fail "fired while the clock replayed past instants: $(cat times)"
stop_up
echo "ok: up_clock"
