#!/bin/bash
# Feed parsers (store/feed.c) against every real sample in
# ../shared/data/blacklists: the indicators each gives are compared with an
# independent reading by tests/integration/feeds_expect.py (Python's
# ipaddress, csv, json and idna), and the output is the same whether the
# file is fed in 64 KiB, 7-byte or 1-byte chunks.  Prints ok/not ok lines.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
F=$O/tests/feedcat
D=../shared/data/blacklists
fails=0
. tests/integration/lib.sh
if [ ! -x "$F" ]; then echo "not ok feeds: $F not built"; exit 1; fi
if [ ! -d "$D" ]; then echo "skip feeds: no $D (shared test data)"; exit 0; fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# one FORMAT FILE [ARG]: the C parser's set against Python's, chunking invariance
one() {
	local fmt=$1 f=$2 arg=${3:-} name opt=()
	name="feeds-$fmt-$(basename "$f")"
	case $fmt in csv) opt=(-c "$arg") ;; json) opt=(-p "$arg") ;; esac
	"$F" "$fmt" "${opt[@]}" "$f" >"$t/a" 2>/dev/null || { nok "$name" "parser failed"; return; }
	"$F" "$fmt" "${opt[@]}" -b 7 "$f" >"$t/b" 2>/dev/null
	"$F" "$fmt" "${opt[@]}" -b 1 "$f" >"$t/c" 2>/dev/null
	if ! cmp -s "$t/a" "$t/b" || ! cmp -s "$t/a" "$t/c"; then
		nok "$name" "output depends on chunk size"; return
	fi
	# urls: compare hosts (Python does not rewrite URLs)
	sed '$d' "$t/a" | awk -F'\t' '$1 == "url" { print "url\t" $3; next } { print $1 "\t" $2 }' |
		sort -u >"$t/got"
	if [ "$fmt" = trails ]; then
		# entries + bad = the non-comment lines; bad = the bare paths and
		# what is neither IP[:port], CIDR, domain[/path] nor URL
		local lines paths e b
		lines=$(grep -v -E '^[[:space:]]*(#|$)' "$f" | wc -l)
		paths=$(grep -c -E '^[[:space:]]*/' "$f")
		e=$(tail -n1 "$t/a" | awk '{ print $4 }'); b=$(tail -n1 "$t/a" | awk '{ print $6 }')
		if [ $((e + b)) -ne "$lines" ] || [ "$b" -lt "$paths" ]; then
			nok "$name" "entries $e + bad $b != $lines lines (paths $paths)"; return
		fi
		[ "$e" -gt 0 ] && ok "$name ($e entries)" || nok "$name" "no entries"
		return
	fi
	python3 tests/integration/feeds_expect.py "$fmt" "$f" ${arg:+"$arg"} | sort -u >"$t/want"
	if ! cmp -s "$t/got" "$t/want"; then
		nok "$name" "differs from Python: $(diff "$t/got" "$t/want" | head -4 | tr '\n' ' ')"
		return
	fi
	local n
	n=$(wc -l <"$t/want")
	[ "$n" -gt 0 ] && ok "$name ($n distinct)" || nok "$name" "no entries"
}

for f in "$D"/hosts/*; do one hosts "$f"; done
for f in "$D"/domains/badd-boyz-domains.txt "$D"/domains/spam404-main-blacklist.txt \
	"$D"/domains/maltrail-dynamic_domain.txt "$D"/domains/maltrail-onion.txt; do one domains "$f"; done
for f in "$D"/ips/blocklistproject-*.ip "$D"/ips/ipsum-level3.txt; do one ips "$f"; done
one ipsum "$D"/ips/ipsum.tsv
for f in "$D"/firehol/*/* "$D"/spamhaus/*.txt; do one cidr "$f"; done
one csv "$D"/csv/feodo-ipblocklist.csv dst_ip
one csv "$D"/csv/phishtank-online-valid.csv url
for f in "$D"/urls/*; do one urls "$f"; done
one json "$D"/json/eth-phishing-detect-config.json blacklist
for f in "$D"/maltrail/*; do one trails "$f"; done

# numbered column = named column
"$F" csv -c 2 "$D"/csv/feodo-ipblocklist.csv >"$t/n" 2>/dev/null
"$F" csv -c dst_ip "$D"/csv/feodo-ipblocklist.csv >"$t/h" 2>/dev/null
if [ "$(sed '$d' "$t/n")" = "$(sed '$d' "$t/h")" ]; then ok feeds-csv-column-number; else
	nok feeds-csv-column-number; fi
# a missing column and broken JSON stop the parser with a message
if "$F" csv -c nosuch "$D"/csv/feodo-ipblocklist.csv 2>"$t/e" >/dev/null; then
	nok feeds-csv-missing-column "accepted"
else grep -q 'not in the header' "$t/e" && ok feeds-csv-missing-column || nok feeds-csv-missing-column; fi
head -c 3000 "$D"/json/eth-phishing-detect-config.json >"$t/trunc.json"
if "$F" json -p blacklist "$t/trunc.json" 2>"$t/e" >/dev/null; then nok feeds-json-truncated "accepted"
else grep -q 'ends inside' "$t/e" && ok feeds-json-truncated || nok feeds-json-truncated; fi
echo "feeds: $fails failed"
[ "$fails" -eq 0 ]
