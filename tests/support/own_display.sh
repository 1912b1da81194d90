#!/usr/bin/env bash
# own_display.sh CMD [ARGS...]: runs CMD on an X server of its own.
#
# GUI tests used to share one Xvfb (xvfb-run around ctest -j2). Windows of
# one test then mapped over another's, and the expose and pointer-enter
# events they caused made the other viewer redraw: "renders nothing when
# idle" failed on a loaded CI machine. Each GUI test now gets a private
# Xvfb, so nothing but the test itself can send its windows events.
#
# -displayfd makes the server pick a free display number and write it once it
# accepts connections: no race between parallel tests, no polling.
set -euo pipefail
dir=$(mktemp -d "${TMPDIR:-/tmp}/mer_display.XXXXXX")
xpid=
cleanup() {
    if [ -n "$xpid" ]; then
        kill "$xpid" 2>/dev/null || true
        wait "$xpid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
mkfifo "$dir/ready"
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -noreset \
    3>"$dir/ready" 2>"$dir/xvfb.log" &
xpid=$!
num=
if ! read -r -t 60 num <"$dir/ready" || [ -z "$num" ]; then
    echo "own_display: Xvfb did not start:" >&2
    cat "$dir/xvfb.log" >&2
    exit 1
fi
export DISPLAY=":$num" MER_OWN_DISPLAY=1
status=0
"$@" || status=$?
exit $status
