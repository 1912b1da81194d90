#!/usr/bin/env bash
# The meridian binary with a config file and geo: URIs:
# --list-sources shows presets and [source.NAME] user sources; a bad config
# line is reported as FILE:LINE while the program still runs; a bad geo: URI
# or an unreadable --config exits 2 with a message.
# Usage: packaging_cli.sh MERIDIAN_BIN
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CONFIG_HOME=$tmp/config
mkdir -p "$XDG_CONFIG_HOME/meridian"
conf=$XDG_CONFIG_HOME/meridian/meridian.conf
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

cat >"$conf" <<'CONF'
# test config
zoom = 3
bogus-key = 1
[source.mytopo]
url = https://{s}.topo.example.org/{z}/{x}/{y}.png
subdomains = ab
max_zoom = 15
attribution = My Topo
CONF
out=$(timeout 30 "$bin" --list-sources 2>"$tmp/err"); rc=$?
[ $rc -eq 0 ] && ok "--list-sources exits 0" || bad "--list-sources exited $rc: $(cat "$tmp/err")"
for want in osm opentopomap demo mytopo 'https://{s}.topo.example.org/{z}/{x}/{y}.png' 'z0-15' 'My Topo'; do
    grep -qF -- "$want" <<<"$out" && ok "--list-sources shows $want" || bad "--list-sources lacks '$want': $out"
done
grep -qF "$conf:3: unknown option 'bogus-key'" "$tmp/err" && ok "bad line reported as FILE:LINE" \
    || bad "no FILE:LINE message for the bad line: $(cat "$tmp/err")"
# --no-config: the user source is gone.
out=$(timeout 30 "$bin" --no-config --list-sources 2>&1)
grep -q mytopo <<<"$out" && bad "--no-config still read the config" || ok "--no-config"
# The command line chooses another file.
printf '[source.other]\nurl = https://other.example.org/{z}/{x}/{y}.png\n' >"$tmp/other.conf"
out=$(timeout 30 "$bin" --config "$tmp/other.conf" --list-sources 2>&1)
grep -q other <<<"$out" && ! grep -q mytopo <<<"$out" && ok "--config FILE" || bad "--config FILE: $out"

# A geo: link asking for more zoom than the source has opens at its deepest zoom.
out=$(timeout 30 "$bin" --source opentopomap 'geo:48.8584,2.2945?z=21' --list-sources 2>&1); rc=$?
[ $rc -eq 0 ] && ok "geo: z beyond the source's maximum is clamped" || bad "geo: with z=21 on opentopomap: exit $rc: $out"

expect2() { # needle args...
    local needle=$1; shift
    local err rc
    err=$(timeout 30 "$bin" "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 2 ] && grep -qF -- "$needle" <<<"$err"; then ok "meridian $* -> exit 2"
    else bad "meridian $*: exit $rc, '$err' (want 2 and '$needle')"; fi
}
expect2 "invalid geo: URI" 'geo:48.85,abc'
expect2 "invalid geo: URI" 'geo:95,0?z=3'
expect2 "invalid geo: URI" 'geo:1,2;crs=utm'
expect2 "z must be" 'geo:1,2?z=40'
expect2 "not supported" 'geo:0,0?q=Eiffel%20Tower'
expect2 "cannot read" --config "$tmp/missing.conf" --list-sources
expect2 "--source" --source nosuch --list-sources
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
