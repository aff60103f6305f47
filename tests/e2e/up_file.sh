# weft up, file trigger (SPEC §3 "file"): an atomic save is one run; a file
# in a new subdirectory is seen; a burst of 300 files gives at most 3 runs
# that carry all 300 paths; fifty saves during a slow run give one more run;
# `ignore`, .gitignore and `generates` suppress runs; a hostile file name
# reaches the step only as data.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"
on_exit 'kill -KILL ${UP_PID:-0} 2>/dev/null || true'

mkdir -p wf src slow gen
cat > wf/src.yaml <<'Y'
name: src
on:
  file:
    paths: ["src/**"]
    ignore: ["src/**/*.tmp"]
    debounce: 200ms
steps:
  record:
    shell: sh
    run: |
      printf '%s\n' "$WEFT_EVENT_PATHS" > "paths.$WEFT_RUN_ID"
      echo '${{ toJSON(event.paths) }}' > "json.$WEFT_RUN_ID"
Y
cat > wf/slow.yaml <<'Y'
name: slow
on:
  file:
    paths: ["slow/*.txt"]
    debounce: 50ms
steps:
  build:
    run: touch "slow.started.$WEFT_RUN_ID"; sleep 6
Y
cat > wf/gen.yaml <<'Y'
name: gen
on:
  file:
    paths: ["gen/**"]
    debounce: 50ms
params:
  kind: {default: t}
steps:
  make:
    run: date > gen/out.generated
    generates: ["gen/*.generated"]
  templated:  # a `${{ }}` in generates counts as `*` for the trigger
    run: date > gen/t-out.bin
    generates: ["gen/${{ params.kind }}-out.bin"]
Y
printf '*.log\nbuild/\n' > .gitignore
start_up wf

# An editor's atomic save: temp file, then rename over the target.
echo one > src/a.txt.swp
mv src/a.txt.swp src/a.txt
wait_runs src 1
still_runs src 1 1
grep -qx 'src/a.txt' paths.1 || fail "run 1 paths: $(cat paths.1)"
[ "$(wc -l <paths.1)" -eq 1 ] || fail "the temp file reached the event: $(cat paths.1)"

# A file made right after its directory (before the watch could exist).
mkdir -p src/new/deeper && echo x > src/new/deeper/f.txt
wait_runs src 2
grep -qx 'src/new/deeper/f.txt' paths.2 || fail "new-directory file not seen: $(cat paths.2)"

# A burst of 300 files: at most 3 runs, together carrying every path.
mkdir src/burst
for i in $(seq 300); do : > "src/burst/f$i.c"; done
sleep 1.5
wait_runs src 3
n=$(count_runs src)
[ "$n" -le 5 ] || fail "300 files gave $((n - 2)) runs (at most 3 wanted)"
seen=$(cat paths.* | grep -c '^src/burst/f[0-9]*\.c$' || true)
[ "$seen" -eq 300 ] || fail "the burst's runs carry $seen of 300 paths"

# Ignored: the workflow's `ignore`, .gitignore patterns and directories.
before=$(count_runs src)
echo x > src/skip.tmp
echo x > src/app.log
mkdir -p src/build && echo x > src/build/out.o
still_runs src "$before" 1

# A hostile name is data, never code.
: > 'src/$(touch pwned).txt'
wait_runs src $((before + 1))
[ ! -e pwned ] || fail "a file name ran as code"
last=$(ls paths.* | sort -t. -k2 -n | tail -1)
grep -qF 'src/$(touch pwned).txt' "$last" || fail "hostile path not passed as data: $(cat "$last")"
grep -qF '$(touch pwned).txt' "json.${last#paths.}" || fail "hostile path not in toJSON(event.paths)"

# Fifty saves during a slow run: one more run, not fifty.
echo 0 > slow/x.txt
for ((i = 0; i < 200; i++)); do ls slow.started.* >/dev/null 2>&1 && break; sleep 0.05; done
for i in $(seq 50); do echo "$i" > slow/x.txt; sleep 0.02; done
wait_runs slow 2 40
still_runs slow 2 1

# What a step generates never retriggers its own workflow.
echo in > gen/input.txt
wait_runs gen 1
still_runs gen 1 1
[ -e gen/out.generated ] && [ -e gen/t-out.bin ] || fail "gen did not run"

# Events are recorded and shown with the run.
run_weft --state st.db show 1 --json
expect_rc 0
expect_out_has '"kind":"file"'
expect_out_has '"paths":["src/a.txt"]'

stop_up

# The state directory is never watched, even under a watched tree: a run's
# own database writes do not trigger another run.
mkdir -p proj/wf && cd proj
printf 'name: all\non: {file: {paths: ["**"], debounce: 50ms}}\nsteps: {s: {run: echo}}\n' > wf/all.yaml
"$WEFT" up wf </dev/null >../proj.out 2>../proj.err & # output outside the watched tree
UP_PID=$!
for ((i = 0; i < 200; i++)); do grep -q "armed" ../proj.out && break; sleep 0.05; done
echo x > file.txt
for ((i = 0; i < 200; i++)); do grep -q "run 1 (all): success" ../proj.out && break; sleep 0.05; done
sleep 1
[ "$("$WEFT" runs all --json | grep -c '"id"')" -eq 1 ] || fail "the state directory retriggered: $(cat ../proj.out)"
kill -TERM "$UP_PID"; wait "$UP_PID"
echo "ok: up_file"
