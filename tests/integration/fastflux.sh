#!/bin/bash
# fastflux: tipd's fast-flux module against a real PowerDNS Authoritative on
# loopback (tests/pdns/harness.py: seeded fast-flux, CDN, round-robin,
# TCP-only, double-flux, NXDOMAIN and SERVFAIL names, and a Cymru-format
# TXT zone), through the harness's recording tap, which logs every answer
# it relays (LUA records serve a fresh random sample each time) and drops
# the queries of one name (a timeout for that name only).
#
# Names come from the watch list and from `tip submit`.  tipd runs until
# every name with addresses is classified, is quiesced (a reload to hour-long
# intervals, then no query for longer than any interval) and stopped with
# TERM, started again on the same store, run a little longer, quiesced and
# stopped.  Then tests/helpers/fastflux_check.py compares the store (`tip
# dump`, `tip query domain --format json`) and the rebuild trace with what
# was served: each classification, nA, nASN and the score of the window and
# of the running totals, first and last seen, one record per lookup,
# NXDOMAIN/SERVFAIL/timeout/NODATA outcomes, double-flux NS names,
# enrichment, and that the restart lost no score and no first seen; and
# tests/helpers/fastflux_agree.py imports what was served as passive DNS
# and checks that tip scores it (and tipd's own store) with tipd's verdicts.  Waits
# are bounded loops on conditions, never timing assertions.
# Prints "ok NAME" / "not ok NAME: why" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
WINDOW=6
fail=0
PID=
. tests/integration/lib.sh

if ! command -v pdns_server >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "not ok fastflux: pdns_server or python3 not installed (a missing package is a fault of scripts/deps.sh, which installs it)"
	exit 1
fi
if [ ! -x "$TIPD" ] || [ ! -x "$TIP" ]; then
	echo "not ok fastflux: $O/tipd or $O/tip not built"
	exit 1
fi
if ! "$TIPD" -V | grep -q ' fastflux'; then
	echo "skip fastflux: tipd built without the fastflux module (Kconfig)"
	exit 0
fi
tmpdir_make T fastflux
on_exit "kill_now \$PID; python3 tests/pdns/harness.py down '$T/pdns' 2>/dev/null"
if ! python3 tests/pdns/harness.py up "$T/pdns" --seed "${SEED:-1}" > "$T/up.log" 2>&1 ||
   ! python3 tests/pdns/harness.py tap "$T/pdns" --drop "silent.flux.test" >> "$T/up.log" 2>&1; then
	notok fastflux-harness "$(tail -3 "$T/up.log")"
	exit 1
fi
. "$T/pdns/env"
Z=$PDNS_ZONE
SOCK=$T/tipd.sock

write_conf() {	# write_conf TTL-MIN TTL-MAX BENIGN-MAX
	cat > "$T/tipd.conf" <<EOF
pidfile none
log-level info
trace fastflux
store {
	dir $T/store
	sync-interval 100ms
}
control {
	socket $SOCK
}
module watchlist {
	file $T/watch.txt
	interval 1h
}
module fastflux {
	servers 127.0.0.1:$TAP_PORT
	timeout 1s
	tries 1
	asn-zone $PDNS_ASN_ZONE
	window $WINDOW
	ttl-min $1
	ttl-max $2
	benign-max $3
	expire 1d
	log-interval 0
}
EOF
}

status_field() {	# status_field LINE_PREFIX [NAME] KEY
	"$TIP" status -s "$SOCK" 2>/dev/null | awk -v p="$1" -v k="$2" '
		$1 == p || ($1 == "module" && $2 == "name=" p) {
			for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }'
}

wait_until() {	# wait_until MAX_TENTHS CMD...: poll a condition every 0.1 s
	local n=$1
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

start() {	# start LOG
	"$TIPD" -f -c "$T/tipd.conf" 2>"$1" &
	PID=$!
	wait_until 100 test -S "$SOCK" && wait_until 50 "$TIP" status -s "$SOCK" >/dev/null 2>&1
}

classified() {
	local f b
	f=$(status_field fastflux classified_flux)
	b=$(status_field fastflux classified_benign)
	[ $(( ${f:-0} + ${b:-0} )) -ge 8 ]
}

served_lines() { wc -l < "$T/pdns/served.jsonl"; }

# Nothing in flight and no query relayed for 5 s, longer than any interval before the reload.
quiet() {
	local n busy e q
	busy=$(status_field fastflux busy)
	e=$(status_field fastflux enrich_inflight)
	q=$(status_field fastflux enrich_queued)
	[ "$busy" = 0 ] && [ "$e" = 0 ] && [ "$q" = 0 ] || { QUIET_SINCE=; return 1; }
	n=$(served_lines)
	if [ "$n" != "${QUIET_LINES:-}" ]; then
		QUIET_LINES=$n
		QUIET_SINCE=$(date +%s)
		return 1
	fi
	[ -n "${QUIET_SINCE:-}" ] && [ $(( $(date +%s) - QUIET_SINCE )) -ge 6 ]
}

# Quiesce and stop: hour-long intervals by a reload, wait for silence, TERM.
stop_quiet() {	# stop_quiet NAME
	write_conf 1h 1h 1h
	kill -HUP "$PID"
	QUIET_LINES=; QUIET_SINCE=
	if ! wait_until 900 quiet; then
		notok "$1" "tipd did not go quiet: $(status_field fastflux busy) busy"
	fi
	STOPS="${STOPS:+$STOPS,}$(date +%s.%N)"
	kill -TERM "$PID"
	wait "$PID"
	local rc=$?
	PID=
	if [ "$rc" -eq 0 ]; then ok "$1"; else notok "$1" "exit $rc"; fi
}

for n in ff1 ff2 ff3 cdn rr1 rr2 big dflux nx servfail; do echo "$n.$Z"; done > "$T/watch.txt"
write_conf 2s 2s 4s
if out=$("$TIPD" -n -c "$T/tipd.conf" 2>&1); then ok fastflux-config-checks; else notok fastflux-config-checks "$out"; fi

# ---- first run: until every name with addresses is classified
if ! start "$T/tipd1.log"; then
	notok fastflux-start "$(tail -3 "$T/tipd1.log")"
	exit 1
fi
ok fastflux-start
if out=$("$TIP" submit -s "$SOCK" "rr3.$Z" "silent.$Z" 2>&1); then ok fastflux-submit; else notok fastflux-submit "$out"; fi
if wait_until 900 classified; then ok fastflux-classified; else
	notok fastflux-classified "$("$TIP" status -s "$SOCK" | grep '^module name=fastflux' | cut -c1-300)"
fi
st=$("$TIP" status -s "$SOCK" | grep '^module name=fastflux')
good=1
for k in dns_nxdomain dns_servfail dns_timeout dns_nodata res_nxdomain res_servfail res_timeout \
	 res_udp_truncated res_tcp_started txt ptr ns_changes; do
	v=$(echo "$st" | tr ' ' '\n' | sed -n "s/^$k=//p")
	[ "${v:-0}" -gt 0 ] || { good=0; echo "# $k=${v:-missing}"; }
done
[ "$(echo "$st" | tr ' ' '\n' | sed -n 's/^domains=//p')" = 12 ] || good=0
if [ $good = 1 ]; then ok fastflux-status-counters; else notok fastflux-status-counters "$st"; fi
stop_quiet fastflux-stop-1
if grep -q "fastflux: stopping: .* nxdomain=[1-9][0-9]* .*servfail=[1-9][0-9]* .*timeout=[1-9][0-9]* " \
	"$T/tipd1.log"; then ok fastflux-log-tells-outcomes-apart
else notok fastflux-log-tells-outcomes-apart "$(grep 'fastflux: stopping' "$T/tipd1.log")"; fi

# ---- second run on the same store: rebuilt, then a few more rounds
write_conf 2s 2s 4s
if ! start "$T/tipd2.log"; then
	notok fastflux-restart "$(tail -3 "$T/tipd2.log")"
	exit 1
fi
rebuilt=$(status_field fastflux rebuilt_domains)
flux=$(status_field fastflux flux)
if [ "$rebuilt" = 12 ] && [ "${flux:-0}" -ge 3 ]; then ok fastflux-restart
else notok fastflux-restart "rebuilt=$rebuilt flux=$flux"; fi
before=$(status_field fastflux lookups)
more() { [ "$(status_field fastflux lookups)" -ge $(( before + 24 )) ]; }
wait_until 300 more || notok fastflux-more-lookups "lookups $(status_field fastflux lookups)"
stop_quiet fastflux-stop-2

# ---- the store against what was served
if "$TIP" verify "$T/store" > "$T/verify.out" 2>&1; then ok fastflux-store-verifies
else notok fastflux-store-verifies "$(tail -3 "$T/verify.out")"; fi
"$TIP" dump "$T/store" > "$T/dump.jsonl" 2> "$T/dump.err"
mkdir -p "$T/q"
for n in ff1 ff2 ff3 cdn rr1 rr2 rr3 big; do
	"$TIP" query domain "$n.$Z" --store "$T/store" --format json > "$T/q/$n.json" 2>> "$T/q.err"
done
restart_ts=$(python3 -c '
import json, sys
starts = [json.loads(l)["ts_us"] for l in open(sys.argv[1]) if "\"kind\":\"start\"" in l]
print(starts[1] if len(starts) > 1 else 0)' "$T/dump.jsonl")
python3 tests/helpers/fastflux_check.py --scenario "$T/pdns/scenario.json" \
	--served "$T/pdns/served.jsonl" --dump "$T/dump.jsonl" --queries "$T/q" \
	--log "$T/tipd2.log" --window "$WINDOW" --restart-ts "$restart_ts" --stops "$STOPS" \
	> "$T/check.out" 2>&1
rc=$?
cat "$T/check.out"
# ---- the importer agrees with the sensor: what was served, imported as passive DNS,
# scored with tipd's window and TTL bounds (write_conf 2s 2s)
python3 tests/helpers/fastflux_agree.py --tip "$TIP" --scenario "$T/pdns/scenario.json" \
	--served "$T/pdns/served.jsonl" --dump "$T/dump.jsonl" --store "$T/store" --work "$T/agree" \
	--window "$WINDOW" --ttl-min 2s --ttl-max 2s --restart-ts "$restart_ts" > "$T/agree.out" 2>&1
arc=$?
cat "$T/agree.out"
if [ $rc -ne 0 ] || [ $arc -ne 0 ] || grep -q '^not ok' "$T/check.out" "$T/agree.out"; then
	fail=1
	[ -n "${KEEP:-}" ] && { cp -r "$T" "$KEEP"; echo "# kept in $KEEP"; }
fi
exit $fail
