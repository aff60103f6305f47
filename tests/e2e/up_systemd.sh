# weft up under systemd (SPEC §9.2): the sd_notify datagrams (READY=1 once
# armed, RELOADING=1 then READY=1 on SIGHUP, STATUS=, WATCHDOG=1 at half of
# WATCHDOG_USEC, STOPPING=1), sent to a socket this test opens, by path and
# in the abstract namespace; steps inherit neither NOTIFY_SOCKET nor
# WATCHDOG_*; and `systemd-analyze verify` accepts dist/systemd/weft-up@.service.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
command -v python3 >/dev/null || fail "python3 is needed to open the notify socket"
UP_PID="" PY_PID=""
# A failed check leaves neither the engine nor the listener behind.
trap 'kill $UP_PID $PY_PID 2>/dev/null || true; rm -rf "$T"' EXIT

mkdir wf
cat > wf/env.yaml <<'Y'
name: env
on:
  stdin:
steps:
  s:
    shell: sh
    run: |
      env | grep -c -e NOTIFY_SOCKET -e WATCHDOG_ > env.tmp || true
      mv env.tmp env.count
Y

# listen ADDR: a datagram socket at ADDR (a path, or @name) that appends each
# message to notify.log, one message a line (its own newlines as '|').
listen() {
  rm -f notify.log ready.flag
  case $1 in /*) rm -f "$1" ;; esac
  python3 - "$1" <<'P' &
import os, socket, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(60)
open("ready.flag", "w").close()
with open("notify.log", "a") as log:
    while True:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        log.write(m.replace("\n", "|") + "\n")
        log.flush()
        if m.startswith("STOPPING=1"):
            break
P
  PY_PID=$!
  wait_for_file ready.flag 10
}

# wait_msg PATTERN [N]: wait until notify.log has N (default 1) lines
# matching PATTERN.
wait_msg() {
  local i n
  for ((i = 0; i < 200; i++)); do
    n=$(grep -c -- "$1" notify.log 2>/dev/null || true)
    [ "${n:-0}" -ge "${2:-1}" ] && return 0
    sleep 0.05
  done
  fail "fewer than ${2:-1} notify messages matching '$1'; got: $(cat notify.log 2>/dev/null)"
}

for addr in "$T/notify.sock" "@weft-test-$$"; do
  listen "$addr"
  rm -f up.out up.err
  NOTIFY_SOCKET=$addr WATCHDOG_USEC=400000 WATCHDOG_PID= start_up wf
  wait_msg '^READY=1|STATUS=1 workflow armed, 0 runs running$'
  wait_msg '^WATCHDOG=1$' 3
  printf 'x\n' | "$WEFT" --state st.db emit || fail "emit failed"
  wait_for_file env.count 20
  [ "$(cat env.count)" = 0 ] || fail "a step inherited systemd's variables ($(cat env.count))"
  kill -HUP "$UP_PID"
  wait_msg '^RELOADING=1|MONOTONIC_USEC=[0-9]*$'
  wait_msg '^READY=1|STATUS=1 workflow armed, 0 runs running$' 2
  stop_up
  wait_msg '^STOPPING=1$'
  wait "$PY_PID" || true
  rm -f env.count
done

# A WATCHDOG_PID that is not weft's: no pings.
listen "$T/notify.sock"
rm -f up.out up.err
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 start_up wf
wait_msg '^READY=1'
sleep 0.6
! grep -q '^WATCHDOG=1$' notify.log || fail "watchdog pings for another pid"
stop_up
wait "$PY_PID" || true

# Nor do the steps of weft run (a `weft run` inside a unit's ExecStartPre).
printf 'steps:\n  s:\n    run: env | grep -c -e NOTIFY_SOCKET -e WATCHDOG_ > run-env.txt || true\n' > run.yaml
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=$$ "$WEFT" --state run.db run run.yaml >/dev/null ||
  fail "weft run failed"
[ "$(cat run-env.txt)" = 0 ] || fail "a step of weft run inherited systemd's variables"

# The unit file. systemd looks for a bare `ExecStart=weft` in /usr/local/bin
# and /usr/bin, where the install puts it; here, the test's binary stands in.
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze is missing: dist/systemd/weft-up@.service not verified" >&2
else
  mkdir -m 700 xdg unit
  sed "s|^ExecStart=weft |ExecStart=$WEFT |" "$WEFT_SRC/dist/systemd/weft-up@.service" \
    > "unit/weft-up@home-u-project.service"
  grep -q "^ExecStart=$WEFT -C %f up$" unit/weft-up@home-u-project.service || fail "ExecStart changed"
  set +e
  XDG_RUNTIME_DIR=$T/xdg systemd-analyze --user --man=no verify "unit/weft-up@home-u-project.service" >verify.out 2>&1
  vrc=$?
  set -e
  [ "$vrc" -eq 0 ] && [ ! -s verify.out ] || fail "systemd-analyze verify ($vrc): $(cat verify.out)"
  for key in 'Type=notify' 'ExecReload=kill -HUP $MAINPID' 'Delegate=yes' 'KillMode=mixed'; do
    grep -qxF "$key" "$WEFT_SRC/dist/systemd/weft-up@.service" || fail "the unit lacks $key"
  done
fi
echo ok
