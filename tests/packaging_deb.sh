#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` on the build tree (into a temporary
# directory) makes meridian_<version>_<arch>.deb whose control data has the
# name, version, section, maintainer and shlibdeps-computed Depends, whose
# files are the install tree under /usr, and whose programs run from a
# throwaway root made with dpkg-deb -x.
# Usage: packaging_deb.sh CPACK BUILD_DIR PROJECT_VERSION
set -u
cpack=$1 build=$2 version=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ $fail -eq 0 ]; exit $?; }
for tool in dpkg-deb dpkg-shlibdeps dpkg; do
    command -v $tool >/dev/null || { bad "$tool is missing (Debian package dpkg-dev)"; finish; }
done

if "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then ok "cpack -G DEB"
else bad "cpack: $(tail -10 "$tmp/cpack.log")"; finish; fi
arch=$(dpkg --print-architecture)
deb=$tmp/out/meridian_${version}_$arch.deb
[ -f "$deb" ] && ok "made $(basename "$deb")" || { bad "no $deb: $(ls "$tmp/out")"; finish; }

info=$(dpkg-deb -f "$deb")
field() { grep -E "^$1: " <<<"$info" | sed "s/^$1: //"; }
[ "$(field Package)" = meridian ] && ok "Package: meridian" || bad "Package: $(field Package)"
[ "$(field Version)" = "$version" ] && ok "Version: $version" || bad "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] && ok "Architecture: $arch" || bad "Architecture: $(field Architecture)"
[ -n "$(field Section)" ] && ok "Section: $(field Section)" || bad "no Section"
grep -qE '<.+@.+>' <<<"$(field Maintainer)" && ok "Maintainer: $(field Maintainer)" || bad "Maintainer: $(field Maintainer)"
grep -q '^Description: .\+' <<<"$info" && grep -q '^ Meridian shows' <<<"$info" && ok "Description" \
    || bad "Description: $(grep -A2 '^Description' <<<"$info")"
deps=$(field Depends)
# Only dpkg-shlibdeps writes versioned library dependencies like these.
for lib in libc6 libcurl4 libsdl2-2.0-0 libsqlite3-0 libinih1 libepoxy0; do
    grep -qE "(^|, )$lib \(>= " <<<"$deps" && ok "Depends on $lib (shlibdeps)" || bad "Depends lacks $lib: $deps"
done

# SDL2 dlopens libGL: a dependency shlibdeps cannot see.
grep -qE "(^|, )libgl1(,|$| )" <<<"$deps" && ok "Depends on libgl1" || bad "Depends lacks libgl1: $deps"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
id=io.github.meridian_map.Meridian
for f in ./usr/bin/meridian ./usr/share/man/man1/meridian.1.gz ./usr/share/applications/$id.desktop \
         ./usr/share/metainfo/$id.metainfo.xml ./usr/share/icons/hicolor/256x256/apps/$id.png \
         ./usr/share/icons/hicolor/scalable/apps/$id.svg ./usr/share/meridian/shaders/; do
    grep -qxF "$f" <<<"$files" && ok "contains $f" || bad "lacks $f"
done
if [ -x "$build/meridian-view" ]; then
    grep -qxF ./usr/libexec/meridian/meridian-view <<<"$files" && ok "contains the viewer in /usr/libexec/meridian" \
        || bad "lacks ./usr/libexec/meridian/meridian-view"
fi
if grep -qv -e '^\./usr/' -e '^\./$' <<<"$files"; then bad "files outside /usr: $(grep -v '^\./usr/' <<<"$files" | head -3)"
else ok "everything under /usr"; fi

# A throwaway root: the packaged programs run and find their data there.
dpkg-deb -x "$deb" "$tmp/root"
out=$(HOME=$tmp XDG_CONFIG_HOME=$tmp "$tmp/root/usr/bin/meridian" --version 2>&1)
[ "$out" = "meridian $version" ] && ok "extracted meridian --version" || bad "extracted meridian --version: $out"
out=$(HOME=$tmp XDG_CONFIG_HOME=$tmp "$tmp/root/usr/bin/meridian" --list-sources 2>&1)
grep -q '^osm ' <<<"$out" && ok "extracted meridian --list-sources" || bad "extracted --list-sources: $out"
if grep -qxF ./usr/bin/meridian-tilesim <<<"$files"; then
    "$tmp/root/usr/bin/meridian-tilesim" --help 2>&1 | grep -q -- --port && ok "extracted meridian-tilesim --help" \
        || bad "extracted meridian-tilesim --help"
fi
finish
