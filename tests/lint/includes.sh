#!/usr/bin/env bash
# Fails when an #include under lib/ goes against the module direction in
# ARCHITECTURE.md: the table between <!-- include-rules --> markers lists, per
# module, the weft modules and the third-party headers it may include.
# Usage: includes.sh [SOURCE_DIR]  (default: the repository of this script)
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
arch=$src/ARCHITECTURE.md
declare -A allowed third
modules=()
in_table=0
while IFS= read -r line; do
    case $line in
        '<!-- include-rules -->') in_table=1; continue ;;
        '<!-- /include-rules -->') in_table=0; continue ;;
    esac
    [ $in_table = 1 ] || continue
    IFS='|' read -r _ mod deps hdrs _ <<<"$line"
    mod=$(echo $mod)
    case $mod in module|---*|'') continue ;; esac
    modules+=("$mod")
    allowed[$mod]=" $mod $(echo $deps) "
    third[$mod]=" $(echo $hdrs) "
done <"$arch"
[ ${#modules[@]} -gt 0 ] || { echo "includes.sh: no include-rules table in $arch" >&2; exit 2; }

# Every third-party header the table names, so one named for module A is
# refused in module B.
guarded=()
for m in "${modules[@]}"; do for h in ${third[$m]}; do guarded+=("$h"); done; done

bad=0
while IFS= read -r file; do
    mod=${file#"$src"/lib/weft/}
    mod=${mod%%/*}
    if [ -z "${allowed[$mod]+x}" ]; then
        echo "$file: module '$mod' is not in ARCHITECTURE.md's include-rules table"
        bad=1
        continue
    fi
    lineno=0
    while IFS= read -r line; do
        lineno=$((lineno + 1))
        [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"\<]([^\"\>]+) ]] || continue
        inc=${BASH_REMATCH[1]}
        if [[ $inc =~ ^weft/([a-z_]+)/ ]]; then
            dep=${BASH_REMATCH[1]}
            if [[ ${allowed[$mod]} != *" $dep "* ]]; then
                others=${allowed[$mod]/ $mod / }
                others=$(echo $others)
                echo "$file:$lineno: error: $mod may not include $inc (ARCHITECTURE.md: $mod may include ${others:-no other weft module})"
                bad=1
            fi
            continue
        fi
        for h in "${guarded[@]}"; do
            if [[ $inc == "$h"* && ${third[$mod]} != *" $h "* ]]; then
                echo "$file:$lineno: error: $mod may not include <$inc> (ARCHITECTURE.md gives $h to another module)"
                bad=1
            fi
        done
    done <"$file"
done < <(find "$src/lib/weft" -name '*.cpp' -o -name '*.hpp' | sort)
# app/ may include only cli (the command table) and util.
while IFS= read -r file; do
    if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"weft/' "$file" | grep -vE '"weft/(cli|util)/' ; then
        echo "$file: error: app/ may include only weft/cli and weft/util"
        bad=1
    fi
done < <(find "$src/app" -name '*.cpp' -o -name '*.hpp')
[ $bad = 0 ] && echo "includes.sh: every #include follows ARCHITECTURE.md (${#modules[@]} modules)"
exit $bad
