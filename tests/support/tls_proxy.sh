# tests/support/tls_proxy.sh (sourced, bash): nginx as a TLS reverse proxy in
# front of a local tilesim, for the HTTPS tests and bench/limits. Everything
# lives in one directory the caller owns (certificates, nginx.conf, pid, logs,
# temporary files): no system configuration is read and nothing is written
# elsewhere. nginx runs in the foreground as a child of the calling shell.
#
#   tls_certs DIR           a CA (ca.pem), a server certificate for the name
#                           "localhost" only (server.pem, key.pem) signed by it,
#                           and an unrelated CA (other-ca.pem)
#   tls_start DIR UPSTREAM [CERTS]
#                           nginx on 127.0.0.1 proxying to 127.0.0.1:UPSTREAM
#                           with the certificate made in CERTS (default DIR):
#                           H2_PORT offers HTTP/2 (ALPN), H1_PORT HTTP/1.1 only;
#                           sets NGINX_PID, H2_PORT, H1_PORT; false on failure
#   tls_stop                stops it (SIGQUIT: graceful, logs flushed)
#
# Access log lines: "$server_protocol $connection $status $request_uri".

tls_certs() {
    local d=$1
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
            -subj "/CN=Meridian test CA" >/dev/null 2>&1 &&
        openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 \
            -subj "/CN=Meridian unrelated CA" >/dev/null 2>&1 &&
        openssl req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr \
            -subj "/CN=localhost" >/dev/null 2>&1 &&
        printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext.cnf &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
            -days 2 -extfile ext.cnf >/dev/null 2>&1
    )
}

# A TCP port nobody listens on now (from /proc/net/tcp*); nginx may still lose
# a race for it, which tls_start retries.
tls_free_port() {
    local used p i
    used=$(awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        while read -r h; do printf '%d\n' "0x$h"; done)
    for i in $(seq 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        grep -qx "$p" <<<"$used" || { echo "$p"; return 0; }
    done
    return 1
}

tls_start() {
    local d=$1 upstream=$2 certs=${3:-$1} try i
    for try in $(seq 10); do
        H2_PORT=$(tls_free_port) || return 1
        H1_PORT=$(tls_free_port) || return 1
        [ "$H1_PORT" = "$H2_PORT" ] && continue
        mkdir -p "$d/tmp"
        cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
    log_format proxy '\$server_protocol \$connection \$status \$request_uri';
    access_log $d/access.log proxy;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    ssl_certificate $certs/server.pem;
    ssl_certificate_key $certs/key.pem;
    upstream tilesim { server 127.0.0.1:$upstream; keepalive 32; }
    server {
        listen 127.0.0.1:$H2_PORT ssl http2;
        listen 127.0.0.1:$H1_PORT ssl;
        server_name localhost;
        location / {
            proxy_pass http://tilesim;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
        : >"$d/access.log"
        nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" </dev/null >"$d/nginx.out" 2>&1 &
        NGINX_PID=$!
        for i in $(seq 200); do
            if ! kill -0 "$NGINX_PID" 2>/dev/null; then
                break # it exited: most likely the port was taken after all
            fi
            if [ -s "$d/nginx.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$H2_PORT") 2>/dev/null &&
                (exec 3<>"/dev/tcp/127.0.0.1/$H1_PORT") 2>/dev/null; then
                return 0
            fi
            sleep 0.05
        done
        kill "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
        NGINX_PID=
        # Only a lost race for a port is worth another try.
        grep -q "in use" "$d/error.log" "$d/nginx.out" 2>/dev/null || return 1
    done
    return 1
}

tls_stop() {
    [ -n "${NGINX_PID:-}" ] || return 0
    kill -QUIT "$NGINX_PID" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=
}
