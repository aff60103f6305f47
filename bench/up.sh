#!/usr/bin/env bash
# weft up, side by side with entr on this machine (issue 5's targets):
#  (a) file change to step start, weft (debounce 1ms) against entr, median
#      and p99 of BENCH_CHANGES saves;
#  (b) stdin ingest: BENCH_RECORDS records into runs of a one-step `shell: sh`
#      workflow with `concurrency.limit: 2`: runs per second, events lost;
#  (c) an idle engine with 50 armed workflows: RSS and wake-ups per second.
# Usage: bench/up.sh [--tiny]   (env: WEFT, BENCH_CHANGES, BENCH_RECORDS, BENCH_IDLE_S)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
changes=${BENCH_CHANGES:-50}; records=${BENCH_RECORDS:-10000}; idle=${BENCH_IDLE_S:-10}
if [ "${1:-}" = --tiny ]; then changes=3; records=50; idle=1; fi
command -v entr >/dev/null || { echo "bench/up.sh needs entr (Debian package entr; ./bootstrap.sh installs it)" >&2; exit 1; }
source "$here/scratch.sh"

# stats FILE: median and p99 of the numbers in FILE (one a line), in ms.
stats() { sort -n "$1" | awk '{v[NR]=$1} END {m=v[int((NR+1)/2)]; p=v[int(NR*0.99+0.999)]; printf "median %.1f ms, p99 %.1f ms (n=%d)", m/1e6, p/1e6, NR}'; }

# latency NAME TIMES_FILE: save watched/f.txt BENCH_CHANGES times, each time
# waiting for TIMES_FILE to gain the step's start time; differences in DELTAS.
latency() {
  local name=$1 times=$2 i t0 n
  : > "$name.deltas"
  for ((i = 0; i < changes; i++)); do
    n=$(wc -l < "$times")
    sleep 0.2
    t0=$(ns)
    echo "$i" > watched/f.txt
    for ((k = 0; k < 400; k++)); do [ "$(wc -l < "$times")" -gt "$n" ] && break; sleep 0.005; done
    echo $(( $(tail -1 "$times") - t0 )) >> "$name.deltas"
  done
}

echo "== (a) file change to step start, $changes saves"
mkdir -p watched wf
: > weft.times; : > entr.times
cat > wf/watch.yaml <<'Y'
name: watch
on:
  file: {paths: ["watched/*.txt"], debounce: 1ms}
steps:
  s: {shell: sh, run: "date +%s%N >> weft.times"}
Y
"$WEFT" --state st.db up wf </dev/null >up.log 2>&1 & pids+=($!)
sleep 1
latency weft weft.times
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
echo watched/f.txt | entr -np sh -c 'date +%s%N >> entr.times' >/dev/null 2>&1 & pids+=($!)
sleep 1
latency entr entr.times
kill -TERM "${pids[-1]}" 2>/dev/null || true
echo "weft: $(stats weft.deltas)"
echo "entr: $(stats entr.deltas)"

echo "== (b) stdin ingest, $records records, concurrency.limit 2"
cat > ingest.yaml <<'Y'
name: ingest
concurrency: {limit: 2}
on: {stdin: {}}
steps:
  s: {shell: sh, run: "echo \"$WEFT_EVENT_LINE\" >> ingest.out"}
Y
seq "$records" > records.txt
t0=$(ns)
"$WEFT" --state st2.db up ingest.yaml < records.txt >/dev/null 2>&1
t1=$(ns)
got=$(sort -u ingest.out | wc -l)
awk -v n="$records" -v t="$((t1 - t0))" -v got="$got" 'BEGIN {printf "weft: %d runs in %.1f s: %.0f runs/s, %d events lost\n", got, t/1e9, got/(t/1e9), n-got}'
# The floor on this machine: the same shell command per record, two at a
# time, with nothing recorded (xargs -P2).
t0=$(ns)
xargs -P2 -I{} sh -c 'echo {} >> xargs.out' < records.txt
t1=$(ns)
awk -v n="$records" -v t="$((t1 - t0))" 'BEGIN {printf "xargs -P2 sh -c (no state, the floor): %.1f s: %.0f processes/s\n", t/1e9, n/(t/1e9)}'

echo "== (c) idle engine, 50 armed workflows, ${idle}s"
mkdir -p idle
for ((i = 0; i < 50; i++)); do
  mkdir -p "idle/d$i"
  case $((i % 3)) in
    0) trig="file: {paths: [\"idle/d$i/**\"]}" ;;
    1) trig="schedule: [{cron: \"0 3 * * *\"}]" ;;
    2) trig="schedule: [{every: 1h}]" ;;
  esac
  printf 'name: w%d\non:\n  %s\nsteps: {s: {run: "true"}}\n' "$i" "$trig" > "wf$i.yaml"
done
mkdir -p idlewf && mv wf[0-9]*.yaml idlewf/
"$WEFT" --state st3.db up idlewf </dev/null >idle.log 2>&1 & pid=$!; pids+=($pid)
sleep 1
c0=$(awk '/^voluntary_ctxt_switches|^nonvoluntary_ctxt_switches/ {s+=$2} END {print s}' /proc/$pid/status)
sleep "$idle"
c1=$(awk '/^voluntary_ctxt_switches|^nonvoluntary_ctxt_switches/ {s+=$2} END {print s}' /proc/$pid/status)
rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
kill -TERM $pid; wait $pid || true
awk -v r="$rss" -v c=$((c1 - c0)) -v s="$idle" 'BEGIN {printf "RSS %.1f MB, %d wake-ups in %d s (%.2f/s)\n", r/1024, c, s, c/s}'
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
