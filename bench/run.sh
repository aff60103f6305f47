#!/usr/bin/env bash
# `weft run` against ninja and make on the same generated DAG, interleaved,
# medians: N = 10,000 no-op steps at -j2 (5 runs each), then one step
# (20 runs each), which is weft's fixed cost per run, then `--version`
# against `ninja --version` (50 runs each). bench_timer also reports each
# driver's own CPU (its process alone, without the steps it started): weft's
# per step against ninja's. BENCH_LOAD=1 runs the N-step table again with
# two busy processes beside both tools: a `dd conv=fsync` loop writing 64 MB
# at a time and a busy shell loop. bench/README.md says why the comparison
# is fair and holds the latest numbers.
# Every run does full work: before each timed run the outputs, ninja's log
# and weft's state directory are removed (weft records the whole run in a
# fresh --state database each time); after it, the N output files are
# counted, so a tool that skipped work fails the benchmark.
# Usage: bench/run.sh [--tiny]   (--tiny: N = 50, one run each, the loaded
#   table too; a CTest test)
# env: WEFT (weft binary), BENCH_BIN (= build/bench), JOBS (default 2),
#      BENCH_N and BENCH_RUNS (default 10000 steps, 5 runs), BENCH_LOAD=1,
#      BENCH_STRICT=1 to exit 1 when a target is missed (full runs only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
BENCH_BIN=${BENCH_BIN:-$here/../build/bench}
JOBS=${JOBS:-2}
n=${BENCH_N:-10000}; runs=${BENCH_RUNS:-5}; one_runs=20; version_runs=50; tiny=0
load=${BENCH_LOAD:-0}
if [ "${1:-}" = --tiny ]; then n=50; runs=1; one_runs=1; version_runs=1; tiny=1; load=1; fi
for tool in ninja make; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done

# The conditions, for the record: timings on a busy machine are not comparable.
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dir=$(mktemp -d)
load_pids=()
stop_load() { for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done; load_pids=(); }
trap 'stop_load; rm -rf "$dir"' EXIT
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

echo
echo "== --version, $version_runs runs each"
"$BENCH_BIN/bench_timer" --runs "$version_runs" --csv "$dir/version.csv" \
  ninja -- ninja --version ";" weft -- "$weft" --version ";"

if [ "$load" = 1 ]; then
  echo
  echo "== run, $n steps, -j$JOBS, beside a dd conv=fsync loop and a busy loop"
  # Started here, stopped by stop_load (and by the EXIT trap).
  (while :; do dd if=/dev/zero of="$dir/load.bin" bs=1M count=64 conv=fsync 2>/dev/null; done) &
  load_pids+=($!)
  sh -c 'while :; do :; done' &
  load_pids+=($!)
  mkdir -p "$dir/loaded"
  "$BENCH_BIN/bench_gen" "$dir/loaded" "$n"
  (cd "$dir/loaded" && "$BENCH_BIN/bench_timer" --runs "$runs" --csv "$dir/loaded.csv" \
    --prep "$clean" --check "test \$(find o -type f | wc -l) -eq $n" \
    ninja -- ninja -j"$JOBS" ";" \
    weft -- "$weft" --state .bench-state/state.db run wf.yaml -j "$JOBS" -q ";")
  stop_load
fi

# field CSV NAME COLUMN: one value of bench_timer's CSV (2 median ms, 3 min
# ms, 4 max ms, 5 median peak RSS MB, 6 max peak RSS MB, 9 median own CPU ms).
field() { awk -F, -v name="$2" -v col="$3" '$1 == name { print $col }' "$1"; }
wn=$(field "$dir/many.csv" weft 2); nn=$(field "$dir/many.csv" ninja 2)
wr=$(field "$dir/many.csv" weft 6)
wc=$(field "$dir/many.csv" weft 9); nc=$(field "$dir/many.csv" ninja 9)
w1=$(field "$dir/one.csv" weft-warm-db 2); n1=$(field "$dir/one.csv" ninja 2)
wv=$(field "$dir/version.csv" weft 2); nv=$(field "$dir/version.csv" ninja 2)
wl=0; nl=0
if [ "$load" = 1 ]; then wl=$(field "$dir/loaded.csv" weft 2); nl=$(field "$dir/loaded.csv" ninja 2); fi
echo
echo "== summary (weft vs ninja; the targets of issue 16)"
awk -v n="$n" -v j="$JOBS" -v wn="$wn" -v nn="$nn" -v wr="$wr" -v w1="$w1" -v n1="$n1" \
    -v wc="$wc" -v nc="$nc" -v wv="$wv" -v nv="$nv" -v wl="$wl" -v nl="$nl" -v load="$load" \
    -v tiny="$tiny" 'BEGIN {
  ratio = wn / nn; per = (wn - nn) / n * 1000; one = w1 / n1
  cpu = nc > 0 ? wc / nc : 0
  vmax = 2 * nv > 2 ? 2 * nv : 2
  missed = 0
  printf "%-52s %12s %12s\n", "measure", "value", "target"
  ok = ratio <= 1.15; missed += !ok
  printf "%-52s %11.2fx %12s %s\n", "wall time ratio, " n " steps -j" j, ratio, "<= 1.15x", tiny ? "" : (ok ? "ok" : "MISSED")
  if (load) {
    lr = wl / nl; ok = lr <= 1.5; missed += !ok
    printf "%-52s %11.2fx %12s %s\n", "  the same beside dd conv=fsync and a busy loop", lr, "<= 1.50x", tiny ? "" : (ok ? "ok" : "MISSED")
  }
  printf "%-52s %10.0fus %12s\n", "per-step overhead (weft - ninja) / N", per, ""
  ok = cpu <= 2; missed += !ok
  printf "%-52s %11.2fx %12s %s\n", sprintf("own CPU per step (%.0f us / %.0f us)", wc / n * 1000, nc / n * 1000), cpu, "<= 2.00x", tiny ? "" : (ok ? "ok" : "MISSED")
  ok = wr < 60; missed += !ok
  printf "%-52s %10.1fMB %12s %s\n", "weft peak RSS, " n " steps (max of runs)", wr, "< 60MB", tiny ? "" : (ok ? "ok" : "MISSED")
  ok = one <= 1.5; missed += !ok
  printf "%-52s %11.2fx %12s %s\n", sprintf("one-step run, existing db (%.1f ms / %.1f ms)", w1, n1), one, "<= 1.50x", tiny ? "" : (ok ? "ok" : "MISSED")
  ok = wv <= vmax; missed += !ok
  printf "%-52s %10.1fms %10.1fms %s\n", sprintf("--version (ninja: %.1f ms)", nv), wv, vmax, tiny ? "" : (ok ? "ok" : "MISSED")
  exit (!tiny && missed) ? 3 : 0
}' || { rc=$?; [ "$rc" = 3 ] && [ "${BENCH_STRICT:-0}" = 1 ] && exit 1; [ "$rc" = 3 ] || exit "$rc"; }
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
