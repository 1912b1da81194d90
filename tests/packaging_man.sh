#!/usr/bin/env bash
# Every option that `meridian --help`, each subcommand's --help and
# `meridian-tilesim --help` print is documented in the man pages (written in
# mdoc, where an option is `Fl \-name`).
# Usage: packaging_man.sh SOURCE_DIR MERIDIAN_BIN [TILESIM_BIN]
set -u
src=$1 bin=$2 tilesim=${3:-}
pass=0 fail=0
opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
check_page() { # page help-text label
    local page=$1 help=$2 label=$3 opt missing=""
    [ -n "$help" ] || { echo "FAIL: $label printed no help"; fail=$((fail + 1)); return; }
    for opt in $(opts <<<"$help"); do
        grep -qF "Fl \\${opt#-}" "$page" || missing="$missing $opt"
    done
    if [ -z "$missing" ]; then echo "ok: $label: all options in $(basename "$page")"; pass=$((pass + 1))
    else echo "FAIL: $label: not in $(basename "$page"):$missing"; fail=$((fail + 1)); fi
}
env_run() { HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent "$@" 2>/dev/null; }

check_page "$src/man/meridian.1" "$(env_run "$bin" --help)" "meridian --help"
for cmd in fetch prefetch export; do
    grep -q "^\.Cm $cmd\$" "$src/man/meridian.1" || { echo "FAIL: meridian.1 lacks the $cmd command"; fail=$((fail + 1)); }
    # A build without the command prints the viewer's help instead.
    if help=$(env_run "$bin" "$cmd" --help) && head -1 <<<"$help" | grep -q "meridian $cmd"; then
        check_page "$src/man/meridian.1" "$help" "meridian $cmd --help"
    else
        echo "note: 'meridian $cmd --help' is not available in this build; its options are not checked"
    fi
done
if [ -n "$tilesim" ]; then
    check_page "$src/man/meridian-tilesim.1" "$(env_run "$tilesim" --help)" "meridian-tilesim --help"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
