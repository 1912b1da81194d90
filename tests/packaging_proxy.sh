#!/usr/bin/env bash
# Proxies: libcurl's http_proxy / https_proxy / no_proxy environment variables
# work, i.e. the loader does not override them (no CURLOPT_PROXY). Two local
# tile servers stand in for a proxy and an origin; their request logs show
# which one each request reached. Loopback only: the https target is
# 127.0.0.1:1, reached (if at all) through the "proxy" as a CONNECT.
# Usage: packaging_proxy.sh MERIDIAN_BIN TILESIM_BIN
set -u
bin=$1 tilesim=$2
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ $fail -eq 0 ]; exit $?; }

start_server() { # name -> sets port_<name>
    "$tilesim" --port 0 --log "$tmp/$1.log" >"$tmp/$1.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q '^listening on' "$tmp/$1.out" && break; sleep 0.1; done
    local p
    p=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/$1.out")
    [ -n "$p" ] || { bad "tile server $1 did not start: $(cat "$tmp/$1.out")"; finish; }
    printf -v "port_$1" '%s' "$p"
}
start_server proxy
start_server origin
lines() { [ -f "$tmp/$1.log" ] && wc -l <"$tmp/$1.log" || echo 0; }

n=0
fetch() { # url-template, then env assignments
    local url=$1; shift
    n=$((n + 1))
    env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY -u no_proxy -u NO_PROXY \
        HOME="$tmp" XDG_CACHE_HOME="$tmp/cache$n" "$@" \
        timeout 60 "$bin" fetch --source "$url" --zoom 0 --x 0:0 --y 0:0 --out "$tmp/out$n.png" \
        --max-tries 1 --timeout 5000 --deadline 20 --quiet --cache-dir "$tmp/cache$n" >"$tmp/fetch$n.log" 2>&1
}
origin_url="http://127.0.0.1:$port_origin/{z}/{x}/{y}.png"

# http_proxy: the request goes to the proxy, in absolute form, not to the origin.
fetch "$origin_url" http_proxy="http://127.0.0.1:$port_proxy"
if [ "$(lines origin)" -eq 0 ] && grep -q "path=http://127.0.0.1:$port_origin/0/0/0.png" "$tmp/proxy.log"; then
    ok "http_proxy is used"
else
    bad "http_proxy: proxy log '$(cat "$tmp/proxy.log" 2>/dev/null)', origin saw $(lines origin) requests"
fi

# no_proxy: the same with the origin exempted goes straight to the origin.
before=$(lines proxy)
fetch "$origin_url" http_proxy="http://127.0.0.1:$port_proxy" no_proxy=127.0.0.1
if [ "$(lines proxy)" -eq "$before" ] && grep -q 'path=/0/0/0.png' "$tmp/origin.log"; then ok "no_proxy is honoured"
else bad "no_proxy: proxy saw $(($(lines proxy) - before)) more, origin log '$(cat "$tmp/origin.log" 2>/dev/null)'"; fi

# https_proxy: an https URL is tunnelled with CONNECT through the proxy.
before=$(lines proxy)
fetch "https://127.0.0.1:1/{z}/{x}/{y}.png" https_proxy="http://127.0.0.1:$port_proxy"
if tail -n +"$((before + 1))" "$tmp/proxy.log" | grep -q 'path=127.0.0.1:1'; then ok "https_proxy is used (CONNECT)"
else bad "https_proxy: no CONNECT in the proxy log: $(cat "$tmp/proxy.log")"; fi
finish
