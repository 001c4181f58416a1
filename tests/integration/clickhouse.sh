#!/bin/bash
# Integration test of tip export --format clickhouse against a real
# ClickHouse (Debian's clickhouse-server): started here as a foreground
# process on loopback ports with its own configuration in a temporary
# folder (no system service), the table of doc/clickhouse.sql created, an
# export of a generated store set loaded, and then the counts, an address
# query, a time window and the fast-flux table computed by ClickHouse must
# agree with tip query on the same stores.  The server is stopped on exit.
# When the server is missing or cannot start here, prints
# "skip clickhouse: why" and passes nothing.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
fails=0
. tests/integration/lib.sh
for b in "$tip" "$O/tests/mkyear"; do
	if [ ! -x "$b" ]; then
		echo "not ok clickhouse: $b not built"
		exit 1
	fi
done
server=$(command -v clickhouse-server || ls /usr/sbin/clickhouse-server 2>/dev/null)
client=$(command -v clickhouse-client)
if [ -z "$server" ] || [ -z "$client" ]; then
	echo "not ok clickhouse: clickhouse-server or clickhouse-client is not installed (a missing package is a fault of scripts/deps.sh, which installs it)"
	exit 1
fi

d=$(mktemp -d)
pid=""
stop() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$d"
}
trap stop EXIT

# two free loopback ports (bound and released: the kernel picks them)
read -r http_port tcp_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$d/ch/data" "$d/ch/tmp" "$d/ch/user_files" "$d/ch/format_schemas" "$d/ch/log"
cat >"$d/ch/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/ch/log/server.log</log><errorlog>$d/ch/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <path>$d/ch/data/</path>
  <tmp_path>$d/ch/tmp/</tmp_path>
  <user_files_path>$d/ch/user_files/</user_files_path>
  <format_schema_path>$d/ch/format_schemas/</format_schema_path>
  <users_config>$d/ch/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
EOF
cat >"$d/ch/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
EOF
(cd "$d/ch" && exec "$server" --config-file="$d/ch/config.xml") >"$d/ch/stdout" 2>&1 &
pid=$!
ch() { "$client" --host 127.0.0.1 --port "$tcp_port" "$@"; }
up=0
for _ in $(seq 1 300); do
	if ! kill -0 "$pid" 2>/dev/null; then break; fi
	if ch --query 'SELECT 1' >/dev/null 2>&1; then up=1; break; fi
	sleep 0.1
done
if [ $up = 0 ]; then
	why=$(cat "$d/ch/log/error.log" "$d/ch/stdout" 2>/dev/null | grep -v '^Logging' | tail -n 1)
	kill -0 "$pid" 2>/dev/null && why="no answer on 127.0.0.1:$tcp_port after 30 s${why:+ ($why)}"
	echo "skip clickhouse: the server did not start: ${why:-exited without a message}"
	exit 0
fi
ok "server-started $(ch --query 'SELECT version()')"

ch --multiquery <"$root/doc/clickhouse.sql" 2>"$d/err"
check create-table-from-doc $? "$(head -3 "$d/err")"

# ---- a generated store set: 3 sensors, a day each, hostile names ---------
"$O/tests/mkyear" "$d/st" --sensors 3 --hours 24 --hostile >/dev/null 2>&1
check mkyear $?
"$tip" export --format clickhouse --store "$d/st" -o "$d/x.json" 2>"$d/err"
check export-exit-0 $? "$(cat "$d/err")"
ch --query 'INSERT INTO tip.dns FORMAT JSONEachRow' <"$d/x.json" 2>"$d/err"
check load-jsoneachrow $? "$(head -3 "$d/err")"

rows=$(wc -l <"$d/x.json")
n=$(ch --query 'SELECT count() FROM tip.dns')
[ "$n" = "$rows" ] && [ "$rows" = 2985 ]; check rows-loaded $? "$n of $rows"
# the lookups per sensor: tip stats-free, from the store's own records
want=$("$tip" dump "$d/st" | python3 -c '
import json, sys, collections
c = collections.Counter()
for l in sys.stdin:
    o = json.loads(l)
    if o["type"] == "dns": c[o["sensor"]] += o.get("count", 1)
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))')
got=$(ch --query 'SELECT sensor, sum(count) FROM tip.dns GROUP BY sensor ORDER BY sensor FORMAT TSV' | tr '\t' = | paste -sd' ')
[ "$got" = "$want" ]; check lookups-per-sensor-agree $? "clickhouse: $got; store: $want"

# one name, one address: the counts of tip query
q=$("$tip" query domain www.site007.example --store "$d/st" --format json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["lookups"])')
c=$(ch --query "SELECT sum(count) FROM tip.dns WHERE rrname = 'www.site007.example' AND length(a) > 0")
[ "$q" = "$c" ] && [ "$q" = 72 ]; check domain-lookups-agree $? "tip $q, clickhouse $c"
q=$("$tip" query ip 198.51.100.3 --store "$d/st" --format json | python3 -c '
import json,sys; rows=[json.loads(l) for l in sys.stdin]; print(rows[0]["count"], len([r for r in rows if r["row"] == "name"]))')
c=$(ch --query "SELECT sum(count), uniqExact(rrname) FROM tip.dns WHERE has(a, '198.51.100.3') FORMAT TSV" | tr '\t' ' ')
[ "$q" = "$c" ]; check ip-count-agrees $? "tip $q, clickhouse $c"

# ---- the fast-flux table: every scored name, then the flux verdicts -------
flux_sql="SELECT rrname, length(groupUniqArrayArray(a)) AS hosts,
	length(arrayFilter(x -> x != 0, groupUniqArrayArray(a_asn))) AS asns,
	132 * hosts + 1854 * asns AS score_x100, sum(count) AS lookups,
	min(first_us) AS first_us, max(last_us) AS last_us
	FROM tip.dns WHERE length(a) > 0 %s GROUP BY rrname %s
	ORDER BY score_x100 DESC, rrname FORMAT JSONEachRow"
compare_flux() {	# NAME TIP-OUTPUT CLICKHOUSE-OUTPUT [running]: tip's verdict, or its running totals
	python3 - "$2" "$3" "${4:-}" <<'EOF'
import json, sys, datetime
tip = [json.loads(l) for l in open(sys.argv[1])]
ch = [json.loads(l) for l in open(sys.argv[2])]
if sys.argv[3] == "running":    # the SQL of every observation: tip's running totals, in their order
    for r in tip:
        r.update({k: r["running"][k] for k in ("score", "hosts", "asns")})
    tip.sort(key=lambda r: (-round(r["score"] * 100), r["domain"].encode()))
def iso(us):
    t = datetime.datetime.fromtimestamp(int(us) // 1000000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (int(us) % 1000000)
a = [(r["domain"], round(r["score"] * 100), r["hosts"], r["asns"], r["lookups"],
      r["first_seen"], r["last_seen"]) for r in tip]
b = [(r["rrname"], int(r["score_x100"]), int(r["hosts"]), int(r["asns"]), int(r["lookups"]),
      iso(r.get("first_seen_us", r.get("first_us"))), iso(r.get("last_seen_us", r.get("last_us")))) for r in ch]
if a != b or not a:
    for x, y in zip(a, b):
        if x != y: print("tip", x, "\nclickhouse", y); break
    print(len(a), "rows from tip,", len(b), "from clickhouse")
    sys.exit(1)
EOF
}
"$tip" query flux --store "$d/st" --min-score 0 --format json >"$d/tip.json" 2>"$d/err"
ch --query "$(printf "$flux_sql" "" "")" >"$d/ch.json" 2>>"$d/err"
out=$(compare_flux all "$d/tip.json" "$d/ch.json" running); check every-score-agrees $? "$out $(head -2 "$d/err")"
"$tip" query flux --store "$d/st" --running --format json >"$d/tip.json" 2>"$d/err"
ch --query "$(printf "$flux_sql" "" "HAVING score_x100 > 14238")" >"$d/ch.json" 2>>"$d/err"
out=$(compare_flux flux "$d/tip.json" "$d/ch.json" running); check flux-query-agrees $? "$out"
"$tip" query flux --store "$d/st" --format json >"$d/tip.json" 2>"$d/err"
n=$(python3 -c 'import json,sys; print(len(open(sys.argv[1]).readlines()))' "$d/tip.json")
[ "$n" = 10 ]; check flux-query-finds-the-10-flux-names $? "$n"
# hostile names arrive as tip's JSON output shows them
ch --query "SELECT DISTINCT rrname FROM tip.dns WHERE rrname LIKE '%evil.test' ORDER BY rrname FORMAT JSONEachRow" >"$d/chn.json"
"$tip" query flux --store "$d/st" --min-score 0 --format json | python3 -c '
import json, sys
tip = sorted(r["domain"] for r in map(json.loads, sys.stdin) if r["domain"].endswith("evil.test"))
ch = sorted(json.loads(l)["rrname"] for l in open(sys.argv[1]))
assert tip == ch and len(tip) == 11, (tip, ch)' "$d/chn.json"
check hostile-names-agree $?

# ---- a time window: the export's --since/--until is tip query's ---------
since=2025-01-01T06:00:00Z until=2025-01-01T11:59:59Z
"$tip" export --format clickhouse --store "$d/st" --since $since --until $until >"$d/w.json" 2>/dev/null
ch --query 'CREATE TABLE tip.dns_window AS tip.dns' && ch --query 'INSERT INTO tip.dns_window FORMAT JSONEachRow' <"$d/w.json"
check load-window $?
"$tip" query flux --store "$d/st" --min-score 0 --since $since --until $until --format json >"$d/tip.json" 2>/dev/null
ch --query "$(printf "$flux_sql" "" "" | sed 's/FROM tip.dns /FROM tip.dns_window /')" >"$d/ch.json"
out=$(compare_flux window "$d/tip.json" "$d/ch.json" running); check window-scores-agree $? "$out"
n=$(ch --query "SELECT sum(count) FROM tip.dns WHERE first_us <= toInt64(toUnixTimestamp(toDateTime('2025-01-01 11:59:59'))) * 1000000 AND last_us >= toInt64(toUnixTimestamp(toDateTime('2025-01-01 06:00:00'))) * 1000000")
w=$(ch --query 'SELECT sum(count) FROM tip.dns_window')
[ "$n" = "$w" ] && [ "$w" -gt 0 ]; check window-equals-sql-window $? "export $w, sql $n"

# ---- incremental, exactly-once export over the HTTP interface ------------
url=http://127.0.0.1:$http_port/
ch --query 'CREATE TABLE tip.inc AS tip.dns'
lookups() { ch --query "SELECT sum(count) FROM tip.inc"; }
want=$("$tip" dump "$d/st" | python3 -c '
import json, sys
print(sum(json.loads(l).get("count", 1) for l in sys.stdin if "\"type\":\"dns\"" in l))')
cp -a "$d/st" "$d/inc"
# a crash right after a send and before it is noted, twice, then SIGKILLs
TIP_EXPORT_CRASH_AT=2 "$tip" export --format clickhouse --url "$url" --table tip.inc --chunk 200 --store "$d/inc" >/dev/null 2>&1
[ $? = 9 ]; check inc-crash-after-send $?
TIP_EXPORT_CRASH_AT=3 "$tip" export --format clickhouse --url "$url" --table tip.inc --chunk 200 --store "$d/inc" >/dev/null 2>&1
for s in 0.05 0.1 0.2; do
	"$tip" export --format clickhouse --url "$url" --table tip.inc --chunk 200 --store "$d/inc" >/dev/null 2>&1 &
	kp=$!
	sleep $s
	kill -KILL $kp 2>/dev/null
	wait $kp 2>/dev/null
done
"$tip" export --format clickhouse --url "$url" --table tip.inc --chunk 200 --store "$d/inc" >"$d/out" 2>"$d/err"
check inc-finish-exit-0 $? "$(cat "$d/out" "$d/err" | head -3)"
n=$(lookups)
[ "$n" = "$want" ]; check inc-exactly-once-lookups $? "clickhouse $n, store $want"
dup=$(ch --query "SELECT count() FROM (SELECT sensor, first_us, rrname, qtype, segment, count() AS c FROM tip.inc GROUP BY sensor, first_us, rrname, qtype, segment HAVING c > 1)")
[ "$dup" = 0 ]; check inc-no-duplicate-rows $? "$dup"
# run twice: nothing new is sent
"$tip" export --format clickhouse --url "$url" --table tip.inc --store "$d/inc" >"$d/out" 2>&1
grep -q '^tip export: 0 rows in 0 chunks' "$d/out" && [ "$(lookups)" = "$want" ]
check inc-second-run-sends-nothing $? "$(cat "$d/out")"
# the counts of tip query, from ClickHouse
q=$("$tip" query domain www.site007.example --store "$d/inc" --format json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["lookups"])')
c=$(ch --query "SELECT sum(count) FROM tip.inc WHERE rrname = 'www.site007.example' AND (length(a) + length(aaaa) + length(names)) > 0")
[ "$q" = "$c" ]; check inc-domain-count-agrees $? "tip $q, clickhouse $c"
# the domain page's queries of doc/clickhouse.sql give tip query's numbers
docq() {	# BLOCK NAME [TABLE]: the query between "-- BEGIN BLOCK" and "-- END", for NAME, on TABLE (tip.inc)
	sed -n "/^-- BEGIN $1\$/,/^-- END\$/p" "$root/doc/clickhouse.sql" | sed -e '1d' -e '$d' -e 's/^-- //' \
		-e "s/'NAME'/'$2'/" -e "s/tip\\.dns/${3:-tip.inc}/" | tr '\n' ' '
}
fn=flux03.example-botnet.test
tj=$("$tip" query domain $fn --store "$d/inc" --format json 2>/dev/null | head -1)
sum=$(ch --query "$(docq domain-summary $fn) FORMAT JSONEachRow" 2>&1)
python3 -c '
import json, sys
t = json.loads(sys.argv[1]); c = json.loads(sys.argv[2])
assert int(c["hosts"]) == t["running"]["hosts"] and int(c["lookups"]) == t["lookups"], (t, c)' "$tj" "$sum"
check doc-domain-summary-agrees $? "$sum"
na=$(ch --query "$(docq domain-addresses $fn)" 2>&1 | wc -l)
h=$(echo "$tj" | python3 -c 'import json,sys; print(min(500, json.load(sys.stdin)["running"]["hosts"]))')
[ "$na" = "$h" ]; check doc-domain-addresses-agree $? "$na vs $h"
lk=$(ch --query "$(docq domain-lookups www.site007.example) FORMAT JSONEachRow" 2>&1 | head -1)
echo "$lk" | grep -q '"rcode":0'; check doc-domain-lookups-run $? "$lk"
# row by row: the doc's queries against tip query's rows of the same name
cmp_rows() {	# NAME KIND TIP-JSON CLICKHOUSE-JSON: KIND address, lookup or rrset
	python3 - "$2" "$3" "$4" <<'PYEOF'
import datetime, json, sys
kind, tj, cj = sys.argv[1], sys.argv[2], sys.argv[3]
def iso(us):
    t = datetime.datetime.fromtimestamp(int(us) // 1000000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (int(us) % 1000000)
rc = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 16: "TIMEOUT"}
tip = [r for r in map(json.loads, open(tj)) if r.get("row") == kind]
ch = [json.loads(l) for l in open(cj)]
if kind == "address":
    a = sorted((r["ip"], r["count"], r["first_seen"], r["last_seen"]) for r in tip)
    b = sorted((r["ip"], int(r["lookups"]), iso(r["first_seen_us"]), iso(r["last_seen_us"])) for r in ch)
elif kind == "lookup":
    a = sorted((r["rrtype"], r["rcode"], r["answered"], r["count"], tuple(r["ttls"]), r["first_seen"], r["last_seen"]) for r in tip)
    b = sorted((r["rrtype"], rc.get(int(r["rcode"]), str(r["rcode"])), bool(int(r["answered"])), int(r["lookups"]),
                tuple(sorted(int(t) for t in r["ttls"])), iso(r["first_seen_us"]), iso(r["last_seen_us"])) for r in ch)
else:
    a = [(sorted(r["rdata"]), r["sensor_id"], r["count"], r["first_seen"], r["last_seen"]) for r in tip if r["rrtype"] == "NS"]
    b = [(r["ns"], r["sensor"], int(r["lookups"]), iso(r["first_seen_us"]), iso(r["last_seen_us"])) for r in ch]
    a.sort(key=lambda x: (x[3], x[4])); b.sort(key=lambda x: (x[3], x[4]))
if a != b or not a:
    print("tip", a[:2], "clickhouse", b[:2], len(a), len(b))
    sys.exit(1)
PYEOF
}
"$tip" query domain $fn --store "$d/inc" --format json >"$d/tipd.json" 2>/dev/null
ch --query "$(docq domain-addresses $fn) FORMAT JSONEachRow" >"$d/chd.json" 2>&1
out=$(cmp_rows $fn address "$d/tipd.json" "$d/chd.json"); check doc-domain-addresses-row-by-row $? "$out"
ch --query "$(docq domain-lookups $fn) FORMAT JSONEachRow" >"$d/chd.json" 2>&1
out=$(cmp_rows $fn lookup "$d/tipd.json" "$d/chd.json"); check doc-domain-lookups-row-by-row $? "$out"
# NS history and failed lookups: a passive DNS import that has both
mkdir -p "$d/nsst"
{
	echo '1764003600||10.0.0.1||192.0.2.53||IN||ns.flux-sample.test.||A||198.51.100.1||60||1'
	echo '1764003800||10.0.0.1||192.0.2.53||IN||ns.flux-sample.test.||NS||ns1.flux-sample.test.||3600||1'
	echo '1764003801||10.0.0.1||192.0.2.53||IN||ns.flux-sample.test.||NS||ns0.flux-sample.test.||3600||1'
	echo '1764007400||10.0.0.1||192.0.2.53||IN||ns.flux-sample.test.||NS||ns2.flux-sample.test.||3600||3'
	echo '1764010000||10.0.0.1||192.0.2.53||IN||ns.flux-sample.test.||A||NXDOMAIN||0||2'
} >"$d/ns.log"
"$tip" import passivedns "$d/ns.log" --store "$d/nsst/s" --sensor s >/dev/null 2>&1
ch --query 'CREATE TABLE tip.nsx AS tip.dns' &&
	"$tip" export --format clickhouse --store "$d/nsst" 2>/dev/null | ch --query 'INSERT INTO tip.nsx FORMAT JSONEachRow'
check load-ns-store $?
"$tip" query domain ns.flux-sample.test --store "$d/nsst" --format json >"$d/tipd.json" 2>/dev/null
ch --query "$(docq domain-ns ns.flux-sample.test tip.nsx) FORMAT JSONEachRow" >"$d/chd.json" 2>&1
out=$(cmp_rows x rrset "$d/tipd.json" "$d/chd.json"); check doc-domain-ns-row-by-row $? "$out"
ch --query "$(docq domain-lookups ns.flux-sample.test tip.nsx) FORMAT JSONEachRow" >"$d/chd.json" 2>&1
out=$(cmp_rows x lookup "$d/tipd.json" "$d/chd.json") && grep -q NXDOMAIN "$d/tipd.json"
check doc-domain-failed-lookups-row-by-row $? "$out"
# the web view's flux page: the doc's block against tip query flux in its window
"$tip" query flux --store "$d/inc" --since 2025-01-01T00:00:00Z --until 2025-01-01T23:59:59Z --format json 2>/dev/null | head -50 >"$d/tip.json"
ch --query "$(docq flux-page x) FORMAT JSONEachRow" >"$d/ch.json" 2>&1
out=$(compare_flux page "$d/tip.json" "$d/ch.json" 2>&1); check doc-flux-page-agrees $? "$(echo "$out" | tail -1) $(head -c 300 "$d/ch.json")"
# compacting what was sent sends nothing again
"$tip" compact "$d/inc" >/dev/null 2>&1
"$tip" export --format clickhouse --url "$url" --table tip.inc --store "$d/inc" >"$d/out" 2>&1
grep -q '^tip export: 0 rows' "$d/out" && [ "$(lookups)" = "$want" ]
check inc-compacted-not-resent $? "$(cat "$d/out")"
# a server that is down: retried, then a clear error and exit 2
"$tip" export --format clickhouse --url "http://127.0.0.1:9/" --table tip.x --retries 1 --store "$d/st" >"$d/out" 2>"$d/err"
[ $? = 2 ] && grep -q 'trying again' "$d/err" && grep -q 'giving up after 2 tries' "$d/err"
check inc-retries-then-fails $? "$(cat "$d/err" | head -3)"

[ $fails = 0 ]
