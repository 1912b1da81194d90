#!/usr/bin/env bash
# HTTPS and HTTP/2 for real: nginx (a TLS + HTTP/2 reverse proxy on 127.0.0.1,
# tests/support/tls_proxy.sh) in front of meridian-tilesim, with a CA and a
# server certificate for "localhost" made here with openssl. `meridian fetch`:
#  - tiles arrive over HTTP/2 and share one connection (nginx's access log
#    shows $server_protocol and $connection); HTTP/1.1 where h2 is not offered;
#  - the disk cache and revalidation (304) behave as over http;
#  - a wrong CA or a wrong host name fails every tile with a clear
#    "certificate" reason, at once, without retries and without any HTTP
#    request reaching nginx;
#  - CURL_CA_BUNDLE and SSL_CERT_FILE are honoured; an unreadable --ca-file
#    is an error.
#  - with --viewer (a GUI test: needs the display scripts/test gives), the
#    viewer against a wrong CA: its HUD line (the stats' "notice") says the
#    certificate was not accepted.
# Usage: https.sh MERIDIAN TILESIM [--viewer]
set -u
bin=$1
sim=$2
viewer=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=support/tls_proxy.sh
. "$here/support/tls_proxy.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY CURL_CA_BUNDLE SSL_CERT_FILE
export no_proxy='*'
command -v nginx >/dev/null && command -v openssl >/dev/null || {
    echo "FAIL: nginx and openssl are needed (scripts/packages.txt lists nginx-light and openssl)"
    exit 1
}
T=$(mktemp -d)
SIM_PIDS=()
NGINX_PIDS=()
cleanup() {
    for p in "${NGINX_PIDS[@]}"; do kill -QUIT "$p" 2>/dev/null; done
    for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${MER_KEEP_DIR:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# Starts a tilesim with extra options; sets SIM_PORT.
start_sim() {
    local out=$T/sim.$RANDOM
    "$sim" --port 0 --die-with-parent "$@" >"$out" 2>&1 &
    SIM_PIDS+=($!)
    SIM_PORT=
    for _ in $(seq 200); do
        SIM_PORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$out" 2>/dev/null | head -1 | cut -d: -f2)
        [ -n "$SIM_PORT" ] && return 0
        sleep 0.05
    done
    echo "FAIL: tilesim did not start"
    exit 1
}

# fetch NAME URL_BASE [options...]: a 4x4 grid at z5 into $T/NAME.png with
# stats in $T/NAME.json; output in $T/NAME.out; exit status in RC.
fetch() {
    local name=$1 base=$2
    shift 2
    "$bin" fetch --no-config --source "$base/{z}/{x}/{y}.png" --zoom 5 --x 0:3 --y 0:3 \
        --out "$T/$name.png" --stats "$T/$name.json" --deadline 60 "$@" >"$T/$name.out" 2>&1
    RC=$?
}
num() { grep -o "\"$2\": [0-9]*" "$T/$1.json" 2>/dev/null | head -1 | awk '{print $2}'; }
tile_lines() { grep -c ' /5/' "$1"; }

tls_certs "$T/pki" || { bad "openssl could not make the certificates"; exit 1; }
start_sim --max-age 3600
tls_start "$T/a" "$SIM_PORT" "$T/pki" || { bad "nginx did not start: $(cat "$T/a/error.log" 2>/dev/null)"; exit 1; }
NGINX_PIDS+=("$NGINX_PID")
A_H2=$H2_PORT
A_H1=$H1_PORT
CA=$T/pki/ca.pem

if [ "$viewer" = --viewer ]; then
    [ -n "${MER_OWN_DISPLAY:-}" ] || { bad "no display of its own: run it through ctest (tests/support/own_display.sh)"; exit 1; }
    mkdir -p "$T/v/cache" "$T/v/state"
    printf 'wait-idle 60000\nscreenshot %s\nquit\n' "$T/v/shot.png" >"$T/v/script.txt"
    XDG_CACHE_HOME=$T/v/cache XDG_STATE_HOME=$T/v/state SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-x11} \
        LIBGL_ALWAYS_SOFTWARE=1 SDL_AUDIODRIVER=dummy \
        "$bin" --no-config --script "$T/v/script.txt" --stats "$T/v/stats.json" --size 640x400 \
        --source "https://localhost:$A_H2/{z}/{x}/{y}.png" --ca-file "$T/pki/other-ca.pem" \
        --lat 20 --lon 10 --zoom 3 >"$T/v/out" 2>&1
    rc=$?
    notice=$(grep -o '"notice": "[^"]*"' "$T/v/stats.json" 2>/dev/null)
    if [ "$rc" -eq 0 ] && grep -q 'certificate not accepted' <<<"$notice" && grep -q 'tls_error": "certificate' "$T/v/stats.json"; then
        ok "viewer, wrong CA: the HUD says $notice"
    else
        bad "viewer, wrong CA: rc $rc, $notice: $(tail -3 "$T/v/out")"
    fi
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi

# ---- HTTP/2, one connection ----
fetch h2 "https://localhost:$A_H2" --ca-file "$CA" --cache-dir "$T/cache"
if [ "$RC" -eq 0 ] && grep -q '16 ok' "$T/h2.out"; then ok "16 tiles over https with --ca-file"; else bad "https fetch: rc $RC: $(tail -3 "$T/h2.out")"; fi
n=$(tile_lines "$T/a/access.log")
protos=$(grep ' /5/' "$T/a/access.log" | awk '{print $1}' | sort -u | tr '\n' ' ')
conns=$(grep ' /5/' "$T/a/access.log" | awk '{print $2}' | sort -u | wc -l)
if [ "$n" -eq 16 ] && [ "$protos" = "HTTP/2.0 " ] && [ "$conns" -eq 1 ]; then
    ok "nginx saw 16 requests, all HTTP/2.0, on one connection"
else
    bad "nginx saw $n requests, protocols '$protos', $conns connections"
fi

# ---- the disk cache over https: a second run asks nothing ----
before=$(tile_lines "$T/a/access.log")
fetch h2again "https://localhost:$A_H2" --ca-file "$CA" --cache-dir "$T/cache"
after=$(tile_lines "$T/a/access.log")
if [ "$RC" -eq 0 ] && [ "$(num h2again requests)" = 0 ] && [ "$(num h2again cache_hits)" = 16 ] && [ "$after" -eq "$before" ]; then
    ok "second run: 16 cache hits, no request"
else
    bad "second run: rc $RC, requests $(num h2again requests), cache hits $(num h2again cache_hits), nginx $before -> $after"
fi

# ---- HTTP/1.1 where nginx offers no h2 ----
: >"$T/a/access.log"
kill -USR1 "${NGINX_PIDS[0]}" 2>/dev/null
fetch h1 "https://localhost:$A_H1" --ca-file "$CA"
protos=$(grep ' /5/' "$T/a/access.log" | awk '{print $1}' | sort -u | tr '\n' ' ')
if [ "$RC" -eq 0 ] && [ "$protos" = "HTTP/1.1 " ]; then ok "HTTP/1.1 where h2 is not offered"; else bad "h1: rc $RC, protocols '$protos'"; fi

# ---- the environment names the CA ----
CURL_CA_BUNDLE=$CA fetch env1 "https://localhost:$A_H2"
[ "$RC" -eq 0 ] && ok "CURL_CA_BUNDLE honoured" || bad "CURL_CA_BUNDLE: rc $RC: $(tail -2 "$T/env1.out")"
SSL_CERT_FILE=$CA fetch env2 "https://localhost:$A_H2"
[ "$RC" -eq 0 ] && ok "SSL_CERT_FILE honoured" || bad "SSL_CERT_FILE: rc $RC: $(tail -2 "$T/env2.out")"

# ---- certificate failures: every tile, at once, no retries, no HTTP ----
check_cert_failure() { # name what
    local name=$1 what=$2 lines
    lines=$(grep -c 'certificate not accepted' "$T/$name.out")
    if [ "$RC" -eq 1 ] && grep -q '16 failed' "$T/$name.out" && [ "$lines" -ge 16 ] &&
        [ "$(num "$name" retries)" = 0 ] && [ "$(num "$name" requests)" -le 16 ] &&
        grep -q '"tls_error": "certificate not accepted' "$T/$name.json"; then
        ok "$what: 16 tiles failed with 'certificate not accepted', $(num "$name" requests) requests, no retries"
    else
        bad "$what: rc $RC, $lines certificate lines, retries $(num "$name" retries), requests $(num "$name" requests): $(tail -2 "$T/$name.out")"
    fi
}
before=$(tile_lines "$T/a/access.log")
fetch wrongca "https://localhost:$A_H2" --ca-file "$T/pki/other-ca.pem"
check_cert_failure wrongca "wrong CA"
grep -q 'local issuer' "$T/wrongca.out" && ok "wrong CA: the reason names the issuer" || bad "wrong CA: reason: $(grep -m1 certificate "$T/wrongca.out")"
fetch wronghost "https://127.0.0.1:$A_H2" --ca-file "$CA"
check_cert_failure wronghost "wrong host name"
grep -q 'host name' "$T/wronghost.out" && ok "wrong host: the reason names the host name" || bad "wrong host: reason: $(grep -m1 certificate "$T/wronghost.out")"
after=$(tile_lines "$T/a/access.log")
[ "$after" -eq "$before" ] && ok "no HTTP request reached nginx on a refused certificate" || bad "nginx saw $((after - before)) requests"
fetch noca "https://localhost:$A_H2"
check_cert_failure noca "no CA given (system store)"

fetch badfile "https://localhost:$A_H2" --ca-file "$T/nonexistent.pem"
if [ "$RC" -ne 0 ] && grep -q 'CA file' "$T/badfile.out"; then ok "unreadable --ca-file is an error"; else bad "unreadable --ca-file: rc $RC: $(tail -2 "$T/badfile.out")"; fi

# ---- revalidation over https: max-age 0, the second run gets 304s ----
start_sim --max-age 0
tls_start "$T/b" "$SIM_PORT" "$T/pki" || { bad "second nginx did not start"; exit 1; }
NGINX_PIDS+=("$NGINX_PID")
fetch reval1 "https://localhost:$H2_PORT" --ca-file "$CA" --cache-dir "$T/cache2"
fetch reval2 "https://localhost:$H2_PORT" --ca-file "$CA" --cache-dir "$T/cache2"
n304=$(grep ' /5/' "$T/b/access.log" | awk '$3 == 304' | wc -l)
if [ "$RC" -eq 0 ] && [ "$(num reval2 304)" = 16 ] && [ "$(num reval2 revalidated)" = 16 ] && [ "$n304" -eq 16 ]; then
    ok "revalidation over https: 16 x 304, cache refreshed"
else
    bad "revalidation: rc $RC, 304s $(num reval2 304), revalidated $(num reval2 revalidated), nginx 304s $n304"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
