#!/usr/bin/env bash
# Incremental steps: `weft run` of a 1,000-step workflow whose every step has
# `sources` and `generates`, the first time (every step runs; a fresh state
# database) against the second (every step up-to-date), interleaved, medians.
# Usage: bench/incremental.sh [--tiny]   (env: WEFT, BENCH_BIN, BENCH_N, BENCH_RUNS)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
BENCH_BIN=${BENCH_BIN:-$here/../build/bench}
n=${BENCH_N:-1000}; runs=${BENCH_RUNS:-5}
if [ "${1:-}" = --tiny ]; then n=20; runs=1; fi
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
cp "$WEFT" "$dir/weft"; WEFT=$dir/weft
cd "$dir"
mkdir -p src
{
  echo "name: incremental"
  echo "defaults: {shell: sh}"
  echo "steps:"
  for ((i = 0; i < n; i++)); do
    echo "x$i" > "src/s$i.txt"
    echo "  s$i:"
    # A layered DAG, as bench/run.sh: each step needs two of the layer before.
    if ((i >= 100 && i % 100 > 0)); then echo "    needs: [s$((i - 100)), s$((i - 101))]"
    elif ((i >= 100)); then echo "    needs: [s$((i - 100))]"; fi
    echo "    sources: [\"src/s$i.txt\"]"
    echo "    generates: [\"o/s$i\"]"
    echo "    run: \"cp src/s$i.txt o/s$i\""
  done
} > wf.yaml
mkdir -p o
echo "== run, $n steps with sources, -j2: first run (fresh state) vs second (all up-to-date)"
"$BENCH_BIN/bench_timer" --runs "$runs" \
  --check "test \$(ls o | wc -l) = $n" \
  first -- sh -c "rm -rf o st.db st.db-wal st.db-shm st.db.d && mkdir o && exec '$WEFT' --state st.db run -j 2 wf.yaml >/dev/null" ";" \
  second -- sh -c "exec '$WEFT' --state st.db run -j 2 wf.yaml | grep -c ': up-to-date' | grep -qx $n" ";"
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
