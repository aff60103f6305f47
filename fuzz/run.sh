#!/usr/bin/env bash
# Fuzz weft's parsers with libFuzzer under AddressSanitizer + UBSan:
# the workflow loader, the expression parser/evaluator, the shell-quoting
# lexer and the cron parser. Builds them with clang into build-fuzz/ (the
# seeds in fuzz/corpus/ start each run; new finds go to build-fuzz/corpus/),
# then runs each for SECONDS (default 600). Exits 1 if any target found a
# crash, a leak, a timeout or a sanitizer report (the input is kept as
# build-fuzz/crash-*, leak-*, timeout-*).
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: loader expr shell cron)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(loader expr shell cron)
dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz/run.sh needs clang (apt-get install clang)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWEFT_FUZZ=ON -DWEFT_SANITIZE=address,undefined >/dev/null
cmake --build "$dir" -j2 --target "${targets[@]/#/fuzz_}"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t"
  echo "== fuzz_$t for ${secs}s"
  if (cd "$dir" && ./fuzz/fuzz_$t -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 "corpus/$t" "$root/fuzz/corpus/$t" 2>"fuzz-$t.log"); then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$dir/fuzz-$t.log" | sed "s/^/  /"
    echo "  fuzz_$t: no finding"
  else
    status=1
    tail -n 30 "$dir/fuzz-$t.log"
    echo "  fuzz_$t: FINDING (log: $dir/fuzz-$t.log)"
  fi
done
exit $status
