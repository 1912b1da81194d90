#!/usr/bin/env bash
# The layering test: reads every `#include "dir/file.h"` line under src/ and
# fails when a folder includes a header from a folder it may not use, as
# written in tests/layers.txt (the one place the allowed graph lives).
# Usage: layering.sh SRC_DIR LAYERS_FILE
set -u
src=${1:?usage: layering.sh SRC_DIR LAYERS_FILE}
layers=${2:?usage: layering.sh SRC_DIR LAYERS_FILE}
declare -A allowed=()
while IFS= read -r line; do
    line=${line%%#*}
    [[ $line =~ ^[[:space:]]*([a-z0-9_]+):(.*)$ ]] || continue
    allowed[${BASH_REMATCH[1]}]=" ${BASH_REMATCH[2]} "
done < "$layers"
if [[ ${#allowed[@]} -eq 0 ]]; then
    echo "layering: no folders in $layers"
    exit 1
fi
bad=0 checked=0
while IFS= read -r -d '' f; do
    rel=${f#"$src"/}
    from=${rel%%/*}
    if [[ $rel != */* ]]; then
        continue # a file directly in src/ belongs to no layer
    fi
    if [[ -z ${allowed[$from]+x} ]]; then
        echo "layering: $rel: folder '$from' is not in $(basename "$layers")"
        bad=$((bad + 1))
        continue
    fi
    n=0
    while IFS= read -r inc; do
        n=$((n + 1))
        [[ $inc =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
        path=${BASH_REMATCH[1]}
        checked=$((checked + 1))
        [[ $path == */* ]] || continue # same folder, by bare name
        to=${path%%/*}
        [[ $to == "$from" ]] && continue
        if [[ ${allowed[$from]} != *" $to "* ]]; then
            echo "layering: src/$rel:$n includes \"$path\": $from may not include $to (allowed:$(printf " %s" ${allowed[$from]}))"
            bad=$((bad + 1))
        fi
    done < "$f"
done < <(find "$src" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
echo "layering: $checked project includes checked, $bad not allowed"
[[ $checked -gt 0 && $bad -eq 0 ]]
