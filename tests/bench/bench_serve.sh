#!/bin/bash
# tests/bench/bench_serve.sh O: figures of `tip serve` for make bench.
#
# Prints "bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]" lines (ratio =
# VALUE / ANCHOR) and asserts nothing:
#   serve_domain_rps      requests per second for a domain page (the
#                         busiest fast-flux name of the generated sample:
#                         ~340 A records with ASN, country and PTR each),
#                         50 concurrent keep-alive clients of wrk on loopback
#                         for DURATION seconds; anchor: the fixed /style.css
#                         route of the same server, same clients, same run
#   serve_domain_csv_rps  the same domain's CSV download (what tip query
#                         domain --format csv computes), beside the page
#   serve_domain_5000_page{1,10}_ttfb_ms  time to first byte of the domain
#                         page of a name with 5,000 addresses, its first and
#                         last page of 500 (bytes of each page shown);
#                         anchor: the stylesheet's time to first byte
#   serve_domain_5000_bycount_page{1,10}_ttfb_ms  the same pages sorted
#                         by the server by count (descending)
#   serve_flux_ttfb_cold_ms  time to first byte of the flux table over a
#                         year of hourly segments (8760 sealed and indexed
#                         segments from tests/helpers/mkserve): a full scan
#   serve_flux_ttfb_warm_ms  the same request again (the scan is cached;
#                         validated by a stat of each log/ and active segment)
#                         anchor of both: /style.css from the same server
#   query_flux_year_ms    `tip query flux` over the same year, for scale
# Each TTFB is the median of REPEAT curl requests (the cold one runs once
# per server start, so the server is restarted for each cold sample).
# Exit 1 only when something could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
DAYS=${DAYS:-365}
tip=$O/tip
mk=$O/tests/mkserve
for x in "$tip" "$mk"; do
	if [ ! -x "$x" ]; then
		echo "bench_serve.sh: $x is not built" >&2
		exit 1
	fi
done
if ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	echo "bench_serve.sh: wrk and curl are needed (scripts/deps.sh bench)" >&2
	exit 1
fi
d=$(mktemp -d "$O/bench-serve.XXXXXX") || exit 1
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

start() {	# start tip serve with the given arguments on a free loopback port
	: >"$d/serve.log"	# not the last server's port: the child opens the log only when it runs
	"$tip" serve --listen 127.0.0.1:0 "$@" 2>"$d/serve.log" &
	pid=$!
	port=""
	for _ in $(seq 200); do
		port=$(sed -n 's|^tip serve: listening on http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$d/serve.log")
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	u=http://127.0.0.1:$port
	[ -n "$port" ]
}
stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=""
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rps() {	# URL: wrk's requests per second
	wrk -t2 -c50 -d"${DURATION}s" "$1" 2>/dev/null | awk '/^Requests\/sec:/ { print $2 }'
}
ttfb_ms() { curl -s -o /dev/null -w '%{time_starttransfer}\n' "$1" | awk '{ printf "%.2f\n", $1 * 1000 }'; }

# ---- the domain page under load -------------------------------------------------
mkdir -p "$d/day"
scripts/sample-cof.sh | "$tip" import cof - --store "$d/day/s1" --sensor s1 >/dev/null 2>&1 || exit 1
asn=""
data=../shared/data/asn
if [ -f "$data/asn-ipv4.csv.gz" ] && [ -f "$data/asn-country-ipv4.csv" ]; then
	zcat "$data/asn-ipv4.csv.gz" >"$d/asn.csv"
	"$tip" asn import --asn "$d/asn.csv" --country "$data/asn-country-ipv4.csv" -o "$d/asn.db" >/dev/null 2>&1 &&
		asn="--asn $d/asn.db"
	rm -f "$d/asn.csv"
fi
start --store "$d/day" $asn || { echo "bench_serve.sh: tip serve did not start" >&2; exit 1; }
page="$u/domain?name=flux11.example-botnet.test"
bytes=$(curl -s "$page" | wc -c)
anchor=$(rps "$u/style.css")
dom=$(rps "$page")
csv=$(rps "$u/domain.csv?name=flux11.example-botnet.test")
echo "bench serve_domain_rps ${dom:-0} req/s style_css_rps=${anchor:-0} ratio=$(ratio "${dom:-0}" "${anchor:-0}")" \
	"(50 clients, ${DURATION}s, page $bytes bytes${asn:+, with the ASN table})"
echo "bench serve_domain_csv_rps ${csv:-0} req/s serve_domain_rps=${dom:-0} ratio=$(ratio "${csv:-0}" "${dom:-0}")" \
	"(the same domain as CSV: tip query's agg_domain_lookup and agg_ip_info per address, no page)"
stop

# ---- the domain page of a 5,000-address flux name ------------------------------
# 1,000 lookups of 5 addresses each over a day, 5,000 distinct addresses;
# the page lists 500 addresses a page (page 1 and page 10, the last)
mkdir -p "$d/big"
python3 -c '
for k in range(1000):
    ips = ",".join("\"%d.%d.%d.%d\"" % (20 + (5 * k + j) % 150, (5 * k + j) // 150 % 256, (5 * k + j) * 7 % 256, 1 + j) for j in range(5))
    t = 1764000000 + 86 * k
    print("{\"rrname\":\"big.flux.test\",\"rrtype\":\"A\",\"rdata\":[%s],\"time_first\":%d,\"time_last\":%d,\"count\":1}" % (ips, t, t))
' | "$tip" import cof - --store "$d/big/s1" --sensor s1 >/dev/null 2>&1 || exit 1
start --store "$d/big" || { echo "bench_serve.sh: tip serve did not start" >&2; exit 1; }
hosts=$("$tip" query domain big.flux.test --store "$d/big" --format json 2>/dev/null | head -1 | sed 's/.*"hosts":\([0-9]*\).*/\1/')
css=$(for _ in $(seq "$REPEAT"); do ttfb_ms "$u/style.css"; done | median)
for pg in 1 10; do
	t=$(for _ in $(seq "$REPEAT"); do ttfb_ms "$u/domain?name=big.flux.test&page=$pg"; done | median)
	b=$(curl -s "$u/domain?name=big.flux.test&page=$pg" | wc -c)
	echo "bench serve_domain_5000_page${pg}_ttfb_ms $t ms style_css_ttfb_ms=$css ratio=$(ratio "$t" "$css") ($hosts addresses, page $pg: $b bytes)"
done
# the same pages sorted by the server on another column (count, then address)
for pg in 1 10; do
	q="$u/domain?name=big.flux.test&sort=count&order=desc&page=$pg"
	t=$(for _ in $(seq "$REPEAT"); do ttfb_ms "$q"; done | median)
	b=$(curl -s "$q" | wc -c)
	echo "bench serve_domain_5000_bycount_page${pg}_ttfb_ms $t ms style_css_ttfb_ms=$css ratio=$(ratio "$t" "$css") ($hosts addresses, sorted by count, page $pg: $b bytes)"
done
stop

# ---- the flux table over a year -------------------------------------------------
t0=$(date +%s.%N)
"$mk" year "$d/year" "$DAYS" >/dev/null || { echo "bench_serve.sh: mkserve year failed" >&2; exit 1; }
t1=$(date +%s.%N)
nseg=$(ls "$d/year/log" | grep -c '\.tlog$')
sleep 2	# data at rest: serve re-lists a store whose log/ changed in the last 2 s
echo "# generated $DAYS days: $nseg segments, $(du -sm "$d/year" | cut -f1) MB, in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
: >"$d/cold"
: >"$d/warm"
: >"$d/css"
for _ in $(seq "$REPEAT"); do
	start --store "$d/year" || { echo "bench_serve.sh: tip serve did not start" >&2; exit 1; }
	ttfb_ms "$u/style.css" >>"$d/css"
	ttfb_ms "$u/flux" >>"$d/cold"
	ttfb_ms "$u/flux" >>"$d/warm"
	stop
done
css=$(median <"$d/css")
cold=$(median <"$d/cold")
warm=$(median <"$d/warm")
echo "bench serve_flux_ttfb_cold_ms $cold ms style_css_ttfb_ms=$css ratio=$(ratio "$cold" "$css") ($nseg segments, median of $REPEAT)"
echo "bench serve_flux_ttfb_warm_ms $warm ms style_css_ttfb_ms=$css ratio=$(ratio "$warm" "$css") ($nseg segments, median of $REPEAT)"
: >"$d/q"
for _ in $(seq "$REPEAT"); do
	a=$(date +%s%N)
	"$tip" query flux --store "$d/year" --format csv >/dev/null 2>&1
	b=$(date +%s%N)
	echo $(( (b - a) / 1000000 )) >>"$d/q"
done
echo "bench query_flux_year_ms $(median <"$d/q") ms ($nseg segments, tip query flux --format csv, median of $REPEAT)"
exit 0
