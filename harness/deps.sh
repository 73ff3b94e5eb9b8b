#!/usr/bin/env bash
# The one list of Debian packages synack needs, by purpose. Checks that they
# are installed; as root installs what is missing, otherwise stops with the
# exact command to run.  Usage: harness/deps.sh build|check|linux|fuzz|bench|all
set -euo pipefail

declare -A PKGS=(
	[build]="gcc make libc6-dev"
	[check]="clang libclang-rt-14-dev perl clang-format cppcheck"
	[linux]="libnet1-dev libpcap-dev iproute2 ethtool"
	[fuzz]="clang libclang-rt-14-dev afl++ zip"
	[bench]="valgrind"
)
# The CLI links the Linux stack, so a plain build needs its libraries too.
PKGS[build]+=" libnet1-dev libpcap-dev"

group=${1:-all}
if [ "$group" = all ]; then
	want="${PKGS[build]} ${PKGS[check]} ${PKGS[linux]} ${PKGS[fuzz]} ${PKGS[bench]}"
elif [ -n "${PKGS[$group]+x}" ]; then
	want=${PKGS[$group]}
else
	echo "deps.sh: unknown group '$group' (build, check, linux, fuzz, bench, all)" >&2
	exit 2
fi

missing=()
for p in $(printf '%s\n' $want | sort -u); do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "synack: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "synack: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
