#!/bin/bash
# Integration test of tip query and tip blacklist over stores built by
# `tip import cof` from scripts/sample-cof.sh plus hostile names, and over
# the mkstore helper's store (names with control bytes and invalid UTF-8).
# Prints ok/not ok/skip lines; exits non-zero when anything failed.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
if [ ! -x "$tip" ]; then
	echo "not ok query: $tip not built"
	exit 1
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

# Hostile names: comma, quote, newline, markup, control byte, a formula, a
# name that is a resolver directive, backslash.  Each resolves to 8
# addresses in different networks so that it is flux with the ASN table.
hostile() {
	local t=1764000000 i=0
	for n in 'a,b.evil.test' 'q\"uote.evil.test' 'new\nline.evil.test' \
		'<script>alert(1)<\/script>.evil.test' 'ctl\u0001byte.evil.test' '=cmd|calc.evil.test' \
		'x.test/0.0.0.0\nserver=\/evil.test' 'back\\slash.evil.test'; do
		i=$((i + 1))
		printf '{"rrname":"%s","rrtype":"A","rdata":[' "$n"
		for k in 1 2 3 4 5 6 7 8; do printf '%s"%d.%d.1.%d"' "$([ $k = 1 ] || echo ,)" $((k * 20 + 3)) $((i * 9)) $k; done
		printf '],"time_first":%d,"time_last":%d,"count":2,"sensor_id":"demo"}\n' $t $((t + 60))
	done
}

mkdir -p "$d/all"
scripts/sample-cof.sh | "$tip" import cof - --store "$d/all/s1" --sensor s1 >/dev/null 2>&1
check import-sample $?
scripts/sample-cof.sh 1764086400 | "$tip" import cof - --store "$d/all/s2" --sensor s2 >/dev/null 2>&1
hostile | "$tip" import cof - --store "$d/all/s3" --sensor s3 >"$d/imp.out" 2>&1
check import-hostile $? "$(cat "$d/imp.out")"

# ---- ASN table ------------------------------------------------------------
asn=""
data=../shared/data/asn
if [ -f "$data/asn-ipv4.csv.gz" ] && [ -f "$data/asn-country-ipv4.csv" ]; then
	zcat "$data/asn-ipv4.csv.gz" >"$d/asn.csv"
	if "$tip" asn import --asn "$d/asn.csv" --country "$data/asn-country-ipv4.csv" -o "$d/asn.db" >/dev/null 2>&1; then
		asn="--asn $d/asn.db"
		ok asn-table
	else
		nok asn-table "tip asn import failed"
	fi
else
	echo "skip asn-table: ../shared/data/asn is absent; flux classification tests need it"
fi

# ---- flux classification ---------------------------------------------------
q() { "$tip" query "$@"; }
if [ -n "$asn" ]; then
	q flux --store "$d/all/s1" $asn --format csv >"$d/flux.csv" 2>"$d/err"
	check flux-exit $? "$(cat "$d/err")"
	n=$(grep -c '^flux[0-9][0-9]\.example-botnet\.test,' "$d/flux.csv")
	[ "$n" = 12 ]; check flux-all-12-botnet-names-listed $? "got $n"
	! grep -q '^www\.site' "$d/flux.csv"; check flux-ordinary-names-not-listed $?
	awk -F, '{ sub(/\r$/, "") } NR > 1 && $10 != 1 { bad = 1 } NR > 1 && $2 + 0 <= 142.38 { bad = 1 } END { exit bad }' "$d/flux.csv"
	check flux-rows-above-threshold $?
	# scores sorted descending
	awk -F, 'NR > 2 && $2 + 0 > prev { bad = 1 } NR > 1 { prev = $2 + 0 } END { exit bad }' "$d/flux.csv"
	check flux-sorted-by-score $?
	# the same scores by the index (query domain) as by the scan (query flux)
	top=$(sed -n 2p "$d/flux.csv" | cut -d, -f1,2)
	dom=${top%,*}
	s=$(q domain "$dom" --store "$d/all/s1" $asn --format json | python3 -c 'import json,sys; print("%.2f" % json.loads(sys.stdin.readline())["score"])')
	[ "$s" = "${top#*,}" ]; check domain-score-equals-flux-score $? "$s vs ${top#*,}"
	# bounded memory: 3 names a pass gives the same table in more passes
	q flux --store "$d/all/s1" $asn --format csv --max-domains 3 >"$d/flux3.csv" 2>/dev/null
	cmp -s "$d/flux.csv" "$d/flux3.csv"; check flux-multipass-same-result $?
	# without the ASN table the botnet names still score on addresses alone
	q flux --store "$d/all/s1" --format csv >"$d/flux-noasn.csv" 2>/dev/null
	awk -F, 'NR > 1 && $5 != 0 { bad = 1 } END { exit bad }' "$d/flux-noasn.csv"
	check flux-without-asn-has-no-asns $?
	# --min-score lists every name at or above it
	n=$(q flux --store "$d/all/s1" $asn --min-score 0 --format csv | tail -n +2 | wc -l)
	[ "$n" = 28 ]; check flux-min-score-0-lists-all-28 $? "got $n"
	n=$(q flux --store "$d/all/s1" $asn --min-score 100000 --format csv 2>/dev/null | tail -n +2 | wc -l)
	[ "$n" = 0 ]; check flux-min-score-high-lists-none $?
	# --since/--until: the window after the first day holds nothing of s1
	q flux --store "$d/all/s1" $asn --since 1764090000 --format csv >/dev/null 2>&1
	[ $? = 1 ]; check flux-empty-window-exit-1 $?
	# several stores: a parent folder and repeated --store agree
	q flux --store "$d/all" $asn --format csv >"$d/fp.csv" 2>/dev/null
	q flux --store "$d/all/s1" --store "$d/all/s2" --store "$d/all/s3" $asn --format csv >"$d/fr.csv" 2>/dev/null
	cmp -s "$d/fp.csv" "$d/fr.csv"; check multi-store-parent-equals-repeated $?
	lk=$(grep '^flux00\.' "$d/fp.csv" | cut -d, -f7)
	[ "$lk" = 288 ]; check multi-store-lookups-add-up $? "got $lk"
	# the CDN names (about 120 addresses in at most one ASN over the day) pass the threshold
	# only in their running totals: not flux by the classification window, as tipd judges
	! grep -q '^cdn' "$d/flux.csv"; check flux-cdn-not-listed-by-window $?
	"$tip" blacklist --format hosts --store "$d/all/s1" $asn >"$d/bl.hosts" 2>/dev/null
	! grep -q 'cdn' "$d/bl.hosts" && [ "$(grep -c botnet "$d/bl.hosts")" = 12 ]
	check blacklist-cdn-not-listed-by-window $? "$(grep -c cdn "$d/bl.hosts") cdn lines"
	n=$(q flux --store "$d/all/s1" $asn --running --format csv 2>/dev/null |
		awk -F, '{ sub(/\r$/, "") } /^cdn/ && $10 == 0 && $19 == 1 { n++ } END { print n + 0 }')
	[ "$n" = 6 ]; check flux-running-lists-cdn-by-running-totals $? "got $n"
	# AS names from the offline table when the store has none (imported COF has no enrichment)
	q domain flux01.example-botnet.test --store "$d/all/s1" $asn --format json 2>/dev/null | python3 -c '
import json, sys
a = [o for o in map(json.loads, sys.stdin) if o["row"] == "address" and o["asn"]]
assert a and all(o["as_name"] for o in a), a[:3]'
	check domain-as-names-from-the-table $?
else
	echo "skip flux-classification: no ASN table"
fi

# ---- domain and ip queries, counts ---------------------------------------
out=$(q domain www.site3.example --store "$d/all/s1" --format csv)
check domain-exit $?
[ "$(printf '%s\n' "$out" | sed -n 2p | cut -d, -f2,9 | tr -d '\r')" = "192.0.2.13,144" ]
check domain-count-144 $? "$out"
out=$(q domain WWW.Site3.Example. --store "$d/all/s1" --format csv)
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ]; check domain-case-and-dot-insensitive $?
n=$(q domain flux03.example-botnet.test --store "$d/all/s1" --format cof | wc -l)
[ "$n" = 144 ]; check domain-cof-144-rrsets $? "got $n"
q domain flux03.example-botnet.test --store "$d/all/s1" --format cof | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    assert set(o) == {"rrname","rrtype","rdata","time_first","time_last","count","sensor_id"}, o
    # five addresses an answer; the sample repeats one in some answers, shown once
    assert o["rrtype"] == "A" and len(o["rdata"]) in (4, 5) and o["sensor_id"] == "s1", o
    assert len(set(o["rdata"])) == len(o["rdata"]), o
'
check domain-cof-fields $?
# COF coalesces per (rrname, rrtype, rdata set), ordered by time, with the
# duplicates inside one answer set removed: lookups of the same sets in a
# shuffled order, some answers repeating a record
python3 - "$d/coal.in" <<'PYEOF'
import json, random, sys
random.seed(14)
sets = [["10.9.0.1", "10.9.0.2"], ["10.9.0.3"], ["10.9.0.2", "10.9.0.1", "10.9.0.4"], ["ns1.coal.test"]]
out = []
for i in range(60):
    k = random.randrange(len(sets))
    rd = list(sets[k])
    if random.random() < 0.3:
        rd.append(random.choice(rd))      # a record repeated in one answer
    random.shuffle(rd)
    t = 1764000000 + random.randrange(86400)
    out.append({"rrname": "coal.test", "rrtype": "NS" if k == 3 else "A", "rdata": rd,
                "time_first": t, "time_last": t + random.randrange(3) * 60,
                "count": random.randrange(1, 4), "sensor_id": "c"})
with open(sys.argv[1], "w") as f:
    for o in out:
        f.write(json.dumps(o) + "\n")
PYEOF
mkdir -p "$d/coal"
"$tip" import cof "$d/coal.in" --store "$d/coal/c" --sensor c >/dev/null 2>&1
q domain coal.test --store "$d/coal" --format cof >"$d/coal.out"
python3 - "$d/coal.in" "$d/coal.out" <<'PYEOF'
import json, sys
want = {}
for o in map(json.loads, open(sys.argv[1])):
    k = (o["rrname"], o["rrtype"], frozenset(o["rdata"]))
    w = want.setdefault(k, [o["time_first"], o["time_last"], 0])
    w[0] = min(w[0], o["time_first"]); w[1] = max(w[1], o["time_last"]); w[2] += o["count"]
got = [json.loads(l) for l in open(sys.argv[2])]
for g in got:
    assert len(g["rdata"]) == len(set(g["rdata"])), ("duplicates kept", g)
    assert "bailiwick" not in g, g
keys = [(g["rrname"], g["rrtype"], frozenset(g["rdata"])) for g in got]
assert len(keys) == len(set(keys)) == len(want), ("not one line per set", len(got), len(want))
for g, k in zip(got, keys):
    assert [g["time_first"], g["time_last"], g["count"]] == want[k], (g, want[k])
assert [g["time_first"] for g in got] == sorted(g["time_first"] for g in got), "not by time"
PYEOF
check cof-coalesced-per-rdata-set $?
# the same on the sample's per-lookup records: one line per set and sensor, by time
q domain flux03.example-botnet.test --store "$d/all" --format cof | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
keys = [(r["rrname"], r["rrtype"], r["sensor_id"], tuple(sorted(set(r["rdata"])))) for r in rows]
assert rows and len(keys) == len(set(keys)), "a set on two lines"
assert all(len(r["rdata"]) == len(set(r["rdata"])) for r in rows)
assert [r["time_first"] for r in rows] == sorted(r["time_first"] for r in rows)
'
check cof-sample-one-line-per-set $?
out=$(q ip 192.0.2.13 --store "$d/all" --format json)
echo "$out" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
o = rows[0]
assert o["row"] == "ip" and o["ip"] == "192.0.2.13" and o["count"] == 288, o
assert [x["domain"] for x in rows[1:] if x["row"] == "name"] == ["www.site3.example"]
'
check ip-json-two-sensors-count $?
q ip 192.0.2.13 --store "$d/all" | grep -q '^www\.site3\.example  *288 '
check ip-table $?
n=$(q ip 192.0.2.13 --store "$d/all" --format cof | wc -l)
[ "$n" = 2 ]; check ip-cof-one-line-per-sensor $? "got $n"
q domain no-such.test --store "$d/all/s1" >/dev/null 2>"$d/err"
[ $? = 1 ] && grep -q 'no observation' "$d/err"; check domain-unknown-exit-1 $?
for f in table csv json cof; do
	q domain flux01.example-botnet.test --store "$d/all" --format $f >/dev/null 2>&1
	check "domain-format-$f" $?
	q ip 192.0.2.11 --store "$d/all" --format $f >/dev/null 2>&1
	check "ip-format-$f" $?
done
q domain flux01.example-botnet.test --store "$d/all" --format json | python3 -c 'import json,sys; rows=[json.loads(l) for l in sys.stdin]; o=rows[0]; assert o["row"] == "domain" and o["lookups"] == 288 and len([r for r in rows if r["row"] == "address"]) == o["running"]["hosts"] and o["hosts"] <= o["running"]["hosts"] and o["window_start"] <= o["window_end"]'
check domain-json-valid $?

# ---- exact counts beyond the sensor's 512-address cap -------------------------
mkdir -p "$d/big"
python3 -c '
for k in range(800):
    print("{\"rrname\":\"big.flux.test\",\"rrtype\":\"A\",\"rdata\":[\"10.%d.%d.1\"],\"time_first\":1764000000,\"time_last\":1764000060,\"count\":1}" % (k // 256, k % 256))
' | "$tip" import cof - --store "$d/big/b" --sensor b >/dev/null 2>&1
out=$(q flux --store "$d/big/b" --format csv 2>/dev/null | tail -n +2 | tr -d '\r')
[ "$(echo "$out" | cut -d, -f4,11)" = "800,0" ]; check no-512-cap-exact-hosts $? "$out"
q domain big.flux.test --store "$d/big/b" 2>/dev/null | grep -q '^big\.flux\.test  *1056\.00  *800  '
check no-512-cap-domain-table $?

# ---- wildcards, prefixes, rrtype, limit, time fences -----------------------
out=$(q domain '*.example-botnet.test' --store "$d/all/s1" --format csv)
check wild-left-exit $?
n=$(printf '%s\n' "$out" | grep -c '^flux[0-9][0-9]\.example-botnet\.test,')
[ "$n" = 12 ]; check wild-left-12-names $? "got $n"
# the same scores as the exact query of each name
w=$(printf '%s\n' "$out" | grep '^flux03\.' | cut -d, -f2)
e=$(q domain flux03.example-botnet.test --store "$d/all/s1" --format json | python3 -c 'import json,sys; print("%.2f" % json.loads(sys.stdin.readline())["score"])')
[ -n "$w" ] && [ "$w" = "$e" ]; check wild-left-score-equals-exact $? "$w vs $e"
n=$(q domain 'www.*' --store "$d/all/s1" --format csv | tail -n +2 | grep -vc '^www\.')
[ "$n" = 0 ]; check wild-right-only-www $?
n=$(q domain 'www.*' --store "$d/all/s1" --format csv | tail -n +2 | wc -l)
[ "$n" -ge 6 ]; check wild-right-finds-sites $? "got $n"
q domain '*.example-botnet.test' --store "$d/all/s1" -l 2 --format json >"$d/wl.json"
[ "$(wc -l <"$d/wl.json")" = 2 ]; check wild-limit-2 $?
q domain 'a*b.test' --store "$d/all/s1" >/dev/null 2>"$d/err"
[ $? = 2 ] && grep -q wildcard "$d/err"; check wild-bad-pattern-exit-2 $?
q domain '*.nothing.test' --store "$d/all/s1" >/dev/null 2>&1
[ $? = 1 ]; check wild-no-match-exit-1 $?
# the index answers the same as a scan: drop the indexes and compare
cp -a "$d/all/s1" "$d/noidx"
rm -f "$d/noidx"/log/*.cdb
cmp -s <(q domain '*.example-botnet.test' --store "$d/all/s1" --format csv) \
	<(q domain '*.example-botnet.test' --store "$d/noidx" --format csv)
check wild-index-equals-scan $?
# CIDR: 192.0.2.0/28 holds www.site0..5 (192.0.2.10-15)
out=$(q ip 192.0.2.0/28 --store "$d/all/s1" --format csv)
check cidr-exit $?
n=$(printf '%s\n' "$out" | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
[ "$n" = 6 ]; check cidr-v4-addresses $? "got $n: $out"
cmp -s <(q ip 192.0.2.0/28 --store "$d/all/s1" --format csv) <(q ip 192.0.2.0/28 --store "$d/noidx" --format csv)
check cidr-index-equals-scan $?
c1=$(q ip 192.0.2.13/32 --store "$d/all/s1" --format csv | tail -n +2 | cut -d, -f5 | tr -d '\r')
c2=$(q ip 192.0.2.13 --store "$d/all/s1" --format csv | tail -n +2 | cut -d, -f9 | tr -d '\r')
[ "$c1" = "$c2" ] && [ -n "$c1" ]; check cidr-32-equals-address $? "$c1 vs $c2"
q ip 192.0.2.0/33 --store "$d/all/s1" >/dev/null 2>&1
[ $? = 2 ]; check cidr-bad-length-exit-2 $?
# -t: only NS lookups of a name with A answers gives none
q domain www.site3.example --store "$d/all/s1" -t NS >/dev/null 2>&1
[ $? = 1 ]; check type-filter-excludes $?
q domain www.site3.example --store "$d/all/s1" -t A >/dev/null 2>&1
check type-filter-a $?
q domain www.site3.example --store "$d/all/s1" -t BOGUS >/dev/null 2>&1
[ $? = 2 ]; check type-filter-bad-exit-2 $?
# time zones: 18:00+02:00 is 16:00Z
cmp -s <(q ip 192.0.2.13 --store "$d/all/s1" --since 2025-11-24T18:00:00+02:00 --until 2025-11-24T19:00+0200 --format csv) \
	<(q ip 192.0.2.13 --store "$d/all/s1" --since 2025-11-24T16:00:00Z --until 2025-11-24T17:00:00Z --format csv)
check time-zone-offset $?
# relative: the sample lies in 2025, so "2d" ago holds nothing and "10000d" all
q ip 192.0.2.13 --store "$d/all/s1" --since 2d >/dev/null 2>&1
[ $? = 1 ]; check relative-since-2d-empty $?
n=$(q ip 192.0.2.13 --store "$d/all/s1" --since -10000d --format csv | tail -n +2 | cut -d, -f9 | tr -d '\r')
[ "$n" = 144 ]; check relative-since-all $? "got $n"
# strict (-c): a window inside one coalesced observation matches it overlapping only
ov=$(q domain www.site3.example --store "$d/all/s1" --since 2025-11-24T16:05:00Z --until 2025-11-24T16:15:00Z --format csv | tail -n +2 | wc -l)
st=$(q domain www.site3.example --store "$d/all/s1" --since 2025-11-24T16:05:00Z --until 2025-11-24T16:15:00Z -c --format csv 2>/dev/null | tail -n +2 | wc -l)
[ "$ov" -ge 1 ]; check fence-overlap-matches $? "got $ov"
n1=$(q domain www.site3.example --store "$d/all/s1" --since 2025-11-24T15:00:00Z --until 2025-11-24T17:00:00Z -c --format csv | tail -n +2 | cut -d, -f9 | tr -d '\r')
n2=$(q domain www.site3.example --store "$d/all/s1" --since 2025-11-24T15:00:00Z --until 2025-11-24T17:00:00Z --format csv | tail -n +2 | cut -d, -f9 | tr -d '\r')
[ -n "$n1" ] && [ "$n1" -le "$n2" ]; check fence-strict-subset $? "$n1 vs $n2 ($st)"
# -l on a domain's addresses
n=$(q domain flux01.example-botnet.test --store "$d/all/s1" -l 5 --format json | grep -c '"row":"address"')
[ "$n" = 5 ]; check limit-addresses $? "got $n"

# ---- hostile names in every format ---------------------------------------
fmtargs="--min-score 0"
q flux --store "$d/all/s3" $fmtargs --format table >"$d/h.table" 2>"$d/h.err"
check hostile-table-exit $?
# no ASN known: a warning, and the table says so rather than 0
grep -q 'warning: 64 addresses have no known ASN' "$d/h.err" && grep -q 'ASN unknown' "$d/h.table"
check asn-unknown-warned-and-shown $? "$(cat "$d/h.err")"
q flux --store "$d/all/s3" $fmtargs --format json 2>/dev/null | head -1 | grep -q '"asns":0,.*"asn_unknown":8'
check asn-unknown-json $?
[ "$(wc -l <"$d/h.table")" = 9 ]; check hostile-table-one-line-per-name $? "$(cat "$d/h.table")"
grep -q 'new\\x0aline' "$d/h.table" && grep -q 'ctl\\x01byte' "$d/h.table" && ! grep -q $'\x01' "$d/h.table"
check hostile-table-escaped $?
q flux --store "$d/all/s3" $fmtargs --format csv >"$d/h.csv"
python3 - "$d/h.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][0] == "domain" and len(rows) == 9, rows
names = {r[0] for r in rows[1:]}
assert all(len(r) == 21 for r in rows), rows
assert "a,b.evil.test" in names and 'q"uote.evil.test' in names, names
assert "new\nline.evil.test" in names and "ctl\\x01byte.evil.test" in names, names
assert "'=cmd|calc.evil.test" in names and "back\\\\slash.evil.test" in names, names
EOF
check hostile-csv-rfc4180 $?
q flux --store "$d/all/s3" $fmtargs --format json >"$d/h.json"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = {r["domain"] for r in rows}
assert "<script>alert(1)</script>.evil.test" in names and "new\nline.evil.test" in names, names
assert "ctl\x01byte.evil.test" in names
' "$d/h.json"
check hostile-json-roundtrip $?
! grep -q '<script>' "$d/h.json"; check hostile-json-no-raw-markup $?
q flux --store "$d/all/s3" $fmtargs --format cof >"$d/h.cof"
python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    json.loads(l); n += 1
assert n == 8, n
' "$d/h.cof"
check hostile-cof-one-valid-line-each $?
"$tip" blacklist --store "$d/all/s3" $fmtargs --format dnsmasq >"$d/h.dnsmasq" 2>"$d/h.err"
check hostile-blacklist-exit $?
n=$(grep -c '^address=' "$d/h.dnsmasq")
[ "$n" = 0 ] && [ "$(grep -c 'skipped: ' "$d/h.err")" = 8 ]
check hostile-blacklist-skips-all-8 $? "$n emitted; $(cat "$d/h.err")"
! grep -q 'server=' "$d/h.dnsmasq"; check hostile-blacklist-no-injection $?
# mkstore: names with control bytes and invalid UTF-8 (written by the store API)
if [ -x "$O/tests/mkstore" ] && "$O/tests/mkstore" "$d/mk" >/dev/null 2>&1; then
	for f in table csv json cof; do
		q flux --store "$d/mk" --min-score 0 --format $f >"$d/mk.$f" 2>/dev/null
		[ $? -le 1 ]; check "mkstore-flux-$f" $?
	done
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$d/mk.json"; check mkstore-json-valid $?
	python3 -c '
import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$d/mk.cof"; check mkstore-cof-valid $?
	! LC_ALL=C grep -q '[^[:print:]]' "$d/mk.table"; check mkstore-table-printable $?
	# failed lookups are shown with their rcode, NS and CNAME answers too
	q domain gone.example --store "$d/mk" >"$d/nx.out" 2>/dev/null
	grep -q '^A  *NXDOMAIN  *2 ' "$d/nx.out"; check failed-lookup-nxdomain-shown $? "$(cat "$d/nx.out")"
	q domain gone.example --store "$d/mk" --format json 2>/dev/null | grep -q '"row":"lookup".*"rcode":"NXDOMAIN"'
	check failed-lookup-json $?
	q domain slow.example --store "$d/mk" 2>/dev/null | grep -q 'TIMEOUT'; check failed-lookup-timeout $?
	q domain flux.example --store "$d/mk" 2>/dev/null | grep -q '^NS  *ns1\.flux-dns\.example, ns2\.flux-dns\.example'
	check ns-names-shown $?
	q domain www.shop.example --store "$d/mk" 2>/dev/null | grep -q '^CNAME  *edge\.cdn\.example\.net'
	check cname-target-shown $?
	q domain www.shop.example --store "$d/mk" --format json 2>/dev/null | grep -q '"row":"rrset".*"rrtype":"CNAME","rdata":\["edge.cdn.example.net"\]'
	check cname-target-json $?
	q ip 2001:db8::/32 --store "$d/mk" --format csv 2>/dev/null | grep -q '^2001:db8:1::1,v6\.flux\.example,'
	check cidr-v6 $?
else
	echo "skip mkstore-hostile: $O/tests/mkstore not built"
fi

# ---- blacklist formats -----------------------------------------------------
if [ -n "$asn" ]; then
	"$tip" blacklist --store "$d/all/s1" $asn --format dnsmasq >"$d/bl" 2>&1
	[ "$(grep -c '^address=/flux[0-9]*\.example-botnet\.test/0\.0\.0\.0$' "$d/bl")" = 12 ]
	check blacklist-dnsmasq $?
	"$tip" blacklist --store "$d/all/s1" $asn --format unbound >"$d/bl" 2>&1
	[ "$(grep -c '^local-zone: "flux[0-9]*\.example-botnet\.test\." always_nxdomain$' "$d/bl")" = 12 ]
	check blacklist-unbound $?
	"$tip" blacklist --store "$d/all/s1" $asn --format hosts >"$d/bl" 2>&1
	[ "$(grep -c '^0\.0\.0\.0 flux[0-9]*\.example-botnet\.test$' "$d/bl")" = 12 ]
	check blacklist-hosts $?
	"$tip" blacklist --store "$d/all/s1" $asn --format nftables >"$d/bl" 2>&1
	n=$(grep -o '[0-9]*\.[0-9]*\.[0-9]*\.[0-9]*' "$d/bl" | sort -u | wc -l)
	grep -q '^table inet tip_blacklist {' "$d/bl" && [ "$n" -gt 300 ]
	check blacklist-nftables $? "$n addresses"
	if command -v nft >/dev/null 2>&1; then
		nft -c -f "$d/bl" >/dev/null 2>&1; check blacklist-nftables-syntax $?
	else
		check blacklist-nftables-syntax 1 "nft not installed (a missing package is a fault of scripts/deps.sh, which installs it)"
	fi
fi

# ---- bad arguments, unknown and empty stores, damaged segments ------------
bad() {	# NAME, then the command: must exit 2 with "tip CMD:" on stderr
	local name=$1; shift
	"$tip" "$@" >/dev/null 2>"$d/err"
	local rc=$?
	[ $rc = 2 ] && grep -q '^tip [a-z]*: ' "$d/err"; check "bad-args-$name" $? "rc=$rc $(head -c 300 "$d/err")"
}
bad no-subcommand query --store "$d/all"
bad unknown-subcommand query frob --store "$d/all"
bad domain-without-name query domain --store "$d/all"
bad no-store query flux
bad unknown-format query flux --store "$d/all" --format xml
bad bad-min-score query flux --store "$d/all" --min-score high
bad bad-since query flux --store "$d/all" --since yesterday
bad since-after-until query flux --store "$d/all" --since 1800000000 --until 1700000000
bad bad-ip query ip 1.2.3.999 --store "$d/all"
bad unknown-store query flux --store "$d/nope"
bad not-a-store query flux --store "$d/asn.csv"
bad bad-asn-table query flux --store "$d/all" --asn "$d/h.csv"
bad unknown-option query flux --store "$d/all" --frobnicate
bad blacklist-no-format blacklist --store "$d/all"
bad blacklist-bad-format blacklist --store "$d/all" --format iptables
# an empty store: what a sensor leaves before its first record
mkdir -p "$d/empty/e/log" "$d/empty/e/state"
echo e >"$d/empty/e/sensor.id"
q flux --store "$d/empty/e" >"$d/out" 2>&1
[ $? = 1 ] && [ "$(wc -l <"$d/out")" = 1 ]; check empty-store-flux-header-only $?
q domain x.test --store "$d/empty/e" --format json >/dev/null 2>&1
[ $? = 1 ]; check empty-store-domain-exit-1 $?
mkdir -p "$d/emptydir"
bad empty-parent-dir query flux --store "$d/emptydir"
# damaged segment: a second store with its segment's middle overwritten
cp -r "$d/all/s1" "$d/dmg"
seg=$(ls "$d/dmg/log/"*.tlog | head -1)
# damage the second record of www.site3.example, found by tip dump
off=$("$tip" dump "$d/dmg" | grep '"name":"www.site3.example"' | sed -n 2p | sed 's/.*"offset":\([0-9]*\).*/\1/')
printf 'garbage' | dd of="$seg" bs=1 seek=$((off + 10)) conv=notrunc 2>/dev/null
q domain www.site3.example --store "$d/dmg" --store "$d/all/s2" --format csv >"$d/out" 2>"$d/err"
rc=$?
[ $rc = 1 ] && grep -q 'dmg/log/.*tlog' "$d/err" && grep -q '^www\.site3\.example,' "$d/out"
check damaged-segment-reported-rest-queried $? "rc=$rc $(head -3 "$d/err")"
q flux --store "$d/dmg" --store "$d/all/s2" --min-score 0 --format csv >"$d/out" 2>"$d/err"
rc=$?
[ $rc = 1 ] && [ -s "$d/err" ] && [ "$(wc -l <"$d/out")" -gt 20 ]
check damaged-segment-scan-reported-rest-queried $? "rc=$rc"

[ $fails = 0 ]
