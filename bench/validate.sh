#!/usr/bin/env bash
# `weft validate` against yaml-cpp's bare load of the same generated workflow,
# at 10,000 and 100,000 steps (linear growth expected), interleaved, medians.
# Usage: bench/validate.sh [--tiny]   (env: WEFT, BENCH_BIN = build/bench)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WEFT=${WEFT:-$here/../build/weft}
BENCH_BIN=${BENCH_BIN:-$here/../build/bench}
sizes=(10000 100000); runs=5
if [ "${1:-}" = --tiny ]; then sizes=(200); runs=1; fi
# The conditions, for the record: timings on a busy machine are not comparable.
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
# A copy of weft, so a rebuild during the benchmark cannot swap the binary.
cp "$WEFT" "$dir/weft"; WEFT=$dir/weft
for n in "${sizes[@]}"; do
  mkdir -p "$dir/$n"
  "$BENCH_BIN/bench_gen" "$dir/$n" "$n"
  echo "== validate, $n steps ($(du -h "$dir/$n/wf.yaml" | cut -f1))"
  "$BENCH_BIN/bench_timer" --runs "$runs" \
    yaml-cpp-load -- "$BENCH_BIN/bench_yaml_load" "$dir/$n/wf.yaml" ";" \
    weft-validate -- "$WEFT" validate -q "$dir/$n/wf.yaml" ";"
done
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
