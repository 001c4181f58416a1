#!/bin/bash
# resolver: sensor/resolver.c (udns on libev, TCP fallback), cymru.c,
# store/asn_db.c and store/flux_score.c against a real PowerDNS Authoritative on
# loopback, started by tests/pdns/harness.py from ../shared/data/asn, and
# a silent UDP server for timeouts.  The driver is $O/tests/resolve
# (tests/helpers/resolve.c).  Every expectation is read from the
# harness's scenario.json, so the seed decides the data, not this script.
# Prints "ok NAME" / "not ok NAME: why" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
R=$PWD/$O/tests/resolve
TIP=$PWD/$O/tip
DATA=${TIP_SHARED_DATA:-$PWD/../shared/data}
fail=0
. tests/integration/lib.sh

if ! command -v pdns_server >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "not ok resolver: pdns_server or python3 not installed (a missing package is a fault of scripts/deps.sh, which installs it)"
	exit 1
fi
if [ ! -x "$R" ]; then
	echo "not ok resolver: $R not built"
	exit 1
fi
tmpdir_make T resolver
on_exit "python3 tests/pdns/harness.py down '$T/pdns' 2>/dev/null"
if ! python3 tests/pdns/harness.py up "$T/pdns" --seed "${SEED:-1}" > "$T/up.log" 2>&1; then
	notok resolver-harness "$(tail -3 "$T/up.log")"
	exit 1
fi
. "$T/pdns/env"
SC=$T/pdns/scenario.json
S=127.0.0.1:$PDNS_PORT
Z=$PDNS_ZONE

# scenario NAME FIELD: a value from scenario.json, lists sorted and comma-joined
scenario() {
	python3 - "$SC" "$@" <<'EOF'
import json, sys
sc = json.load(open(sys.argv[1]))
n = sc["names"].get(sys.argv[2], {})
what = sys.argv[3]
if what == "ips":
    print(",".join(sorted(p["ip"] for p in n["pool"])))
elif what == "asns":
    print(len({p["asn"] for p in n["pool"]}))
elif what == "ns":
    print(",".join(sorted(n["ns"])))
elif what == "aaaa":
    print(",".join(sorted(n["aaaa"])))
elif what == "first":
    p = n["pool"][0]
    print(p["ip"], p["asn"], p["ptr"])
EOF
}
sorted_data() {	# the data= list of an answer line, sorted
	sed -n 's/.* data=//p' | tr ',' '\n' | sort | paste -sd, -
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
below() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x < y) }'; }
field() {	# field KEY: the KEY=value of a line
	sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"
}

# ---- one batch of plain lookups, answered concurrently
read -r ip asn ptr <<< "$(scenario rr1 first)"
rev=$(echo "$ip" | awk -F. '{print $4"."$3"."$2"."$1}')
"$R" -s "$S" A "rr2.$Z" AAAA "v6.$Z" NS "dflux.$Z" NS "$Z" PTR "$rev.in-addr.arpa" \
	TXT "$rev.$PDNS_ASN_ZONE" A "big.$Z" A "nx.$Z" A "servfail.$Z" AAAA "rr1.$Z" \
	> "$T/batch.out" 2> "$T/batch.err"
rc=$?
if [ $rc -ne 0 ] || [ -s "$T/batch.err" ]; then
	notok resolver-driver "exit $rc: $(head -5 "$T/batch.err")"
fi
line() { grep "^answer $1 $2 " "$T/batch.out"; }

l=$(line "rr2.$Z" A)
if [ "$(echo "$l" | field n)" = 3 ] && echo "$l" | grep -q " ok " &&
   [ "$(echo "$l" | sorted_data)" = "$(scenario rr2 ips)" ]; then
	ok resolver-a; else notok resolver-a "$l"; fi
l=$(line "v6.$Z" AAAA)
if echo "$l" | grep -q " ok " && [ "$(echo "$l" | sorted_data)" = "$(scenario v6 aaaa)" ]; then
	ok resolver-aaaa; else notok resolver-aaaa "$l"; fi
l=$(line "dflux.$Z" NS)
want_ns=",$(scenario dflux ns),"
got_ok=1
for n in $(echo "$l" | sed -n 's/.* data=//p' | tr ',' ' '); do
	case "$want_ns" in *",$n,"*) ;; *) got_ok=0 ;; esac
done
l2=$(line "$Z" NS)
if echo "$l" | grep -q " ok rcode=0 n=2 " && [ $got_ok = 1 ] && echo "$l2" | grep -q "data=ns1.$Z\$"; then
	ok resolver-ns; else notok resolver-ns "$l | $l2"; fi
l=$(line "$rev.in-addr.arpa" PTR)
if echo "$l" | grep -q " ok .*data=$ptr\$"; then ok resolver-ptr; else notok resolver-ptr "$l (want $ptr)"; fi
l=$(line "$rev.$PDNS_ASN_ZONE" TXT)
if echo "$l" | grep -q " ok .*data=$asn\\\\032|"; then ok resolver-txt; else notok resolver-txt "$l (want AS$asn)"; fi
l=$(line "big.$Z" A)
if echo "$l" | grep -q " ok rcode=0 n=250 .*tcp=1 " && [ "$(echo "$l" | sorted_data)" = "$(scenario big ips)" ]; then
	ok resolver-tcp-fallback; else notok resolver-tcp-fallback "$(echo "$l" | cut -c1-160)"; fi
l=$(line "nx.$Z" A)
if echo "$l" | grep -q " nxdomain rcode=3 "; then ok resolver-nxdomain; else notok resolver-nxdomain "$l"; fi
l=$(line "servfail.$Z" A)
if echo "$l" | grep -q " servfail rcode=2 "; then ok resolver-servfail; else notok resolver-servfail "$l"; fi
l=$(line "rr1.$Z" AAAA)
if echo "$l" | grep -q " nodata rcode=0 n=0 "; then ok resolver-nodata; else notok resolver-nodata "$l"; fi
st=$(grep '^stats ' "$T/batch.out")
if [ "$(echo "$st" | field submitted)" = 10 ] && [ "$(echo "$st" | field ok)" = 7 ] &&
   [ "$(echo "$st" | field nxdomain)" = 1 ] && [ "$(echo "$st" | field servfail)" = 1 ] &&
   [ "$(echo "$st" | field nodata)" = 1 ] && [ "$(echo "$st" | field udp_truncated)" = 1 ] &&
   [ "$(echo "$st" | field tcp_started)" = 1 ]; then
	ok resolver-counters; else notok resolver-counters "$st"; fi

# ---- a server that never answers: timeout, then the next server
start=$(now)
l=$("$R" -s "127.0.0.1:$SILENT_PORT" -t 1 -T 1 A "rr1.$Z" | grep '^answer')
took=$(since "$start")
if echo "$l" | grep -q " timeout rcode=-1 " && below "$took" 4; then
	ok resolver-timeout; else notok resolver-timeout "$l in ${took}s"; fi
l=$("$R" -s "127.0.0.1:$SILENT_PORT" -s "$S" -t 1 -T 2 A "rr1.$Z" | grep '^answer')
if echo "$l" | grep -q " ok " && [ "$(echo "$l" | field sent)" -ge 2 ]; then
	ok resolver-second-server; else notok resolver-second-server "$l"; fi

# ---- cancellation: both queries cancelled at 0.3 s, no answer, no wait for the timeout
start=$(now)
out=$("$R" -s "127.0.0.1:$SILENT_PORT" -t 5 -T 3 --cancel-after 0.3 A "a.$Z" TXT "b.$Z")
took=$(since "$start")
if [ "$(echo "$out" | grep -c '^cancelled ')" = 2 ] && ! echo "$out" | grep -q '^answer' &&
   [ "$(echo "$out" | grep '^stats' | field caller_cancelled)" = 2 ] && below "$took" 2; then
	ok resolver-cancel; else notok resolver-cancel "$out (${took}s)"; fi

# ---- fast flux: repeated lookups, ASNs from the Cymru-format TXT zone, Holz verdicts
flux_check() {	# flux_check LABEL OUTPUT-FILE
	local tag=$1 out=$2 bad=""
	for n in ff1 ff2 ff3 cdn rr1 rr2 rr3; do
		local fl addrs want pool extra
		fl=$(grep "^flux $n.$Z " "$out")
		addrs=$(grep "^addrs $n.$Z " "$out" | cut -d' ' -f3)
		case $n in ff*) want=1 ;; *) want=0 ;; esac
		pool=",$(scenario $n ips),"
		extra=""
		for a in $(echo "$addrs" | tr ',' ' '); do
			case "$pool" in *",$a,"*) ;; *) extra="$extra $a" ;; esac
		done
		if [ "$(echo "$fl" | field flux)" != "$want" ] || [ -n "$extra" ] ||
		   [ "$(echo "$fl" | field unknown)" != 0 ] ||
		   [ "$(echo "$fl" | field nASN)" -gt "$(scenario $n asns)" ]; then
			bad="$bad [$fl${extra:+ not in pool:$extra}]"
		fi
	done
	if [ -z "$bad" ]; then ok "$tag"; else notok "$tag" "$bad"; fi
}
"$R" -s "$S" --flux 10 --asn-zone "$PDNS_ASN_ZONE" A "ff1.$Z" A "ff2.$Z" A "ff3.$Z" A "cdn.$Z" \
	A "rr1.$Z" A "rr2.$Z" A "rr3.$Z" > "$T/flux.out" 2> "$T/flux.err" || notok resolver-driver "flux run failed"
[ -s "$T/flux.err" ] && notok resolver-driver "$(head -5 "$T/flux.err")"
flux_check resolver-flux-cymru "$T/flux.out"

# the same with the offline table built by `tip asn import`
if [ -x "$TIP" ] && "$TIP" asn import --asn "$DATA/asn/asn-ipv4-1-45.csv" \
	--country "$DATA/asn/asn-country-ipv4.csv" -o "$T/asn.db" 2> "$T/import.err"; then
	"$R" -s "$S" --flux 10 --asn-db "$T/asn.db" A "ff1.$Z" A "ff2.$Z" A "ff3.$Z" A "cdn.$Z" \
		A "rr1.$Z" A "rr2.$Z" A "rr3.$Z" > "$T/flux-db.out"
	flux_check resolver-flux-offline-table "$T/flux-db.out"
else
	echo "skip resolver-flux-offline-table: $O/tip not built or tip asn import failed"
fi

exit $fail
