#!/usr/bin/env bash
# Install from a prefix: `cmake --install BUILD --prefix TMP` gives a tree in
# which meridian runs and finds its data from TMP (not from the source tree):
# the files are where GNUInstallDirs puts them, --version and --help work, the
# man pages lint, and, when the build has the viewer, the installed binary
# starts under Xvfb against the installed meridian-tilesim, draws tiles and
# quits from a script, and fails without the prefix's shaders.
# Usage: packaging_install.sh CMAKE BUILD_DIR PROJECT_VERSION
set -u
cmake=$1 build=$2 version=$3
id=io.github.meridian_map.Meridian
tmp=$(mktemp -d)
trap 'kill "$tsim_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
tsim_pid=
prefix=$tmp/prefix
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ $fail -eq 0 ]; exit $?; }

if "$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then ok "cmake --install"
else bad "cmake --install: $(tail -5 "$tmp/install.log")"; finish; fi

has_tilesim=false; [ -x "$build/meridian-tilesim" ] && has_tilesim=true
has_viewer=false; [ -f "$build/libmeridian_ui.a" ] && has_viewer=true
files=(bin/meridian share/applications/$id.desktop share/metainfo/$id.metainfo.xml
       share/icons/hicolor/scalable/apps/$id.svg share/man/man1/meridian.1.gz
       share/doc/meridian/examples/meridian.conf)
for n in 16 22 24 32 48 64 128 256 512; do files+=(share/icons/hicolor/${n}x$n/apps/$id.png); done
$has_tilesim && files+=(bin/meridian-tilesim share/man/man1/meridian-tilesim.1.gz)
# The viewer is its own program, which bin/meridian execs (src/cli/main.c).
$has_viewer && files+=(libexec/meridian/meridian-view)
for f in "${files[@]}"; do [ -s "$prefix/$f" ] && ok "installed $f" || bad "missing $prefix/$f"; done
for d in shaders assets; do
    n=$(find "$prefix/share/meridian/$d" -type f 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] && ok "share/meridian/$d has $n files" || bad "share/meridian/$d is empty or missing"
done

# The installed binary runs; no config file of the machine's user is read.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache XDG_STATE_HOME=$tmp/home/.state
mkdir -p "$HOME"
out=$(timeout 30 "$prefix/bin/meridian" --version 2>&1)
[ "$out" = "meridian $version" ] && ok "--version: $out" || bad "--version printed '$out'"
timeout 30 "$prefix/bin/meridian" --help 2>&1 | grep -q -- '--list-sources' && ok "--help" || bad "--help"
if $has_tilesim; then
    timeout 30 "$prefix/bin/meridian-tilesim" --help 2>&1 | grep -q -- '--latency' && ok "meridian-tilesim --help" \
        || bad "meridian-tilesim --help"
fi
for page in "$prefix"/share/man/man1/*.1.gz; do
    out=$(mandoc -Tlint -W warning "$page" 2>&1) && ok "mandoc $(basename "$page")" || bad "mandoc $page: $out"
done
if command -v man >/dev/null; then
    MANPATH=$prefix/share/man man -w meridian 2>/dev/null | grep -q "^$prefix/share/man/man1/meridian.1.gz$" \
        && ok "man finds meridian(1) under the prefix" || bad "man -w meridian does not find the installed page"
else
    echo "note: man is not installed; 'man -w' not checked"
fi

if ! $has_viewer || ! $has_tilesim; then
    echo "note: this build has no viewer or no tile server; the installed viewer's start is not checked"
    finish
fi

# A tile server from the prefix on an ephemeral loopback port.
"$prefix/bin/meridian-tilesim" --port 0 >"$tmp/tsim.out" 2>&1 &
tsim_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/tsim.out" && break; sleep 0.1; done
port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/tsim.out")
[ -n "$port" ] && ok "installed meridian-tilesim listens on $port" || { bad "tilesim did not start: $(cat "$tmp/tsim.out")"; finish; }

printf 'wait-idle 30000\nscreenshot %s\nquit\n' "$tmp/shot.png" >"$tmp/script.txt"
run_viewer() {
    local cmd=("$prefix/bin/meridian" --no-config --source "http://127.0.0.1:$port/{z}/{x}/{y}.png"
               --lat 0 --lon 0 --zoom 2 --size 640x480 --script "$tmp/script.txt")
    # Leak checking is the viewer tests' job (SDL's D-Bus code leaks at exit);
    # this test is about the installed tree.
    if [ -n "${DISPLAY:-}" ]; then ASAN_OPTIONS=detect_leaks=0 timeout 120 "${cmd[@]}"
    else ASAN_OPTIONS=detect_leaks=0 timeout 120 xvfb-run -a -s "-screen 0 1280x720x24" "${cmd[@]}"; fi
}

# Without the prefix's shaders it must fail: proof that it reads them from
# the prefix, not from the source tree (unless an install elsewhere has them).
mv "$prefix/share/meridian/shaders" "$tmp/shaders.away"
run_viewer >"$tmp/noshader.log" 2>&1; rc=$?
mv "$tmp/shaders.away" "$prefix/share/meridian/shaders"
if [ $rc -ne 0 ] && grep -q 'shader' "$tmp/noshader.log"; then ok "without the prefix's shaders it fails (exit $rc)"
else bad "started without the prefix's shaders: it took them from elsewhere: $(head -3 "$tmp/noshader.log")"; fi

rm -f "$tmp/shot.png"
run_viewer >"$tmp/viewer.log" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "installed viewer ran its script and quit" || bad "installed viewer exited $rc: $(tail -5 "$tmp/viewer.log")"
if file "$tmp/shot.png" 2>/dev/null | grep -q 'PNG image data, 640 x 480'; then ok "screenshot 640x480"
else bad "no 640x480 screenshot"; fi
# --demo starts the installed meridian-tilesim found beside the binary.
rm -f "$tmp/shot.png"
if [ -n "${DISPLAY:-}" ]; then wrap=(); else wrap=(xvfb-run -a -s "-screen 0 1280x720x24"); fi
ASAN_OPTIONS=detect_leaks=0 timeout 120 "${wrap[@]}" "$prefix/bin/meridian" --no-config --demo --size 640x480 \
    --script "$tmp/script.txt" >"$tmp/demo.log" 2>&1; rc=$?
if grep -q 'not available in this build' "$tmp/demo.log"; then
    echo "note: this build has no --demo; not checked"
elif [ $rc -eq 0 ] && file "$tmp/shot.png" 2>/dev/null | grep -q 'PNG image data, 640 x 480'; then
    ok "installed meridian --demo ran with the installed tile server"
else
    bad "installed meridian --demo: exit $rc: $(tail -5 "$tmp/demo.log")"
fi

# Every tile drawn came from the server: the tile server saw requests.
stats=$(curl -s --max-time 5 "http://127.0.0.1:$port/stats")
req=$(grep -oE '"requests": *[0-9]+' <<<"$stats" | grep -oE '[0-9]+$')
[ "${req:-0}" -gt 0 ] && ok "tile server answered $req requests" || bad "tile server saw no requests: $stats"
finish
