#!/bin/bash
# demo-live: the fast-flux sensor live, in about a minute, on loopback only.
# Starts PowerDNS Authoritative with the test harness's seeded scenario
# (tests/pdns/harness.py: fast-flux names over pools in many ASNs, a CDN,
# round-robin names, a TCP-only name, double-flux NS, NXDOMAIN, SERVFAIL,
# and a Team Cymru-format TXT zone for the ASNs), runs tipd against it with
# every scenario name on its watch list, then shows what the store holds:
# `tip query flux`, the A-record table of the top fast-flux domain, and its
# score over time as an SVG when `tip graph` is built in.  Installs nothing
# (make demo runs scripts/deps.sh first); stops everything it started.
#
#     scripts/demo-live.sh [BUILD_DIR]       (default build)
#     DEMO_SECONDS=60                        how long tipd runs
set -u
O=${1:-build}
cd "$(dirname "$0")/.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
SECS=${DEMO_SECONDS:-60}
for p in "$TIPD" "$TIP"; do
	[ -x "$p" ] || { echo "demo-live: $p not built (make O=$O)" >&2; exit 1; }
done
if ! "$TIPD" -V | grep -q ' fastflux'; then
	echo "demo-live: this tipd has no fastflux module (Kconfig)" >&2
	exit 1
fi
for c in pdns_server python3; do
	command -v "$c" >/dev/null 2>&1 ||
		{ echo "demo-live: $c missing: run scripts/deps.sh demo" >&2; exit 1; }
done

D=$(mktemp -d /tmp/tip-demo.XXXXXX)
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	python3 tests/pdns/harness.py down "$D/pdns" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== PowerDNS with the fast-flux scenario on 127.0.0.1"
if ! python3 tests/pdns/harness.py up "$D/pdns" --seed "${SEED:-1}" > "$D/up.log" 2>&1; then
	echo "demo-live: PowerDNS did not start:" >&2
	tail -5 "$D/up.log" >&2
	exit 1
fi
. "$D/pdns/env"
python3 - "$D/pdns/scenario.json" > "$D/watch.txt" <<'EOF'
import json, sys
sc = json.load(open(sys.argv[1]))
for label in sorted(sc["names"]):
    print("%s.%s" % (label, sc["zone"]))
EOF
echo "   port $PDNS_PORT, zone $PDNS_ZONE, ASNs in $PDNS_ASN_ZONE; watching $(wc -l < "$D/watch.txt") names"

cat > "$D/tipd.conf" <<EOF
pidfile none
log-level info
store {
	dir $D/store
}
control {
	socket $D/tipd.sock
}
module watchlist {
	file $D/watch.txt
}
module fastflux {
	servers 127.0.0.1:$PDNS_PORT
	timeout 1s
	asn-zone $PDNS_ASN_ZONE
	window 3
	ttl-min 5s
	ttl-max 10s
	benign-max 20s
}
EOF

echo "== tipd for ${SECS}s against it (progress every 10s)"
"$TIPD" -f -c "$D/tipd.conf" 2> "$D/tipd.log" &
PID=$!
field() {	# field KEY: from the fastflux line of tip status
	"$TIP" status -s "$D/tipd.sock" 2>/dev/null | awk -v k="$1" '$2 == "name=fastflux" {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }'
}
for ((t = 0; t < SECS; t++)); do
	sleep 1
	if ! kill -0 "$PID" 2>/dev/null; then
		echo "demo-live: tipd stopped:" >&2
		tail -5 "$D/tipd.log" >&2
		PID=
		exit 1
	fi
	if (( (t + 1) % 10 == 0 )); then
		printf '   %3ds: %s domains, %s flux, %s benign, %s lookups, %s enrichment answers\n' \
			$((t + 1)) "$(field domains)" "$(field flux)" "$(field benign)" \
			"$(field lookups)" "$(field txt)"
	fi
done
"$TIP" status -s "$D/tipd.sock" | grep '^module name=fastflux' | tr ' ' '\n' |
	grep -E '^dns_(ok|nxdomain|nodata|servfail|timeout)=' | paste -sd' ' | sed 's/^/   outcomes: /'
kill -TERM "$PID"
wait "$PID"
PID=
grep 'fastflux: .*: fast flux' "$D/tipd.log" | sed 's/^/   log: /'

echo
echo "== tip query flux --store (the domains scored fast flux)"
"$TIP" query flux --store "$D/store"

# The top domain the scenario built as fast flux (a static name with many
# addresses may score above it: the Holz score looks at counts only).
top=$("$TIP" query flux --store "$D/store" --format csv 2>/dev/null | python3 -c '
import csv, json, sys
sc = json.load(open(sys.argv[1]))
flux = {"%s.%s" % (l, sc["zone"]) for l, n in sc["names"].items() if n.get("expect") == "flux"}
for row in csv.reader(sys.stdin):
    if row and row[0] in flux:
        print(row[0])
        break' "$D/pdns/scenario.json")
if [ -z "$top" ]; then
	echo "demo-live: no fast-flux domain was found in ${SECS}s" >&2
	exit 1
fi
echo
echo "== tip query domain $top"
"$TIP" query domain "$top" --store "$D/store"
if "$TIP" 2>&1 | grep -q '^  tip graph '; then
	svg=$O/demo-flux.svg
	if "$TIP" graph domain "$top" -o "$svg" --store "$D/store"; then
		echo
		echo "== wrote $svg (score, hosts and ASNs of $top over time)"
	fi
fi
