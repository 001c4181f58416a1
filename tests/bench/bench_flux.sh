#!/bin/bash
# bench_flux: lookups per second of tipd's fast-flux loop (resolver, Holz
# scoring, offline-table enrichment and the store writer all on) against a
# bare udns client of our own (bench_udns.c) at the same number of queries
# in flight, both asking the same NSD (Debian nsd, the bench group of
# scripts/deps.sh) on a loopback port for the same generated names, in the
# same run; client CPU microseconds per lookup of each; tipd's RSS with
# 100k monitored domains, and per domain above an idle tipd.
#
# The zone has N names, each with one A record out of 4096 addresses in 64
# ASNs (the table comes from `tip asn import` of a generated CSV, so no
# TXT query competes).  tipd watches all N names with ttl-min, ttl-max and
# benign-max 0, so each domain is looked up again as soon as its answer is
# in: after the first lookup of every name (the RSS is read then) the loop
# runs flat out and its rate is read from `tip status` some seconds apart,
# with its CPU time from /proc.  Three pairs: the bare client runs while
# tipd is stopped (SIGSTOP), then tipd runs again; the ratio is the median
# of the pairs' ratios.  With two cores or more,
# NSD is pinned to the first and each client (tipd with its writer thread,
# or the bare client) to the second, so both get the same one core and
# the figures do not depend on where the kernel puts the processes
# (BENCH_FLUX_PIN=0: no pinning).  Prints "bench NAME VALUE
# UNIT" lines and asserts nothing (make bench).  Loopback only; every
# process started here is stopped by pid.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
UDNS=$PWD/$O/tests/bench_udns
N=${BENCH_FLUX_DOMAINS:-100000}
INFLIGHT=${BENCH_FLUX_INFLIGHT:-100}
SECS=${BENCH_FLUX_SECONDS:-5}

NSD=$(command -v nsd || echo /usr/sbin/nsd)
if [ ! -x "$NSD" ]; then
	echo "# bench_flux: skipped: nsd missing (scripts/deps.sh bench)"
	exit 0
fi
for b in "$TIPD" "$TIP" "$UDNS"; do
	[ -x "$b" ] || { echo "bench_flux: $b not built" >&2; exit 1; }
done
S=$(mktemp -d "$PWD/$O/bench-flux.XXXXXX") || exit 2
NSD_PID= TIPD_PID=
PIN_SERVER= PIN_CLIENT=
if [ "${BENCH_FLUX_PIN:-1}" = 1 ] && command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	PIN_SERVER="taskset -c 0"
	PIN_CLIENT="taskset -c 1"
fi
cleanup() {
	[ -n "$TIPD_PID" ] && kill -TERM "$TIPD_PID" 2>/dev/null && wait "$TIPD_PID" 2>/dev/null
	[ -n "$NSD_PID" ] && kill -TERM "$NSD_PID" 2>/dev/null && wait "$NSD_PID" 2>/dev/null
	rm -rf "$S"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]; t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()'
}

# ---- the zone, the names, the ASN table
awk -v n="$N" 'BEGIN {
	print "$TTL 300"
	print "@ IN SOA ns.bench.test. host.bench.test. 1 3600 600 86400 300"
	print "@ IN NS ns.bench.test."
	print "ns IN A 127.0.0.1"
	for (i = 0; i < n; i++) { k = i % 4096; printf "n%d IN A 10.%d.%d.1\n", i, k % 64, int(k / 64) }
}' > "$S/bench.test.zone"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.test\n", i }' > "$S/names.txt"
awk 'BEGIN { for (j = 0; j < 64; j++) printf "10.%d.0.0,10.%d.255.255,%d,\"Bench %d\"\n", j, j, 64512 + j, j }' \
	> "$S/asn.csv"
echo "10.0.0.0,10.255.255.255,NL" > "$S/cc.csv"
"$TIP" asn import --asn "$S/asn.csv" --country "$S/cc.csv" -o "$S/asn.db" 2>/dev/null ||
	{ echo "bench_flux: tip asn import failed" >&2; exit 1; }

# ---- NSD on a loopback port, one server process
PORT=$(free_port)
cat > "$S/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$PORT
	port: $PORT
	username: ""
	chroot: ""
	zonesdir: "$S"
	pidfile: "$S/nsd.pid"
	database: ""
	xfrdfile: "$S/xfrd.state"
	zonelistfile: "$S/zone.list"
	logfile: "$S/nsd.log"
	server-count: 1
	verbosity: 0
	hide-version: yes
	tcp-count: 10
remote-control:
	control-enable: no
zone:
	name: bench.test
	zonefile: bench.test.zone
EOF
$PIN_SERVER "$NSD" -d -c "$S/nsd.conf" 2>>"$S/nsd.log" &
NSD_PID=$!
up=0
for _ in $(seq 300); do
	if dig +short +tries=1 +time=1 -p "$PORT" @127.0.0.1 "n$((N - 1)).bench.test" 2>/dev/null |
		grep -q '^10\.'; then up=1; break; fi
	kill -0 "$NSD_PID" 2>/dev/null || break
	sleep 0.1
done
if [ $up = 0 ]; then
	echo "bench_flux: nsd did not come up: $(tail -3 "$S/nsd.log")" >&2
	exit 1
fi

bare() {	# one bare-udns run; prints its two lines, sets BARE_QPS
	local out
	out=$($PIN_CLIENT "$UDNS" --server "127.0.0.1:$PORT" --names "$S/names.txt" --n "$1" --inflight "$INFLIGHT")
	echo "$out"
	BARE_QPS=$(echo "$out" | awk '$2 == "udns_bare_qps" { print $3 }')
	BARE_CPU=$(echo "$out" | awk '$2 == "udns_bare_cpu" { print $3 }')
}

write_conf() {	# write_conf WATCHFILE
	cat > "$S/tipd.conf" <<EOF
pidfile none
log-level warn
store {
	dir $S/store
	record-candidates no
}
control {
	socket $S/tipd.sock
}
module watchlist {
	file $1
	interval 1h
}
module fastflux {
	servers 127.0.0.1:$PORT
	contexts 1
	context-inflight $INFLIGHT
	inflight $INFLIGHT
	lookups $INFLIGHT
	window 2
	ttl-min 0
	ttl-max 0
	benign-max 0
	ns no
	ptr no
	asn-db $S/asn.db
	queue $((N + 1))
	max-domains $((N + 1))
	log-interval 0
}
EOF
}

start_tipd() {
	rm -rf "$S/store"
	$PIN_CLIENT "$TIPD" -f -c "$S/tipd.conf" 2>>"$S/tipd.log" &
	TIPD_PID=$!
	for _ in $(seq 200); do
		"$TIP" status -s "$S/tipd.sock" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench_flux: tipd did not come up: $(tail -3 "$S/tipd.log")" >&2
	exit 1
}

stop_tipd() {
	kill -TERM "$TIPD_PID"
	wait "$TIPD_PID"
	TIPD_PID=
}

lookups() {
	"$TIP" status -s "$S/tipd.sock" | awk '$1 == "module" && $2 == "name=fastflux" {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == "lookups") print a[2] } }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$TIPD_PID/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$TIPD_PID/status"; }
now() { date +%s.%N; }

# ---- idle tipd: the baseline RSS
: > "$S/empty.txt"
write_conf "$S/empty.txt"
start_tipd
sleep 0.5
rss_idle=$(rss_kb)
stop_tipd

echo "# load average: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) cores (other work on the box moves these figures)"
bare 100000 >/dev/null	# NSD's and the page cache warm

# ---- tipd watching N domains; then three pairs of (bare client, tipd) runs,
# tipd stopped (SIGSTOP) while the bare client runs, so each pair meets the
# same background load and the ratio is taken per pair
write_conf "$S/names.txt"
start_tipd
t_start=$(now)
for _ in $(seq 1200); do
	l=$(lookups)
	[ "${l:-0}" -ge "$N" ] && break
	sleep 0.1
done
t_all=$(now)
rss=$(rss_kb)
hz=$(getconf CLK_TCK)
pairs=""
for r in 1 2 3; do
	kill -STOP "$TIPD_PID"
	bare 300000 > /dev/null
	kill -CONT "$TIPD_PID"
	sleep 1	# the answers that came meanwhile are taken, timeouts of that pause pass
	l0=$(lookups) t0=$(now) c0=$(cpu_ticks)
	sleep "$SECS"
	l1=$(lookups) t1=$(now) c1=$(cpu_ticks)
	pairs="$pairs $BARE_QPS $BARE_CPU $l0 $l1 $t0 $t1 $c0 $c1"
done
st=$("$TIP" status -s "$S/tipd.sock")
stop_tipd

pinned="no"
[ -n "$PIN_CLIENT" ] && pinned="nsd on cpu 0, each client on cpu 1"
echo "$pairs" | awk -v n="$N" -v hz="$hz" -v rss="$rss" -v idle="$rss_idle" -v ts="$t_start" \
    -v ta="$t_all" -v inflight="$INFLIGHT" -v pinned="$pinned" '
function med(a, k,   i, j, t) {	# median of a[1..k]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((k + 1) / 2)]
}
{
	k = 0
	for (i = 1; i + 7 <= NF; i += 8) {
		k++
		bq[k] = $i; bc[k] = $(i + 1)
		fq[k] = ($(i + 3) - $(i + 2)) / ($(i + 5) - $(i + 4))
		fc[k] = ($(i + 7) - $(i + 6)) / hz * 1e6 / ($(i + 3) - $(i + 2))
		ra[k] = fq[k] / bq[k]
		line = line sprintf(" %.0f/%.0f", fq[k], bq[k])
	}
	printf "bench udns_bare_qps %.0f qps inflight=%d (median of %d)\n", med(bq, k), inflight, k
	printf "bench udns_bare_cpu %.2f us/lookup\n", med(bc, k)
	printf "bench flux_loop_qps %.0f qps inflight=%d udns_bare=%.0f ratio=%.2f (budget >= 0.8; median of %d pairs)\n",
		med(fq, k), inflight, med(bq, k), med(ra, k), k
	printf "bench flux_loop_cpu %.2f us/lookup udns_bare_cpu=%.2f (tipd: loop and writer threads)\n",
		med(fc, k), med(bc, k)
	printf "bench flux_first_lookups_qps %.0f qps (%d new domains: score and enrichment records too)\n",
		n / (ta - ts), n
	printf "bench flux_rss %.1f MB domains=%d idle=%.1fMB (budget <= 32 MB)\n", rss / 1024, n, idle / 1024
	printf "bench flux_rss_per_domain %.0f B\n", (rss - idle) * 1024 / n
	printf "# pairs tipd/bare qps:%s; pinned: %s\n", line, pinned
}'
echo "$st" | awk '$1 == "module" && $2 == "name=fastflux" {
	for (i = 3; i <= NF; i++) { split($i, a, "=");
		if (a[1] ~ /^(domains|lookups|rec_dns|rec_dropped|res_timeout|submit_busy|writer_pauses)$/) printf " %s", $i }
	print "" }' | sed 's/^/# tipd:/'
