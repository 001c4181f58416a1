#!/bin/bash
# tests/bench/bench_query.sh O: figures of `tip query domain`, `tip query
# flux` and `tip compact` over months of three sensors, for make bench.
#
# Prints "bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]" lines (ratio =
# VALUE / ANCHOR) and asserts nothing.  The data: three sensors' stores of
# BENCH_QUERY_HOURS hourly segments each (720, 30 days, by default, so make
# bench stays within minutes; BENCH_QUERY_HOURS=8760 is the year: 8,760
# sealed, indexed segments a store, 26,280 in all, about 20 minutes on two
# cores), written by tests/helpers/mkyear straight through the
# segment writer (an hour: 20 stable names, 10 CDN-like names with 4 of 8
# addresses, 10 fast-flux names with 5 of 5,000 addresses, one NXDOMAIN,
# and the enrichment of each new flux address), and the same lookups as
# SQLite rows, one per A answer (sensor, ts, name, ip) with an index on
# name, loaded by the sqlite3 CLI.
#   query_domain_{stable,flux}_{before,after}_ms
#       `tip query domain NAME --format csv` over the three stores, before
#       and after `tip compact`, process start included; median of REPEAT.
#       stable: www.site007.example (one address, 26,280 lookups); flux:
#       flux03.example-botnet.test (about 5,000 addresses, each with its
#       ASN from the enrichment records).  Anchor: the sqlite3 CLI running
#       the same aggregation (addresses with first, last, count) on the
#       indexed table, process start included, same repeats.
#   query_wild_{before,after}_ms  `tip query domain '*.example-botnet.test'
#       --format csv` (a left-hand wildcard: the 10 flux names, by the
#       index's member lists), before and after compaction.  Anchor: SQLite
#       with an index on the reversed name, the same per-name aggregation
#       (distinct addresses, first, last, lookups) by a range on it.
#   query_cidr_{before,after}_ms  `tip query ip 20.0.0.0/8 --format csv`
#       (the pool addresses in it, by the member lists).  Anchor: SQLite
#       with an index on the address text, a range on '20.'.
#   query_flux_{before,after}_ms  `tip query flux --format csv`: every name
#       of the three stores scored over its classification window and its
#       running totals (a scan of every segment).  Anchor: SQLite counting
#       the distinct addresses of every name (GROUP BY name on the table).
#   compact_mb_s   `tip compact` of one store (8,760 segments into one, with
#                  coalescing, its index, fsyncs and the removal of the
#                  inputs), input bytes of the segments by wall time.
#                  Anchor: a plain read-and-write copy of the same segment
#                  bytes into one file (cat, then sync of that file).
#   compact_unlink_ms  removing a copy of one store's 17,520 input files
#                  (rm -rf), for scale: on a disk mounted with discard,
#                  unlinks are most of the compaction's wall time.
#   store_bytes_{before,after}  bytes of segments and indexes of the three
#                  stores; anchor: the SQLite file.
# Environment: BENCH_QUERY_HOURS (720; 8760 for the year), REPEAT (3).
# Exit 1 only when something could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
HOURS=${BENCH_QUERY_HOURS:-720}
REPEAT=${REPEAT:-3}
tip=$O/tip
mk=$O/tests/mkyear
for x in "$tip" "$mk"; do
	if [ ! -x "$x" ]; then
		echo "bench_query.sh: $x is not built" >&2
		exit 1
	fi
done
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "bench_query.sh: the sqlite3 CLI is needed (scripts/deps.sh bench)" >&2
	exit 1
fi
tmp=$(mktemp -d "$O/bench-query.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }
# median wall time in ms of REPEAT runs of a command (output discarded)
median_ms() {
	local i t0 t1 v=()
	for i in $(seq 1 "$REPEAT"); do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1
		t1=$(now_ns)
		v+=($(( (t1 - t0) / 1000 )))
	done
	printf '%s\n' "${v[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

t0=$(now_ns)
"$mk" "$tmp/y" --sensors 3 --hours "$HOURS" --csv "$tmp/a.csv" >/dev/null || exit 1
t1=$(now_ns)
echo "# BENCH_QUERY_HOURS=$HOURS: $(( HOURS / 24 )) days of three sensors"
echo "# generated 3 x $HOURS hourly segments and $(wc -l <"$tmp/a.csv") SQLite rows in $(( (t1 - t0) / 1000000 )) ms"
# the reversed name beside each row, for SQLite's wildcard index
awk -F, -v OFS=, '{ r = ""; for (i = length($3); i > 0; i--) r = r substr($3, i, 1); print $0, r }' \
	"$tmp/a.csv" >"$tmp/b.csv" && mv "$tmp/b.csv" "$tmp/a.csv"
sqlite3 "$tmp/a.db" "CREATE TABLE a(sensor TEXT, ts INTEGER, name TEXT, ip TEXT, rname TEXT);" ".mode csv" \
	".import $tmp/a.csv a" "CREATE INDEX a_name ON a(name);" "CREATE INDEX a_rname ON a(rname);" \
	"CREATE INDEX a_ip ON a(ip);" || exit 1
rm -f "$tmp/a.csv"
t2=$(now_ns)
echo "# SQLite loaded and indexed in $(( (t2 - t1) / 1000000 )) ms"

sql() {	# the same aggregation as tip query domain's address rows
	sqlite3 "$tmp/a.db" "SELECT ip, min(ts), max(ts), count(*) FROM a WHERE name = '$1' GROUP BY ip ORDER BY ip;"
}
sql_wild() {	# names below example-botnet.test: a range on the reversed name
	sqlite3 "$tmp/a.db" "SELECT name, count(DISTINCT ip), min(ts), max(ts), count(*) FROM a WHERE rname >= 'tset.tentob-elpmaxe.' AND rname < 'tset.tentob-elpmaxe/' GROUP BY name ORDER BY name;"
}
sql_flux() {	# every name's distinct addresses and lookups
	sqlite3 "$tmp/a.db" "SELECT name, count(DISTINCT ip), min(ts), max(ts), count(*) FROM a GROUP BY name ORDER BY name;"
}
sql_cidr() {	# 20.0.0.0/8: a range on the address text
	sqlite3 "$tmp/a.db" "SELECT ip, name, min(ts), max(ts), count(*) FROM a WHERE ip >= '20.' AND ip < '20/' GROUP BY ip, name ORDER BY ip, name;"
}
queries() {	# before|after
	local kind name t s
	t=$(median_ms "$tip" query domain '*.example-botnet.test' --store "$tmp/y" --format csv)
	s=$(median_ms sql_wild)
	echo "bench query_wild_$1_ms $t ms sqlite=$s ratio=$(ratio "$t" "$s")"
	t=$(median_ms "$tip" query ip 20.0.0.0/8 --store "$tmp/y" --format csv)
	s=$(median_ms sql_cidr)
	echo "bench query_cidr_$1_ms $t ms sqlite=$s ratio=$(ratio "$t" "$s")"
	t=$(median_ms "$tip" query flux --min-score 0 --store "$tmp/y" --format csv)
	s=$(median_ms sql_flux)
	echo "bench query_flux_$1_ms $t ms sqlite=$s ratio=$(ratio "$t" "$s")"
	for kind in stable flux; do
		name=www.site007.example
		[ $kind = flux ] && name=flux03.example-botnet.test
		t=$(median_ms "$tip" query domain "$name" --store "$tmp/y" --format csv)
		s=$(median_ms sql "$name")
		echo "bench query_domain_${kind}_$1_ms $t ms sqlite=$s ratio=$(ratio "$t" "$s")"
	done
}
size() { du -sb "$@" | awk '{ n += $1 } END { print n }'; }

# the rows agree (a check of the workload, not a figure)
a=$("$tip" query domain www.site007.example --store "$tmp/y" --format csv | tail -n +2 | cut -d, -f9 | tr -d '\r')
b=$(sql www.site007.example | cut -d'|' -f4)
[ "$a" = "$b" ] || echo "# warning: tip counts $a lookups, SQLite $b"
a=$("$tip" query domain '*.example-botnet.test' --store "$tmp/y" --format csv 2>/dev/null | tail -n +2 | wc -l)
b=$(sql_wild | wc -l)
[ "$a" = "$b" ] || echo "# warning: the wildcard gives tip $a names, SQLite $b"
a=$("$tip" query ip 20.0.0.0/8 --store "$tmp/y" --format csv 2>/dev/null | tail -n +2 | wc -l)
b=$(sql_cidr | wc -l)
[ "$a" = "$b" ] || echo "# warning: the prefix gives tip $a (address, name) rows, SQLite $b"
a=$("$tip" query flux --min-score 0 --store "$tmp/y" --format csv 2>/dev/null | tail -n +2 | wc -l)
b=$(sql_flux | wc -l)
[ "$a" = "$b" ] || echo "# warning: the flux table gives tip $a names, SQLite $b"

queries before
before=$(size "$tmp"/y/*/log)

# compaction of s1, beside the copy of the same bytes
bytes=$(cat "$tmp"/y/s1/log/*.tlog | wc -c)
t0=$(now_ns)
cat "$tmp"/y/s1/log/*.tlog >"$tmp/copy" && sync "$tmp/copy"
t1=$(now_ns)
rm -f "$tmp/copy"
cp -a "$tmp/y/s2/log" "$tmp/unlink"
sync
t2=$(now_ns)
rm -rf "$tmp/unlink"
t3=$(now_ns)
sync
t4=$(now_ns)
"$tip" compact "$tmp/y/s1" >"$tmp/out" || exit 1
t5=$(now_ns)
c_ms=$(( (t5 - t4) / 1000000 )); cp_ms=$(( (t1 - t0) / 1000000 ))
mbs() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.1f", (ms > 0 ? b / 1048576 / (ms / 1000) : 0) }'; }
c=$(mbs "$bytes" "$c_ms")
cp=$(mbs "$bytes" "$cp_ms")
echo "# $(cat "$tmp/out")"
echo "bench compact_mb_s $c MB/s copy=$cp ratio=$(ratio "$c" "$cp")"
echo "bench compact_unlink_ms $(( (t3 - t2) / 1000000 )) ms compact=$c_ms ratio=$(ratio $(( (t3 - t2) / 1000000 )) "$c_ms")"
"$tip" compact -q "$tmp/y/s2" "$tmp/y/s3" >/dev/null || exit 1

queries after
after=$(size "$tmp"/y/*/log)
db=$(size "$tmp/a.db")
echo "bench store_bytes_before $before B sqlite=$db ratio=$(ratio "$before" "$db")"
echo "bench store_bytes_after $after B sqlite=$db ratio=$(ratio "$after" "$db")"
