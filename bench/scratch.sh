# Sourced by the `weft up` benchmarks (up.sh, audit.sh) after they set WEFT:
# prints the start line, makes a scratch directory that is removed (with every
# pid in `pids` killed) on exit, copies weft there (a rebuild during the run
# cannot swap it) and enters it. Defines ns: the time in nanoseconds.
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
cp "$WEFT" "$dir/weft"
WEFT=$dir/weft
cd "$dir"
ns() { date +%s%N; }
