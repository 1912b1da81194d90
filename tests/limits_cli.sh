#!/usr/bin/env bash
# Limits through the command line (issue 13), against meridian-tilesim:
#  - fetch and prefetch name a client-side ceiling that held tiles back, with
#    the option that lifts it, and say nothing when none did;
#  - a limiter without Retry-After: default settings (adaptive) get every
#    tile with few refusals; --no-adaptive with a cap of 8 and no rate keeps
#    its fixed limits and is refused far more often (counts, not times).
# Usage: limits_cli.sh MERIDIAN TILESIM
set -u
bin=$1
sim=$2
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*'
T=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
    wait 2>/dev/null
    [ -n "${MER_KEEP_DIR:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

start_sim() {
    [ -n "$SIM_PID" ] && { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
    "$sim" --port 0 --die-with-parent "$@" >"$T/sim.out" 2>&1 &
    SIM_PID=$!
    PORT=
    for _ in $(seq 200); do
        PORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$T/sim.out" 2>/dev/null | head -1 | cut -d: -f2)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    echo "FAIL: tilesim did not start"
    exit 1
}
num() { grep -o "\"$2\": [0-9]*" "$1" 2>/dev/null | head -1 | awk '{print $2}'; }

start_sim --latency 20
URL="http://127.0.0.1:$PORT/{z}/{x}/{y}.png"
out=$("$bin" fetch --no-config --source "$URL" --zoom 6 --x 10:15 --y 20:22 --out "$T/a.png" --rate 4 --burst 1 2>&1)
case "$out" in
*"limit of 4 requests/s"*"--rate"*) ok "fetch names the --rate ceiling that held it back" ;;
*) bad "fetch --rate 4: $out" ;;
esac
out=$("$bin" fetch --no-config --source "$URL" --zoom 6 --x 30:35 --y 20:22 --out "$T/b.png" -c 1 2>&1)
case "$out" in
*"limit of 1 requests in flight"*"--max-concurrent"*) ok "fetch names the -c ceiling that held it back" ;;
*) bad "fetch -c 1: $out" ;;
esac
out=$("$bin" fetch --no-config --source "$URL" --zoom 6 --x 40:45 --y 20:22 --out "$T/c.png" 2>&1)
case "$out" in
*"held back"*) bad "fetch with defaults on an open server: $out" ;;
*"18 ok"*) ok "defaults on an open server: no note" ;;
*) bad "fetch defaults: $out" ;;
esac
out=$("$bin" prefetch --no-config --source "$URL" --bbox 10,10,20,20 --zoom 5:5 --cache-dir "$T/cache" \
    --rate 4 --burst 1 --quiet 2>&1)
case "$out" in
*"tiles stored"*"limit of 4 requests/s"*) ok "prefetch names the --rate ceiling" ;;
*) bad "prefetch --rate 4: $out" ;;
esac

# A bucket of 10/s, burst 3, refusing with bare 429s.
start_sim --latency 20 --rate 10 --burst 3 --no-retry-after
URL="http://127.0.0.1:$PORT/{z}/{x}/{y}.png"
"$bin" fetch --no-config --source "$URL" --zoom 7 --x 40:47 --y 40:44 --out "$T/d.png" \
    --stats "$T/d.json" --quiet >/dev/null 2>&1
rc=$?
req=$(num "$T/d.json" requests)
thr=$(num "$T/d.json" throttled)
# A fixed cost, not a share: the first wave meets the burst of 3 and two or
# three more refusals measure the rate (5 % of issue 13's 196 tiles is 10).
if [ "$rc" -eq 0 ] && [ "$(num "$T/d.json" tiles_ok)" = 40 ] && [ "$thr" -le 12 ]; then
    ok "defaults: 40 tiles, $thr of $req requests refused"
else
    bad "defaults: rc $rc, $(num "$T/d.json" tiles_ok) ok, $thr of $req refused"
fi
"$bin" fetch --no-config --source "$URL" --zoom 7 --x 50:57 --y 40:44 --out "$T/e.png" \
    --stats "$T/e.json" --quiet --no-adaptive -c 8 --rate 0 --max-tries 100 >/dev/null 2>&1
rc=$?
fthr=$(num "$T/e.json" throttled)
if [ "$rc" -eq 0 ] && grep -q '"adaptive": false' "$T/e.json" && [ "$(num "$T/e.json" cap)" = 8 ] &&
    [ "$fthr" -ge $((3 * thr)) ]; then
    ok "--no-adaptive -c 8: fixed limits kept, $fthr refused"
else
    bad "--no-adaptive: rc $rc, cap $(num "$T/e.json" cap), $fthr refused (defaults $thr)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
