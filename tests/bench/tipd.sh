#!/bin/bash
# tests/bench/tipd.sh O: the footprint of tipd, for make bench.
#
# Prints "bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]" lines (ratio =
# VALUE / ANCHOR) and asserts nothing:
#   tipd_stripped_kib   size of a stripped copy of $O/tipd
#   tipd_stripped_os_kib the same configuration built with -Os (budget 150 KB)
#   tipd_idle_pss_kib   PSS of a running, idle `tipd -f` (budget 1 MB)
#   tipd_idle_private_kib, tipd_idle_rss_kib   beside it
# all from /proc/PID/smaps_rollup, in KiB as the kernel counts them.
# The anchor of each is $O/tests/bench_skeleton (tests/bench/bench_skeleton.c:
# libev loop, udns context, one timer, idle), measured the same way in the
# same run, both processes up at the same time, so shared pages (libc,
# libev) are split between them alike.
#
# tipd runs on a minimal configuration in a temporary folder (store,
# control socket, pidfile: nothing under /var), as the user running this;
# it counts as idle once its control socket exists and SETTLE seconds have
# passed.  Every process started here is stopped on exit; tipd by TERM,
# whose exit status (it seals the store) is checked.  Exit 1 only when
# something could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
SETTLE=${SETTLE:-2}
STRIP=${STRIP:-${CROSS_COMPILE:-}strip}
tipd=$O/tipd
skel=$O/tests/bench_skeleton

if [ ! -x "$tipd" ]; then
	echo "tipd.sh: $tipd is not built" >&2
	exit 1
fi
[ -x "$skel" ] || { echo "tipd.sh: $skel is not built: no anchor" >&2; skel=; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench.XXXXXX") || exit 2
tipd_pid= skel_pid=
cleanup() {
	for p in $tipd_pid $skel_pid; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $tipd_pid $skel_pid; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "tipd.sh: $*" >&2
	[ -s "$tmp/tipd.log" ] && sed 's/^/tipd.sh: tipd: /' "$tmp/tipd.log" >&2
	exit 1
}

# ratio A B: A / B with two decimals, "-" when B is missing or 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }

# ---- stripped size ----------------------------------------------------------
stripped_kib() {
	cp "$1" "$tmp/stripped" && "$STRIP" "$tmp/stripped" || return 1
	awk -v b="$(stat -c %s "$tmp/stripped")" 'BEGIN { printf "%.1f", b / 1024 }'
	rm -f "$tmp/stripped"
}
t_size=$(stripped_kib "$tipd") || fail "cannot strip $tipd with $STRIP"
s_size=-
[ -n "$skel" ] && { s_size=$(stripped_kib "$skel") || s_size=-; }
echo "bench tipd_stripped_kib $t_size KiB skeleton=$s_size ratio=$(ratio "$t_size" "$s_size")"
# Routers build with -Os (OpenWrt's and Buildroot's default): the same
# configuration built so, in a folder of its own, is the figure to hold
# against the budget.
osdir=$O/size-os
# make does not see flag changes: objects older than the Makefile (whose
# TIP_CFLAGS they were built with) are built again
[ Makefile -nt "$osdir/tipd" ] && rm -rf "$osdir"
mkdir -p "$osdir"
cp "$O/.config" "$osdir/.config" 2>/dev/null
if make -s --no-print-directory O="$osdir" CFLAGS=-Os "$osdir/tipd" >"$tmp/os.log" 2>&1; then
	o_size=$(stripped_kib "$osdir/tipd") &&
		echo "bench tipd_stripped_os_kib $o_size KiB O2=$t_size ratio=$(ratio "$o_size" "$t_size") (-Os, as routers build it; $(awk -v k="$o_size" 'BEGIN { printf "%.0f", k * 1024 }') B against a budget of 150000 B)"
else
	echo "# tipd.sh: -Os build failed: $(tail -n1 "$tmp/os.log")"
fi

# ---- idle memory --------------------------------------------------------------
cat > "$tmp/tipd.conf" <<EOF
# tests/bench/tipd.sh: a throw-away tipd
pidfile $tmp/tipd.pid
log-level warn
store {
	dir $tmp/store
}
control {
	socket $tmp/tipd.sock
}
EOF
"$tipd" -n -c "$tmp/tipd.conf" >/dev/null 2>"$tmp/tipd.log" || fail "configuration refused"

"$tipd" -f -c "$tmp/tipd.conf" 2>"$tmp/tipd.log" &
tipd_pid=$!
if [ -n "$skel" ]; then
	"$skel" --idle "$tmp/skel.ready" &
	skel_pid=$!
fi

# Up: tipd's socket exists (created before its loop starts), the skeleton's loop ran.
for _ in $(seq 100); do
	kill -0 "$tipd_pid" 2>/dev/null || { wait "$tipd_pid"; st=$?; tipd_pid=; fail "tipd exited ($st)"; }
	[ -S "$tmp/tipd.sock" ] && { [ -z "$skel" ] || [ -e "$tmp/skel.ready" ]; } && break
	sleep 0.1
done
[ -S "$tmp/tipd.sock" ] || fail "no control socket after 10 s"
[ "$(cat "$tmp/tipd.pid" 2>/dev/null)" = "$tipd_pid" ] || fail "pidfile does not name pid $tipd_pid"
sleep "$SETTLE"

# mem PID: "rss pss private" in KiB from smaps_rollup.
mem() {
	awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { v += $2 }
	     END { if (p == "") exit 1; print r, p, v }' "/proc/$1/smaps_rollup"
}
read -r t_rss t_pss t_priv < <(mem "$tipd_pid") || fail "cannot read /proc/$tipd_pid/smaps_rollup"
s_rss=- s_pss=- s_priv=-
if [ -n "$skel_pid" ] && [ -e "$tmp/skel.ready" ]; then
	read -r s_rss s_pss s_priv < <(mem "$skel_pid") || s_rss=-
fi
t_thr=$(ls "/proc/$tipd_pid/task" | wc -l)
echo "bench tipd_idle_pss_kib $t_pss KiB skeleton=$s_pss ratio=$(ratio "$t_pss" "$s_pss") rss=$t_rss private=$t_priv threads=$t_thr"
echo "bench tipd_idle_private_kib $t_priv KiB skeleton=$s_priv ratio=$(ratio "$t_priv" "$s_priv")"
echo "bench tipd_idle_rss_kib $t_rss KiB skeleton=$s_rss ratio=$(ratio "$t_rss" "$s_rss")"

# ---- stop ---------------------------------------------------------------------
kill -TERM "$tipd_pid"
wait "$tipd_pid"
st=$?
tipd_pid=
[ "$st" -eq 0 ] || fail "tipd exited $st on TERM"
exit 0
