#!/bin/bash
# asan: skip
# The armhf sysroot and the musl build's sources come from Debian's archive:
# network: package archives
# ports: the packaging in ports/, checked as far as a Debian host allows
# (no OpenWrt SDK, no Buildroot tree here):
#   - the shell scripts parse (sh -n, dash -n, shellcheck when present);
#   - configs/openwrt_defconfig is a complete .config (the ports copy it);
#   - OpenWrt: tipd.init renders a sample UCI file (through the stand-ins
#     of ports/tests/openwrt-shim.sh) into a tipd.conf that `tipd -n`
#     accepts; tipd runs from what start_service gave procd, as the
#     configured user, answers `tip status` through the socket link,
#     reloads on a changed rendering and on the NTP hotplug hook, stops
#     on TERM leaving a sound store;
#   - systemd: the unit passes `systemd-analyze verify`, its exposure
#     score is printed, sysusers and tmpfiles apply to an empty root, and
#     the configurations shipped for systemd and BusyBox init pass -n;
#   - a router-like build: tipd for armhf with -Os and the router profile
#     against Debian armhf packages unpacked into a sysroot, run under
#     qemu-arm (-V, -n on the rendered file, a short run whose store the
#     host's tip verifies), with its stripped size;
#   - the package recipes (OpenWrt net/tip and libs/bearssl, Buildroot tip,
#     udns, tinycdb) run by stand-ins for OpenWrt's and Buildroot's package
#     variables (ports/tests), on Debian's source tarballs, for armhf;
#   - musl, OpenWrt's C library: a static tipd through lifecycle.sh.
# Prints "ok NAME" / "not ok NAME" / "skip NAME: why"; exits 1 on failure.
# Caches: .debs in $O/cross/debs (shared with tests/cross/run.sh), the
# sysroot in $O/ports-sysroot-armhf, Debian sources in $O/ports-src, builds
# in $O/ports-*.  About 40 s warm, a minute cold.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
case "$O" in /*) ;; *) O=$TOP/$O ;; esac
TIPD=$O/tipd
TIP=$O/tip
FILES=$TOP/ports/openwrt/net/tip/files
fail=0
PID=
. tests/integration/lib.sh
skip() { echo "skip $1: $2"; }

if [ ! -x "$TIPD" ] || [ ! -x "$TIP" ]; then
	echo "not ok ports: $O/tipd or $O/tip not built"
	exit 1
fi
T=$(mktemp -d /tmp/tip-ports.XXXXXX)
chmod 755 "$T"
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ---- shell syntax ------------------------------------------------------------
scripts="$FILES/tipd.init $FILES/tipd.ntp-hotplug $TOP/ports/buildroot/package/tip/S90tipd
	$TOP/ports/tests/openwrt-shim.sh"
for f in $scripts; do
	name=${f#"$TOP"/}
	if ! err=$(sh -n "$f" 2>&1); then
		notok "sh -n $name" "$err"
	elif command -v dash >/dev/null 2>&1 && ! err=$(dash -n "$f" 2>&1); then
		notok "dash -n $name" "$err"
	else
		ok "sh -n $name"
	fi
done
if command -v shellcheck >/dev/null 2>&1; then
	# SC2034: START/STOP/USE_PROCD are read by rc.common; SC3043: busybox
	# ash has `local`; SC1091: sourced files of the router.
	if err=$(shellcheck -s sh -e SC2034,SC3043,SC1091 $scripts 2>&1); then
		ok "shellcheck of the init and hotplug scripts"
	else
		notok "shellcheck of the init and hotplug scripts" "$(echo "$err" | head -20)"
	fi
else
	notok "shellcheck of the init and hotplug scripts" "shellcheck not installed (a missing package is a fault of scripts/deps.sh, which installs it)"
fi

# ---- the router profile is a complete .config ----------------------------------
mkdir -p "$T/kc"
if KCONFIG_CONFIG=$T/kc/.config kconfig-conf --defconfig=configs/openwrt_defconfig Kconfig \
	>/dev/null 2>&1; then
	scripts/kconfig-header.sh Kconfig "$T/kc/.config" | sed 1d >"$T/kc/kconfig.h"
	scripts/kconfig-header.sh Kconfig configs/openwrt_defconfig | sed 1d >"$T/kc/copied.h"
	if cmp -s "$T/kc/kconfig.h" "$T/kc/copied.h"; then
		ok "openwrt_defconfig copied as .config gives kconfig-conf's tip_config.h"
	else
		notok "openwrt_defconfig copied as .config gives kconfig-conf's tip_config.h" \
			"$(diff "$T/kc/kconfig.h" "$T/kc/copied.h" | head -5)"
	fi
else
	skip "openwrt_defconfig completeness" "kconfig-conf failed or missing"
fi

# ---- OpenWrt: UCI rendering and a procd-style run --------------------------------
# The shipped UCI defaults, pointed at this test's folder (DNS servers on
# loopback, where nothing answers: the test sends nothing out), plus a
# list and a value with blanks.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	RUN_USER=nobody
	RUN_GROUP=$(id -gn nobody)
else
	RUN_USER='' RUN_GROUP=''	# not root: tipd runs as the tester
fi
mkdir -p "$T/uci" "$T/var/etc" "$T/var/run"
printf 'example.com\nexample.net\n' >"$T/watchlist"
sed -e "s|option user 'tip'|option user '$RUN_USER'|" \
	-e "s|option group 'tip'|option group '$RUN_GROUP'|" \
	-e "s|option dir '/tmp/tip'|option dir '$T/store'|" \
	-e "s|option file '/etc/tip/watchlist'|option file '$T/watchlist'|" \
	-e "s|option interval '5m'|option interval '2s'|" \
	-e "s|option log_level 'info'|option log_level 'info'\n\tlist trace 'ctl'\n\tlist trace 'conf'|" \
	-e "s|option sync_interval '5s'|option sync_interval '100ms'\n\toption sensor 'lab router 1'|" \
	-e "s|list servers '9.9.9.9'|list servers '127.0.0.1:1'|" \
	-e "s|list servers '149.112.112.112'|list servers '127.0.0.2:1'|" \
	"$FILES/tipd.config" >"$T/uci/tipd"
[ -n "$RUN_GROUP" ] || sed -i "/option group ''/d" "$T/uci/tipd"
modules=$("$TIPD" -V | sed -n 's/^modules://p')

# run_init FUNCTION: source the shim and the init script in a subshell,
# point them at $T and call FUNCTION.
run_init() {
	(
		UCI_CONFIG_DIR=$T/uci PROCD_LOG=$T/procd.log LOGGER_LOG=$T/logger.log
		. "$TOP/ports/tests/openwrt-shim.sh"
		. "$FILES/tipd.init"
		PROG=$TIPD CONF=$T/var/etc/tipd.conf RUNDIR=$T/var/run/tipd
		"$1"
	)
}
CONF=$T/var/etc/tipd.conf
: >"$T/procd.log"
: >"$T/logger.log"
if run_init start_service 2>"$T/init.err" && [ -s "$CONF" ]; then
	ok "tipd.init start_service renders /etc/config/tipd"
else
	notok "tipd.init start_service renders /etc/config/tipd" \
		"$(cat "$T/init.err" "$T/logger.log" | head -5)"
fi
if out=$("$TIPD" -n -c "$CONF" 2>&1); then
	ok "rendered tipd.conf passes tipd -n"
else
	notok "rendered tipd.conf passes tipd -n" "$out"
	sed 's/^/  | /' "$CONF"
fi
want_lines=("pidfile none" 'trace "ctl" "conf"' '	sensor "lab router 1"' '	segment-size "1M"'
	"	socket \"$T/var/run/tipd/tipd.sock\"" 'module watchlist {' '	enable "1"')
missing=
for l in "${want_lines[@]}"; do
	grep -qxF -- "$l" "$CONF" || missing="$missing [$l]"
done
if [ -z "$missing" ]; then
	ok "rendering: names, lists, quoting, pidfile and socket defaults"
else
	notok "rendering: names, lists, quoting, pidfile and socket defaults" "missing$missing"
fi
case " $modules " in
*" fastflux "*)
	if grep -q '^module fastflux {' "$CONF" && grep -q 'servers "127.0.0.1:1" "127.0.0.2:1"' "$CONF"; then
		ok "rendering: fastflux section with its server list"
	else
		notok "rendering: fastflux section with its server list"
	fi
	;;
*)
	if ! grep -q fastflux "$CONF" && grep -q "module fastflux is not built" "$T/logger.log"; then
		ok "rendering: a module not built in is left out with a warning"
	else
		notok "rendering: a module not built in is left out with a warning"
	fi
	;;
esac
# the share section: enabled with two peers, rendered to a module tipd accepts
case " $modules " in
*" share "*)
	"$TIP" keygen --out "$T/share" >"$T/share.fp" 2>/dev/null && "$TIP" keygen --out "$T/peerk" >"$T/peerk.fp" 2>/dev/null
	cp "$T/uci/tipd" "$T/uci/tipd.orig"
	sed -i -e "/^config module 'share'/,/^\$/{s|option enabled '0'|option enabled '1'|;s|option listen '0.0.0.0:8443'|option listen '127.0.0.1:18443'|;s|option key '/etc/tip/share'|option key '$T/share'|;s|#list peer '.*'|list peer 'analysis=$(cat "$T/peerk.fp")'\n\tlist peer '$(cat "$T/share.fp")'|}" "$T/uci/tipd"
	cp "$CONF" "$T/conf.noshare"
	run_init start_service 2>"$T/init2.err"
	if grep -q '^module share {' "$CONF" && grep -qF "	peer \"analysis=$(cat "$T/peerk.fp")\" \"$(cat "$T/share.fp")\"" "$CONF" &&
		grep -qF '	session-max "1h"' "$CONF" && grep -qF '	max-conn "4"' "$CONF" &&
		grep -qF "	key \"$T/share\"" "$CONF" && out=$("$TIPD" -n -c "$CONF" 2>&1); then
		ok "rendering: share section with its peer list, key under /etc/tip/, tipd -n accepts it"
	else
		notok "rendering: share section" "$(sed -n '/^module share/,/^}/p' "$CONF") ${out:-}"
	fi
	cp "$T/uci/tipd.orig" "$T/uci/tipd"
	run_init start_service 2>>"$T/init2.err"
	;;
esac
want_procd=("set_param command $TIPD -f -c $CONF" "set_param respawn 3600 5 5" "set_param stdout 1"
	"set_param stderr 1" "set_param file $CONF" "set_param reload_signal HUP")
[ -n "$RUN_USER" ] && want_procd+=("set_param user $RUN_USER")
missing=
for l in "${want_procd[@]}"; do
	grep -qxF -- "$l" "$T/procd.log" || missing="$missing [$l]"
done
if [ -z "$missing" ]; then
	ok "start_service gives procd the command, respawn, output, user, file, reload signal"
else
	notok "start_service gives procd the command, respawn, output, user, file, reload signal" \
		"missing$missing"
fi

# A configuration error stops the start with tipd's FILE:LINE message.
cp "$T/uci/tipd" "$T/uci/tipd.good"
sed -i "s|option segment_size '1M'|option segment_size 'huge'|" "$T/uci/tipd"
: >"$T/logger.log"
if ! run_init start_service 2>/dev/null && grep -q "not started: .*tipd.conf:[0-9]*:" "$T/logger.log"; then
	ok "start_service refuses a configuration tipd -n rejects, logging FILE:LINE"
else
	notok "start_service refuses a configuration tipd -n rejects, logging FILE:LINE" \
		"$(cat "$T/logger.log")"
fi
cp "$T/uci/tipd.good" "$T/uci/tipd"
run_init start_service 2>/dev/null

# procd's part: run the command as the user.
status() { "$TIP" status -s "$T/var/run/tipd.sock" 2>&1; }
if [ -n "$RUN_USER" ]; then
	setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" --clear-groups -- \
		"$TIPD" -f -c "$CONF" 2>"$T/tipd.log" &
else
	"$TIPD" -f -c "$CONF" 2>"$T/tipd.log" &
fi
PID=$!
up=0
for _ in $(seq 100); do
	status | grep -q '^tipd version=' && { up=1; break; }
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.05
done
if [ "$up" -eq 1 ]; then
	ok "tipd runs ${RUN_USER:+as $RUN_USER }from the procd command; tip status through /var/run/tipd.sock"
else
	notok "tipd runs from the procd command" "$(tail -3 "$T/tipd.log")"
fi

reloads() { status | sed -n 's/^conf reloads=\([0-9]*\).*/\1/p'; }
wait_reloads() {	# wait_reloads N
	for _ in $(seq 60); do
		[ "$(reloads)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# procd's reload: the init script renders again; procd signals HUP when
# the file it watches changed.
sum0=$(md5sum <"$CONF")
sed -i "s|option interval '2s'|option interval '3s'|" "$T/uci/tipd"
run_init start_service 2>/dev/null
if [ "$(md5sum <"$CONF")" != "$sum0" ] && kill -HUP "$PID" && wait_reloads 1; then
	ok "a changed UCI file changes the rendered file; tipd reloads on HUP"
else
	notok "a changed UCI file changes the rendered file; tipd reloads on HUP" "reloads=$(reloads)"
fi

# The NTP hook (busybox ntpd -> hotplug-call ntp), with pidof finding our
# tipd: /lib/functions/procd.sh is not here, so the pidof path is taken.
hotplug() {	# hotplug ACTION STRATUM
	(
		ACTION=$1 stratum=$2 LOGGER_LOG=$T/logger.log
		pidof() { [ "$1" = tipd ] && echo "$PID"; }
		logger() { echo "logger $*" >>"$LOGGER_LOG"; }
		. "$FILES/tipd.ntp-hotplug"
	)
}
if [ -f /lib/functions/procd.sh ]; then
	skip "ntp hotplug hook" "/lib/functions/procd.sh exists here: not a Debian host"
else
	hotplug periodic 2
	hotplug stratum 16
	hotplug unsync 16
	sleep 0.3
	if [ "$(reloads)" = 1 ]; then
		ok "ntp hook ignores periodic, unsync and stratum 16"
	else
		notok "ntp hook ignores periodic, unsync and stratum 16" "reloads=$(reloads)"
	fi
	hotplug stratum 2
	if wait_reloads 2; then
		hotplug step 3
		if wait_reloads 3 && grep -q "clock set by NTP (step, stratum 3)" "$T/logger.log"; then
			ok "ntp hook: stratum 2 and step send tipd SIGHUP"
		else
			notok "ntp hook: step sends tipd SIGHUP" "reloads=$(reloads)"
		fi
	else
		notok "ntp hook: stratum 2 sends tipd SIGHUP" "reloads=$(reloads)"
	fi
fi

kill -TERM "$PID" 2>/dev/null
wait "$PID"
rc=$?
PID=
if [ "$rc" -eq 0 ] && out=$("$TIP" verify "$T/store" 2>&1); then
	ok "tipd stops on TERM (exit 0) and tip verify passes on the store"
else
	notok "tipd stops on TERM (exit 0) and tip verify passes on the store" \
		"exit $rc; $out; $(tail -3 "$T/tipd.log")"
fi

# ---- systemd and BusyBox init ------------------------------------------------
SD=$TOP/ports/systemd
for c in "$SD/tipd.conf" "$TOP/ports/buildroot/package/tip/tipd.conf"; do
	name=${c#"$TOP"/}
	# tipd -n looks the user and group up; the packages create `tip` on the
	# target, this host may not have it: check the rest with the tester's own
	if ! id tip >/dev/null 2>&1; then
		sed -e "s/^user tip\$/user $(id -un)/" -e "s/^\(\s*\)group tip\$/\1group $(id -gn)/" \
			"$c" >"$T/port-check.conf"
		c=$T/port-check.conf
	fi
	if out=$("$TIPD" -n -c "$c" 2>&1); then
		ok "$name passes tipd -n"
	else
		notok "$name passes tipd -n" "$out"
	fi
done
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the programs the unit names to exist
	sed -e "s|/usr/sbin/tipd|$TIPD|g" -e "s|/etc/tipd.conf|$SD/tipd.conf|g" \
		"$SD/tipd.service" >"$T/tipd.service"
	if out=$(systemd-analyze verify --man=no "$T/tipd.service" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify tipd.service"
	else
		notok "systemd-analyze verify tipd.service" "$out"
	fi
	score=$(systemd-analyze security --offline=yes "$T/tipd.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for tipd.service: \([0-9.]*\).*/\1/p')
	if [ -n "$score" ]; then
		ok "systemd-analyze security: exposure $score (0 best, 10 worst)"
	else
		skip "systemd-analyze security" "no --offline support in this systemd"
	fi
	R=$T/sdroot
	mkdir -p "$R/etc"
	if systemd-sysusers --root="$R" "$SD/tipd.sysusers" >/dev/null 2>&1 &&
		grep -q '^tip:' "$R/etc/passwd" &&
		systemd-tmpfiles --root="$R" --create "$SD/tipd.tmpfiles" >/dev/null 2>&1 &&
		[ "$(readlink "$R/run/tipd.sock")" = tipd/tipd.sock ]; then
		ok "tipd.sysusers and tipd.tmpfiles apply to an empty root"
	else
		notok "tipd.sysusers and tipd.tmpfiles apply to an empty root"
	fi
else
	skip "systemd unit" "no systemd-analyze (Debian package systemd)"
fi

# ---- router-like build: armhf, -Os, the router profile, under qemu-arm ----------
ARCH=armhf
TRIPLE=arm-linux-gnueabihf
X=$O/cross
SYS=$O/ports-sysroot-$ARCH
B=$O/ports-$ARCH
SYSROOT_PKGS="libc6 libev4 libev-dev libudns0 libudns-dev libcdb1 libcdb-dev libbearssl0 libbearssl-dev zlib1g zlib1g-dev"

# make_sysroot: Debian's armhf packages unpacked into $SYS (dpkg -x:
# libudns-dev is not co-installable across architectures).  Sets WHY.
# make_sysroot under a lock: tests/cross/run.sh and ports.sh fill the same
# $X/debs and may run at once (make check as root runs the cross stage
# beside the integration passes); apt's own lock would fail the second.
make_sysroot() {
	mkdir -p "$X"
	{ flock 9; sysroot_locked "$@"; } 9>"$X/apt.lock"
}
sysroot_locked() {
	local need="" p d
	[ -f "$SYS/.done" ] && [ "$(cat "$SYS/.done")" = "$SYSROOT_PKGS" ] && return 0
	mkdir -p "$X/debs" "$X/logs"
	for p in $SYSROOT_PKGS; do
		ls "$X/debs/${p}_"*"_$ARCH.deb" >/dev/null 2>&1 || need="$need $p"
	done
	if [ -n "$need" ]; then
		command -v apt-get >/dev/null 2>&1 || { WHY="no apt-get"; return 1; }
		if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
			[ "$(id -u)" -eq 0 ] || { WHY="not root: run 'dpkg --add-architecture $ARCH && apt-get update'"; return 1; }
			dpkg --add-architecture "$ARCH"
		fi
		local known=1
		for p in $need; do
			apt-cache show "$p:$ARCH" >/dev/null 2>&1 || known=0
		done
		if [ "$known" -eq 0 ]; then
			[ "$(id -u)" -eq 0 ] || { WHY="not root: run 'apt-get update' for the $ARCH lists"; return 1; }
			apt-get update -q >"$X/logs/ports-apt-update.log" 2>&1 || true
		fi
		local pkgs=""
		for p in $need; do pkgs="$pkgs $p:$ARCH"; done
		if ! (cd "$X/debs" && apt-get download $pkgs) >"$X/logs/ports-download.log" 2>&1; then
			WHY="apt-get download$pkgs failed: $(grep -E '^(E|W):' "$X/logs/ports-download.log" | head -n1)"
			return 1
		fi
	fi
	rm -rf "$SYS" "$SYS.tmp"
	mkdir -p "$SYS.tmp"
	for p in $SYSROOT_PKGS; do
		d=$(ls -v "$X/debs/${p}_"*"_$ARCH.deb" 2>/dev/null | tail -n1)
		if [ -z "$d" ] || ! dpkg -x "$d" "$SYS.tmp"; then
			WHY="cannot unpack $p"; rm -rf "$SYS.tmp"; return 1
		fi
	done
	# zlib1g-dev's libz.so points to /lib/...: without the link made
	# relative, the linker would take the static libz.a instead
	ln -sf "../../../lib/$TRIPLE/$(readlink "$SYS.tmp/usr/lib/$TRIPLE/libz.so" | sed 's|.*/||')" \
		"$SYS.tmp/usr/lib/$TRIPLE/libz.so"
	echo "$SYSROOT_PKGS" >"$SYS.tmp/.done"
	mv "$SYS.tmp" "$SYS"
}

WHY=
if ! command -v $TRIPLE-gcc >/dev/null 2>&1 || ! command -v qemu-arm >/dev/null 2>&1; then
	skip "$ARCH router build" "no $TRIPLE-gcc or qemu-arm (scripts/deps.sh cross)"
elif ! make_sysroot; then
	skip "$ARCH router build" "no sysroot: $WHY"
else
	# a changed profile starts the build folder's configuration afresh
	[ configs/openwrt_defconfig -nt "$B/.config" ] && rm -f "$B/.config"
	if make -s --no-print-directory -j"${JOBS:-2}" O="$B" CROSS_COMPILE=$TRIPLE- CFLAGS=-Os \
		DEFCONFIG=configs/openwrt_defconfig CPPFLAGS="-I$SYS/usr/include" \
		LDFLAGS="-L$SYS/usr/lib/$TRIPLE -Wl,-rpath-link,$SYS/usr/lib/$TRIPLE -Wl,-rpath-link,$SYS/lib/$TRIPLE" \
		>"$T/armhf-build.log" 2>&1; then
		ok "$ARCH build: make O=... CROSS_COMPILE=$TRIPLE- CFLAGS=-Os DEFCONFIG=configs/openwrt_defconfig"
		# the sysroot's headers come in by -I, as OpenWrt's staging dir does:
		# a warning from a library's macro in our code shows here
		if grep -q 'warning:' "$T/armhf-build.log"; then
			notok "$ARCH build without warnings" "$(grep -m3 -A2 'warning:' "$T/armhf-build.log")"
		else
			ok "$ARCH build without warnings (library headers by -I, not as system headers)"
		fi
		QEMU="timeout 120 qemu-arm -L $SYS"
		if out=$($QEMU "$B/tipd" -V 2>&1) && echo "$out" | grep -q '^tipd ' &&
			echo "$out" | grep -q -- '-tls'; then
			ok "$ARCH tipd -V under qemu-arm: $(echo "$out" | sed -n 's/^modules: *//p' | tr -d '\n'), $(echo "$out" | sed -n 's/^features: //p')"
		else
			notok "$ARCH tipd -V under qemu-arm" "$out"
		fi
		if out=$($QEMU "$B/tipd" -n -c "$CONF" 2>&1); then
			ok "$ARCH tipd -n accepts the rendered UCI configuration"
		else
			notok "$ARCH tipd -n accepts the rendered UCI configuration" "$out"
		fi
		# A short run of the armhf daemon: its store must verify on the host.
		cat >"$T/armhf.conf" <<EOF
pidfile $T/armhf.pid
store {
	dir $T/armhf-store
	sync-interval 100ms
}
control {
	socket $T/armhf.sock
}
module watchlist {
	file $T/watchlist
	interval 1s
}
EOF
		$QEMU "$B/tipd" -f -c "$T/armhf.conf" 2>"$T/armhf.log" &
		PID=$!
		up=0
		for _ in $(seq 200); do
			"$TIP" status -s "$T/armhf.sock" 2>/dev/null | grep -q '^tipd version=' && { up=1; break; }
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.05
		done
		"$TIP" submit -s "$T/armhf.sock" flux.example >/dev/null 2>&1
		kill -TERM "$PID" 2>/dev/null
		wait "$PID"
		rc=$?
		PID=
		if [ "$up" -eq 1 ] && [ "$rc" -eq 0 ] && out=$("$TIP" verify "$T/armhf-store" 2>&1) &&
			"$TIP" dump "$T/armhf-store" 2>/dev/null | grep -q 'candidate operator flux.example'; then
			ok "$ARCH tipd under qemu-arm: status, submit, TERM; the host's tip verifies its store"
		else
			notok "$ARCH tipd under qemu-arm: status, submit, TERM; the host's tip verifies its store" \
				"up=$up exit=$rc $out $(tail -3 "$T/armhf.log")"
		fi
		$TRIPLE-strip -o "$B/tipd.stripped" "$B/tipd"
		$TRIPLE-strip -o "$B/tip.stripped" "$B/tip"
		ok "$ARCH sizes, stripped: tipd $(stat -c %s "$B/tipd.stripped") bytes (budget 150000), tip $(stat -c %s "$B/tip.stripped") bytes"
	else
		tail -n 20 "$T/armhf-build.log"
		notok "$ARCH build with the router profile"
	fi
fi

# ---- the package recipes, run by stand-ins for OpenWrt and Buildroot -------------
# ports/tests/openwrt-sdk and ports/tests/buildroot-emul.mk give the
# package Makefiles the variables OpenWrt and Buildroot give them, so their
# prepare/configure/build/install commands run here for armhf.  Sources of
# udns, tinycdb, BearSSL and libev: Debian's source packages (apt-get
# source; the BearSSL one is Debian's repack, standing for upstream's).
SRC=$O/ports-src
SRC_FILES="udns_0.4.orig.tar.gz tinycdb_0.78.tar.gz bearssl_0.6+dfsg.1.orig.tar.xz libev_4.33.orig.tar.gz"
fetch_sources() {	# sets WHY
	local f need=0 codename apt
	for f in $SRC_FILES; do [ -f "$SRC/$f" ] || need=1; done
	[ "$need" -eq 0 ] && return 0
	command -v apt-get >/dev/null 2>&1 || { WHY="no apt-get"; return 1; }
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || { WHY="no VERSION_CODENAME in /etc/os-release"; return 1; }
	mkdir -p "$SRC/apt/lists/partial"
	echo "deb-src http://deb.debian.org/debian $codename main" >"$SRC/apt/sources.list"
	apt=(-o Dir::Etc::sourcelist="$SRC/apt/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$SRC/apt/lists" -o APT::Get::List-Cleanup=0)
	if ! apt-get "${apt[@]}" update >"$SRC/apt/update.log" 2>&1 ||
		! (cd "$SRC" && apt-get "${apt[@]}" source --download-only udns tinycdb bearssl libev) \
			>"$SRC/apt/source.log" 2>&1; then
		WHY="apt-get source failed: $(grep -E '^(E|W):' "$SRC/apt/"*.log | head -n1)"
		return 1
	fi
	for f in $SRC_FILES; do
		[ -f "$SRC/$f" ] || { WHY="Debian's source packages are not the versions packaged ($f)"; return 1; }
	done
}

if [ ! -f "$SYS/.done" ]; then
	skip "package recipes" "no $ARCH sysroot or cross tools (see above)"
elif ! fetch_sources; then
	skip "package recipes" "$WHY"
else
	QENV="QEMU_LD_PREFIX=$SYS"
	# OpenWrt: libbearssl, then tipd and tip with TLS against it.
	E=$O/ports-openwrt
	rm -rf "$E"
	mkdir -p "$E"
	sdk=(TOPDIR="$TOP/ports/tests/openwrt-sdk" EMUL_BUILD_DIR="$E/build" EMUL_ROOT="$E/root"
		EMUL_CROSS=$TRIPLE- EMUL_SYSROOT="$SYS" EMUL_TRIPLE=$TRIPLE EMUL_DL="$SRC")
	if make -s -C ports/openwrt/libs/bearssl "${sdk[@]}" EMUL_SOURCE=bearssl_0.6+dfsg.1.orig.tar.xz \
		emul >"$E/bearssl.log" 2>&1 && [ -f "$E/root/libbearssl/usr/lib/libbearssl.so.0" ] &&
		$TRIPLE-readelf -d "$E/root/staging/usr/lib/libbearssl.so" | grep -q 'SONAME.*libbearssl.so.0'; then
		ok "openwrt libs/bearssl: builds for $ARCH, libbearssl.so.0 with its soname, headers staged"
	else
		tail -n 10 "$E/bearssl.log"
		notok "openwrt libs/bearssl: builds for $ARCH"
	fi
	if make -s -C ports/openwrt/net/tip "${sdk[@]}" CONFIG_PACKAGE_tipd=y CONFIG_PACKAGE_tip=y \
		CONFIG_IPV6=y CONFIG_TIPD_TLS=y emul >"$E/tip.log" 2>&1; then
		missing=
		for f in tipd/usr/sbin/tipd tipd/etc/init.d/tipd tipd/etc/config/tipd tipd/etc/tip/watchlist \
			tipd/etc/hotplug.d/ntp/50-tipd tip/usr/bin/tip; do
			[ -e "$E/root/$f" ] || missing="$missing $f"
		done
		out=$(env $QENV LD_LIBRARY_PATH="$E/root/libbearssl/usr/lib" qemu-arm \
			"$E/root/tipd/usr/sbin/tipd" -V 2>&1)
		if [ -z "$missing" ] && echo "$out" | grep -q -- '+tls' &&
			[ "$(stat -c %a "$E/root/tipd/etc/tip/watchlist")" = 644 ]; then
			ok "openwrt net/tip: tipd (TLS on) and tip build and install; tipd -V: $(echo "$out" | sed -n 's/^features: //p')"
		else
			notok "openwrt net/tip: tipd (TLS on) and tip build and install" "missing:$missing; $out"
		fi
		# every shared library a binary needs is in its package's DEPENDS
		for pkg in tipd:usr/sbin/tipd tip:usr/bin/tip; do
			deps=$(awk -v p="define Package/${pkg%%:*}" '$0 == p {on = 1} on && /DEPENDS:=/ {print; exit}' \
				ports/openwrt/net/tip/Makefile)
			lack=
			for l in $($TRIPLE-readelf -d "$E/root/${pkg%%:*}/${pkg#*:}" |
				sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
				case "$l" in
				libc.so.* | libm.so.* | libpthread.so.* | ld-*) continue ;;
				libev.so.*) want=libev ;;
				libudns.so.*) want=libudns ;;
				libcdb.so.*) want=tinycdb ;;
				libbearssl.so.*) want=libbearssl ;;
				*) want="?$l" ;;
				esac
				case "$deps " in *"+$want "* | *":$want "*) ;; *) lack="$lack $l($want)" ;; esac
			done
			if [ -z "$lack" ]; then
				ok "openwrt ${pkg%%:*}: DEPENDS covers the libraries it needs"
			else
				notok "openwrt ${pkg%%:*}: DEPENDS covers the libraries it needs" "not in DEPENDS:$lack"
			fi
		done
	else
		tail -n 10 "$E/tip.log"
		notok "openwrt net/tip: tipd and tip build"
	fi

	# Buildroot: udns and tinycdb from the external tree, then tip on them.
	E=$O/ports-buildroot
	rm -rf "$E"
	br=(-f ports/tests/buildroot-emul.mk BR2_EXTERNAL_TIP_PATH="$TOP/ports/buildroot" EMUL_OUT="$E"
		EMUL_DL="$SRC" EMUL_CROSS=$TRIPLE- EMUL_SYSROOT="$SYS" EMUL_TRIPLE=$TRIPLE)
	mkdir -p "$E"
	built=1
	for p in udns tinycdb; do
		if make -s "${br[@]}" PKG=$p >"$E/$p.log" 2>&1; then
			ok "buildroot $p: hashes match, builds for $ARCH, installs to staging and target"
		else
			tail -n 10 "$E/$p.log"
			notok "buildroot $p: hashes match, builds for $ARCH"
			built=0
		fi
	done
	if [ "$built" -eq 1 ] && make -s "${br[@]}" PKG=tip BR2_PACKAGE_TIP_TOOL=y \
		EMUL_INIT="sysv systemd" >"$E/tip.log" 2>&1; then
		libs=$($TRIPLE-readelf -d "$E/target/usr/sbin/tipd" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
		out=$(env $QENV LD_LIBRARY_PATH="$E/target/usr/lib" LD_DEBUG=libs qemu-arm \
			"$E/target/usr/sbin/tipd" -V 2>&1)
		missing=
		for f in usr/bin/tip etc/init.d/S90tipd etc/tipd.conf etc/tip/watchlist \
			usr/lib/systemd/system/tipd.service usr/lib/tmpfiles.d/tipd.conf; do
			[ -e "$E/target/$f" ] || missing="$missing $f"
		done
		# every library of the tree that tipd needs is loaded from the target
		for l in libudns.so.0 libcdb.so.1; do
			case " $libs " in *" $l "*) ;; *) continue ;; esac
			echo "$out" | grep -q "init: $E/target/usr/lib/$l" || missing="$missing loaded:$l"
		done
		case " $libs " in *" libcdb.so.1 "*) ;; *) missing="$missing needed:libcdb.so.1" ;; esac
		if [ -z "$missing" ] && echo "$out" | grep -q '^tipd '; then
			ok "buildroot tip: builds on the tree's udns and tinycdb ($libs), installs, runs under qemu-arm"
		else
			notok "buildroot tip: builds, installs, runs on the tree's udns and tinycdb" \
				"missing:$missing; $(echo "$out" | grep -v 'LD_DEBUG\|^ *[0-9]*:' | head -3)"
		fi
	elif [ "$built" -eq 1 ]; then
		tail -n 10 "$E/tip.log"
		notok "buildroot tip: builds"
	fi
fi

# ---- musl, OpenWrt's C library: a static tipd, run through lifecycle.sh ----------
# libev, udns, tinycdb and BearSSL built with musl-gcc from Debian's sources (the
# recipes' commands), tipd and tip linked statically with the router
# profile, then the lifecycle integration test run on those binaries.
ML=$O/ports-musl-libs
MB=$O/ports-musl
if ! command -v musl-gcc >/dev/null 2>&1; then
	notok "musl build" "no musl-gcc (Debian package musl-tools: scripts/deps.sh cross should have installed it)"
elif [ ! -f "$SRC/libev_4.33.orig.tar.gz" ]; then
	skip "musl build" "no Debian sources (see the package recipes above)"
else
	musl_libs() {
		[ -f "$ML/.done" ] && [ "$(cat "$ML/.done")" = "$SRC_FILES" ] && return 0
		rm -rf "$ML"
		mkdir -p "$ML/src" "$ML/root/usr/include" "$ML/root/usr/lib"
		(
			set -e
			cd "$ML/src"
			for f in libev_4.33.orig.tar.gz udns_0.4.orig.tar.gz tinycdb_0.78.tar.gz \
				bearssl_0.6+dfsg.1.orig.tar.xz; do
				tar xf "$SRC/$f"
			done
			cd libev-4.33
			./configure -q CC=musl-gcc CFLAGS=-Os --disable-shared --prefix=/usr
			make -j2
			make install DESTDIR="$ML/root"
			cd ../udns-0.4
			printf '%s\n' '#define HAVE_GETOPT 1' '#define HAVE_INET_PTON_NTOP 1' \
				'#define HAVE_IPv6 1' '#define HAVE_POLL 1' >config.h
			make -f Makefile.in CC=musl-gcc CFLAGS=-Os CDEFS=-DHAVE_CONFIG_H LD=musl-gcc LIBS= staticlib
			cp udns.h "$ML/root/usr/include/"
			cp libudns.a "$ML/root/usr/lib/"
			cd ../tinycdb-0.78
			make CC=musl-gcc CFLAGS=-Os staticlib
			cp cdb.h "$ML/root/usr/include/"
			cp libcdb.a "$ML/root/usr/lib/"
			# BearSSL: the store library hashes mail with its SHA-256.
			cd ../bearssl-0.6
			make -j2 CC=musl-gcc CFLAGS=-Os LD=musl-gcc LDDLL=musl-gcc lib
			cp inc/*.h "$ML/root/usr/include/"
			cp build/libbearssl.a "$ML/root/usr/lib/"
		) >"$ML.log" 2>&1 || return 1
		echo "$SRC_FILES" >"$ML/.done"
	}
	if ! musl_libs; then
		tail -n 10 "$ML.log"
		notok "musl: libev, udns, tinycdb and BearSSL build with musl-gcc"
	else
		mkdir -p "$MB"
		[ configs/openwrt_defconfig -nt "$MB/.config" ] && cp configs/openwrt_defconfig "$MB/.config"
		if make -s --no-print-directory -j"${JOBS:-2}" O="$MB" CC=musl-gcc CFLAGS=-Os \
			CPPFLAGS="-I$ML/root/usr/include" LDFLAGS="-static -L$ML/root/usr/lib" all \
			>"$T/musl-build.log" 2>&1 && out=$("$MB/tipd" -V 2>&1); then
			strip -o "$MB/tipd.stripped" "$MB/tipd"
			ok "musl: static tipd and tip with the router profile ($(stat -c %s "$MB/tipd.stripped") bytes stripped, amd64, libraries included)"
			rel=$(realpath -m --relative-to="$TOP" "$MB")
			O=$rel timeout 300 bash tests/integration/lifecycle.sh 2>&1 |
				sed -n -e 's/^ok /ok musl: lifecycle /p' -e 's/^not ok /not ok musl: lifecycle /p' \
					-e 's/^skip /skip musl: lifecycle /p' >"$T/musl-lifecycle.out"
			cat "$T/musl-lifecycle.out"
			if grep -q '^not ok' "$T/musl-lifecycle.out" || ! grep -q '^ok' "$T/musl-lifecycle.out"; then
				fail=1
				grep -q '^ok' "$T/musl-lifecycle.out" || echo "not ok musl: lifecycle ran no test"
			fi
		else
			grep -E 'error|undefined' "$T/musl-build.log" | head -n 10
			notok "musl: static tipd and tip with the router profile"
		fi
	fi
fi

exit $fail
