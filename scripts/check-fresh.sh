#!/bin/bash
# make check-fresh: the README's two commands, `make demo` then `make check`,
# as root on a brand-new Debian 12 root, so that nothing this machine had
# installed by hand can make them pass.
#
#   scripts/check-fresh.sh            (as root; CI's .ci/run calls it)
#
# 1. mmdebstrap --variant=minbase bookworm (what every Debian machine has)
#    plus only ca-certificates, make and git;
# 2. a clone of the committed HEAD at /work/tip inside it, with ../shared
#    beside it mounted read-only when the host has it;
# 3. in a private mount namespace: /proc, /sys, /dev, /dev/shm, /dev/pts,
#    /run (for `ip netns`), then `make demo` and `make check` under chroot
#    with an empty environment;
# 4. on every exit path: whatever still runs in the root is killed, the
#    namespace (and with it every mount) goes away, the root is removed
#    (FRESH_KEEP=1 keeps it for a look).
# The root uses Debian's archive and nothing else from the host: no package
# cache, no host paths, no services; only the network's own settings (the
# resolver, local certificate authorities) are copied in.  Like Debian's container images it has
# a policy-rc.d that keeps packages from starting their system services
# (there is no init in a chroot to stop them again); the tests start their
# own servers on loopback ports.
#
# Prints "fresh: STEP N s" for each step and ends with the check's own
# tally line; exits non-zero with "fresh: FAILED: what" when a step fails.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
SUITE=bookworm
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FRESH_SECURITY:-http://deb.debian.org/debian-security}

say() { echo "fresh: $*"; }
die() { say "FAILED: $*"; exit 1; }

if [ "${1:-}" = --inside ]; then
	# Second stage, in the private mount namespace made by the first.
	root=$2
	m() { mount "$@" || die "mount $*"; }
	# The root is a mount point of its own, as / is on a machine, so that
	# tests can make a private mount namespace (unshare -m) inside it.
	m --bind "$root" "$root"
	m -t proc proc "$root/proc"
	m -t sysfs sys "$root/sys"
	m --rbind /dev "$root/dev"
	m --make-rslave "$root/dev"
	m -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
	m -t tmpfs -o mode=0755,nosuid run "$root/run"
	if [ -d "$top/../shared" ]; then
		m --bind "$(cd "$top/../shared" && pwd)" "$root/work/shared"
		m -o remount,bind,ro "$root/work/shared"
	fi
	run() {	# run STEP COMMAND: a README command in the root, timed
		local step=$1 t0 rc
		shift
		t0=$(date +%s)
		chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			${CI:+CI=$CI} /bin/bash -c "cd /work/tip && $*" </dev/null
		rc=$?
		say "$step $(( $(date +%s) - t0 )) s (exit $rc)"
		[ "$rc" -eq 0 ] || die "'$*' exited $rc in the fresh root"
	}
	run demo make demo
	run check make check
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (it builds a Debian root with mmdebstrap and chroots into it)"
"$top/scripts/deps.sh" fresh || die "scripts/deps.sh fresh"
head=$(git -C "$top" rev-parse HEAD) || die "$top is not a git checkout"
[ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ] &&
	say "note: uncommitted changes are not tested; testing HEAD $head"
[ -d "$top/../shared" ] || say "note: no ../shared beside the repository: the tests that need it skip"

root=$(mktemp -d "${FRESH_DIR:-/var/tmp}/tip-fresh.XXXXXX") || die "mktemp"
chmod 0755 "$root"
cleanup() {
	local p pids="" tries
	# Whatever a test left running in the root keeps its mounts alive.
	for tries in 1 2 3; do
		pids=""
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids="$pids ${p#/proc/}"
		done
		[ -z "$pids" ] && break
		kill -9 $pids 2>/dev/null
		sleep 1
	done
	[ -n "$pids" ] && say "note: could not stop:$pids"
	if [ "${FRESH_KEEP:-0}" = 1 ]; then
		say "kept the root in $root"
	elif ! grep -q " $root/" /proc/mounts; then
		rm -rf --one-file-system "$root"
	else
		say "note: $root still has mounts; left in place"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
mmdebstrap --quiet --variant=minbase --include=ca-certificates,make,git "$SUITE" "$root" \
	"deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
	"deb $SECURITY $SUITE-security main" >"$root.log" 2>&1 ||
	{ tail -n 20 "$root.log"; rm -f "$root.log"; die "mmdebstrap"; }
rm -f "$root.log"
# What a machine has that a bare root lacks: a resolver configuration, and
# (as in Debian's container images) no services started by package scripts.
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# The local certificate authorities of this network (a proxy in front of a
# package registry, say) are the network's, like its resolver: a machine on
# it has them, so the root gets them too.  Nothing else of the host's.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" &&
		chroot "$root" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates in the root"
fi
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
say "root $(( $(date +%s) - t0 )) s"

mkdir -p "$root/work/shared"
git clone --quiet --no-local "$top" "$root/work/tip" &&
	git -C "$root/work/tip" checkout --quiet --detach "$head" || die "git clone of $head"
say "testing $head"

unshare --mount --propagation private --fork "$0" --inside "$root"
rc=$?
[ "$rc" -eq 0 ] && say "passed: make demo and make check on a fresh Debian 12 root ($(( $(date +%s) - t0 )) s in all)"
exit "$rc"
