# weft up, file trigger hygiene (SPEC §9.2): a vim-style save (`mv app.py
# app.py~; write app.py; rm app.py~`) gives one event whose paths hold only
# app.py; a glob whose fixed prefix does not exist is a warning when armed
# and is watched once it appears; a step that writes into the tree it
# watches gets the watch-loop warning naming the paths.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'kill -KILL ${UP_PID:-0} 2>/dev/null || true'

mkdir -p wf proj loop
echo v1 > proj/app.py
cat > wf/app.yaml <<'Y'
name: app
on:
  file:
    paths: ["proj/**"]
    debounce: 300ms
steps:
  record:
    shell: sh
    run: printf '%s\n' "$WEFT_EVENT_PATHS" > "paths.$WEFT_RUN_ID"
Y
cat > wf/later.yaml <<'Y'
name: later
on:
  file:
    paths: ["later/**/*.c"]
    debounce: 50ms
steps:
  s:
    run: "true"
Y
cat > wf/loop.yaml <<'Y'
name: loop
on:
  file:
    paths: ["loop/**"]
    debounce: 100ms
steps:
  s:
    run: date +%s%N > loop/out.txt
Y
start_up wf
grep -q "weft: warning: workflow 'later': on.file path 'later/\*\*/\*.c': later does not exist (yet); it is watched once it appears" up.err ||
  fail "no missing-prefix warning: $(cat up.err)"

# The vim save: the backup made and removed within the window is no path.
mv proj/app.py proj/app.py~
echo v2 > proj/app.py
rm proj/app.py~
wait_runs app 1
still_runs app 1 1
run_id=$("$WEFT" --state st.db runs app --json | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -1)
[ "$(cat "paths.$run_id")" = "proj/app.py" ] || fail "the event's paths: $(cat "paths.$run_id")"

# The missing prefix appears: it is watched.
mkdir -p later/x
echo 'int x;' > later/x/a.c
wait_runs later 1

# A step that writes into its own watched tree: the watch-loop warning.
touch loop/in.txt
for ((i = 0; i < 200; i++)); do grep -q "retriggers itself" up.err && break; sleep 0.1; done
grep -q "weft: warning: workflow 'loop' retriggers itself: 3 runs in a row were started by changes made while it ran (loop/out.txt); list what its steps write in their 'generates', or in the file trigger's 'ignore'" up.err ||
  fail "no watch-loop warning: $(cat up.err; tail up.out)"
[ "$(grep -c 'retriggers itself' up.err)" -eq 1 ] || fail "the warning repeats: $(cat up.err)"
stop_up
echo "ok: up_file_hygiene"
