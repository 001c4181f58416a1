#!/bin/bash
# Scenario: several fetches of changing lists, made here from the real
# samples, imported with `tip import feed` as the sensor records them; the
# listed/delisted history and every source metric of `tip query source`,
# and the confidence of indicators, checked against
# tests/integration/feeds_history.py, which computes them from the lists
# alone.  Also: a failed fetch changes nothing, the same answers after
# `tip compact`, tip verify clean.  Prints ok/not ok lines.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIP=$O/tip
F=$O/tests/feedcat
D=../shared/data/blacklists
AL=../shared/data/allowlist/moz-top500.txt
fails=0
. tests/integration/lib.sh
for b in "$TIP" "$F"; do [ -x "$b" ] || { echo "not ok feeds_history: $b not built"; exit 1; }; done
if [ ! -d "$D" ] || [ ! -f "$AL" ]; then echo "skip feeds_history: no shared test data"; exit 0; fi
t=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$t"' EXIT
S=$t/store
: >"$t/plan"

# imp TIME SOURCE FORMAT FILE [args]: import, and the normalised entries for the plan
imp() {
	local tm=$1 src=$2 fmt=$3 f=$4 n
	shift 4
	n=$(wc -l <"$t/plan")
	if "$TIP" import feed "$f" --store "$S" --source "$src" --format "$fmt" --time "$tm" "$@" \
		>"$t/imp.$n" 2>&1; then
		case $fmt in
		json) "$F" json -p blacklist "$f" ;;
		*) "$F" "$fmt" "$f" ;;
		esac | sed '$d' >"$t/ent.$n"
		echo "$tm $src $t/ent.$n" >>"$t/plan"
	else
		echo "$tm $src -" >>"$t/plan"
	fi
}

# drop: a sliding window over the Spamhaus DROP lines
grep -v '^;' "$D/spamhaus/drop.txt" >"$t/drop.all"
sed -n 1,1000p "$t/drop.all" >"$t/drop.0"
sed -n 101,1100p "$t/drop.all" >"$t/drop.1"
sed -n 201,1200p "$t/drop.all" >"$t/drop.2"
# firehol's copy of DROP, fetched later: overlap and latency with drop
grep -v '^#' "$D/firehol/current/spamhaus_drop.netset" | sed -n 1,900p >"$t/fh.0"
# domains: two overlapping halves of one list, plus popular sites in one
sed -n 1,800p "$D/domains/badd-boyz-domains.txt" >"$t/bb.0"
sed -n 101,800p "$D/domains/badd-boyz-domains.txt" >"$t/bb.1"
{ sed -n 500,1384p "$D/domains/badd-boyz-domains.txt"; grep -v '^#' "$AL" | sed -n 1,40p; } >"$t/oth.0"
{ sed -n 600,1384p "$D/domains/badd-boyz-domains.txt"; grep -v '^#' "$AL" | sed -n 1,20p; } >"$t/oth.1"
# urls: OpenPhish snapshots
cp "$D/urls/openphish-feed-2024-10-13.txt" "$t/op.0"
cp "$D/urls/openphish-feed-2025-02-09.txt" "$t/op.1"
head -c 5000 "$D/json/eth-phishing-detect-config.json" >"$t/broken.json"

day=86400; T0=1767225600	# 2026-01-01
imp $T0 drop cidr "$t/drop.0"
imp $((T0 + 3600)) bb domains "$t/bb.0"
imp $((T0 + 7200)) op urls "$t/op.0"
imp $((T0 + day)) drop cidr "$t/drop.1"
imp $((T0 + day + 600)) fh cidr "$t/fh.0"
imp $((T0 + day + 1200)) oth domains "$t/oth.0"
imp $((T0 + 2 * day)) bb domains "$t/bb.1"
imp $((T0 + 2 * day + 60)) eth json "$t/broken.json" --path blacklist
imp $((T0 + 3 * day)) drop cidr "$t/drop.2"
imp $((T0 + 3 * day + 60)) op urls "$t/op.1"
imp $((T0 + 4 * day)) oth domains "$t/oth.1"
imp $((T0 + 5 * day)) drop cidr "$t/drop.2"

python3 tests/integration/feeds_history.py "$t/plan" "$AL" >"$t/want.json" ||
	{ nok feeds_history "the Python model failed"; exit 1; }

# 1. each import's changes
python3 - "$t" <<'PY' && ok feeds-history-changes || nok feeds-history-changes "see above"
import json, re, sys
t = sys.argv[1]
want = json.load(open(t + '/want.json'))['fetches']
bad = 0
for i, w in enumerate(want):
    got = open('%s/imp.%d' % (t, i)).read()
    if not w['ok']:
        if 'failed fetch' not in got:
            print('fetch %d: expected a failed fetch, got %r' % (i, got)); bad += 1
        continue
    m = re.search(r'(\d+) entries, (\d+) listed, (\d+) delisted', got)
    if not m or tuple(map(int, m.groups())) != (w['entries'], w['listed'], w['delisted']):
        print('fetch %d (%s): got %r want %r' % (i, w['source'], got.strip(), w)); bad += 1
sys.exit(bad != 0)
PY

# 2. records in the store: listed/delisted per source as the model says
"$TIP" dump "$S" >"$t/dump" 2>/dev/null
python3 - "$t" <<'PY' && ok feeds-history-records || nok feeds-history-records
import json, sys, collections
t = sys.argv[1]
want = json.load(open(t + '/want.json'))['fetches']
exp = collections.Counter()
for w in want:
    if w['ok']:
        exp[(w['source'], 'listed')] += w['listed']
        exp[(w['source'], 'delisted')] += w['delisted']
    exp[(w['source'], 'fetch')] += 1
got = collections.Counter()
for l in open(t + '/dump'):
    r = json.loads(l)
    if r['type'] == 'feed':
        got[(r['source'], r['op'])] += 1
exp = +exp
if got != exp:
    print(sorted(got.items()), sorted(exp.items())); sys.exit(1)
PY

# 2b. tip export --records feeds: one CSV row and one JSON row per feed record
n_dump=$(grep -c '"type":"feed"' "$t/dump")
n_csv=$("$TIP" export --records feeds --format csv --store "$S" 2>/dev/null |
	python3 -c 'import csv, sys; r = list(csv.reader(sys.stdin)); print(len(r) - 1 if all(len(x) == 16 for x in r) else -1)')
n_ch=$("$TIP" export --records feeds --format clickhouse --store "$S" 2>/dev/null |
	python3 -c 'import json, sys; print(sum(1 for l in sys.stdin if json.loads(l)["source"]))')
if [ "$n_csv" = "$n_dump" ] && [ "$n_ch" = "$n_dump" ] && [ "$n_dump" -gt 0 ]; then ok feeds-history-export
else nok feeds-history-export "dump $n_dump, csv $n_csv, clickhouse $n_ch"; fi

# 3. the metrics of every source
check_metrics() {
	"$TIP" query source --format json --allowlist "$AL" --store "$S" >"$t/got.json" 2>"$t/err" ||
		{ nok "$1" "tip query source: $(cat "$t/err")"; return; }
	python3 - "$t" <<'PY' && ok "$1" || nok "$1" "see above"
import json, sys
t = sys.argv[1]
want = json.load(open(t + '/want.json'))['sources']
got = {}
for l in open(t + '/got.json'):
    r = json.loads(l); got[r['source']] = r
bad = 0
if set(got) != set(want):
    print('sources', sorted(got), sorted(want)); sys.exit(1)
def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-4 * max(1, abs(b))
for s, w in want.items():
    for k, v in w.items():
        if k == 'differential':
            for o, dv in v.items():
                if not close(got[s]['differential'][o], dv):
                    print(s, 'differential', o, got[s]['differential'][o], dv); bad += 1
        elif not close(got[s][k], v):
            print(s, k, 'got', got[s][k], 'want', v); bad += 1
sys.exit(bad != 0)
PY
}
check_metrics feeds-history-metrics

# 4. confidence of indicators: one of each source, and shared ones
python3 - "$t" >"$t/probe" <<'PY'
import json, sys
c = json.load(open(sys.argv[1] + '/want.json'))['confidence']
ks = sorted(c)
for v in ks[::max(1, len(ks) // 12)]:
    print(v, c[v])
PY
bad=0
while read -r v want; do
	got=$("$TIP" query indicator "$v" --format json --allowlist "$AL" --store "$S" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["confidence"])')
	python3 -c "import sys; sys.exit(abs($got - $want) > 1e-4)" 2>/dev/null ||
		{ echo "confidence of $v: got $got want $want"; bad=1; }
done <"$t/probe"
[ "$bad" = 0 ] && [ -s "$t/probe" ] && ok feeds-history-confidence || nok feeds-history-confidence

# 5. an address inside a listed CIDR shows it
cidr=$(sed -n 500p "$t/drop.all" | cut -d' ' -f1)
addr=$(echo "$cidr" | awk -F'[./]' '{ print $1 "." $2 "." $3 "." ($4 + 1) }')
if "$TIP" query indicator "$addr" --store "$S" | grep -q "covered by $cidr"; then
	ok feeds-history-covering-cidr; else nok feeds-history-covering-cidr "$addr in $cidr"; fi

# 6. verify, compaction: the same answers
if "$TIP" verify "$S" >/dev/null 2>&1; then ok feeds-history-verify; else nok feeds-history-verify; fi
cp "$t/got.json" "$t/before.json"
if "$TIP" compact "$S" >/dev/null 2>&1 && [ "$(ls "$S"/log/*.tlog | wc -l)" -lt 12 ]; then
	"$TIP" query source --format json --allowlist "$AL" --store "$S" >"$t/after.json" 2>/dev/null
	if cmp -s "$t/before.json" "$t/after.json"; then ok feeds-history-compacted
	else nok feeds-history-compacted "metrics differ after tip compact"; fi
else
	nok feeds-history-compacted "tip compact failed or merged nothing"
fi
echo "feeds_history: $fails failed"
[ "$fails" -eq 0 ]
