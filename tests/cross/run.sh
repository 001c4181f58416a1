#!/bin/bash
# Cross-architecture store tests, the last stage of `make check`:
#   tests/cross/run.sh [O]       (O: the build folder, default build)
#
# For big-endian s390x and 32-bit armhf it builds the store library, its
# unit tests (`make store-tests`), the store helpers and `tip` with
# Debian's cross compilers against a sysroot of Debian's own packages
# (libc6, libcdb, libcmocka, libev for tip serve, BearSSL for the SHA-256 of mail, unpacked with dpkg -x; no udns, so the
# analysis configuration, no tipd), runs the unit tests under qemu-user,
# then checks that a store is the same store everywhere:
#   - tests/helpers/mkstore writes the same bytes on every architecture
#     (fake clock, fixed seed): each target's store equals amd64's, file by file;
#   - every reader (storecat -k: listing, index meta, every record, every
#     key looked up through the CDB indexes; and `tip dump` once it exists)
#     prints the same of every writer's store as amd64 prints of its own.
# Prints "unit (ARCH): ..." from tests/run-unit.sh and one closing line
# "cross: N passed, N failed, N skipped" for tests/check.sh; a target whose
# sysroot or tools cannot be had is "skip cross: ARCH: why" and counts as a
# skip, never as a pass.  Sysroots, .debs and builds are cached under
# $O/cross, so a second run only rebuilds what changed.
set -u
cd "$(dirname "$0")/../.." || exit 2
O=${1:-build}
# tests/run-unit.sh runs binaries as ../$O/...: keep O relative to the tree
case "$O" in /*) O=$(realpath -m --relative-to=. "$O") ;; esac
X=$O/cross
XA=$(realpath -m "$X")
mkdir -p "$X/debs" "$X/logs" "$X/run"
JOBS=${JOBS:-2}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}

pass=0; fail=0; skip=0
ok() { echo "ok $*"; pass=$((pass + 1)); }
notok() { echo "not ok $*"; fail=$((fail + 1)); }
skipped() { echo "skip cross: $*"; skip=$((skip + 1)); }
finish() { echo "cross: $pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit; }

ARCHES=${CROSS_ARCHES:-s390x armhf}
triple() { case "$1" in s390x) echo s390x-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;; esac; }
qemu() { case "$1" in s390x) echo qemu-s390x ;; armhf) echo qemu-arm ;; esac; }

# Run-time and link-time packages of the store, its tests and tip.
SYSROOT_PKGS="libc6 libcdb1 libcdb-dev libcmocka0 libcmocka-dev libev4 libev-dev libbearssl0 libbearssl-dev"

# make_sysroot ARCH: unpack the target's packages into $X/sysroot-ARCH.
# Sets WHY and returns 1 when it cannot.
# make_sysroot under a lock: tests/cross/run.sh and ports.sh fill the same
# $X/debs and may run at once (make check as root runs the cross stage
# beside the integration passes); apt's own lock would fail the second.
make_sysroot() {
	mkdir -p "$X"
	{ flock 9; sysroot_locked "$@"; } 9>"$X/apt.lock"
}
sysroot_locked() {
	local arch=$1 sys=$X/sysroot-$1 need="" p d
	[ -f "$sys/.done" ] && [ "$(cat "$sys/.done")" = "$SYSROOT_PKGS" ] && return 0
	for p in $SYSROOT_PKGS; do
		ls "$X/debs/${p}_"*"_$arch.deb" >/dev/null 2>&1 || need="$need $p"
	done
	if [ -n "$need" ]; then
		if ! command -v apt-get >/dev/null 2>&1; then
			WHY="no apt-get: cannot fetch$need for $arch"; return 1
		fi
		if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
			if [ "$(id -u)" -ne 0 ]; then
				WHY="not root: run 'dpkg --add-architecture $arch && apt-get update'"; return 1
			fi
			dpkg --add-architecture "$arch"
		fi
		local known=1
		for p in $need; do
			apt-cache show "$p:$arch" >/dev/null 2>&1 || known=0
		done
		if [ "$known" -eq 0 ]; then
			if [ "$(id -u)" -ne 0 ]; then
				WHY="not root: run 'apt-get update' for the $arch package lists"; return 1
			fi
			# One mirror index failing (a security mirror mid-sync) is
			# not fatal: what matters is that the packages are known now.
			apt-get update -q >"$X/logs/apt-update.log" 2>&1 || true
		fi
		local pkgs=""
		for p in $need; do pkgs="$pkgs $p:$arch"; done
		if ! (cd "$X/debs" && apt-get download $pkgs) >"$X/logs/download-$arch.log" 2>&1; then
			WHY="apt-get download$pkgs failed (no archive reachable?): $(grep -E '^(E|W):' "$X/logs/download-$arch.log" | head -n1)"
			return 1
		fi
	fi
	rm -rf "$sys" "$sys.tmp"
	mkdir -p "$sys.tmp"
	for p in $SYSROOT_PKGS; do
		# the newest cached version of each package
		d=$(ls -v "$X/debs/${p}_"*"_$arch.deb" 2>/dev/null | tail -n1)
		if [ -z "$d" ] || ! dpkg -x "$d" "$sys.tmp"; then
			WHY="cannot unpack $p for $arch"; rm -rf "$sys.tmp"; return 1
		fi
	done
	echo "$SYSROOT_PKGS" >"$sys.tmp/.done"
	mv "$sys.tmp" "$sys"
}

# build NAME MAKEARGS...: make in $X/NAME with the analysis configuration.
build() {
	local name=$1 b=$X/$1
	shift
	if [ ! -f "$b/.config" ]; then
		make -s --no-print-directory O="$b" analysis_defconfig >"$X/logs/config-$name.log" 2>&1 || return 1
	fi
	make -s --no-print-directory -j"$JOBS" O="$b" "$@" >"$X/logs/build-$name.log" 2>&1
}

# Optional: tip, once tools/ has every command (another stage may be mid-way).
build_tip() {
	local name=$1
	shift
	make -s --no-print-directory -j"$JOBS" O="$X/$name" "$@" "$X/$name/tip" \
		>"$X/logs/tip-$name.log" 2>&1
}

# wrap ARCH: the command prefix that runs a binary of ARCH here.
wrap() {
	if [ "$1" = amd64 ]; then
		echo "timeout $QEMU_TIMEOUT"
	else
		echo "timeout $QEMU_TIMEOUT $(qemu "$1") -L $XA/sysroot-$1"
	fi
}

# ---- amd64: the reference -------------------------------------------------
if ! build amd64 store-tests; then
	tail -n 30 "$X/logs/build-amd64.log"
	notok "build amd64 store-tests"
	finish
fi
have_tip_amd64=0
if build_tip amd64; then
	have_tip_amd64=1
fi

built="amd64"
for arch in $ARCHES; do
	t=$(triple "$arch")
	if [ -z "$t" ]; then
		skipped "$arch: unknown architecture"
		continue
	fi
	if ! command -v "$t-gcc" >/dev/null 2>&1 || ! command -v "$(qemu "$arch")" >/dev/null 2>&1; then
		scripts/deps.sh cross >"$X/logs/deps.log" 2>&1 || true
	fi
	if ! command -v "$t-gcc" >/dev/null 2>&1; then
		skipped "$arch: no $t-gcc (scripts/deps.sh cross)"
		continue
	fi
	if ! command -v "$(qemu "$arch")" >/dev/null 2>&1; then
		skipped "$arch: no $(qemu "$arch") (scripts/deps.sh cross)"
		continue
	fi
	WHY=""
	if ! make_sysroot "$arch"; then
		skipped "$arch: no sysroot: $WHY"
		continue
	fi
	sys=$XA/sysroot-$arch
	xflags=(CROSS_COMPILE="$t-" CPPFLAGS="-I$sys/usr/include"
		LDFLAGS="-L$sys/usr/lib/$t -Wl,-rpath-link,$sys/usr/lib/$t -Wl,-rpath-link,$sys/lib/$t")
	if ! build "$arch" "${xflags[@]}" store-tests; then
		tail -n 30 "$X/logs/build-$arch.log"
		notok "build $arch store-tests"
		continue
	fi
	ok "build $arch store-tests"
	# the unit tests under qemu; run-unit.sh prints its own tally line
	RUN_WRAP="$(wrap "$arch")" LABEL=$arch tests/run-unit.sh "$X/$arch"
	if [ "$have_tip_amd64" -eq 1 ]; then
		if build_tip "$arch" "${xflags[@]}"; then
			ok "build $arch tip"
		else
			tail -n 20 "$X/logs/tip-$arch.log"
			notok "build $arch tip"
		fi
	fi
	built="$built $arch"
done

# ---- a store is the same store on every architecture -----------------------
# run/W/store is the store mkstore wrote on W; run/W/R.cat what R's storecat
# printed of it, run/W/R.dump what R's tip dump printed.  Readers run from
# run/W with the relative path "store", so no output carries a host path.
for w in $built; do
	rm -rf "$X/run/$w"
	mkdir -p "$X/run/$w"
	if (cd "$X/run/$w" && $(wrap "$w") "$XA/$w/tests/mkstore" store) >"$X/logs/mkstore-$w.log" 2>&1; then
		[ "$w" = amd64 ] || ok "mkstore on $w"
	else
		cat "$X/logs/mkstore-$w.log"
		notok "mkstore on $w"
	fi
	if [ "$w" != amd64 ]; then
		if diff -r "$X/run/amd64/store" "$X/run/$w/store" >"$X/logs/diff-store-$w.log" 2>&1; then
			ok "store written on $w is byte-identical to amd64's"
		else
			head -n 10 "$X/logs/diff-store-$w.log"
			notok "store written on $w is byte-identical to amd64's"
		fi
	fi
done

ref_cat=$X/run/amd64/amd64.cat
ref_dump=$X/run/amd64/amd64.dump
tip_checked=0
for w in $built; do
	for r in $built; do
		( cd "$X/run/$w" && $(wrap "$r") "$XA/$r/tests/storecat" -k store; echo "exit $?" ) \
			>"$X/run/$w/$r.cat" 2>&1
		if [ -x "$X/$r/tip" ] && [ "$have_tip_amd64" -eq 1 ]; then
			( cd "$X/run/$w" && $(wrap "$r") "$XA/$r/tip" dump store; echo "exit $?" ) \
				>"$X/run/$w/$r.dump" 2>&1
		fi
		[ "$w" = amd64 ] && [ "$r" = amd64 ] && continue
		if cmp -s "$ref_cat" "$X/run/$w/$r.cat"; then
			ok "storecat on $r reads the store written on $w as amd64 reads its own"
		else
			diff "$ref_cat" "$X/run/$w/$r.cat" | head -n 10
			notok "storecat on $r reads the store written on $w as amd64 reads its own"
		fi
		if [ -f "$X/run/$w/$r.dump" ]; then
			tip_checked=1
			if cmp -s "$ref_dump" "$X/run/$w/$r.dump"; then
				ok "tip dump on $r of the store written on $w"
			else
				diff "$ref_dump" "$X/run/$w/$r.dump" | head -n 10
				notok "tip dump on $r of the store written on $w"
			fi
		fi
	done
done
# the reference itself must be sound: every record read, every key found
if tail -n1 "$ref_cat" | grep -qx 'exit 0' && grep -q '^rec ' "$ref_cat"; then
	ok "storecat -k on amd64: index lookups agree with the scan"
else
	grep -m5 'MISMATCH' "$ref_cat"; tail -n3 "$ref_cat"
	notok "storecat -k on amd64: index lookups agree with the scan"
fi
if [ "$tip_checked" -eq 0 ]; then
	skipped "tip dump comparison: tip does not build yet (see $X/logs/tip-amd64.log)"
fi
finish
