#!/bin/bash
# tests/bench/bench_fetch.sh O: the fetch client's HTTPS figures for make bench.
#
# One nginx on loopback serves a 20 MB list (domain lines made from the
# blacklist samples) over TLS 1.2 with one cipher suite both clients have
# (ECDHE-ECDSA-AES128-GCM-SHA256, P-256 key from a CA made here), so both
# do the same cryptography.  Each client fetches it REPEAT times, one
# process per fetch; anchor: curl (OpenSSL) from the same server in the
# same run.  Prints "bench NAME VALUE UNIT curl=VALUE ratio=X" (ratio =
# VALUE / curl's) and asserts nothing:
#   fetch_https_mbps         MB/s, median wall time of a fetch (tip: fetchget)
#   fetch_https_cpu_ms_per_mb  user+system CPU per MB, median (lower is better)
#   fetch_https_rss_kb       peak RSS of the fetching process (GNU time; the
#                            body is streamed to /dev/null: bounded, not the
#                            list size)
#   fetch_https_gzip_mbps    the same list with Content-Encoding gzip
#                            (curl --compressed), MB/s of the decoded body
# Exit 1 only when something could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
case "$O" in /*) ;; *) O=$TOP/$O ;; esac
REPEAT=${REPEAT:-5}
MB=${MB:-20}
FG=$O/tests/fetchget
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for x in "$FG" "$NGINX" /usr/bin/time; do
	[ -x "$x" ] || { echo "bench_fetch.sh: $x missing (make tests; scripts/deps.sh bench)" >&2; exit 1; }
done
command -v curl >/dev/null && command -v openssl >/dev/null && command -v python3 >/dev/null ||
	{ echo "bench_fetch.sh: curl, openssl and python3 are needed (scripts/deps.sh bench)" >&2; exit 1; }
T=$(mktemp -d "$O/bench-fetch.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

. tests/integration/lib.sh	# test_pki, freeport, wait_for, ports_open
test_pki "$T" bench	# $T/ca.pem, $T/srv.pem, $T/srv.key

mkdir -p "$T/www/gz" "$T/tmp"
cat ../shared/data/blacklists/domains/*.txt ../shared/data/blacklists/hosts/*.hosts 2>/dev/null |
	grep -v '^#' > "$T/seed.txt"
[ -s "$T/seed.txt" ] || seq 1 100000 | sed 's/$/.bench.example/' > "$T/seed.txt"
python3 - "$T/seed.txt" "$T/www/list.txt" "$MB" <<'EOF'
import sys
seed = open(sys.argv[1], "rb").read(); want = int(sys.argv[3]) << 20
with open(sys.argv[2], "wb") as f:
	n = 0
	while n < want:
		k = min(len(seed), want - n); f.write(seed[:k]); n += k
EOF
cp "$T/www/list.txt" "$T/www/gz/list.txt"
bytes=$(stat -c %s "$T/www/list.txt")
port=$(freeport)
cat > "$T/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $T/error.log;
pid $T/nginx.pid;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/tmp; proxy_temp_path $T/tmp; fastcgi_temp_path $T/tmp;
	uwsgi_temp_path $T/tmp; scgi_temp_path $T/tmp;
	types { text/plain txt; }
	sendfile on;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $T/srv.pem;
		ssl_certificate_key $T/srv.key;
		ssl_protocols TLSv1.2;
		ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;
		root $T/www;
		gzip off;
		location /gz/ { gzip on; gzip_types text/plain; gzip_comp_level 1; }
	}
}
EOF
"$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/error.log" >"$T/nginx.out" 2>&1 &
pid=$!
wait_for 5 ports_open "$port"

# measure N CMD...: run CMD N times; print "wall_median cpu_median maxrss_kb" (one process each)
measure() {
	python3 - "$@" <<'EOF'
import resource, statistics, subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
walls, cpus, rss = [], [], 0
for i in range(n):
	r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
	t0 = time.monotonic()
	p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	t1 = time.monotonic()
	r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
	if p.returncode != 0:
		print("fail", p.returncode); sys.exit(1)
	walls.append(t1 - t0)
	cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
	rss = max(rss, r1.ru_maxrss)
print("%.6f %.6f %d" % (statistics.median(walls), statistics.median(cpus), rss))
EOF
}
U=https://localhost:$port
read -r tw tc tr < <(measure "$REPEAT" "$FG" -c "$T/ca.pem" -o /dev/null "$U/list.txt") || { echo "bench_fetch.sh: fetchget failed" >&2; exit 1; }
read -r cw cc cr < <(measure "$REPEAT" curl -sf --cacert "$T/ca.pem" -o /dev/null "$U/list.txt") || { echo "bench_fetch.sh: curl failed" >&2; exit 1; }
read -r gw gc gr < <(measure "$REPEAT" "$FG" -c "$T/ca.pem" -o /dev/null "$U/gz/list.txt") || { echo "bench_fetch.sh: fetchget gzip failed" >&2; exit 1; }
read -r kw kc kr < <(measure "$REPEAT" curl -sf --compressed --cacert "$T/ca.pem" -o /dev/null "$U/gz/list.txt") || { echo "bench_fetch.sh: curl gzip failed" >&2; exit 1; }

# peak RSS: GNU time (a fork of python would count python's own pages)
tr=$(/usr/bin/time -f %M "$FG" -c "$T/ca.pem" -o /dev/null "$U/list.txt" 2>&1 >/dev/null | tail -1)
cr=$(/usr/bin/time -f %M curl -sf --cacert "$T/ca.pem" -o /dev/null "$U/list.txt" 2>&1 >/dev/null | tail -1)
python3 - "$bytes" "$tw" "$tc" "$tr" "$cw" "$cc" "$cr" "$gw" "$kw" <<'EOF'
import sys
b = int(sys.argv[1]) / 1048576.0
tw, tc, tr, cw, cc, cr, gw, kw = (float(x) for x in sys.argv[2:])
def line(name, v, unit, a):
	print("bench %s %.2f %s curl=%.2f ratio=%.2f" % (name, v, unit, a, v / a if a else 0))
line("fetch_https_mbps", b / tw, "MB/s", b / cw)
line("fetch_https_cpu_ms_per_mb", 1000 * tc / b, "ms/MB", 1000 * cc / b)
line("fetch_https_rss_kb", tr, "KB", cr)
line("fetch_https_gzip_mbps", b / gw, "MB/s", b / kw)
EOF
echo "# bench_fetch: ${MB} MB list, $REPEAT fetches each, TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256, one process per fetch"
