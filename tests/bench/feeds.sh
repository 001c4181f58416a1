#!/bin/bash
# tests/bench/feeds.sh O: blacklist feeds, for make bench.  Prints
# "bench NAME VALUE UNIT ANCHOR=VALUE ratio=X" lines and asserts nothing:
#   feed_parse_FORMAT_mbs    the parser (tests/feedcat -q) over ~16 MB made
#                            by repeating a real sample, MB/s, against
#                            `wc -l` of the same file (the I/O limit; budget
#                            >= 0.3x)
#   feed_import_mbs          tip import feed of a 16 MB list of distinct
#                            domains (parse, state set, diff, records), MB/s,
#                            against wc -l
#   feed_ingest_rss_kib      peak RSS of that import against the file's
#                            size, and the same for the largest real sample
#                            and for a list four times longer: RSS grows by
#                            the state set's 12 bytes an entry, not the text
#   tipd_blacklist_module_kib  stripped tipd at -Os with the module minus
#                            without it (Kconfig MODULE_BLACKLIST)
#   tipd_armhf_router_blacklist_tls_bytes  the router profile with the
#                            module and TLS, built for armhf as a router
#                            would have it, against the 150,000-byte budget
#                            (needs the sysroot tests/integration/ports.sh
#                            makes under $O)
# Files go to a scratch folder under $O.  Exit 1 only when something could
# not run.
set -u
export LC_ALL=C	# the decimal point of $EPOCHREALTIME and awk
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
F=$O/tests/feedcat
TIP=$O/tip
D=../shared/data/blacklists
STRIP=${STRIP:-${CROSS_COMPILE:-}strip}
[ -x "$F" ] && [ -x "$TIP" ] || { echo "feeds.sh: $F or $TIP not built" >&2; exit 1; }
[ -d "$D" ] || { echo "# feeds.sh: no $D: skipped"; exit 0; }
tmp=$(mktemp -d "$O/bench-feeds.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
# One wall time of a command, seconds.  $EPOCHREALTIME, not $(date): a
# date process's start, about a millisecond, would fall inside every
# timing, a third of wc -l's, and raise each ratio by as much as 0.1.
wall() {
	local s=$EPOCHREALTIME
	"$@" >/dev/null 2>&1
	awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.6f", e - s }'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }
# best of seven wall times of a command, seconds
best() {
	local b=999999
	for _ in 1 2 3 4 5 6 7; do b=$(min "$(wall "$@")" "$b"); done
	echo "$b"
}
# repeat FILE OUT: OUT is FILE repeated to at least 16 MB
repeat() {
	: >"$2"
	while [ "$(stat -c %s "$2")" -lt 16777216 ]; do cat "$1" >>"$2"; done
}
mbs() { awk -v b="$(stat -c %s "$1")" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", b / 1048576 / t; else print "-" }'; }

# Every format's input is made first, and then the parses and their wc -l
# are timed in rounds over all formats, best of fifteen each: a shared
# machine has slow stretches of seconds, and timed one format after the
# other a format's seven runs could all fall in one (the same build read
# 0.24 and 0.35 for ips in two runs).
specs=("hosts hosts/blocklistproject-ransomware.hosts" "domains domains/badd-boyz-domains.txt"
	"ips ips/blocklistproject-abuse.ip" "cidr spamhaus/drop.txt"
	"csv csv/phishtank-online-valid.csv -c url" "urls urls/openphish-feed.txt"
	"ipsum ips/ipsum.tsv" "trails maltrail/emotet.txt")
for spec in "${specs[@]}"; do
	set -- $spec
	repeat "$D/$2" "$tmp/in.$1"
done
# JSON: one array of the sample's entries repeated
python3 - "$D/json/eth-phishing-detect-config.json" "$tmp/in.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["blacklist"]
out, n = [], 0
while n < 16 << 20:
    out.extend(b); n += sum(len(x) + 4 for x in b)
json.dump({"version": 2, "blacklist": out}, open(sys.argv[2], "w"), indent=1)
PY
specs+=("json - -p blacklist")
declare -A bp bw
for _ in $(seq 15); do
	for spec in "${specs[@]}"; do
		set -- $spec
		fmt=$1
		shift 2
		t=$(wall "$F" "$fmt" "$@" -q "$tmp/in.$fmt")
		bp[$fmt]=$(min "$t" "${bp[$fmt]:-999999}")
		t=$(wall wc -l "$tmp/in.$fmt")
		bw[$fmt]=$(min "$t" "${bw[$fmt]:-999999}")
	done
done
for spec in "${specs[@]}"; do
	set -- $spec
	fmt=$1
	p=$(mbs "$tmp/in.$fmt" "${bp[$fmt]}") w=$(mbs "$tmp/in.$fmt" "${bw[$fmt]}")
	echo "bench feed_parse_${fmt}_mbs $p MB/s wc_l=$w ratio=$(ratio "$p" "$w")"
	rm -f "$tmp/in.$fmt"
done

# distinct domains: each sample name under a numbered label
mklist() {	# mklist MB OUT
	awk -v mb="$1" 'NR == FNR { d[n++] = $0; next } END {
		for (i = 0; bytes < mb * 1048576; i++) { l = "r" i "." d[i % n]; print l; bytes += length(l) + 1 } }' \
		"$D/domains/badd-boyz-domains.txt" /dev/null >"$2"
}
maxrss() {	# maxrss CMD...: peak RSS of CMD in KiB (GNU time: its child is exec'd from a small process)
	/usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1
	cat "$tmp/rss"
}
mklist 16 "$tmp/list16"
ti=$(wall "$TIP" import feed "$tmp/list16" --store "$tmp/st" --source b --format domains)
tw=$(best wc -l "$tmp/list16")
echo "bench feed_import_mbs $(mbs "$tmp/list16" "$ti") MB/s wc_l=$(mbs "$tmp/list16" "$tw") ratio=$(ratio "$(mbs "$tmp/list16" "$ti")" "$(mbs "$tmp/list16" "$tw")") (parse, state set, diff, $(wc -l <"$tmp/list16") listed records)"
rm -rf "$tmp/st"
# the sensor's ingest alone (parser, state set, diff; feedcat -s), then
# tip import feed, which also builds the store's index when it seals
for spec in "eth $D/json/eth-phishing-detect-config.json json -p blacklist" \
	"list16 $tmp/list16 domains" "list64 $tmp/list64 domains"; do
	set -- $spec
	[ "$1" = list64 ] && mklist 64 "$tmp/list64"
	mkdir -p "$tmp/fs.$1"
	r=$(maxrss "$F" "$3" -s "$tmp/fs.$1" "${@:4}" "$2")
	kib=$(awk -v b="$(stat -c %s "$2")" 'BEGIN { printf "%.0f", b / 1024 }')
	echo "bench feed_ingest_rss_kib_$1 $r KiB file=$kib ratio=$(ratio "$r" "$kib") ($(wc -l <"$2") lines; parser, state set, diff)"
	rm -rf "$tmp/fs.$1"
done
r=$(maxrss "$TIP" import feed "$tmp/list16" --store "$tmp/st" --source s --format domains)
echo "bench feed_import_rss_kib_list16 $r KiB file=16384 ratio=$(ratio "$r" 16384) (tip import feed: the ingest plus the segment's index build at seal)"
rm -rf "$tmp/st"

# ---- tipd with and without the module, -Os as routers build it ---------------
size_os() {	# size_os DIR yes|no: stripped KiB of tipd built in DIR
	[ Makefile -nt "$1/tipd" ] && rm -rf "$1"	# (flags changed: make cannot tell)
	mkdir -p "$1"
	cp "$O/.config" "$1/.config"
	if [ "$2" = no ]; then
		sed -i 's/^CONFIG_MODULE_BLACKLIST=y/# CONFIG_MODULE_BLACKLIST is not set/' "$1/.config"
	fi
	make -s --no-print-directory O="$1" CFLAGS=-Os "$1/tipd" >"$1/build.log" 2>&1 || return 1
	cp "$1/tipd" "$1/tipd.s" && "$STRIP" "$1/tipd.s" &&
		awk -v b="$(stat -c %s "$1/tipd.s")" 'BEGIN { printf "%.1f", b / 1024 }'
}
# The router's own architecture: 32-bit ARM (Thumb-2, what Debian's armhf
# compiler emits), the router profile with the module and TLS against the
# router profile alone, in the sysroot tests/integration/ports.sh unpacks
# (Debian's armhf libraries, zlib among them).  Budget: 150,000 bytes.
AT=arm-linux-gnueabihf AS=$O/ports-sysroot-armhf
size_arm() {	# size_arm DIR yes|no: stripped bytes of the armhf router tipd
	[ Makefile -nt "$1/tipd" ] && rm -rf "$1"
	mkdir -p "$1"
	cp configs/openwrt_defconfig "$1/.config"
	[ "$2" = yes ] && sed -i 's/^# CONFIG_MODULE_BLACKLIST is not set/CONFIG_MODULE_BLACKLIST=y/;
		s/^# CONFIG_TLS is not set/CONFIG_TLS=y/' "$1/.config"
	make -s --no-print-directory O="$1" CROSS_COMPILE=$AT- CFLAGS=-Os CPPFLAGS="-I$AS/usr/include" \
		LDFLAGS="-L$AS/usr/lib/$AT -Wl,-rpath-link,$AS/usr/lib/$AT -Wl,-rpath-link,$AS/lib/$AT" \
		"$1/tipd" >"$1/build.log" 2>&1 || return 1
	$AT-strip -o "$1/tipd.s" "$1/tipd" && stat -c %s "$1/tipd.s"
}
if ! command -v $AT-gcc >/dev/null 2>&1 || [ ! -f "$AS/.done" ] || ! grep -q zlib1g-dev "$AS/.done"; then
	echo "# feeds.sh: no $AT-gcc or no $AS (tests/integration/ports.sh makes it): no armhf sizes"
elif with=$(size_arm "$O/size-arm-bl" yes) && without=$(size_arm "$O/size-arm-router" no); then
	echo "bench tipd_armhf_router_blacklist_tls_bytes $with B budget=150000 ratio=$(ratio "$with" 150000) (router profile alone: $without B; -Os, stripped)"
else
	echo "# feeds.sh: the armhf -Os builds failed (see $O/size-arm-*/build.log)"
fi
with=$(size_os "$O/size-os-bl" yes) && without=$(size_os "$O/size-os-nobl" no) &&
	echo "bench tipd_blacklist_module_kib $(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.1f", a - b }') KiB without=$without ratio=$(ratio "$with" "$without") (with=$with KiB at -Os; budget for the whole tipd 150000 B = 146.5 KiB)" ||
	echo "# feeds.sh: the -Os builds failed"
exit 0
