#!/usr/bin/env bash
# The load figures of issue 17's audit, re-run:
#  (a) BENCH_RECORDS stdin records into `weft up` with N armed workflows
#      (N in BENCH_ARMED, default "1 10 100"): one `on: stdin`, the others
#      armed with file, schedule and manual triggers that never fire; runs/s
#      and weft's own CPU per event (perf stat --no-inherit -e task-clock if
#      perf works, else utime+stime from /proc/PID/stat);
#  (b) BENCH_CONCURRENT concurrent `weft run`s on one database: all succeed,
#      none says 'database is locked';
#  (c) BENCH_KILLS times: `kill -9` of a `weft run` mid-run, then `weft resume`:
#      every resume succeeds, no run left `running`;
#  (d) a burst of BENCH_FILES files into a watched directory: no path lost.
# Usage: bench/audit.sh [--tiny]   (env: WEFT and the above)
# Exit 1 when a check of (b), (c) or (d), or a lost event in (a), fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
records=${BENCH_RECORDS:-10000}; armed=${BENCH_ARMED:-1 10 100}
concurrent=${BENCH_CONCURRENT:-20}; kills=${BENCH_KILLS:-10}; files=${BENCH_FILES:-2000}
if [ "${1:-}" = --tiny ]; then records=30; armed="1 10"; concurrent=3; kills=2; files=50; fi
source "$here/scratch.sh"
failed=0
fail() { echo "FAIL: $*"; failed=1; }
perf_ok=0
if command -v perf >/dev/null && perf stat --no-inherit -e task-clock -x, -o /dev/null true 2>/dev/null; then
  perf_ok=1
fi

echo "== (a) $records stdin records, armed workflows: $armed"
seq "$records" > records.txt
for n in $armed; do
  rm -rf "a$n"; mkdir -p "a$n/wf" "a$n/w"
  cat > "a$n/wf/ingest.yaml" <<'Y'
name: ingest
concurrency: {limit: 2}
on: {stdin: {}}
steps:
  s: {shell: sh, run: "echo \"$WEFT_EVENT_LINE\" >> ingest.out"}
Y
  for ((i = 1; i < n; i++)); do
    case $((i % 3)) in
      0) on="on:\n  file: {paths: [\"w/d$i/**\"]}\n"; mkdir -p "a$n/w/d$i" ;;
      1) on="on:\n  schedule: [{cron: \"0 3 1 1 *\"}]\n" ;;
      2) on="" ;;  # no trigger: manual only (weft trigger)
    esac
    printf "name: w%d\n${on}steps: {s: {run: \"true\"}}\n" "$i" > "a$n/wf/w$i.yaml"
  done
  (
    cd "a$n"
    : > ingest.out
    # With file or schedule triggers armed, the engine outlives its stdin:
    # it is stopped (SIGTERM) once every record has run.
    t0=$(ns)
    if [ $perf_ok = 1 ]; then
      perf stat --no-inherit -e task-clock -x, -o perf.txt "$WEFT" --state st.db up wf < ../records.txt >up.log 2>&1 & pp=$!
      sleep 0.2; pid=$(pgrep -P $pp -x weft || echo $pp)
      how="perf task-clock"
    else
      "$WEFT" --state st.db up wf < ../records.txt >up.log 2>&1 & pp=$!; pid=$pp
      how="/proc/PID/stat"
    fi
    cpu=0
    while kill -0 $pid 2>/dev/null && [ "$(wc -l < ingest.out)" -lt "$records" ]; do
      c=$(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null) && cpu=$((c * 1000 / $(getconf CLK_TCK)))
      sleep 0.05
    done
    t1=$(ns)
    sleep 0.2
    kill -TERM $pid 2>/dev/null || true
    wait $pp || true
    [ $perf_ok = 1 ] && cpu=$(awk -F, '/task-clock/ {printf "%.0f", $1}' perf.txt)  # ms
    got=$(sort -u ingest.out | wc -l)
    awk -v n="$records" -v a="$n" -v t="$((t1 - t0))" -v got="$got" -v cpu="$cpu" -v how="$how" 'BEGIN {
      printf "armed %3d: %d runs in %.1f s: %.0f runs/s; weft CPU %d ms (%s): %.2f ms/event; %d lost\n",
        a, got, t/1e9, got/(t/1e9), cpu, how, cpu/n, n-got }'
    [ "$got" = "$records" ]
  ) || fail "(a) with $n armed workflows lost events"
done

echo "== (b) $concurrent concurrent weft run on one database"
cat > c.yaml <<'Y'
name: c
steps:
  a: {shell: sh, run: "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done"}
  b: {shell: sh, needs: [a], run: "echo done"}
Y
t0=$(ns)
cpids=()
for ((i = 0; i < concurrent; i++)); do
  "$WEFT" --state c.db run c.yaml >"c$i.log" 2>&1 & cpids+=($!)
done
ok=0
for p in "${cpids[@]}"; do wait "$p" && ok=$((ok + 1)); done
t1=$(ns)
locked=$(cat c[0-9]*.log | grep -c 'database is locked' || true)
awk -v n="$concurrent" -v ok="$ok" -v t="$((t1 - t0))" -v l="$locked" \
  'BEGIN {printf "%d of %d runs succeeded in %.1f s; %d \"database is locked\"\n", ok, n, t/1e9, l}'
[ "$ok" = "$concurrent" ] && [ "$locked" = 0 ] || fail "(b)"

echo "== (c) $kills x kill -9 of weft run mid-run, then weft resume"
cat > k.yaml <<'Y'
name: k
steps:
  a: {shell: sh, run: "sleep 0.2"}
  b: {shell: sh, needs: [a], run: "sleep 1"}
  c: {shell: sh, needs: [b], run: "echo c"}
Y
resumed=0
for ((i = 0; i < kills; i++)); do
  "$WEFT" --state k.db run k.yaml >/dev/null 2>&1 & p=$!
  sleep 0.6
  kill -KILL $p 2>/dev/null || true
  wait $p 2>/dev/null || true
  id=$("$WEFT" --state k.db runs --json --limit 1 2>/dev/null | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
  if "$WEFT" --state k.db resume "$id" >"k$i.log" 2>&1; then resumed=$((resumed + 1)); else tail -3 "k$i.log"; fi
done
running=$("$WEFT" --state k.db runs 2>/dev/null | grep -cw running || true)
echo "$resumed of $kills resumes succeeded; runs left running: $running"
[ "$resumed" = "$kills" ] && [ "$running" = 0 ] || fail "(c)"

echo "== (d) a burst of $files files into a watched directory"
mkdir -p burst/in
cat > burst/watch.yaml <<'Y'
name: watch
on:
  file: {paths: ["in/**"], debounce: 200ms}
steps:
  s: {shell: sh, run: "printf '%s\\n' \"$WEFT_EVENT_PATHS\" >> seen.txt"}
Y
(cd burst && exec "$WEFT" --state b.db up watch.yaml </dev/null >up.log 2>&1) & bp=$!; pids+=($bp)
sleep 1
t0=$(ns)
for ((i = 0; i < files; i++)); do : > "burst/in/f$i"; done
want=$files
for ((k = 0; k < 600; k++)); do
  got=$(grep -c '^in/f[0-9]*$' burst/seen.txt 2>/dev/null || true)
  [ "${got:-0}" -ge "$want" ] && break
  sleep 0.1
done
t1=$(ns)
kill -TERM $bp; wait $bp || true
got=$(grep '^in/f[0-9]*$' burst/seen.txt 2>/dev/null | sort -u | wc -l)
awk -v n="$files" -v got="$got" -v t="$((t1 - t0))" \
  'BEGIN {printf "%d of %d paths seen in %.1f s; %d lost\n", got, n, t/1e9, n-got}'
[ "$got" = "$files" ] || fail "(d)"
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
