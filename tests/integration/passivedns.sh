#!/bin/bash
# Integration test of tip import passivedns: the generated day of passive
# DNS (scripts/sample-cof.sh) written as gamelinux/passivedns log lines
# (one line per answer, a coalesced COF line as that many lookups) must
# query exactly like the same day imported as COF; malformed lines are
# reported as FILE:LINE: reason and skipped; hostile names are kept.
# Prints ok/not ok lines; exits 1 when anything failed.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
if [ ! -x "$tip" ]; then
	echo "not ok passivedns: $tip not built"
	exit 1
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

mkdir -p "$d/c" "$d/p"
scripts/sample-cof.sh >"$d/day.cof"
python3 - "$d/day.cof" >"$d/day.log" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    rdata = o["rdata"] if isinstance(o["rdata"], list) else [o["rdata"]]
    n = o.get("count", 1)
    t0, t1 = o["time_first"], o["time_last"]
    for k in range(n):
        t = t0 + (t1 - t0) * k // max(n - 1, 1)
        for i, a in enumerate(rdata):
            # one response: the same second, the microseconds vary
            print("%d.%06d||10.0.0.%d||192.0.2.53||IN||%s.||%s||%s||300||1"
                  % (t, 100 * i, 1 + k % 200, o["rrname"], o["rrtype"], a))
EOF
"$tip" import cof "$d/day.cof" --store "$d/c/s" --sensor s >/dev/null 2>&1
check import-cof $?
"$tip" import passivedns "$d/day.log" --store "$d/p/s" --sensor s >"$d/out" 2>"$d/err"
check import-passivedns-exit-0 $? "$(head -3 "$d/err")"
# one observation per response: 144 steps x (12 flux + 6 cdn) + 24 x 10 x 6 site lookups
grep -q 'imported 4032, skipped 0' "$d/out"; check import-passivedns-groups-responses $? "$(cat "$d/out")"

# the lookup history shows TTLs: passivedns logs carry them, COF does not
nottl() { sed -e '/^Type  *Outcome/,$d' -e '/"row":"lookup"/d'; }
same() {	# NAME, then query arguments: the same bytes from both stores
	local name=$1; shift
	"$tip" query "$@" --store "$d/c/s" 2>&1 | nottl >"$d/a"
	local ra=${PIPESTATUS[0]}
	"$tip" query "$@" --store "$d/p/s" 2>&1 | nottl >"$d/b"
	local rb=${PIPESTATUS[0]}
	[ $ra = $rb ] && cmp -s "$d/a" "$d/b"; check "$name" $? "rc $ra/$rb $(diff "$d/a" "$d/b" | head -4 | cut -c1-200)"
}
# COF carries no TTL, so its classification window is the longest (2.5 x ttl-max);
# the passivedns lines say 300 s (2.5 x 300 s): the same window with ttl-min 1h
for f in table csv json cof; do
	same "flux-$f-same-as-cof" flux --min-score 0 --ttl-min 1h --format $f
	same "domain-flux-$f-same-as-cof" domain flux07.example-botnet.test --ttl-min 1h --format $f
	same "domain-site-$f-same-as-cof" domain www.site4.example --ttl-min 1h --format $f
	same "ip-$f-same-as-cof" ip 192.0.2.14 --format $f
done
# without it the TTL of the first answer sets the window: 12.5 minutes, not 2.5 hours
w() { "$tip" query domain flux07.example-botnet.test --store "$1" --format json 2>/dev/null |
	python3 -c 'import json, sys, datetime as D
o = json.loads(sys.stdin.readline())
f = lambda s: D.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
print(int((f(o["window_end"]) - f(o["window_start"])).total_seconds()), o["hosts"] < o["running"]["hosts"])'; }
[ "$(w "$d/p/s")" = "750 True" ] && [ "$(w "$d/c/s")" = "9000 True" ]
check window-follows-the-ttl $? "passivedns $(w "$d/p/s"), cof $(w "$d/c/s")"

# ---- importing again changes nothing ------------------------------------------
want=$("$tip" query domain www.site4.example --store "$d/p/s" --format csv)
"$tip" import passivedns "$d/day.log" --store "$d/p/s" >"$d/out" 2>"$d/err"
check reimport-exit-0 $? "$(cat "$d/err")"
grep -q 'imported 0,' "$d/out" && grep -q 'already imported' "$d/err"; check reimport-imports-nothing $? "$(cat "$d/out" "$d/err")"
[ "$("$tip" query domain www.site4.example --store "$d/p/s" --format csv)" = "$want" ]
check reimport-same-counts $?
"$tip" import cof "$d/day.cof" --store "$d/c/s" >"$d/out" 2>&1
[ "$("$tip" query domain www.site4.example --store "$d/c/s" --format csv)" = "$want" ]
check reimport-cof-same-counts $? "$(cat "$d/out")"
# a log that grew: only the new lines
mkdir -p "$d/g"
head -n 2000 "$d/day.log" >"$d/grow.log"
"$tip" import passivedns "$d/grow.log" --store "$d/g/s" --sensor s >/dev/null 2>&1
cp "$d/day.log" "$d/grow.log"
"$tip" import passivedns "$d/grow.log" --store "$d/g/s" >"$d/out" 2>"$d/err"
grep -q 'importing the rest' "$d/err"; check grown-log-imports-the-rest $? "$(cat "$d/err")"
[ "$("$tip" query domain www.site4.example --store "$d/g/s" --format csv)" = "$want" ]
check grown-log-same-counts $?
"$tip" import passivedns - --store "$d/g/s" <"$d/day.log" >"$d/out" 2>&1
grep -q 'imported 0,' "$d/out"; check reimport-stdin-imports-nothing $? "$(cat "$d/out")"
"$tip" import passivedns "$d/day.log" --store "$d/g/s" --force >"$d/out" 2>&1
! grep -q 'imported 0,' "$d/out"; check reimport-force-imports $?

# ---- malformed lines ----------------------------------------------------------
{
	echo '1764000000.1||10.0.0.1||192.0.2.53||IN||good.test.||A||10.1.1.1||60||1'
	echo 'not a passivedns line'
	echo '1764000001||10.0.0.1||192.0.2.53||IN||good.test.||A||10.1.1.999||60||1'
	echo '1764000002||10.0.0.1||192.0.2.53||CH||version.bind.||TXT||x||0||1'
	echo ''
	echo '1764000003||10.0.0.1||192.0.2.53||IN||good.test.||A||10.1.1.2||60'
	echo '1764000004||10.0.0.1||192.0.2.53||IN||gone.test.||A||NXDOMAIN||0||3'
} >"$d/bad.log"
"$tip" import passivedns "$d/bad.log" --store "$d/bad" >"$d/out" 2>"$d/err"
rc=$?
[ $rc = 1 ]; check malformed-exit-1 $? "rc=$rc"
grep -q "^$d/bad.log:2: 1 field, not 9" "$d/err" && grep -q "^$d/bad.log:3: A answer is not an IPv4 address (column 54)" "$d/err" &&
	grep -q "^$d/bad.log:4: class CH: only IN is imported" "$d/err"
check malformed-file-line-reason $? "$(cat "$d/err")"
grep -q 'imported 3, skipped 3' "$d/out"; check malformed-rest-imported $? "$(cat "$d/out")"
"$tip" query domain good.test --store "$d/bad" --format csv | tr -d '\r' | cut -d, -f2,9 >"$d/q"
printf 'ip,count\n10.1.1.1,1\n10.1.1.2,1\n' | cmp -s - "$d/q"; check malformed-good-lines-queried $? "$(cat "$d/q")"
"$tip" dump "$d/bad" | grep -q '"name":"gone.test","qtype":"A","rcode":3.*"count":3'
check nxdomain-rcode-and-count $?

# ---- hostile names, stdin ---------------------------------------------------
printf '%s\n' '1764000000||10.0.0.1||192.0.2.53||IN||<script>x</script>,"q".evil.test.||A||10.2.2.1||60||1' \
	'1764000000||10.0.0.1||192.0.2.53||IN||a\b.evil.test.||A||10.2.2.2||60||1' |
	"$tip" import passivedns - --store "$d/h" >/dev/null 2>&1
check stdin-hostile-import $?
"$tip" query flux --store "$d/h" --min-score 0 --format json | python3 -c '
import json, sys
names = {json.loads(l)["domain"] for l in sys.stdin}
assert names == {"<script>x</script>,\"q\".evil.test", "a\\b.evil.test"}, names'
check hostile-names-kept $?

# ---- usage ------------------------------------------------------------------
"$tip" import pdns "$d/day.log" --store "$d/x" >/dev/null 2>"$d/err"
[ $? = 2 ] && grep -q 'known: cof, passivedns' "$d/err"; check unknown-format-exit-2 $?
"$tip" import passivedns "$d/nope.log" --store "$d/x" >/dev/null 2>"$d/err"
[ $? = 2 ] && grep -q 'nope.log' "$d/err"; check missing-file-exit-2 $?

[ $fails = 0 ]
