#!/bin/bash
# Integration test of `tip serve` at the HTTP level, with curl and a small
# python3 client for what curl will not send (oversized, malformed, slow
# and pipelined requests).  Data: `tip import cof` of the generated sample
# and of names carrying markup, the mkserve helper's store whose PTR and
# AS names carry script, and the ASN table of ../shared/data/asn when
# present.  The server listens on 127.0.0.1 port 0 (a free port the
# kernel picks) and says which on stderr.
# The browser steps install playwright-core with npm (tests/browser/run.sh):
# network: package archives
# Prints ok/not ok/skip lines; exits non-zero when anything failed.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
if [ ! -x "$tip" ]; then
	echo "not ok serve: $tip not built"
	exit 1
fi
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "not ok serve: curl and python3 are needed (a missing package is a fault of scripts/deps.sh, which installs it)"
	exit 1
fi
d=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

# ---- data -------------------------------------------------------------------
hostile_cof() {
	local t=1764000000 i=0
	for n in '<script>alert(1)<\/script>.example' '\"onmouseover=alert(1)\".example' \
		"x' onfocus='alert(1).example" '<img src=x onerror=alert(1)>.evil.test'; do
		i=$((i + 1))
		printf '{"rrname":"%s","rrtype":"A","rdata":[' "$n"
		for k in 1 2 3 4 5 6 7 8; do printf '%s"%d.%d.1.%d"' "$([ $k = 1 ] || echo ,)" $((k * 20 + 3)) $((i * 9)) $k; done
		printf '],"time_first":%d,"time_last":%d,"count":2,"sensor_id":"h"}\n' $t $((t + 60))
	done
}
mkdir -p "$d/all"
scripts/sample-cof.sh | "$tip" import cof - --store "$d/all/s1" --sensor s1 >/dev/null 2>&1
check import-sample $?
hostile_cof | "$tip" import cof - --store "$d/all/s2" --sensor s2 >/dev/null 2>&1
check import-hostile $?
if [ -x "$O/tests/mkserve" ]; then
	"$O/tests/mkserve" hostile "$d/all/s3" >/dev/null 2>&1
	check mkserve-hostile-store $?
	have_ptr=1
else
	echo "skip hostile-ptr: $O/tests/mkserve not built"
	have_ptr=0
fi
# passive DNS with TTLs (60 and 300) and two NS sets, the second seen thrice
{
	echo '1764003600||10.0.0.1||192.0.2.53||IN||ttl.flux-sample.test.||A||198.51.100.1||60||1'
	echo '1764003700||10.0.0.1||192.0.2.53||IN||ttl.flux-sample.test.||A||198.51.100.2||300||1'
	echo '1764003800||10.0.0.1||192.0.2.53||IN||ttl.flux-sample.test.||NS||ns1.flux-sample.test.||3600||1'
	echo '1764007400||10.0.0.1||192.0.2.53||IN||ttl.flux-sample.test.||NS||ns2.flux-sample.test.||3600||3'
	echo '1764010000||10.0.0.1||192.0.2.53||IN||ttl.flux-sample.test.||A||NXDOMAIN||0||2'
} >"$d/ttl.log"
"$tip" import passivedns "$d/ttl.log" --store "$d/all/s4" --sensor s4 >/dev/null 2>&1
check import-passivedns-ttls $?
asn=""
data=../shared/data/asn
if [ -f "$data/asn-ipv4.csv.gz" ] && [ -f "$data/asn-country-ipv4.csv" ]; then
	zcat "$data/asn-ipv4.csv.gz" >"$d/asn.csv"
	"$tip" asn import --asn "$d/asn.csv" --country "$data/asn-country-ipv4.csv" -o "$d/asn.db" >/dev/null 2>&1
	check asn-table $?
	asn="--asn $d/asn.db"
else
	echo "skip asn-table: ../shared/data/asn is absent"
fi

# ---- server -------------------------------------------------------------------
start() {	# start tip serve with the given arguments; sets pid, port, u
	# emptied first: the background child opens the log only when it
	# runs, and the loop below must not read the last server's port
	: >"$d/serve.log"
	"$tip" serve --listen 127.0.0.1:0 "$@" 2>"$d/serve.log" &
	pid=$!
	port=""
	# Up to 60 s: an ASan build on a loaded 2-core machine can take more
	# than 10 s to list the stores before it listens.
	for _ in $(seq 600); do
		port=$(sed -n 's|^tip serve: listening on http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$d/serve.log")
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	u=http://127.0.0.1:$port
	[ -n "$port" ]
}
stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	local rc=$?
	pid=""
	return $rc
}
start --store "$d/all" $asn --timeout 1
check server-starts $? "$(cat "$d/serve.log")"

# GET: status and body to $d/body, headers to $d/hdr
get() { curl -s --path-as-is -D "$d/hdr" -o "$d/body" -w '%{http_code}' "$@"; }
status_is() {	# NAME WANT URL [curl args]
	local name=$1 want=$2; shift 2
	local got; got=$(get "$@")
	[ "$got" = "$want" ]; check "$name" $? "status $got, want $want"
}

# ---- pages and routes -------------------------------------------------------
status_is root-200 200 "$u/"
grep -q '<table id="flux">' "$d/body"; check root-is-flux-table $?
status_is flux-200 200 "$u/flux"
grep -qi '^content-type: text/html; charset=utf-8' "$d/hdr"; check flux-content-type $?
if [ -n "$asn" ]; then
	n=$(grep -c '<tr class="flux"><td><a href="/domain?name=flux[0-9]*\.example-botnet\.test">' "$d/body")
	[ "$n" = 12 ]; check flux-table-lists-12-botnet-names $? "got $n"
fi
status_is flux-sorted-by-domain 200 "$u/flux?sort=domain&order=asc&min=0"
grep -o 'href="/domain?name=[^"]*"' "$d/body" | sed 's/.*name=//; s/"$//' >"$d/names"
sort -c "$d/names" 2>/dev/null && [ "$(wc -l <"$d/names")" -gt 20 ]
check flux-sort-domain-ascending $?
status_is flux-sorted-by-hosts 200 "$u/flux?sort=hosts&order=asc&min=0"
grep -o '</a></td><td class="n">[0-9.]*</td><td class="n">[0-9]*' "$d/body" | sed 's/.*>//' >"$d/hosts"
sort -n -c "$d/hosts" && [ "$(wc -l <"$d/hosts")" -gt 20 ]; check flux-sort-hosts-ascending $?
status_is flux-window-empty 200 "$u/flux?since=2030-01-01&min=0"
! grep -q 'href="/domain?name=' "$d/body"; check flux-window-filters-rows $?
status_is flux-min-score-high 200 "$u/flux?min=100000"
! grep -q 'href="/domain?name=' "$d/body"; check flux-min-score-filters-rows $?
status_is flux-paging 200 "$u/flux?min=0&n=5&page=2"
[ "$(grep -c 'href="/domain?name=' "$d/body")" = 5 ] && grep -q 'rel="prev"' "$d/body" && grep -q 'rel="next"' "$d/body"
check flux-page-2-of-5-rows $?
status_is flux-bad-min-400 400 "$u/flux?min=lots"
status_is flux-page-plus-400 400 "$u/flux?min=0&page=%2B2"	# digits only: not "+2"
status_is flux-page-blank-400 400 "$u/flux?min=0&page=%202"
status_is flux-n-zero-400 400 "$u/flux?min=0&n=0"
status_is search-prefix-signed-bits-not-a-prefix 404 "$u/search?q=192.0.2.0/%2B24"
status_is flux-bad-since-400 400 "$u/flux?since=yesterday"
status_is flux-bad-sort-400 400 "$u/flux?sort=%3Cx%3E"
status_is flux-since-after-until-400 400 "$u/flux?since=2026-01-01&until=2025-01-01"

status_is domain-200 200 "$u/domain?name=flux03.example-botnet.test"
grep -q '<figure id="graph"><svg ' "$d/body" && grep -q '<path class="score"' "$d/body"
check domain-inline-svg-graph $?
# the page draws what tip graph draws from the same stores: the same series, axes and caption
"$tip" graph domain flux03.example-botnet.test --store "$d/all" $asn -o "$d/graph.svg" 2>/dev/null
sed -n '/<figure id="graph">/,/<\/svg>/p' "$d/body" | sed 's/^<figure id="graph">//' >"$d/page.svg"
[ "$(grep -c '<path class=' "$d/page.svg")" = 3 ] && grep -q 'FAST-FLUX' "$d/page.svg" &&
	sed 1d "$d/graph.svg" | cmp -s - "$d/page.svg"
check domain-graph-same-as-tip-graph $? "$(sed 1d "$d/graph.svg" | diff - "$d/page.svg" | head -4)"
grep -q '<table id="a-records">' "$d/body" && [ "$(id=a-records; sed -n 's|.*<table id="a-records"><thead><tr>\(.*\)</tr></thead>.*|\1|p' "$d/body" | sed 's/<[^>]*>//g; s/ &#9650;//')" = "IP AddressHostnameASN (name)CountryFirst seenLast seenCount" ]
check domain-a-record-table $?
n=$(grep -c '<tr><td><a href="/ip?a=' "$d/body")
h=$("$tip" query domain flux03.example-botnet.test --store "$d/all" --format json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["running"]["hosts"])')
[ "$n" = "$h" ]; check domain-one-row-per-address $? "$n rows, $h hosts"
grep -q 'id="per-answer">5.00' "$d/body"; check domain-answers-per-lookup $?
grep -q 'id="ttl"' "$d/body" && grep -q 'NS history' "$d/body"; check domain-ttl-and-ns-sections $?
if [ -n "$asn" ]; then
	s=$("$tip" query domain flux03.example-botnet.test --store "$d/all" $asn --format json | python3 -c 'import json,sys; print("%.2f" % json.loads(sys.stdin.readline())["score"])')
	grep -q "<dd id=\"score\">$s " "$d/body"; check domain-score-equals-query $? "query says $s"
	s=$("$tip" query domain flux03.example-botnet.test --store "$d/all" $asn --format json | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline())["running"]; print("%.2f (%d hosts in %d ASNs)" % (r["score"], r["hosts"], r["asns"]))')
	grep -qF "<dd id=\"running\">$s</dd>" "$d/body"; check domain-running-equals-query $? "query says $s"
	grep -Eq '<td>[0-9]+ \([^<]+\)</td><td>[A-Z][A-Z]</td>' "$d/body"; check domain-asn-name-country $?
fi
status_is domain-case-insensitive 200 "$u/domain?name=FLUX03.Example-Botnet.Test."
status_is domain-unknown-404 404 "$u/domain?name=no-such.test"
status_is domain-no-name-400 400 "$u/domain"
status_is domain-nul-400 400 "$u/domain?name=a%00b"
status_is domain-bad-escape-400 400 "$u/domain?name=a%zz"

status_is ip-200 200 "$u/ip?a=192.0.2.13"
grep -q 'href="/domain?name=www.site3.example"' "$d/body"; check ip-lists-domain $?
grep -q '<dt>Observations</dt><dd>144</dd>' "$d/body"; check ip-observation-count $?
status_is ip-bad-400 400 "$u/ip?a=1.2.3.999"
status_is ip-unknown-404 404 "$u/ip?a=203.0.113.250"
status_is ip-v6-unknown-404 404 "$u/ip?a=2001:db8::1"

status_is search-ip-302 302 "$u/search?q=192.0.2.13"
grep -qi '^location: /ip?a=192.0.2.13' "$d/hdr"; check search-ip-location $?
status_is search-domain-302 302 "$u/search?q=%20WWW.Site3.Example%20"
grep -qi '^location: /domain?name=www.site3.example' "$d/hdr"; check search-domain-location $?
status_is search-part-200 200 "$u/search?q=example-botnet"
n=$(grep -c 'href="/domain?name=flux' "$d/body"); [ "$n" = 12 ]; check search-part-lists-12 $? "got $n"
status_is search-prefix-200 200 "$u/search?q=192.0.2.0/28"
n=$(grep -c '<tr><td><a href="/ip?a=192\.0\.2\.' "$d/body"); [ "$n" = 6 ]; check search-prefix-addresses $? "got $n"
status_is search-nothing-404 404 "$u/search?q=zzzz-nothing"
status_is search-empty-200 200 "$u/search?q="
status_is search-crlf-not-found 404 "$u/search?q=a.b%0d%0aSet-Cookie:%20x=1"
! grep -qi '^set-cookie' "$d/hdr"; check search-no-header-injection $?

status_is sensors-200 200 "$u/sensors"
grep -q '<td>s1</td>' "$d/body" && grep -q '<td>s2</td>' "$d/body"; check sensors-lists-stores $?
grep -q 'class="good">ok</span>' "$d/body" && ! grep -q 'with errors' "$d/body"; check sensors-check-ok $?
status_is style-200 200 "$u/style.css"
grep -qi '^content-type: text/css' "$d/hdr"; check style-content-type $?

# ---- downloads: the bytes tip query prints --------------------------------
# ---- tables: sorted and paged by the server; the window in every link -------
W_SINCE=2025-11-24T18:00:00Z
W_UNTIL=2025-11-25T12:00:00Z
win="since=$W_SINCE&until=$W_UNTIL"
cat >"$d/links.py" <<'PYEOF'
# links.py FILE SINCE UNTIL: every link to a page of ours (but the stylesheet
# and an "all times" link) and the search form carry the window.
import html, re, sys, urllib.parse
body = open(sys.argv[1], encoding="utf-8").read()
since, until = sys.argv[2], sys.argv[3]
bad, n = [], 0
for m in re.finditer(r'<a [^>]*href="(/[^"]*)"[^>]*>(.*?)</a>', body, re.S):
    href, text = html.unescape(m.group(1)), m.group(2)
    if href.startswith("/style.css") or "all times" in text:
        continue
    n += 1
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    if q.get("since") != [since] or q.get("until") != [until]:
        bad.append(href)
form = re.search(r'<form class="search".*?</form>', body, re.S)
if not form or 'name="since" value="%s"' % since not in form.group(0) or \
        'name="until" value="%s"' % until not in form.group(0):
    bad.append("the search form drops the window")
if bad or n == 0:
    print("%d links, without the window: %s" % (n, " ".join(bad[:3])))
    sys.exit(1)
PYEOF
keeps_window() {	# NAME URL: the page's links and search form keep $win
	local name=$1 url=$2 got
	got=$(get "$u$url")
	local why; why=$(python3 "$d/links.py" "$d/body" "$W_SINCE" "$W_UNTIL" 2>&1)
	[ "$got" -lt 500 ] && [ -z "$why" ]; check "window-in-links $name" $? "status $got; $why"
}
keeps_window flux "/flux?$win&min=0"
keeps_window domain "/domain?name=flux03.example-botnet.test&$win&n=20&lk_n=1&ns_n=1"
keeps_window ip "/ip?a=192.0.2.13&$win"
keeps_window prefix "/search?q=192.0.2.0/24&$win&n=5"
keeps_window wildcard "/search?q=%2A.example-botnet.test&$win&n=5"
keeps_window substring "/search?q=botnet&$win&n=5"
keeps_window sensors "/sensors?$win"
keeps_window sources "/sources?$win"
keeps_window indicator "/indicator?v=192.0.2.13&$win"
status_is search-ip-keeps-window 302 "$u/search?q=192.0.2.13&$win"
grep -qi "^location: /ip?a=192.0.2.13&since=2025-11-24T18%3a00%3a00Z&until=" "$d/hdr"
check search-redirect-keeps-window $? "$(grep -i '^location' "$d/hdr")"

# the domain page's A table: sorted by the server, paged, every row once
col() {	# N: the Nth cell of each row of table $id in $d/body, tags removed
	python3 - "$d/body" "$id" "$1" <<'PYEOF'
import html, re, sys
body = open(sys.argv[1], encoding="utf-8").read()
t = re.search(r'<table id="%s">.*?<tbody>(.*?)</tbody>' % re.escape(sys.argv[2]), body, re.S)
for row in re.findall(r"<tr[^>]*>(.*?)</tr>", t.group(1) if t else "", re.S):
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    print(html.unescape(re.sub(r"<[^>]+>", "", cells[int(sys.argv[3]) - 1])))
PYEOF
}
id=a-records
dom="$u/domain?name=flux03.example-botnet.test"
status_is domain-a-sort-count 200 "$dom&sort=count&order=desc"
col 7 >"$d/c1"; sort -n -r -c "$d/c1" 2>/dev/null && [ "$(wc -l <"$d/c1")" -gt 100 ]
check domain-a-sorted-by-count-desc $? "$(head -3 "$d/c1" | tr '\n' ' ')"
! sort -n -c "$d/c1" 2>/dev/null; check domain-a-count-not-ascending $?
status_is domain-a-sort-last 200 "$dom&sort=last&order=asc"
col 6 >"$d/c1"; sort -c "$d/c1" 2>/dev/null; check domain-a-sorted-by-last-asc $?
status_is domain-a-default-by-address 200 "$dom"
col 1 >"$d/all-ips"; sort -V -c "$d/all-ips" 2>/dev/null; check domain-a-default-address-order $?
: >"$d/paged"
pages=0
for pg in 1 2 3 4 5 6 7; do
	get "$dom&sort=count&order=desc&n=50&page=$pg" >/dev/null
	col 1 >>"$d/paged"
	pages=$((pages + 1))
	grep -q 'rel="next"' "$d/body" || break
done
na=$(wc -l <"$d/all-ips")
[ "$pages" = 7 ] && [ "$na" -gt 300 ] && [ "$na" -le 350 ] && grep -q "Addresses 301 to $na of $na (page 7 of 7)" "$d/body" && grep -q 'rel="prev"' "$d/body" &&
	grep -q 'rel="first"' "$d/body" && ! grep -q 'rel="last"' "$d/body"
check domain-a-last-page $? "$pages pages; $(grep -o '<p class="pages"[^<]*' "$d/body" | head -1)"
[ "$(sort "$d/paged" | uniq | wc -l)" = "$(wc -l <"$d/all-ips")" ] && [ "$(wc -l <"$d/paged")" = "$(wc -l <"$d/all-ips")" ] &&
	[ "$(sort "$d/paged")" = "$(sort "$d/all-ips")" ]
check domain-a-pages-cover-every-address-once $? "$(wc -l <"$d/paged") rows over the pages, $(wc -l <"$d/all-ips") addresses"
get "$dom&sort=count&order=desc&n=50&page=2" >/dev/null
grep -q 'href="/domain?name=flux03.example-botnet.test&amp;sort=count&amp;order=desc&amp;page=3&amp;n=50"' "$d/body"
check domain-a-next-keeps-sort $?
status_is domain-a-page-past-end 200 "$dom&n=50&page=99"
grep -q "(page 7 of 7)" "$d/body"; check domain-a-page-past-end-shows-last $?
status_is domain-bad-sort-400 400 "$dom&sort=nope"
grep -q 'sort (one of ip host asn country first last count)' "$d/body"; check domain-bad-sort-says-keys $?
status_is domain-bad-lk-order-400 400 "$dom&lk_order=up"
status_is domain-bad-n-400 400 "$dom&ns_n=0"
id=lookups
status_is domain-lookups-sort 200 "$u/domain?name=ttl.flux-sample.test&lk_sort=count&lk_order=desc"
col 3 >"$d/c1"; [ "$(wc -l <"$d/c1")" -ge 3 ] && sort -n -r -c "$d/c1" 2>/dev/null; check domain-lookups-sorted-by-count $? "$(tr '\n' ' ' <"$d/c1")"
status_is domain-lookups-sort-asc 200 "$u/domain?name=ttl.flux-sample.test&lk_sort=count&lk_order=asc"
col 3 >"$d/c1"; sort -n -c "$d/c1" 2>/dev/null; check domain-lookups-sorted-by-count-asc $?
# the TTLs an import of passive DNS carries are shown
status_is domain-ttls-seen 200 "$u/domain?name=ttl.flux-sample.test"
grep -q '<dd id="ttl">60 s to 3600 s' "$d/body"; check domain-ttls-seen-range $? "$(grep -o '<dd id="ttl">[^<]*' "$d/body")"
id=lookups
col 4 | grep '^60, 300$' >/dev/null; check domain-ttls-in-lookup-table $? "$(col 4 | head -2 | tr '\n' ' ')"
status_is domain-ttl-zero-explained 200 "$dom"
grep -q '<dd id="ttl">0 s only: not recorded by the source' "$d/body"; check domain-cof-ttl-not-recorded $?
id=ns-history
status_is domain-ns-sort 200 "$u/domain?name=ttl.flux-sample.test&ns_sort=count&ns_order=desc"
col 4 >"$d/c1"; [ "$(cat "$d/c1" | tr '\n' ' ')" = "3 1 " ]; check domain-ns-sorted-by-count $? "$(cat "$d/c1" | tr '\n' ' ')"
status_is domain-ns-sort-asc 200 "$u/domain?name=ttl.flux-sample.test&ns_sort=count&ns_order=asc"
col 4 >"$d/c1"; [ "$(cat "$d/c1" | tr '\n' ' ')" = "1 3 " ]; check domain-ns-sorted-by-count-asc $? "$(cat "$d/c1" | tr '\n' ' ')"

# empty tables say why
status_is domain-ns-empty 200 "$dom"
grep -q '<p class="muted empty" id="ns-history-none">No NS answer recorded' "$d/body"; check domain-ns-empty-says-why $?
status_is flux-empty-window 200 "$u/flux?since=2030-01-01&min=0"
grep -q 'id="flux-none">No name was looked up' "$d/body"; check flux-empty-says-why $?
status_is flux-empty-min 200 "$u/flux?min=100000"
grep -q 'id="flux-none">No name scores at or above the minimum' "$d/body"; check flux-empty-min-says-why $?
status_is prefix-empty-window 200 "$u/search?q=192.0.2.0/28&since=2030-01-01"
grep -q 'id="addresses-none">No answer held an address in this prefix in the time window' "$d/body"
check prefix-window-filters-and-says-why $?
status_is wildcard-empty-window 404 "$u/search?q=%2A.example-botnet.test&since=2030-01-01"
grep -q 'id="matches-none">No name seen in the time window matches' "$d/body"; check wildcard-window-empty-says-why $?
status_is sources-empty 200 "$u/sources"
grep -q 'id="sources-none">No feed record in the stores' "$d/body"; check sources-empty-says-why $?
status_is indicator-empty 200 "$u/indicator?v=192.0.2.13"
grep -q 'id="listings-none">No source listed this address' "$d/body"; check indicator-empty-says-why $?
status_is sensors-window-empty 200 "$u/sensors?since=2030-01-01"
grep -q 'id="segments-0-none">No segment of this store holds records in the time window' "$d/body" &&
	grep -q '<td class="n">0 (0 sealed, 0 active)</td>' "$d/body"
check sensors-window-filters-segments $?

# the other tables sort and page too
id=addresses
status_is prefix-sort-count 200 "$u/search?q=192.0.2.0/24&sort=count&order=desc"
col 7 >"$d/c1"; sort -n -r -c "$d/c1" 2>/dev/null && [ "$(wc -l <"$d/c1")" -gt 5 ]; check prefix-sorted-by-count $?
status_is prefix-page-2 200 "$u/search?q=192.0.2.0/24&n=2&page=2"
[ "$(col 1 | wc -l)" = 2 ] && grep -q 'rel="prev"' "$d/body"; check prefix-paged $?
id=matches
status_is substring-sort-domain 200 "$u/search?q=botnet&sort=domain&order=desc"
col 1 >"$d/c1"; sort -r -c "$d/c1" 2>/dev/null && [ "$(wc -l <"$d/c1")" = 12 ]; check substring-sorted-by-domain-desc $?
status_is wildcard-page-2 200 "$u/search?q=%2A.example-botnet.test&n=5&page=3"
[ "$(col 1 | wc -l)" = 2 ] && grep -q 'Names 11 to 12 of 12' "$d/body"; check wildcard-paged $?
id=sensors
status_is sensors-sort-records 200 "$u/sensors?sort=records&order=desc"
col 4 >"$d/c1"; sort -n -r -c "$d/c1" 2>/dev/null && [ "$(wc -l <"$d/c1")" -ge 3 ]; check sensors-sorted-by-records $? "$(tr '\n' ' ' <"$d/c1")"
status_is sensors-sort-records-asc 200 "$u/sensors?sort=records&order=asc"
col 4 >"$d/c1"; sort -n -c "$d/c1" 2>/dev/null; check sensors-sorted-by-records-asc $?
status_is sensors-bad-sort-400 400 "$u/sensors?g1_sort=zz"

dl_same() {	# NAME URL query-args...
	local name=$1 url=$2; shift 2
	local got; got=$(get "$u$url")
	"$tip" query "$@" --store "$d/all" $asn >"$d/want" 2>/dev/null
	[ "$got" = 200 ] && cmp -s "$d/body" "$d/want"; check "$name" $? "status $got; $(cmp "$d/body" "$d/want" 2>&1 | head -1)"
}
dl_same download-flux-csv "/flux.csv?min=0" flux --min-score 0 --format csv
dl_same download-flux-cof "/flux.cof?min=0" flux --min-score 0 --format cof
dl_same download-domain-csv "/domain.csv?name=flux01.example-botnet.test" domain flux01.example-botnet.test --format csv
dl_same download-domain-cof "/domain.cof?name=flux01.example-botnet.test" domain flux01.example-botnet.test --format cof
dl_same download-ip-csv "/ip.csv?a=192.0.2.13" ip 192.0.2.13 --format csv
dl_same download-ip-cof "/ip.cof?a=192.0.2.13" ip 192.0.2.13 --format cof
get "$u/domain.csv?name=flux01.example-botnet.test" >/dev/null
grep -qi '^content-disposition: attachment' "$d/hdr"; check download-is-attachment $?

# ---- hostile names are text ----------------------------------------------
markup_free() {	# FILE: no tag or attribute from a payload survives
	! grep -Eq '<script>alert|<script>window|<img src=x|<b>ns</b>|"onmouseover=|'"'"'onfocus='"'"'|" onerror=' "$1"
}
status_is hostile-flux-200 200 "$u/flux?min=0&n=1000"
markup_free "$d/body"; check hostile-flux-no-markup $?
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;.example' "$d/body" && grep -q '&quot;onmouseover=alert(1)&quot;.example' "$d/body"
check hostile-flux-shown-escaped $?
grep -q 'href="/domain?name=%3cscript%3ealert%281%29%3c%2fscript%3e.example"' "$d/body"
check hostile-link-url-encoded $?
status_is hostile-domain-200 200 "$u/domain?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E.example"
markup_free "$d/body"; check hostile-domain-no-markup $?
grep -q '<span id="name">&lt;script&gt;alert(1)&lt;/script&gt;.example</span>' "$d/body"; check hostile-domain-title-text $?
status_is hostile-quote-domain-200 200 "$u/domain?name=x%27%20onfocus%3D%27alert(1).example"
markup_free "$d/body"; check hostile-quote-domain-no-markup $?
status_is hostile-search-404 404 "$u/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
markup_free "$d/body" && grep -q 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' "$d/body"
check hostile-search-box-escaped $?
if [ "$have_ptr" = 1 ]; then
	status_is hostile-ptr-domain-200 200 "$u/domain?name=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.example"
	markup_free "$d/body" && grep -q '&lt;script&gt;window.__pwned=1&lt;/script&gt;.ptr.example' "$d/body"
	check hostile-ptr-escaped $?
	grep -q '&lt;script&gt;window.__pwned=3&lt;/script&gt;AS &quot;evil&quot; &amp; co' "$d/body"
	check hostile-as-name-escaped $?
	grep -q '\\u202eelpmaxe.ptr' "$d/body"; check hostile-bidi-override-shown $?
	status_is hostile-ptr-ip-200 200 "$u/ip?a=30.1.7.1"
	markup_free "$d/body"; check hostile-ip-page-no-markup $?
	status_is hostile-ns-200 200 "$u/domain?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E.example"
	grep -q '&lt;b&gt;ns&lt;/b&gt;.example' "$d/body" && markup_free "$d/body"; check hostile-ns-name-escaped $?
fi

# ---- headers, methods, traversal -------------------------------------------
for path in / /flux /nope "/flux?min=x" /style.css "/domain?name=flux01.example-botnet.test"; do
	get "$u$path" >/dev/null
	grep -qi "^content-security-policy: default-src 'none'; style-src 'self'" "$d/hdr" &&
		grep -qi '^x-content-type-options: nosniff' "$d/hdr" && grep -qi "frame-ancestors 'none'" "$d/hdr"
	check "security-headers $path" $?
done
status_is not-found-404 404 "$u/favicon.ico"
for path in '/../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/style.css/../../../../etc/passwd' \
	'/..%2f..%2f..%2fetc%2fpasswd' '//etc/passwd' '/flux/../../etc/passwd' '/%2e%2e%5c%2e%2e%5cetc%5cpasswd'; do
	code=$(get "$u$path")
	{ [ "$code" = 404 ] || [ "$code" = 400 ]; } && ! grep -q 'root:' "$d/body"
	check "traversal $path" $? "status $code"
done
code=$(curl -s -o "$d/body" -D "$d/hdr" -w '%{http_code}' -X POST -d 'x=1' "$u/flux")
[ "$code" = 405 ] && grep -qi '^allow: GET, HEAD' "$d/hdr"; check post-405-allow $? "status $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$u/")
[ "$code" = 405 ]; check delete-405 $?
# HEAD: the GET's headers, no body
get "$u/sensors" >/dev/null
glen=$(wc -c <"$d/body")
hlen=$(curl -s -I "$u/sensors" | tr -d '\r' | sed -n 's/^Content-Length: //Ip')
n=$(curl -s -X HEAD --max-time 5 -o "$d/hbody" -w '%{size_download}' "$u/sensors" 2>/dev/null)
[ "$hlen" = "$glen" ] && [ "${n:-0}" = 0 ]; check head-same-length-no-body $? "HEAD $hlen GET $glen body $n"

# ---- raw requests: limits, bad heads, slow clients, pipelining ------------------
cat >"$d/raw.py" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)
def ask(data, wait_close=True):
    s = conn()
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if not wait_close and b"\r\n\r\n" in out:
                break
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return out
def status(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except Exception:
        return 0
name = sys.argv[2]
if name == "status":            # status of one raw request given as a python literal
    print(status(ask(eval(sys.argv[3]))))
elif name == "answer":          # the whole answer to one, as text
    sys.stdout.write(ask(eval(sys.argv[3])).decode("latin-1"))
elif name == "pipeline":        # two requests in one write: two answers, in order
    r = ask(b"GET /style.css HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    print(r.count(b"HTTP/1.1 200 OK"), r.count(b"HTTP/1.1 404 Not Found"), r.find(b"200 OK") < r.find(b"404 Not"))
elif name == "keepalive":       # two requests one after the other on one connection
    s = conn()
    n = 0
    for _ in range(2):
        s.sendall(b"GET /style.css HTTP/1.1\r\nHost: a\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, body = buf.split(b"\r\n\r\n", 1)
        ln = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        while len(body) < ln:
            body += s.recv(65536)
        n += head.startswith(b"HTTP/1.1 200")
    print(n)
elif name == "slowloris":       # a stalled and a dribbling client; others are served meanwhile
    stalled = conn()
    stalled.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
    idle = [conn() for _ in range(50)]
    drip = conn()
    drip.sendall(b"G")
    served = 0
    for _ in range(3):
        r = ask(b"GET /style.css HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        served += status(r) == 200
    # the stalled client is still connected while the others were served
    stalled.setblocking(False)
    try:
        alive = 0 if stalled.recv(1, socket.MSG_PEEK) == b"" else 1
    except BlockingIOError:
        alive = 1
    stalled.setblocking(True)
    stalled.settimeout(15)
    # the dribbler keeps sending a byte at a time; its deadline still ends it
    drip.settimeout(0.2)
    got = b""
    for ch in b"ET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"y" * 200:
        try:
            drip.sendall(bytes([ch]))
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            b = drip.recv(65536)
            if not b:
                break
            got += b
            break
        except socket.timeout:
            pass
        except ConnectionResetError:
            break
    stalled_resp = b""
    try:
        while True:
            b = stalled.recv(65536)
            if not b:
                break
            stalled_resp += b
    except (socket.timeout, ConnectionResetError):
        pass
    print(served, alive, status(stalled_resp), status(got))
    for s in idle:
        s.close()
EOF
raw() { timeout 60 python3 "$d/raw.py" "$port" "$@"; }
r=$(raw status 'b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"'); [ "$r" = 414 ]; check uri-too-long-414 $? "got $r"
r=$(raw status 'b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"'); [ "$r" = 431 ]; check header-too-large-431 $? "got $r"
r=$(raw status 'b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-N: 1\r\n" * 100 + b"\r\n"'); [ "$r" = 431 ]; check too-many-headers-431 $? "got $r"
r=$(raw status 'b"HELLO\r\n\r\n"'); [ "$r" = 400 ]; check garbage-400 $? "got $r"
r=$(raw status 'b"GET / HTTP/1.1\r\n\r\n"'); [ "$r" = 400 ]; check no-host-400 $? "got $r"
r=$(raw status 'b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n"'); [ "$r" = 400 ]; check nul-in-target-400 $? "got $r"
r=$(raw status 'b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"'); [ "$r" = 400 ]; check obs-fold-400 $? "got $r"
r=$(raw answer 'b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"')
case $r in "HTTP/1.1 400 "*"could not be served: <code>at byte 32</code>"*) true ;; *) false ;; esac
check bad-head-page-says-where $? "$(printf '%s' "$r" | grep -o 'could not be served[^<]*<code>[^<]*' | head -1)"
r=$(raw status 'b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"'); [ "$r" = 505 ]; check http2-version-505 $? "got $r"
r=$(raw status 'b"GET http://evil.test/ HTTP/1.1\r\nHost: a\r\n\r\n"'); [ "$r" = 400 ]; check absolute-form-400 $? "got $r"
r=$(raw status 'b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"'); [ "$r" = 400 ]; check two-content-lengths-400 $? "got $r"
r=$(raw status 'b"GET / HTTP/1.0\r\n\r\n"'); [ "$r" = 200 ]; check http10-200 $? "got $r"
r=$(raw pipeline); [ "$r" = "1 1 True" ]; check pipelined-requests-answered-in-order $? "got $r"
r=$(raw keepalive); [ "$r" = 2 ]; check keep-alive-two-requests $? "got $r"
r=$(raw slowloris)
[ "$r" = "3 1 408 408" ]; check slow-clients-do-not-block-others $? "served, stalled-alive, stalled-status, dribbler-status: $r"
# the server still answers after all that
status_is still-serving 200 "$u/style.css"

# ---- in a browser (tests/browser/run.sh: Chromium, screenshots in $O/screenshots) ----
if [ "${SKIP_BROWSER:-}" = 1 ]; then
	echo "skip browser: SKIP_BROWSER=1"
else
	bash tests/browser/run.sh "$O" "$u" >"$d/browser.out" 2>&1
	brc=$?
	cat "$d/browser.out"
	if [ $brc != 0 ] && ! grep -q '^not ok' "$d/browser.out"; then
		nok browser "tests/browser/run.sh exited $brc"
	fi
	fails=$((fails + $(grep -c '^not ok' "$d/browser.out")))
fi

# ---- the cache follows the stores ----------------------------------------------
get "$u/flux?min=0&n=1000" >/dev/null
! grep -q 'late-arrival' "$d/body"; check cache-before-import $?
printf '{"rrname":"late-arrival.example","rrtype":"A","rdata":["198.18.0.1"],"time_first":1764000000,"time_last":1764000000}\n' |
	"$tip" import cof - --store "$d/all/s2" >/dev/null 2>&1
get "$u/flux?min=0&n=1000" >/dev/null
grep -q 'late-arrival.example' "$d/body"; check cache-sees-new-segment $?

# ---- stop -------------------------------------------------------------------------
stop; rc=$?
[ $rc = 0 ] && grep -q 'tip serve: stopped' "$d/serve.log"; check sigterm-graceful-exit-0 $? "rc=$rc"
start --store "$d/all"
kill -INT "$pid"; wait "$pid"; rc=$?; pid=""
[ $rc = 0 ]; check sigint-exit-0 $? "rc=$rc"

# ---- the sensors page reports a sealed segment without its index ---------------------
mkdir -p "$d/dmg"
cp -r "$d/all/s1" "$d/dmg/s1"
rm -f "$d/dmg/s1/log/"*.cdb
start --store "$d/dmg"
check server-starts-on-damaged-store $? "$(cat "$d/serve.log")"
status_is sensors-damaged-200 200 "$u/sensors"
grep -q 'with errors' "$d/body" && grep -q 'sealed without its index' "$d/body"
check sensors-reports-missing-index $?
status_is damaged-store-still-queried 200 "$u/domain?name=www.site3.example"
stop

# ---- arguments --------------------------------------------------------------------
bad() {	# NAME, then arguments: exit 2 with "tip serve:" on stderr
	local name=$1; shift
	timeout 10 "$tip" serve "$@" >/dev/null 2>"$d/err"
	local rc=$?
	[ $rc = 2 ] && grep -q '^tip serve: ' "$d/err"; check "bad-args-$name" $? "rc=$rc $(head -c 200 "$d/err")"
}
bad no-store --listen 127.0.0.1:0
bad bad-listen --listen nowhere --store "$d/all"
bad bad-port --listen 127.0.0.1:99999 --store "$d/all"
bad unknown-store --listen 127.0.0.1:0 --store "$d/nope"
bad bad-timeout --listen 127.0.0.1:0 --store "$d/all" --timeout 0
bad unknown-option --listen 127.0.0.1:0 --store "$d/all" --frob

[ $fails = 0 ]
