#!/bin/bash
# tests/bench/bench_share.sh O: the sharing figures for make bench.
#
# A store of MB megabytes of segments (64 by default, for make bench;
# MB=330 gives the issue's store of about 500 MB: segments sealed at 16 MiB
# plus their indexes; tests/helpers/mkbig) served by tipd's share module on
# loopback and pulled with tip pull into an empty store; anchor: rsync of
# the same store from a local rsync daemon on loopback into an empty
# folder, in the same run (no encryption there: rsync over ssh would add
# its cipher on both ends).  Both end with a store tip reads (tip pull
# checks every frame and builds each index; rsync copies the indexes).
# Prints "bench NAME VALUE UNIT ANCHOR=VALUE ratio=X" and asserts nothing:
#   share_pull_mbps        segment MB / wall time of the pull (rsync: the same MB
#                          over its wall time); ratio = pull / rsync
#   share_pull_durable_mbps  the same against rsync --fsync: tip pull fsyncs every
#                          file it publishes, plain rsync leaves them in the page
#                          cache, so on a slow disk the plain ratio is bounded by
#                          the disk, not by the protocol
#   share_serve_cpu_ms_per_mb  CPU of tipd (all threads) during the pull per MB
#                          served (the listing's digests are made before);
#                          anchor: the rsync daemon's CPU per MB
#   share_tipd_stripped_kib  tipd stripped, this configuration; anchor: the
#                          same configuration without MODULE_SHARE
# Exit 1 only when something could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
case "$O" in /*) ;; *) O=$PWD/$O ;; esac	# tipd.conf wants absolute paths
MB=${MB:-64}	# MB=330 makes the issue's ~500 MB store (segments and indexes)
tip=$O/tip
tipd=$O/tipd
for x in "$tip" "$tipd" "$O/tests/mkbig" /usr/bin/time; do
	[ -x "$x" ] || { echo "bench_share.sh: $x missing (make tests)" >&2; exit 1; }
done
command -v rsync >/dev/null || { echo "bench_share.sh: rsync missing (scripts/deps.sh bench)" >&2; exit 1; }
"$tipd" -V | grep -q '^modules:.* share' || { echo "bench_share.sh: tipd without MODULE_SHARE" >&2; exit 1; }
T=$(mktemp -d "$O/bench-share.XXXXXX") || exit 1
pids=()
# the rsync daemon is /usr/bin/time's child: end children too, or a failed run leaves it
trap 'for p in "${pids[@]}"; do kill $(pgrep -P "$p") "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
. tests/integration/lib.sh	# freeport, share_conf, wait_for, ports_open
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

"$O/tests/mkbig" "$T/src" "$MB" || exit 1
seg_mb=$(du -cb "$T/src/log/"*.tlog | awk 'END {printf "%.1f", $1 / 1048576}')
store_mb=$(du -sb "$T/src" | awk '{printf "%.1f", $1 / 1048576}')
echo "# store: $store_mb MB ($seg_mb MB of segments, $(ls "$T/src/log/"*.tlog | wc -l) segments)"
"$tip" keygen --out "$T/srv" >"$T/srv.fp" && "$tip" keygen --out "$T/cli" >"$T/cli.fp" || exit 1
P=$(freeport)
share_conf "$T/src" "$P" "$T/srv" bench "$(cat "$T/cli.fp")" >"$T/tipd.conf"
"$tipd" -f -c "$T/tipd.conf" >"$T/tipd.log" 2>&1 &
TP=$!
pids+=("$TP")
# wait for the listing (every sealed segment's digest) before measuring
for _ in $(seq 600); do
	kill -0 "$TP" 2>/dev/null || { echo "bench_share.sh: tipd exited: $(tail -3 "$T/tipd.log")" >&2; exit 1; }
	"$tip" pull "https://127.0.0.1:$P" --store "$T/probe" --key "$T/cli" --peer "$(cat "$T/srv.fp")" \
		--retries 0 -q >/dev/null 2>&1 && break
	sleep 0.5
done
rm -rf "$T/probe"
hz=$(getconf CLK_TCK)
sync
c0=$(cpu_ticks "$TP")
t0=$(date +%s%N)
"$tip" pull "https://127.0.0.1:$P" --store "$T/dst" --key "$T/cli" --peer "$(cat "$T/srv.fp")" -q \
	>"$T/pull.out" 2>&1 || { echo "bench_share.sh: tip pull failed: $(cat "$T/pull.out")" >&2; exit 1; }
t1=$(date +%s%N)
c1=$(cpu_ticks "$TP")
kill "$TP"
wait "$TP" 2>/dev/null
pull_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
pull_cpu_ms=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) * 1000 / hz}')

RP=$(freeport)
cat >"$T/rsyncd.conf" <<CONF
use chroot = no
uid = $(id -u)
gid = $(id -g)
[store]
	path = $T/src
	read only = yes
CONF
/usr/bin/time -f "%U %S" -o "$T/rsyncd.time" rsync --daemon --no-detach --config="$T/rsyncd.conf" \
	--address=127.0.0.1 --port="$RP" &
RD=$!
pids+=("$RD")
wait_for 5 ports_open "$RP"
sync
t0=$(date +%s%N)
rsync -a "rsync://127.0.0.1:$RP/store/" "$T/rdst/" >"$T/rsync.out" 2>&1 ||
	{ echo "bench_share.sh: rsync failed: $(cat "$T/rsync.out")" >&2; exit 1; }
t1=$(date +%s%N)
# the same with every file fsynced, as tip pull publishes them (a durable copy)
sync
t2=$(date +%s%N)
rsync -a --fsync "rsync://127.0.0.1:$RP/store/" "$T/rdst2/" >"$T/rsync2.out" 2>&1 ||
	{ echo "bench_share.sh: rsync --fsync failed: $(cat "$T/rsync2.out")" >&2; exit 1; }
t3=$(date +%s%N)
# the daemon is time's child: end it, and time writes its CPU
kill $(pgrep -P "$RD") 2>/dev/null
wait "$RD" 2>/dev/null
wait_for 2 test -s "$T/rsyncd.time"
rsync_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
rsyncf_s=$(awk -v a="$t2" -v b="$t3" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
rsync_cpu_ms=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ {printf "%.1f", ($1 + $2) * 1000}' "$T/rsyncd.time" 2>/dev/null)

awk -v mb="$seg_mb" -v p="$pull_s" -v r="$rsync_s" 'BEGIN {
	printf "bench share_pull_mbps %.1f MB/s rsync=%.1f ratio=%.2f\n", mb / p, mb / r, r / p }'
awk -v mb="$seg_mb" -v p="$pull_s" -v r="$rsyncf_s" 'BEGIN {
	printf "bench share_pull_durable_mbps %.1f MB/s rsync_fsync=%.1f ratio=%.2f\n", mb / p, mb / r, r / p }'
awk -v mb="$seg_mb" -v p="$pull_cpu_ms" -v r="${rsync_cpu_ms:-0}" 'BEGIN {
	printf "bench share_serve_cpu_ms_per_mb %.2f ms/MB rsync=%.2f ratio=%.2f\n", p / mb, r / mb,
		(r > 0 ? p / r : 0) }'

# ---- tipd's size with and without the module ----------------------------------------
STRIP=${STRIP:-strip}
B=$O/bench-noshare	# kept: a second run rebuilds only what changed
mkdir -p "$B"
sed -e '/CONFIG_MODULE_SHARE/d' "$O/.config" >"$B/.config"
echo '# CONFIG_MODULE_SHARE is not set' >>"$B/.config"
make -s --no-print-directory O="$B" "$B/tipd" >"$T/build.log" 2>&1 ||
	{ echo "bench_share.sh: build without the module failed: $(tail -3 "$T/build.log")" >&2; exit 1; }
"$B/tipd" -V | grep -q '^modules:.* share' && { echo "bench_share.sh: MODULE_SHARE off did not remove it" >&2; exit 1; }
cp "$tipd" "$T/with" && cp "$B/tipd" "$T/without" && "$STRIP" "$T/with" "$T/without" || exit 1
awk -v a="$(stat -c %s "$T/with")" -v b="$(stat -c %s "$T/without")" 'BEGIN {
	printf "bench share_tipd_stripped_kib %.1f KiB without_share=%.1f ratio=%.3f\n", a / 1024, b / 1024, a / b }'
exit 0
