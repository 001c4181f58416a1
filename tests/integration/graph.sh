#!/bin/bash
# Integration test of tip graph: the SVG is well-formed XML (xmllint), has
# the threshold line, both value axes and a labelled UTC time axis, agrees
# with tip query, escapes hostile names (markup, quotes, control bytes,
# invalid UTF-8), and the usage errors exit 2.  Stores come from
# scripts/sample-cof.sh (imported) and the mkyear helper (score samples,
# hostile names).  Prints ok/not ok/skip lines; exits 1 when anything failed.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
for b in "$tip" "$O/tests/mkyear"; do
	if [ ! -x "$b" ]; then
		echo "not ok graph: $b not built"
		exit 1
	fi
done
if ! command -v xmllint >/dev/null 2>&1; then
	echo "not ok graph: xmllint missing (apt-get install libxml2-utils)"
	exit 1
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

scripts/sample-cof.sh | "$tip" import cof - --store "$d/cof" --sensor c1 >/dev/null 2>&1
check import-sample $?
"$O/tests/mkyear" "$d/y" --sensors 2 --hours 30 --scores --hostile >/dev/null 2>&1
check mkyear $?

# the pieces a reader needs, in a file tip wrote
svg_ok() {	# NAME FILE
	local f=$2
	xmllint --noout "$f" 2>"$d/xml.err"; check "$1-well-formed" $? "$(head -3 "$d/xml.err")"
	grep -q '<line class="threshold"' "$f" && grep -q 'fast-flux above 142.38' "$f"
	check "$1-threshold-line" $?
	grep -q '>Time (UTC)</text>' "$f" && grep -q '>Score</text>' "$f" && grep -q '>Count</text>' "$f"
	check "$1-axis-titles" $?
	n=$(sed -n '/class="time-axis"/,/<\/g>/p' "$f" | grep -c 'text-anchor="middle">[0-9]')
	[ "$n" -ge 3 ]; check "$1-time-ticks-labelled" $? "$n tick labels"
	n=$(sed -n '/class="value-axis"/,/<\/g>/p' "$f" | grep -c 'text-anchor="end">[0-9]')
	[ "$n" -ge 6 ]; check "$1-value-ticks-labelled" $? "$n tick labels"
	grep -q '<path class="score"' "$f" && grep -q '<path class="n-a"' "$f" && grep -q '<path class="n-asn"' "$f"
	check "$1-three-series" $?
	grep -q 'nA: unique IPv4 addresses' "$f" && grep -q 'nASN: unique origin ASNs' "$f"
	check "$1-legend" $?
}

# ---- a flux name of the imported sample, scored from its lookups -----------
"$tip" graph domain flux03.example-botnet.test -o "$d/f.svg" --store "$d/cof" 2>"$d/err"
check flux-exit-0 $? "$(cat "$d/err")"
svg_ok flux "$d/f.svg"
[ ! -e "$d/f.svg.tmp" ]; check flux-no-temporary-left $?
# the caption agrees with tip query: the verdict of the classification window, then
# the running totals the curve ends on (score, hosts, lookups)
q=$("$tip" query domain flux03.example-botnet.test --store "$d/cof" --format json |
	python3 -c 'import json,sys; o=json.loads(sys.stdin.readline()); r=o["running"]; print("%.2f %s %d %.2f %d %d" % (o["score"], "FAST-FLUX" if o["flux"] else "not_fast-flux", o["hosts"], r["score"], r["hosts"], o["lookups"]))')
read -r ws wv wh s h l <<<"$q"
grep -q "window score $ws: ${wv/_/ } ($wh addresses in 0 ASNs); running $s ($h in 0 ASNs); $l lookups" "$d/f.svg"
check flux-caption-agrees-with-query $? "query: $q; svg: $(grep -o 'score [^<]*' "$d/f.svg" | head -1)"
# the score line is a step line: one step per lookup (144)
n=$(grep -o '<path class="score"[^>]*' "$d/f.svg" | grep -o 'V' | wc -l)
[ "$n" = 143 ]; check flux-one-step-per-lookup $? "$n steps"
# the threshold sits at 142.38 of the score axis: y = bottom - 142.38/top * height
python3 - "$d/f.svg" <<'EOF'
import re, sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
thr = root.find(".//s:line[@class='threshold']", ns)
y = float(thr.get("y1"))
axis = root.findall(".//s:g[@class='value-axis']", ns)[0]
ticks = [(float(t.text), float(t.get("y")) - 4) for t in axis.findall("s:text", ns) if re.match(r"^[0-9]+$", t.text or "")]
(v0, y0), (v1, y1) = ticks[0], ticks[-1]
want = y0 + (142.38 - v0) / (v1 - v0) * (y1 - y0)
assert abs(y - want) < 0.6, (y, want, ticks)
EOF
check flux-threshold-at-142.38 $?

# ---- a name that is not flux: the threshold is still drawn ------------------
"$tip" graph domain www.site3.example -o "$d/w.svg" --store "$d/cof" >/dev/null 2>&1
check ordinary-exit-0 $?
svg_ok ordinary "$d/w.svg"
grep -q 'not fast-flux (1 address in 0 ASNs); running 1.32 (1 in 0 ASNs); 144 lookups' "$d/w.svg"
check ordinary-caption $?

# ---- score samples (mkyear --scores) and the lookups give the same values ----
"$tip" graph domain flux02.example-botnet.test -o "$d/s.svg" --store "$d/y/s1" >/dev/null 2>&1
check samples-exit-0 $?
svg_ok samples "$d/s.svg"
grep -q "values from the sensor's score samples (running totals)" "$d/s.svg"; check samples-used $?
"$tip" graph domain flux02.example-botnet.test -o "$d/l.svg" --store "$d/y/s1" --source lookups >/dev/null 2>&1
grep -q 'values from the lookups' "$d/l.svg"; check source-lookups-used $?
a=$(grep -o '<path class="score"[^>]*' "$d/s.svg"); b=$(grep -o '<path class="score"[^>]*' "$d/l.svg")
[ -n "$a" ] && [ "$a" = "$b" ]; check samples-equal-lookups $?
# two sensors' samples: auto counts the lookups, --source samples refuses
"$tip" graph domain flux02.example-botnet.test -o "$d/two.svg" --store "$d/y" >/dev/null 2>&1
check two-sensors-exit-0 $?
grep -q 'values from the lookups' "$d/two.svg"; check two-sensors-auto-uses-lookups $?
"$tip" graph domain flux02.example-botnet.test -o "$d/x.svg" --store "$d/y" --source samples >/dev/null 2>"$d/err"
[ $? = 2 ] && grep -q 'several sensors' "$d/err"; check two-sensors-samples-refused $?
"$tip" graph domain www.site001.example -o "$d/x.svg" --store "$d/y/s1" --source samples >/dev/null 2>&1
[ $? = 1 ]; check no-samples-exit-1 $?
# a window: --since/--until keep the picture inside it
"$tip" graph domain flux02.example-botnet.test -o "$d/win.svg" --store "$d/y/s1" --source lookups \
	--since 2025-01-01T05:00:00Z --until 2025-01-01T09:59:59Z >/dev/null 2>&1
n=$(grep -o '<path class="score"[^>]*' "$d/win.svg" | grep -o 'V' | wc -l)
[ "$n" = 4 ]; check window-five-lookups $? "$n steps"
# stdout
"$tip" graph domain flux02.example-botnet.test -o - --store "$d/y/s1" | xmllint --noout - 2>/dev/null
check stdout-well-formed $?

# ---- hostile names (mkyear --hostile): markup, quotes, bytes ------------------
i=0
while IFS= read -r -d '' name; do
	i=$((i + 1))
	"$tip" graph domain "$name" -o "$d/h$i.svg" --store "$d/y/s1" >/dev/null 2>"$d/err"
	rc=$?
	[ $rc = 0 ] && xmllint --noout "$d/h$i.svg" 2>/dev/null
	check "hostile-$i-well-formed" $? "rc=$rc $(head -2 "$d/err")"
done < <(printf '%s\0' 'a,b.evil.test' "q\"uote'.evil.test" $'new\nline.evil.test' \
	'<script>alert(1)</script>.evil.test' ']]>&amp;.evil.test' $'ctl\x01byte.evil.test' \
	$'del\x7f.evil.test' $'c1\xc2\x85nel.evil.test' $'bad\xffutf8.evil.test' $'half\xc3.evil.test' \
	'back\slash.evil.test')
[ $i = 11 ]; check hostile-all-11-drawn $?
! grep -q '<script' "$d"/h*.svg; check hostile-no-raw-markup $?
grep -q '<title>Fast-flux score of &lt;script&gt;alert(1)&lt;/script&gt;.evil.test</title>' "$d/h4.svg"
check hostile-markup-escaped $?
grep -q 'q&quot;uote&#39;.evil.test' "$d/h2.svg"; check hostile-quotes-escaped $?
grep -q 'bad\\xffutf8' "$d/h9.svg" && grep -q 'ctl\\x01byte' "$d/h6.svg" && grep -q 'c1\\xc2\\x85nel' "$d/h8.svg" &&
	grep -q 'new\\x0aline' "$d/h3.svg" && grep -q 'back\\\\slash' "$d/h11.svg"
check hostile-bytes-as-escapes $?
! LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' "$d"/h*.svg; check hostile-no-control-bytes $?

# ---- render once, when a renderer is there ---------------------------------
if command -v rsvg-convert >/dev/null 2>&1; then
	rsvg-convert -o "$d/f.png" "$d/f.svg" 2>"$d/err" && [ -s "$d/f.png" ]
	check renders-with-rsvg $? "$(head -2 "$d/err")"
else
	check renders-with-rsvg 1 "rsvg-convert not installed (librsvg2-bin) (a missing package is a fault of scripts/deps.sh, which installs it)"
fi

# ---- a damaged segment: reported, the rest still drawn ----------------------
cp -r "$d/cof" "$d/dmg"
seg=$(ls "$d/dmg/log/"*.tlog | head -1)
# the second record of the name, found by tip dump
off=$("$tip" dump "$d/dmg" | grep '"name":"flux03.example-botnet.test"' | sed -n 2p | sed 's/.*"offset":\([0-9]*\).*/\1/')
printf 'garbage' | dd of="$seg" bs=1 seek=$((off + 10)) conv=notrunc 2>/dev/null
"$tip" graph domain flux03.example-botnet.test -o "$d/dmg.svg" --store "$d/dmg" >/dev/null 2>"$d/err"
rc=$?
[ $rc = 1 ] && grep -q 'dmg/log/.*tlog:[0-9]*: ' "$d/err" && xmllint --noout "$d/dmg.svg" 2>/dev/null
check damaged-segment-reported-graph-written $? "rc=$rc $(head -2 "$d/err")"

# ---- errors ---------------------------------------------------------------
"$tip" graph domain no-such.test -o "$d/none.svg" --store "$d/cof" >/dev/null 2>"$d/err"
[ $? = 1 ] && [ ! -e "$d/none.svg" ] && grep -q 'no observation' "$d/err"
check unknown-domain-exit-1-no-file $?
bad() {	# NAME, then the arguments: exit 2 and "tip graph:" on stderr
	local name=$1; shift
	"$tip" graph "$@" >/dev/null 2>"$d/err"
	local rc=$?
	[ $rc = 2 ] && grep -q '^tip graph: ' "$d/err"; check "bad-args-$name" $? "rc=$rc $(head -c 200 "$d/err")"
}
bad no-output domain x.test --store "$d/cof"
bad no-store domain x.test -o "$d/x.svg"
bad no-name domain -o "$d/x.svg" --store "$d/cof"
bad ip-not-supported ip 192.0.2.1 -o "$d/x.svg" --store "$d/cof"
bad unknown-option domain x.test -o "$d/x.svg" --store "$d/cof" --colour red
bad bad-source domain x.test -o "$d/x.svg" --store "$d/cof" --source guess
bad bad-since domain x.test -o "$d/x.svg" --store "$d/cof" --since never
bad unknown-store domain x.test -o "$d/x.svg" --store "$d/nope"
bad unwritable-output domain www.site3.example -o "$d/no/such/dir/x.svg" --store "$d/cof"

[ $fails = 0 ]
