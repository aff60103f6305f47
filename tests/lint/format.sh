#!/usr/bin/env bash
# Fails when a C/C++ file under lib/ app/ include/ tests/ bench/ fuzz/ is not
# formatted as .clang-format says, by clang-format 14 (Debian 12's; another
# version formats some constructs differently). Fix with:
#   clang-format -i $(git ls-files '*.cpp' '*.hpp' '*.c' '*.h')
# Usage: format.sh [SOURCE_DIR]  (default: the repository of this script)
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ]; then
    echo "format.sh: clang-format 14 is not installed (./bootstrap.sh installs it)" >&2
    exit 1
fi
"$cf" --version | grep -q ' 14\.' || { echo "format.sh: $cf is not clang-format 14" >&2; exit 1; }
cd "$src"
mapfile -t files < <(find lib app include tests bench fuzz -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h' \) | sort)
if ! "$cf" --dry-run --Werror "${files[@]}"; then
    echo "format.sh: the files above are not clang-format clean; run clang-format -i on them" >&2
    exit 1
fi
echo "format.sh: ${#files[@]} files clang-format clean"
