# weft up at the kernel's inotify limits (issue 5): the watch limit reached
# at start (exit with a message naming the limit) and while running (one
# error, the engine goes on), and a queue overflow (one event marked rescan,
# nothing silently lost). The watch limit is set in a user namespace of the
# test's own (/proc/sys/user/max_inotify_watches, Linux 5.11+), so the rest of
# the machine and the parallel suite keep theirs; the overflow comes from
# 20,000 files made while the engine is stopped (SIGSTOP), past the default
# queue of 16,384 events.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"

mkdir -p src
for i in $(seq 1 20); do mkdir -p "src/d$i"; done
cat > w.yaml <<'Y'
name: w
on:
  file:
    paths: ["src/**"]
    debounce: 200ms
steps:
  a:
    run: |
      printf '%s\n' "$WEFT_EVENT_PATHS" | wc -l > "n.$WEFT_RUN_ID"
      echo "${WEFT_EVENT_TRUNCATED:-none}" > "t.$WEFT_RUN_ID"
      cp "$WEFT_EVENT_JSON" "event.$WEFT_RUN_ID"
Y

# --- the watch limit, at start and while running -----------------------------
if unshare -U -r sh -c 'echo 5 > /proc/sys/user/max_inotify_watches' 2>/dev/null; then
  # 21 directories to watch, 5 allowed: refused at start, naming the limit.
  set +e
  unshare -U -r sh -c 'echo 5 > /proc/sys/user/max_inotify_watches && exec timeout 20 "$0" --state st.db up w.yaml' \
    "$WEFT" </dev/null >start.out 2>start.err
  rc=$?
  set -e
  [ "$rc" -eq 3 ] || fail "weft up past the watch limit exited $rc: $(cat start.err)"
  grep -qF "the inotify watch limit is reached (5 directories watched; raise user.max_inotify_watches (this user namespace's), now 5," start.err ||
    fail "the watch-limit message: $(cat start.err)"

  # 21 watched, 24 allowed: ten new directories while running go past it. One
  # error, and the engine still runs the workflow for changes it can see.
  unshare -U -r sh -c 'echo 24 > /proc/sys/user/max_inotify_watches && exec "$0" --state st.db up w.yaml' \
    "$WEFT" </dev/null >>up.out 2>>up.err &
  UP_PID=$!
  for ((i = 0; i < 200; i++)); do
    grep -q "armed" up.out 2>/dev/null && break
    kill -0 "$UP_PID" 2>/dev/null || fail "weft up exited early: $(cat up.err)"
    sleep 0.05
  done
  for i in $(seq 1 10); do mkdir "src/new$i"; done
  for ((i = 0; i < 100; i++)); do grep -q "watch limit" up.out up.err && break; sleep 0.1; done
  [ "$(cat up.out up.err | grep -c 'the inotify watch limit is reached')" -eq 1 ] ||
    fail "expected the watch-limit error once: $(cat up.out up.err)"
  echo change > src/d3/file.txt
  wait_runs w 1
  grep -qF 'src/d3/file.txt' event.* || fail "the change after the limit: $(cat event.*)"
  kill -0 "$UP_PID" 2>/dev/null || fail "weft up stopped at the watch limit: $(cat up.err)"
  stop_up
  rm -rf src/new* event.* st.db*
  mv up.out limit.out
  mv up.err limit.err
else
  echo "SKIP: watch limit: no user namespace with its own max_inotify_watches here"
fi

# --- a file event too big for the environment ----------------------------------
# 20,000 new files in a new directory while the engine is stopped: one event
# of 20,000 paths (340 KB). The step still starts: WEFT_EVENT_PATHS is cut at a
# line (one environment string holds at most 128 KiB) and named in
# WEFT_EVENT_TRUNCATED; WEFT_EVENT_JSON has every path.
start_up w.yaml
kill -STOP "$UP_PID"
on_exit "kill -CONT $UP_PID 2>/dev/null || true"
mkdir src/flood
(cd src/flood && seq -f 'f%05.0f' 1 20000 | xargs touch)
kill -CONT "$UP_PID"
wait_runs w 1 60
grep -q '"status":"success"' <<<"$("$WEFT" --state st.db runs w --json)" || fail "the run of the big event: $(cat up.out | grep -v '^a |' | tail -5)"
id=$("$WEFT" --state st.db runs w --json | head -1 | grep -oE '"id":[0-9]+' | grep -oE '[0-9]+')
[ "$(cat "t.$id")" = WEFT_EVENT_PATHS ] || fail "WEFT_EVENT_TRUNCATED is '$(cat "t.$id")'"
n=$(cat "n.$id")
((n > 1000 && n < 20000)) || fail "WEFT_EVENT_PATHS held $n paths"
[ "$(grep -o 'src/flood/f' "event.$id" | wc -l)" -eq 20000 ] || fail "WEFT_EVENT_JSON lacks paths"
stop_up
rm -rf src/flood event.* n.* t.*

# --- queue overflow ------------------------------------------------------------
# 20,000 files made in a watched directory while the engine is stopped: more
# events than the kernel's queue (16,384) holds.
start_up w.yaml
kill -STOP "$UP_PID"
(cd src/d1 && seq -f 'g%05.0f' 1 20000 | xargs touch)
kill -CONT "$UP_PID"
for ((i = 0; i < 300; i++)); do
  grep -lE '"rescan": ?true' event.* >/dev/null 2>&1 && break
  sleep 0.1
done
grep -lE '"rescan": ?true' event.* >/dev/null 2>&1 ||
  fail "no run got a rescan event after 20,000 changes; engine said: $(grep -v '^a |' up.out | tail -5)"
# The watches were renewed: a later change is an ordinary event again.
echo later > src/d2/later.txt
for ((i = 0; i < 200; i++)); do
  grep -l 'src/d2/later.txt' event.* >/dev/null 2>&1 && break
  sleep 0.1
done
grep -l 'src/d2/later.txt' event.* >/dev/null 2>&1 || fail "a change after the overflow was not seen"
stop_up

# A weft run from inside a step (or any environment holding an outer event)
# does not pass the outer WEFT_EVENT_* variables on.
cat > nested.yaml <<'Y'
steps:
  s:
    run: echo "${WEFT_EVENT_TRUNCATED:-none}|${WEFT_EVENT_PATHS:-none}|$WEFT_EVENT_KIND" > nested.out
Y
WEFT_EVENT_TRUNCATED=WEFT_EVENT_PATHS WEFT_EVENT_PATHS=outer WEFT_EVENT_KIND=file "$WEFT" --state nested.db run nested.yaml >/dev/null ||
  fail "nested.yaml failed"
[ "$(cat nested.out)" = "none|none|manual" ] || fail "a step saw an outer event: $(cat nested.out)"
echo "up_limits: ok"
