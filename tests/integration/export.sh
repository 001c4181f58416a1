#!/bin/bash
# Integration test of tip export (cof, csv, clickhouse) without a server
# (tests/integration/clickhouse.sh loads the ClickHouse form into a real
# one): the COF export imports back into a store that queries exactly like
# the original, the CSV is RFC 4180 with one row per answer, the ClickHouse
# rows are JSON with an ASN for each IPv4 answer, the time window and
# hostile names hold, and usage errors exit 2.
# Prints ok/not ok/skip lines; exits 1 when anything failed.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
for b in "$tip" "$O/tests/mkyear"; do
	if [ ! -x "$b" ]; then
		echo "not ok export: $b not built"
		exit 1
	fi
done
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

mkdir -p "$d/a"
scripts/sample-cof.sh | "$tip" import cof - --store "$d/a/s1" --sensor s1 >/dev/null 2>&1
scripts/sample-cof.sh 1764086400 | "$tip" import cof - --store "$d/a/s2" --sensor s2 >/dev/null 2>&1
check import-two-sensors $?
"$O/tests/mkyear" "$d/y" --sensors 2 --hours 12 --hostile >/dev/null 2>&1
check mkyear $?

# ---- COF: export, import back, query the same ----------------------------
"$tip" export --format cof --store "$d/a" -o "$d/a.cof" 2>"$d/err"
check cof-exit-0 $? "$(cat "$d/err")"
[ "$(wc -l <"$d/a.cof")" = 5664 ]; check cof-one-line-per-observation $? "$(wc -l <"$d/a.cof")"
mkdir -p "$d/b"
for s in s1 s2; do
	grep "\"sensor_id\":\"$s\"" "$d/a.cof" | "$tip" import cof - --store "$d/b/$s" --sensor $s >/dev/null 2>&1
done
check cof-import-back $?
same() {	# NAME, then query arguments: the same bytes from both store sets
	local name=$1; shift
	"$tip" query "$@" --store "$d/a" >"$d/x1" 2>&1
	"$tip" query "$@" --store "$d/b" >"$d/x2" 2>&1
	cmp -s "$d/x1" "$d/x2"; check "$name" $? "$(diff "$d/x1" "$d/x2" | head -3 | cut -c1-160)"
}
for f in table csv json cof; do
	same "cof-roundtrip-flux-$f" flux --min-score 0 --format $f
	same "cof-roundtrip-domain-$f" domain flux05.example-botnet.test --format $f
	same "cof-roundtrip-ip-$f" ip 192.0.2.17 --format $f
done
python3 -c '
import json, sys
keys = {"rrname", "rrtype", "rdata", "time_first", "time_last", "count", "sensor_id"}
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert set(o) == keys and isinstance(o["rdata"], list) and o["rdata"], o
' "$d/a.cof"
check cof-fields $?

# ---- CSV: RFC 4180, one row per answer, hostile names --------------------
"$tip" export --format csv --store "$d/y" >"$d/y.csv" 2>"$d/err"
check csv-exit-0 $? "$(cat "$d/err")"
python3 - "$d/y.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8", errors="strict")))
hdr = rows[0]
assert hdr == ["observation", "sensor", "time_first", "time_last", "count", "rrname", "rrtype",
               "rcode", "ttl", "server", "rdata", "asn"], hdr
rows = rows[1:]
assert all(len(r) == 12 for r in rows)
obs = {r[0] for r in rows}
assert len(obs) == 2 * (12 * 41 + 11), len(obs)
# flux answers carry the ASN of their enrichment; a NXDOMAIN has one empty row
flux = [r for r in rows if r[5].startswith("flux")]
assert flux and all(r[11].isdigit() and 64512 <= int(r[11]) < 64812 for r in flux)
nx = [r for r in rows if r[5].startswith("nx")]
assert len(nx) == 24 and all(r[7] == "3" and r[10] == "" for r in nx), nx[:2]
names = {r[5] for r in rows if "evil" in r[5]}
assert "a,b.evil.test" in names and "q\"uote'.evil.test" in names and "new\nline.evil.test" in names, names
assert "ctl\\x01byte.evil.test" in names and "bad\\xffutf8.evil.test" in names, names
assert "back\\\\slash.evil.test" in names, names
EOF
check csv-rfc4180-rows $?

# ---- ClickHouse rows -------------------------------------------------------
"$tip" export --format clickhouse --store "$d/y" >"$d/y.json" 2>"$d/err"
check clickhouse-exit-0 $? "$(cat "$d/err")"
python3 - "$d/y.json" <<'EOF'
import json, sys
keys = ["sensor", "time_first", "time_last", "first_us", "last_us", "count", "rrname", "rrtype",
        "qtype", "rcode", "ttl", "server", "a", "a_asn", "aaaa", "names"]
n = 0
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert list(o) == keys, list(o)
    assert len(o["a"]) == len(o["a_asn"]) and o["time_first"] == o["first_us"] // 10**6
    if o["rrname"].startswith("flux"):
        assert all(64512 <= x < 64812 for x in o["a_asn"]), o
    n += 1
assert n == 2 * (12 * 41 + 11), n
EOF
check clickhouse-rows $?
! grep -q '<script' "$d/y.json"; check clickhouse-no-raw-markup $?
# the ASN table fills what no enrichment says
data=../shared/data/asn
if [ -f "$data/asn-ipv4.csv.gz" ]; then
	zcat "$data/asn-ipv4.csv.gz" >"$d/asn.csv"
	"$tip" asn import --asn "$d/asn.csv" --country "$data/asn-country-ipv4.csv" -o "$d/asn.db" >/dev/null 2>&1
	"$tip" export --format clickhouse --store "$d/a" --asn "$d/asn.db" >"$d/a.json" 2>/dev/null
	python3 -c '
import json, sys
known = sum(1 for l in open(sys.argv[1]) for x in json.loads(l)["a_asn"] if x)
assert known > 1000, known' "$d/a.json"
	check clickhouse-asn-from-table $?
else
	echo "skip clickhouse-asn-from-table: ../shared/data/asn is absent"
fi

# ---- time window -----------------------------------------------------------
"$tip" export --format cof --store "$d/a/s1" --since 2025-11-24T18:00:00Z --until 2025-11-24T19:59:59Z >"$d/w.cof" 2>/dev/null
check window-exit-0 $?
w=$(python3 -c 'import json,sys; print(sum(json.loads(l)["count"] for l in open(sys.argv[1])))' "$d/w.cof")
q=$("$tip" query flux --store "$d/a/s1" --min-score 0 --since 2025-11-24T18:00:00Z --until 2025-11-24T19:59:59Z --format json |
	python3 -c 'import json,sys; print(sum(json.loads(l)["lookups"] for l in sys.stdin))')
[ "$w" = "$q" ] && [ "$w" -gt 0 ]; check window-lookups-agree-with-query $? "export $w, query $q"
"$tip" export --format csv --store "$d/a" --since 2030-01-01 >/dev/null 2>"$d/err"
[ $? = 1 ] && grep -q 'no observation in the time window' "$d/err"; check empty-window-exit-1 $?

# ---- stores with faults, empty stores, usage ----------------------------------
cp -r "$d/a/s1" "$d/dmg"
seg=$(ls "$d/dmg/log/"*.tlog | head -1)
printf 'garbage' | dd of="$seg" bs=1 seek=5000 conv=notrunc 2>/dev/null
"$tip" export --format cof --store "$d/dmg" >"$d/dmg.cof" 2>"$d/err"
rc=$?
[ $rc = 1 ] && grep -q 'dmg/log/.*tlog:[0-9]*: ' "$d/err" && [ "$(wc -l <"$d/dmg.cof")" -gt 2800 ]
check damaged-segment-reported-rest-exported $? "rc=$rc $(head -2 "$d/err")"
mkdir -p "$d/empty/log"
"$tip" export --format csv --store "$d/empty" >"$d/out" 2>/dev/null
[ $? = 1 ] && [ "$(wc -l <"$d/out")" = 1 ]; check empty-store-header-only-exit-1 $?
"$tip" export --format cof --store "$d/a" -o "$d/no/such/dir/x.cof" >/dev/null 2>"$d/err"
[ $? = 2 ] && grep -q '^tip export: ' "$d/err"; check unwritable-output-exit-2 $?
bad() {
	local name=$1; shift
	"$tip" export "$@" >/dev/null 2>"$d/err"
	local rc=$?
	[ $rc = 2 ] && grep -q '^tip export: ' "$d/err"; check "bad-args-$name" $? "rc=$rc $(head -c 200 "$d/err")"
}
bad no-format --store "$d/a"
bad unknown-format --format parquet --store "$d/a"
bad no-store --format cof
bad unknown-store --format cof --store "$d/nope"
bad bad-since --format cof --store "$d/a" --since soon
bad since-after-until --format cof --store "$d/a" --since 2026-01-01 --until 2025-01-01
bad stray-argument --format cof --store "$d/a" extra
bad unknown-option --format cof --store "$d/a" --gzip

[ $fails = 0 ]
