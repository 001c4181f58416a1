#!/bin/sh
# Install what a TIP target needs on Debian: apt-get when root, otherwise print
# the exact command and fail.  Usage: scripts/deps.sh GROUP...
# Groups: build (compile tipd and tip), check (unit and integration tests),
# cross (big-endian and 32-bit store tests; musl for the OpenWrt-like
# build of tests/integration/ports.sh), bench, demo.
# The lists live here only, so the README, CI and the make targets agree.
set -eu

pkgs_build="build-essential pkg-config kconfig-frontends libev-dev libudns-dev libbearssl-dev libcdb-dev"
pkgs_check="libcmocka-dev python3 pdns-server pdns-backend-bind dnsutils iproute2 curl chromium
	libxml2-utils clickhouse-server clickhouse-client nftables"
pkgs_cross="qemu-user gcc-s390x-linux-gnu gcc-arm-linux-gnueabihf dpkg-dev musl-tools"
pkgs_bench="sqlite3 libsqlite3-dev nsd wrk curl"
pkgs_demo="pdns-server pdns-backend-bind python3"

want=""
for g in "$@"; do
	case "$g" in
	build) want="$want $pkgs_build" ;;
	check) want="$want $pkgs_build $pkgs_check" ;;
	cross) want="$want $pkgs_cross" ;;
	bench) want="$want $pkgs_build $pkgs_bench" ;;
	demo)  want="$want $pkgs_build $pkgs_demo" ;;
	*) echo "deps.sh: unknown group: $g" >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	# Not Debian (OpenWrt SDK, Buildroot, another distribution): the build
	# system of that platform provides the libraries; say what we expected.
	echo "deps.sh: no dpkg here; make sure these are installed:$want" >&2
	exit 0
fi

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# An empty package list (fresh container) makes every install fail.
	if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] ||
	   ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends $missing >/dev/null
	fi
	# pdns-server starts a system instance on port 53 when installed; the
	# tests run their own on loopback ports and need none.
	if [ -x /usr/sbin/pdns_server ] && command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now pdns >/dev/null 2>&1 || true
	fi
	# clickhouse-server likewise (ports 8123 and 9000); tests/integration/
	# clickhouse.sh runs its own on free loopback ports.
	if [ -x /usr/sbin/clickhouse-server ] && command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now clickhouse-server >/dev/null 2>&1 || true
	fi
	exit 0
fi

echo "deps.sh: missing packages:$missing" >&2
echo "deps.sh: run:  sudo apt-get install -y$missing" >&2
exit 1
