#!/usr/bin/env bash
# bench/tilesim.sh: how fast meridian-tilesim serves tiles on loopback.
#  1. 1,000 distinct 256-px PNG tiles with `curl --parallel --parallel-max 50`
#     at latency 0: once cold (every tile rendered and encoded), then three
#     times hot (served from the in-memory cache). Prints tiles/s.
#  2. 100 requests at once with --latency 100: wall time (about 100 ms if the
#     latency is applied concurrently, 10 s if serially) and max_in_flight.
#
# Usage: bench/tilesim.sh [BUILD_DIR] (default: build-sim-rel, built Release if missing)
# Not a test: figures depend on the machine. Loopback only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-sim-rel}
if [ ! -x "$BUILD/meridian-tilesim" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target meridian-tilesim >/dev/null
fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*'
TMP=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

# start_sim ARGS...: a fresh tilesim; sets SIM_PID and PORT.
start_sim() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
    "$BUILD/meridian-tilesim" --port 0 --die-with-parent "$@" >"$TMP/sim.out" 2>&1 &
    SIM_PID=$!
    for _ in $(seq 200); do
        PORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$TMP/sim.out" 2>/dev/null | head -1 | cut -d: -f2 || true)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    echo "bench/tilesim.sh: tilesim did not start" >&2
    exit 1
}

# urls N FILE: a curl config fetching N distinct zoom-10 tiles.
urls() {
    : >"$2"
    for i in $(seq 0 $(($1 - 1))); do
        printf 'url = "http://127.0.0.1:%d/10/%d/%d.png"\noutput = "/dev/null"\n' \
            "$PORT" $((480 + i % 40)) $((300 + i / 40)) >>"$2"
    done
}

# fetch CONFIG PARALLEL: runs curl, prints "seconds statuses"
fetch() {
    local t0 t1
    t0=$(date +%s.%N)
    curl -s --no-progress-meter --parallel --parallel-max "$2" --max-time 60 -K "$1" -w '%{http_code}\n' >"$TMP/codes"
    t1=$(date +%s.%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}') $(sort "$TMP/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
}

stat() { curl -s "http://127.0.0.1:$PORT/stats" | grep -o "\"$1\": [0-9]*" | grep -o '[0-9]*$'; }

echo "== 1,000 distinct tiles, latency 0, curl --parallel-max 50"
start_sim --latency 0
urls 1000 "$TMP/k1000"
read -r secs codes < <(fetch "$TMP/k1000" 50)
printf 'cold: %.3f s  %6.0f tiles/s  (%s)\n' "$secs" "$(awk -v s="$secs" 'BEGIN{print 1000 / s}')" "$codes"
for run in 1 2 3; do
    read -r secs codes < <(fetch "$TMP/k1000" 50)
    printf 'hot%d: %.3f s  %6.0f tiles/s  (%s)\n' "$run" "$secs" "$(awk -v s="$secs" 'BEGIN{print 1000 / s}')" "$codes"
done
echo "server: rendered=$(stat rendered) cache_hits=$(stat cache_hits) max_in_flight=$(stat max_in_flight)"

echo "== 100 requests at once, latency 100 ms"
start_sim --latency 100
urls 100 "$TMP/k100"
read -r secs codes < <(fetch "$TMP/k100" 100)
printf 'cold renders, 100 at once: %.3f s  (%s) max_in_flight=%s\n' "$secs" "$codes" "$(stat max_in_flight)"
read -r secs codes < <(fetch "$TMP/k100" 100)
printf 'hot cache,   100 at once: %.3f s  (%s) max_in_flight=%s\n' "$secs" "$codes" "$(stat max_in_flight)"
