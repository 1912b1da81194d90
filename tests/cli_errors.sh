#!/usr/bin/env bash
# The meridian binary: bad command lines exit 2 with a one-line message naming
# the option and a hint to --help; --help documents every option.
set -u
bin=$1
fail=0
check() { # expected-substring args...
    local want=$1; shift
    local out rc
    out=$(HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent "$bin" "$@" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -ne 2 ]; then echo "FAIL: meridian $* exited $rc, want 2"; fail=1; return; fi
    case "$out" in *"$want"*) ;; *) echo "FAIL: meridian $*: '$out' lacks '$want'"; fail=1; return ;; esac
    case "$out" in *"--help"*) ;; *) echo "FAIL: meridian $*: no --help hint"; fail=1 ;; esac
    echo "ok: meridian $* -> $(echo "$out" | head -1)"
}
check "--lat" --lat 95
check "{bogus}" --source 'https://x/{z}/{q}/{bogus}'
check "--zoom" --zoom 20 --source osm
check "--size" --size 10x10
check "--max-concurrent" --max-concurrent abc
check "unknown option" --frobnicate
check "geo:" geo:100,0
help=$("$bin" --help) || { echo "FAIL: --help exited non-zero"; fail=1; }
for opt in source lat lon zoom size fullscreen user-agent max-concurrent rate cache-dir offline verbose help version; do
    case "$help" in *"--$opt"*) ;; *) echo "FAIL: --help lacks --$opt"; fail=1 ;; esac
done
"$bin" --version | grep -q '^meridian [0-9]' || { echo "FAIL: --version"; fail=1; }
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
