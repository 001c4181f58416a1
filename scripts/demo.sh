#!/bin/sh
# make demo-offline: the tools on generated passive DNS, no sensor and no
# server.  It imports a day of passive DNS (scripts/sample-cof.sh: fast-flux
# names, CDN-like names, ordinary names) into $O/demo-store, verifies it,
# prints the fast-flux table (ASNs from `tip asn import` of
# ../shared/data/asn when it is there), the A-record table of the top
# domain, writes its score graph to $O/demo-flux.svg, and compacts the
# store to show the same table read from one merged segment.  It finishes
# by itself in a few seconds (the ASN table, built once, is kept in
# $O/demo-asn.db).
set -eu
O=${1:-build}
tip=$O/tip
store=$O/demo-store
svg=$O/demo-flux.svg
rm -rf "$store"
echo "== importing a generated day of passive DNS into $store, hour by hour"
# one import an hour: one segment an hour, as a sensor rotating hourly writes
scripts/sample-cof.sh >"$O/demo-day.cof"
for h in $(seq 0 23); do
	awk -v t0=$((1764000000 + h * 3600)) '
		match($0, /"time_first":[0-9]+/) {
			t = substr($0, RSTART + 13, RLENGTH - 13) + 0
			if (t >= t0 && t < t0 + 3600) print
		}' "$O/demo-day.cof" | "$tip" import cof - --store "$store" --sensor demo >/dev/null
done
rm -f "$O/demo-day.cof"
"$tip" stats "$store" | head -n 4
echo
echo "== tip verify $store"
"$tip" verify "$store" && echo "sound"

asn=""
data=../shared/data/asn
if [ -f "$data/asn-ipv4.csv.gz" ] && [ -f "$data/asn-country-ipv4.csv" ]; then
	if [ ! -s "$O/demo-asn.db" ]; then
		echo
		echo "== tip asn import (the offline IP-to-ASN table, from $data)"
		zcat "$data/asn-ipv4.csv.gz" >"$O/demo-asn.csv"
		"$tip" asn import --asn "$O/demo-asn.csv" --country "$data/asn-country-ipv4.csv" \
			-o "$O/demo-asn.db" 2>&1 | tail -n 1
		rm -f "$O/demo-asn.csv"
	fi
	asn="--asn $O/demo-asn.db"
else
	echo
	echo "(no $data: scores count addresses only, every ASN is unknown)"
fi

echo
echo "== tip query flux (fast flux by the sensor's classification window: 1.32 nA + 18.54 nASN > 142.38; running totals beside)"
# shellcheck disable=SC2086
"$tip" query flux --store "$store" $asn
# shellcheck disable=SC2086
top=$("$tip" query flux --store "$store" $asn --format csv | sed -n '2s/,.*//p')
if [ -z "$top" ]; then
	echo "(no fast-flux name)"
	exit 0
fi

echo
echo "== tip query domain $top (its A records, first 15)"
# shellcheck disable=SC2086
"$tip" query domain "$top" --store "$store" $asn | head -n 19

echo
# shellcheck disable=SC2086
"$tip" graph domain "$top" -o "$svg" --store "$store" $asn
echo "== wrote $svg (score, nA and nASN of $top over the day)"

echo
echo "== tip compact $store"
# shellcheck disable=SC2086
before=$("$tip" query flux --store "$store" $asn --format csv | cksum)
"$tip" compact "$store"
# shellcheck disable=SC2086
after=$("$tip" query flux --store "$store" $asn --format csv | cksum)
ls "$store/log"
if [ "$before" = "$after" ]; then
	echo "the flux table reads the same from the merged segment"
else
	echo "demo: the flux table changed with compaction" >&2
	exit 1
fi
