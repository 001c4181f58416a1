#!/bin/sh
# Install what a TIP target needs on Debian: apt-get when root, otherwise print
# the exact command and fail.  Usage: scripts/deps.sh GROUP...
# Groups: build (compile tipd and tip), check (unit, integration, browser,
# fuzz-replay tests), cross (big-endian and 32-bit store tests; musl for the
# OpenWrt-like build of tests/integration/ports.sh), bench, demo, fresh, fuzz
# (make fuzz: the libFuzzer builds).
# The lists live here only, so the README, CI and the make targets agree.
#
# Every package a target uses is named here directly: nothing is left to
# Recommends (installs use --no-install-recommends, as small machines and
# containers do) and nothing to what a particular machine happens to have.
# `make check-fresh` proves it on a brand-new Debian 12 root.
set -eu

pkgs_build="build-essential pkg-config kconfig-frontends libev-dev libudns-dev
	libbearssl-dev libcdb-dev zlib1g-dev"
# procps: ps/pkill in the tests; tzdata: ClickHouse and date(1) need zone
# files; nodejs/npm: playwright-core drives Debian's chromium (no browser
# download); clang + libclang-rt: the fuzz targets; openssl + nginx: the
# HTTPS servers and the test CA of the feed tests; groff-base: the man pages
# are checked (operator.sh).
pkgs_check="libcmocka-dev python3 procps tzdata pdns-server pdns-backend-bind dnsutils
	iproute2 curl chromium nodejs npm libxml2-utils clickhouse-server clickhouse-client
	nftables jq shellcheck librsvg2-bin openssl nginx rsync clang llvm libclang-rt-14-dev
	groff-base"
# The cross C libraries' headers are only Recommends of the cross compilers.
pkgs_cross="qemu-user gcc-s390x-linux-gnu libc6-dev-s390x-cross gcc-arm-linux-gnueabihf
	libc6-dev-armhf-cross dpkg-dev musl-tools"
pkgs_bench="sqlite3 libsqlite3-dev nsd wrk curl rsync procps nginx openssl python3 time bc"
pkgs_demo="pdns-server pdns-backend-bind python3 procps"
# make check-fresh: builds the brand-new Debian root it runs the two commands in.
pkgs_fresh="mmdebstrap"
# make fuzz: clang and its fuzzer and sanitizer runtimes (also in check)
pkgs_fuzz="clang llvm libclang-rt-14-dev"

want=""
for g in "$@"; do
	case "$g" in
	build) want="$want $pkgs_build" ;;
	check) want="$want $pkgs_build $pkgs_check $pkgs_fuzz" ;;
	fuzz)  want="$want $pkgs_build $pkgs_fuzz" ;;
	cross) want="$want $pkgs_cross" ;;
	bench) want="$want $pkgs_build $pkgs_bench" ;;
	demo)  want="$want $pkgs_build $pkgs_demo" ;;
	fresh) want="$want $pkgs_fresh" ;;
	*) echo "deps.sh: unknown group: $g" >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	# Not Debian (OpenWrt SDK, Buildroot, another distribution): the build
	# system of that platform provides the libraries; say what we expected.
	echo "deps.sh: no dpkg here; make sure these are installed:" $want >&2
	exit 0
fi

# installed PKG: the package, or for nodejs/npm the commands (a machine may
# have Node.js from another packaging, whose nodejs conflicts with Debian's npm).
installed() {
	case "$1" in
	nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
	npm) command -v npm >/dev/null 2>&1 && return 0 ;;
	esac
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*" installed") return 0 ;;
	esac
	return 1
}

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run:  sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "deps.sh: installing:$missing"
t0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# An empty or stale package list (fresh machine) makes installs fail:
# update once and try again before giving up.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] ||
   ! apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1; then
	apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; echo "deps.sh: apt-get update failed" >&2; exit 1; }
	if ! apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "deps.sh: apt-get install failed:$missing" >&2
		exit 1
	fi
fi
# pdns-server, nginx and clickhouse-server start system instances when
# installed (ports 53, 80, 8123 and 9000); the tests run their own on free
# loopback ports and need none.
if command -v systemctl >/dev/null 2>&1; then
	for s in pdns nginx clickhouse-server; do
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	done
fi
for p in $missing; do
	installed "$p" || { echo "deps.sh: $p still not installed" >&2; exit 1; }
done
echo "deps.sh: installed in $(( $(date +%s) - t0 )) s"
