# Shared set-up for scripts/run, scripts/test and scripts/package. Sourced, not run.
# shellcheck shell=bash
MER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Prints the packages from scripts/packages.txt that dpkg does not report installed.
mer_missing_packages() {
    local pkg missing=()
    while read -r pkg; do
        case "$pkg" in ''|'#'*) continue ;; esac
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done < "$MER_ROOT/scripts/packages.txt"
    echo "${missing[*]}"
}

# Installs what is missing; never calls apt-get when nothing is.
mer_ensure_packages() {
    local missing
    missing=$(mer_missing_packages)
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "meridian: missing Debian packages. Install them with:" >&2
        echo "  sudo apt-get install -y --no-install-recommends $missing" >&2
        exit 1
    fi
    echo "meridian: installing $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || exit 1
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing || exit 1
}

# mer_build DIR BUILD_TYPE [extra cmake args...]
mer_build() {
    local dir=$1 type=$2
    shift 2
    cmake -S "$MER_ROOT" -B "$MER_ROOT/$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null || exit 1
    cmake --build "$MER_ROOT/$dir" -j "$(nproc)" || exit 1
}
