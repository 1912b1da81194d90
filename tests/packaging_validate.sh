#!/usr/bin/env bash
# The desktop entry, AppStream metainfo, icons and man pages pass their
# validators. The tools come from scripts/packages.txt; a missing tool is a
# failure, not a skip. Usage: packaging_validate.sh SOURCE_DIR PROJECT_VERSION
set -u
src=$1 version=$2
id=io.github.meridian_map.Meridian
desktop=$src/packaging/$id.desktop
meta=$src/packaging/$id.metainfo.xml
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
need() { command -v "$1" >/dev/null || { bad "$1 is missing (Debian package $2, in scripts/packages.txt)"; return 1; }; }

if need desktop-file-validate desktop-file-utils; then
    out=$(desktop-file-validate "$desktop" 2>&1); rc=$?
    # Hints are advice; errors and warnings fail.
    if [ $rc -eq 0 ] && ! grep -qE 'error|warning' <<<"$out"; then ok "desktop-file-validate"; else bad "desktop-file-validate: $out"; fi
fi
grep -qx 'MimeType=x-scheme-handler/geo;' "$desktop" && ok "desktop entry handles geo:" || bad "desktop entry lacks MimeType=x-scheme-handler/geo;"
grep -qx 'Exec=meridian %u' "$desktop" && ok "Exec takes a URL" || bad "desktop entry Exec is not 'meridian %u'"
grep -qx "Icon=$id" "$desktop" && ok "Icon is the app id" || bad "desktop entry Icon is not $id"

if need appstreamcli appstream; then
    out=$(appstreamcli validate --no-net "$meta" 2>&1); rc=$?
    [ $rc -eq 0 ] && ok "appstreamcli validate --no-net" || bad "appstreamcli validate: $out"
fi
grep -q "<release version=\"$version\"" "$meta" && ok "metainfo release is $version" \
    || bad "metainfo has no <release version=\"$version\"> (CMakeLists.txt's project version)"
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$meta" && ok "metainfo launchable" || bad "metainfo launchable"
grep -q '<image>https://.*screenshot.png</image>' "$meta" && ok "metainfo screenshot" || bad "metainfo screenshot URL"

# Icons: each hicolor PNG has the size its directory says; the SVG parses.
if need file file; then
    for n in 16 22 24 32 48 64 128 256 512; do
        png=$src/packaging/icons/hicolor/${n}x$n/apps/$id.png
        if file "$png" | grep -q "PNG image data, $n x $n,"; then ok "icon ${n}px"; else bad "icon $png is not a ${n}x$n PNG"; fi
    done
    file "$src/assets/meridian-256.png" | grep -q 'PNG image data, 256 x 256,' && ok "assets/meridian-256.png" || bad "assets/meridian-256.png"
    file "$src/assets/meridian.svg" | grep -qi 'SVG' && ok "assets/meridian.svg" || bad "assets/meridian.svg is not SVG"
fi

# Man pages: no mandoc message at all, except for cross-references to pages
# not installed on this machine (that depends on the machine, not the page).
if need mandoc mandoc; then
    for page in meridian meridian-tilesim; do
        out=$(mandoc -Tlint "$src/man/$page.1" 2>&1 | grep -v -e 'referenced manual not found' -e 'mandoc.db')
        if [ -z "$out" ] && mandoc -Tlint -W warning "$src/man/$page.1" >/dev/null 2>&1; then
            ok "mandoc -Tlint $page.1"
        else
            bad "mandoc -Tlint $page.1: $out"
        fi
    done
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
