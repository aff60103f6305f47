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
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
for n in "${sizes[@]}"; do
  mkdir -p "$dir/$n"
  "$BENCH_BIN/bench_gen" "$dir/$n" "$n"
  echo "== validate, $n steps ($(du -h "$dir/$n/wf.yaml" | cut -f1))"
  "$BENCH_BIN/bench_timer" --runs "$runs" \
    yaml-cpp-load -- "$BENCH_BIN/bench_yaml_load" "$dir/$n/wf.yaml" ";" \
    weft-validate -- "$WEFT" validate -q "$dir/$n/wf.yaml" ";"
done
