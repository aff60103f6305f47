#!/usr/bin/env bash
# The Slurm executor's overhead: one DAG of no-op steps (`true`), run with
# `runs-on: slurm` on a one-node cluster started here (tests/support/slurm.sh)
# against the same DAG run locally, both `-j 2` (the cluster has this
# machine's cores, one per job). Prints both wall times and the wall time
# Slurm adds per step. Needs root, slurm-wlm and munge, as the e2e test.
# Usage: bench/slurm.sh [--tiny]   (env: WEFT, BENCH_N, default 200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export WEFT=${WEFT:-$here/../build/weft}
export WEFT_SRC=$here/..
n=${BENCH_N:-200}
if [ "${1:-}" = --tiny ]; then n=6; fi
source "$here/../tests/support/e2e.sh"
source "$here/../tests/support/slurm.sh"
on_exit 'stop_slurm'
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_slurm
cp "$WEFT" "$T/weft"; WEFT=$T/weft
gen() { # gen RUNS_ON: a layered DAG, 20 wide, each step needing two of the layer before
  echo "name: overhead"
  echo "defaults: {shell: sh, runs-on: $1}"
  echo "steps:"
  for ((i = 0; i < n; i++)); do
    echo "  s$i:"
    if ((i >= 20 && i % 20 > 0)); then echo "    needs: [s$((i - 20)), s$((i - 21))]"
    elif ((i >= 20)); then echo "    needs: [s$((i - 20))]"; fi
    echo "    run: \"true\""
  done
}
gen local > local.yaml
gen slurm > slurm.yaml
declare -A ms
for kind in local slurm; do
  t0=$(now_ms)
  "$WEFT" --state "$kind.db" run -j 2 "$kind.yaml" >/dev/null
  ms[$kind]=$(( $(now_ms) - t0 ))
  echo "$kind: $n steps in ${ms[$kind]} ms"
done
echo "Slurm adds $(( (ms[slurm] - ms[local]) / n )) ms of wall time per step at -j 2" \
  "($(( 2 * (ms[slurm] - ms[local]) / n )) ms per job: sbatch, scheduling, the job's start and end, weft's poll)"
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
