#!/bin/bash
# faults: the store and the daemon when system calls fail, as SQLite's
# I/O-error tests do.  tests/fault/faultinj.so (LD_PRELOAD) fails the N-th
# write, pwrite, fsync, fdatasync, rename, open, mkdir, unlink or close
# under the store with EIO, ENOSPC, EINTR or a short write, during
#   writer:  a writer's run (faultrun: appends, syncs, seals every 50
#            records, and first recovers and seals what a killed writer
#            left), on a store that already has sealed segments;
#   compact: tip compact of that store;
#   import:  tip import of a passivedns log into it;
#   pull:    tip pull of that store from tipd's share module on loopback
#            into an empty one (nothing half-written published, tip verify
#            passes, a clean pull then completes to the source's files);
# and, for tipd, writes failing for a while under a running daemon.
# After each: no acknowledged record lost, no sealed file changed, the
# next start recovers, tip verify passes or names the damaged file.
#
# Which N: a run without faults counts the calls of each kind (FAULT_COUNT).
# Up to FAULT_MAXN (default 8) every N is tried; past that N = 1..3, the
# last two, and FAULT_MAXN-5 evenly spaced between, so a run stays bounded
# (about 350 runs) while the first calls (open, create), the last ones
# (seal, rename, close) and the middle all fail once.  The error rotates
# with N through EIO, ENOSPC, EINTR (and SHORT for write and pwrite).
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
B=$PWD/$O
TIP=$B/tip
TIPD=$B/tipd
RUN=$B/tests/faultrun
SHIM=$B/tests/faultinj.so
MAXN=${FAULT_MAXN:-8}
fail=0
. tests/integration/lib.sh
for f in "$TIP" "$RUN" "$SHIM"; do
	[ -e "$f" ] || { echo "not ok faults: $f not built"; exit 1; }
done
# A shim without ASan under an ASan build: the runtime need not come first.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
tmpdir_make T faults
PID=
on_exit "kill_now \$PID"

# The base store: 240 records in sealed segments, then 120 that a killed
# writer left in an unsealed one (every faulted run starts by recovering it).
BASE=$T/base
"$RUN" write "$BASE" "$T/base.ack" 0 240 >/dev/null 2>&1 &&
	"$RUN" write "$BASE" "$T/base.ack" 240 120 crash >/dev/null 2>&1 ||
	{ echo "not ok faults: base store"; exit 1; }
for i in $(seq 300); do
	printf '%s||10.0.0.1||192.0.2.53||IN||i%s.import.test||A||198.51.100.%s||60||1\n' \
		$((1735689600 + i)) "$i" $((i % 250 + 1))
done > "$T/import.pdns"

sealed_sums() {	# the sealed files of store $1: "sum name" lines
	(cd "$1/log" && for f in *.cdb; do
		[ -e "$f" ] || continue
		sha1sum "$f" "${f%.cdb}.tlog" 2>/dev/null
	done)
}
sealed_sums "$BASE" > "$T/base.sums"

op() {	# op SCENARIO STORE: the operation under test
	case "$1" in
	writer) "$RUN" write "$2" "$T/run.ack" 1000 120 ;;
	compact) "$TIP" compact "$2" --before 2100-01-01 -q ;;
	import) "$TIP" import passivedns "$T/import.pdns" --store "$2" ;;
	esac
}

pick() {	# pick COUNT: the Ns to try
	local k=$1 i
	if [ "$k" -le "$MAXN" ]; then seq "$k"; return; fi
	{ seq 3; echo $((k - 1)); echo "$k"
	  for i in $(seq 1 $((MAXN - 5))); do echo $(( 3 + i * (k - 4) / (MAXN - 4) )); done
	} | sort -nu
}

errs_for() { case "$1" in write|pwrite) echo "EIO ENOSPC EINTR SHORT" ;; *) echo "EIO ENOSPC EINTR" ;; esac; }

# each_fault CMD...: CMD... CALL N ERR for every call the run without
# faults counted ($T/count) and every N pick gives it, the error rotating
# with N; CMD prints why when it fails.  Counts the runs in runs, the
# failed ones in bad, and keeps the first why in first.
each_fault() {
	local call k n errs why
	for call in write pwrite fsync fdatasync rename open mkdir unlink close; do
		k=$(awk -v c="$call" '$1 == c { print $2 }' "$T/count")
		[ "${k:-0}" -gt 0 ] || continue
		read -ra errs <<<"$(errs_for "$call")"
		for n in $(pick "$k"); do
			runs=$((runs + 1))
			if ! why=$("$@" "$call" "$n" "${errs[n % ${#errs[@]}]}"); then
				bad=$((bad + 1)); [ -z "$first" ] && first=$why
			fi
		done
	done
}

# one SCENARIO CALL N ERR: a run with one fault and every check after it.
one() {
	local sc=$1 call=$2 n=$3 err=$4 s=$T/s rc out v
	rm -rf "$s"; cp -a "$BASE" "$s"; cp "$T/base.ack" "$T/run.ack"
	out=$(FAULT_PATH=$s FAULT_CALL=$call FAULT_N=$n FAULT_ERR=$err LD_PRELOAD=$SHIM \
		op "$sc" "$s" 2>&1); rc=$?
	local what="$sc $call #$n $err"
	if [ "$rc" -ge 128 ] || printf '%s' "$out" | grep -q 'AddressSanitizer\|runtime error'; then
		echo "$what: crashed (exit $rc): $(printf '%s' "$out" | tail -3)"; return 1
	fi
	if ! printf '%s' "$out" | grep -q "faultinj: $call #$n"; then
		echo "$what: the fault was not reached"; return 1
	fi
	if [ "$sc" = import ] && [ "$rc" -eq 0 ]; then	# exit 0: all 300 acknowledged
		v=$("$TIP" dump "$s" 2>/dev/null | grep -o 'i[0-9]*\.import\.test' | sort -u | wc -l)
		[ "$v" -eq 300 ] || { echo "$what: import said ok, $v of 300 records there"; return 1; }
	fi
	out=$("$RUN" check "$s" "$T/run.ack") || { echo "$what: $out"; return 1; }
	# a sealed file still there is byte for byte the same
	while read -r sum f; do
		[ -e "$s/log/$f" ] || continue
		[ "$(sha1sum < "$s/log/$f" | cut -d' ' -f1)" = "$sum" ] ||
			{ echo "$what: sealed $f changed"; return 1; }
	done < "$T/base.sums"
	# the next start recovers and takes records again
	"$RUN" write "$s" "$T/run.ack" 50000 10 >/dev/null 2>&1 ||
		{ echo "$what: the next writer did not start"; return 1; }
	out=$("$RUN" check "$s" "$T/run.ack") || { echo "$what: after recovery: $out"; return 1; }
	grep -qx 50009 "$T/run.ack" || { echo "$what: the next writer's records not acknowledged"; return 1; }
	out=$("$TIP" verify -q "$s" 2>&1); rc=$?
	if [ "$rc" -ne 0 ] && ! printf '%s' "$out" | grep -q "$s/"; then
		echo "$what: tip verify failed without naming a file (exit $rc): $out"; return 1
	fi
	[ "$rc" -ge 128 ] && { echo "$what: tip verify crashed"; return 1; }
	return 0
}

for sc in writer compact import; do
	s=$T/s; rm -rf "$s"; cp -a "$BASE" "$s"; cp "$T/base.ack" "$T/run.ack"
	rm -f "$T/count"
	FAULT_PATH=$s FAULT_COUNT=$T/count LD_PRELOAD=$SHIM op "$sc" "$s" >/dev/null 2>&1 ||
		{ notok "faults_$sc" "fails without any fault"; continue; }
	runs=0 bad=0 first=
	each_fault one "$sc"
	calls=$(tr '\n' ' ' < "$T/count")
	if [ "$bad" -eq 0 ] && [ "$runs" -gt 0 ]; then
		ok "faults_$sc ($runs runs; calls: $calls)"
	else
		notok "faults_$sc" "$bad of $runs runs: $first"
	fi
done

# ---- tip pull: a fault on the pulling side, then a clean pull ------------
# tipd shares a copy of the base store on loopback; every N of every call
# (picked as above) fails once in a tip pull into an empty store.  After
# each: no crash, nothing half-written in log/ (a sealed file there is the
# source's, byte for byte; the unindexed newest is a prefix of the
# source's), tip verify passes, and a pull without faults then completes
# to the same files as the source.
pull_faults() {
	# fewer Ns than the store scenarios: each run is a TLS session and two pulls
	local MAXN=${FAULT_PULL_MAXN:-5}
	local SRC=$T/psrc P PP
	"$TIPD" -V | grep -q '^modules:.* share' || { echo "skip faults_pull: tipd without MODULE_SHARE"; return; }
	cp -a "$BASE" "$SRC"
	"$TIP" keygen --out "$T/ksrv" >"$T/ksrv.fp" 2>/dev/null && "$TIP" keygen --out "$T/kcli" >"$T/kcli.fp" 2>/dev/null ||
		{ notok faults_pull "keygen"; return; }
	P=$(freeport)
	share_conf "$SRC" "$P" "$T/ksrv" t "$(cat "$T/kcli.fp")" >"$T/share.conf"
	"$TIPD" -f -c "$T/share.conf" >"$T/share.log" 2>&1 &
	PP=$!
	local up=0
	wait_for 10 "$TIP" pull "https://127.0.0.1:$P" --store "$T/probe" --key "$T/kcli" --peer "$(cat "$T/ksrv.fp")" \
		--retries 0 -q >/dev/null 2>&1 && up=1
	rm -rf "$T/probe"
	[ $up = 1 ] || { notok faults_pull "tipd share did not answer: $(tail -3 "$T/share.log")"; kill "$PP"; return; }
	SFP=$(cat "$T/ksrv.fp")	# here: a $(cat) in dopull would run under the shim too
	dopull() { "$TIP" pull "https://127.0.0.1:$P" --store "$1" --key "$T/kcli" --peer "$SFP" --retries 0 --timeout 10 -q; }
	pulled_sound() {	# pulled_sound STORE: "" or why not
		local f
		[ -d "$1/log" ] || return 0
		ls "$1/log" | grep -q 'part\|tmp' && { echo "a temporary in log/: $(ls "$1/log")"; return 1; }
		for f in "$1/log/"*.tlog; do
			[ -e "$f" ] || continue
			if [ -e "${f%.tlog}.cdb" ]; then
				cmp -s "$f" "$SRC/log/${f##*/}" && cmp -s "${f%.tlog}.cdb" "$SRC/log/$(basename "${f%.tlog}").cdb" ||
					{ echo "${f##*/} published, not the source's"; return 1; }
			else
				cmp -s -n "$(stat -c %s "$f")" "$f" "$SRC/log/${f##*/}" ||
					{ echo "${f##*/}: not a prefix of the source's"; return 1; }
			fi
		done
		"$TIP" verify -q "$1" >/dev/null 2>&1 || { echo "verify: $("$TIP" verify "$1" 2>&1 | head -2)"; return 1; }
	}
	pull_one() {	# pull_one CALL N ERR: a pull with that fault, then a clean one; prints why not sound
		local call=$1 n=$2 err=$3 out rc why='' f
		rm -rf "$d"
		out=$(FAULT_PATH=$d FAULT_CALL=$call FAULT_N=$n FAULT_ERR=$err LD_PRELOAD=$SHIM dopull "$d" 2>&1); rc=$?
		if [ "$rc" -ge 128 ] || printf '%s' "$out" | grep -q 'AddressSanitizer\|runtime error'; then
			why="crashed (exit $rc): $(printf '%s' "$out" | tail -2)"
		elif ! printf '%s' "$out" | grep -q "faultinj: $call #$n"; then
			why="the fault was not reached: $out"
		elif ! why=$(pulled_sound "$d"); then
			:
		elif ! out=$(dopull "$d" 2>&1); then
			why="the clean pull after it failed: $out"
		else
			why=$(pulled_sound "$d") || true
			for f in "$SRC/log/"*.cdb; do
				[ -e "$d/log/${f##*/}" ] || why="${why:-after the clean pull: ${f##*/} missing}"
			done
		fi
		[ -z "$why" ] || { echo "$call #$n $err: $why; tipd: $(tail -4 "$T/share.log")"; return 1; }
	}
	local d=$T/pd runs=0 bad=0 first=
	rm -rf "$d" "$T/count"
	FAULT_PATH=$d FAULT_COUNT=$T/count LD_PRELOAD=$SHIM dopull "$d" >/dev/null 2>&1 ||
		{ notok faults_pull "fails without any fault"; kill "$PP"; return; }
	each_fault pull_one
	kill "$PP"; wait "$PP" 2>/dev/null
	if [ "$bad" -eq 0 ] && [ "$runs" -gt 0 ]; then
		ok "faults_pull ($runs runs; calls: $(tr '\n' ' ' < "$T/count"))"
	else
		notok "faults_pull" "$bad of $runs runs: $first"
	fi
}
[ -x "$TIPD" ] && pull_faults

# ---- the daemon: writes fail for a while, then the disk comes back -------
if [ -x "$TIPD" ]; then
	D=$T/d; SOCK=$T/tipd.sock
	cat > "$T/tipd.conf" <<CONF
pidfile none
store {
	dir $D
	sync-interval 50ms
	segment-size 16k
}
control {
	socket $SOCK
}
CONF
	FAULT_PATH=$D FAULT_CALL=write FAULT_N=4 FAULT_UNTIL=40 FAULT_ERR=EIO LD_PRELOAD=$SHIM \
		"$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd.log" &
	PID=$!
	wait_for 5 tip_answers "$SOCK"
	for r in $(seq 40); do
		names=(); for i in $(seq 20); do names+=("n$i.r$r.fault.example"); done
		"$TIP" submit -s "$SOCK" "${names[@]}" >/dev/null 2>&1
		sleep 0.05
	done
	sleep 0.5
	alive=0; kill -0 "$PID" 2>/dev/null && "$TIP" status -s "$SOCK" >/dev/null 2>&1 && alive=1
	lost=$(grep -c 'records are being lost until it clears' "$T/tipd.log")
	again=$(grep -c 'writing again' "$T/tipd.log")
	if [ "$alive" -eq 1 ] && [ "$lost" -eq 1 ] && [ "$again" -eq 1 ] &&
		grep -q 'faultinj: write #40' "$T/tipd.log"; then
		ok "faults_tipd_survives_logs_once (lost logged $lost, recovery $again)"
	else
		notok "faults_tipd_survives_logs_once" "alive=$alive lost=$lost again=$again: $(tail -3 "$T/tipd.log")"
	fi
	kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
	[ "$rc" -eq 0 ] && ok "faults_tipd_stops_cleanly" || notok "faults_tipd_stops_cleanly" "exit $rc"
	if out=$("$TIP" verify -q "$D" 2>&1); then ok "faults_tipd_store_verifies"
	else notok "faults_tipd_store_verifies" "$out"; fi
	"$TIP" dump "$D" 2>/dev/null | grep -q 'n20.r40.fault.example' &&
		ok "faults_tipd_writes_after_recovery" || notok "faults_tipd_writes_after_recovery"
fi
[ "$fail" -eq 0 ]
