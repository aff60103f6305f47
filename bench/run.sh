#!/usr/bin/env bash
# `weft run` against ninja and make on the same generated DAG, interleaved,
# medians: N = 10,000 no-op steps at -j2 (5 runs each), then one step
# (20 runs each), which is weft's fixed cost per run. bench/README.md says
# why the comparison is fair and holds the latest numbers.
# Every run does full work: before each timed run the outputs, ninja's log
# and weft's state directory are removed (weft records the whole run in a
# fresh --state database each time); after it, the N output files are
# counted, so a tool that skipped work fails the benchmark.
# Usage: bench/run.sh [--tiny]   (--tiny: N = 50, one run each; a CTest test)
# env: WEFT (weft binary), BENCH_BIN (= build/bench), JOBS (default 2),
#      BENCH_N and BENCH_RUNS (default 10000 steps, 5 runs),
#      BENCH_STRICT=1 to exit 1 when a target is missed (full runs only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
BENCH_BIN=${BENCH_BIN:-$here/../build/bench}
JOBS=${JOBS:-2}
n=${BENCH_N:-10000}; runs=${BENCH_RUNS:-5}; one_runs=20; tiny=0
if [ "${1:-}" = --tiny ]; then n=50; runs=1; one_runs=1; tiny=1; fi
for tool in ninja make; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done

# The conditions, for the record: timings on a busy machine are not comparable.
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
# A copy of weft, so a rebuild during the benchmark cannot swap the binary.
cp "$WEFT" "$dir/weft"
weft="$dir/weft"
clean='rm -rf o .ninja_log .ninja_deps .bench-state && mkdir o'

# bench COUNT RUNS CSV [NAME -- CMD... ';']...: time ninja, weft, make (and
# the extra commands) on DIR/COUNT's files, in DIR/COUNT.
bench() {
  local count=$1 reps=$2 csv=$3
  shift 3
  mkdir -p "$dir/$count"
  "$BENCH_BIN/bench_gen" "$dir/$count" "$count"
  (cd "$dir/$count" && "$BENCH_BIN/bench_timer" --runs "$reps" --csv "$csv" \
    --prep "$clean" --check "test \$(find o -type f | wc -l) -eq $count" \
    ninja -- ninja -j"$JOBS" ";" \
    weft -- "$weft" --state .bench-state/state.db run wf.yaml -j "$JOBS" -q ";" \
    make -- make -j"$JOBS" ";" "$@")
}

echo "== run, $n steps, -j$JOBS, $runs runs each ($("$weft" --version 2>/dev/null | head -1))"
bench "$n" "$runs" "$dir/many.csv"
echo
echo "== run, 1 step, $one_runs runs each"
# For information: the same run with a state database that already exists
# (created by one untimed run), as on a user's second run. `clean` leaves
# .bench-warm alone.
mkdir -p "$dir/1/o" && "$BENCH_BIN/bench_gen" "$dir/1" 1
(cd "$dir/1" && "$weft" --state .bench-warm/state.db run wf.yaml -q >/dev/null)
bench 1 "$one_runs" "$dir/one.csv" \
  weft-warm-db -- "$weft" --state .bench-warm/state.db run wf.yaml -j "$JOBS" -q ";"

# field CSV NAME COLUMN: one value of bench_timer's CSV
# (2 median ms, 3 min ms, 4 max ms, 5 median peak RSS MB, 6 max peak RSS MB).
field() { awk -F, -v name="$2" -v col="$3" '$1 == name { print $col }' "$1"; }
wn=$(field "$dir/many.csv" weft 2); nn=$(field "$dir/many.csv" ninja 2)
wr=$(field "$dir/many.csv" weft 6)
w1=$(field "$dir/one.csv" weft 2); n1=$(field "$dir/one.csv" ninja 2)
echo
echo "== summary (weft vs ninja)"
awk -v n="$n" -v j="$JOBS" -v wn="$wn" -v nn="$nn" -v wr="$wr" -v w1="$w1" -v n1="$n1" -v tiny="$tiny" 'BEGIN {
  ratio = wn / nn; per = (wn - nn) / n * 1000; one = w1 / n1
  printf "%-44s %12s %10s\n", "measure", "value", "target"
  printf "%-44s %11.2fx %10s %s\n", "wall time ratio, " n " steps -j" j, ratio, "<= 1.30x", tiny ? "" : (ratio <= 1.3 ? "ok" : "MISSED")
  printf "%-44s %10.0fus %10s\n", "per-step overhead (weft - ninja) / N", per, ""
  printf "%-44s %10.1fMB %10s %s\n", "weft peak RSS, " n " steps (max of runs)", wr, "< 100MB", tiny ? "" : (wr < 100 ? "ok" : "MISSED")
  printf "%-44s %11.2fx %10s %s\n", sprintf("one-step run ratio (%.1f ms / %.1f ms)", w1, n1), one, "<= 2.00x", tiny ? "" : (one <= 2 ? "ok" : "MISSED")
  missed = !tiny && (ratio > 1.3 || wr >= 100 || one > 2)
  exit missed ? 3 : 0
}' || { rc=$?; [ "$rc" = 3 ] && [ "${BENCH_STRICT:-0}" = 1 ] && exit 1; [ "$rc" = 3 ] || exit "$rc"; }
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
