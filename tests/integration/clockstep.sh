#!/bin/bash
# clockstep: the wall clock stepped forward and back by hours under a
# running tipd (tests/fault/clockstep.c, LD_PRELOAD), as a router's clock
# jumps at its first NTP sync.  After each step tipd answers at once (no
# stall), records carry the new wall time, nothing in its status goes
# negative, and the store verifies at the end.
# Prints "ok NAME" / "not ok NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
SHIM=$PWD/$O/tests/clockstep.so
fail=0
PID=
. tests/integration/lib.sh
[ -x "$TIPD" ] && [ -e "$SHIM" ] || { echo "not ok clockstep: $O/tipd or $SHIM not built"; exit 1; }
tmpdir_make T clockstep
on_exit "kill_now \$PID"
SOCK=$T/tipd.sock
cat > "$T/tipd.conf" <<CONF
pidfile none
store {
	dir $T/store
	sync-interval 50ms
	segment-age 30m
}
control {
	socket $SOCK
}
CONF
echo 0 > "$T/offset"
export CLOCKSTEP_FILE=$T/offset
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
LD_PRELOAD=$SHIM "$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd.log" &
PID=$!
wait_for 5 tip_answers "$SOCK"

# step OFFSET NAME: set the clock, then one submit must be answered within 2 s
step() {
	echo "$1" > "$T/offset"
	sleep 0.2
	local t0 t1
	t0=$(date +%s%N)
	if ! timeout 2 "$TIP" submit -s "$SOCK" "$2.clock.example" >/dev/null 2>&1; then
		notok "answers_after_$2" "no answer within 2 s"; return
	fi
	t1=$(date +%s%N)
	ok "answers_after_$2 ($(( (t1 - t0) / 1000000 )) ms)"
}
step 0 start
step 10800 forward3h
step -10800 back6h
step 3600 forward4h
sleep 0.5
st=$("$TIP" status -s "$SOCK" 2>&1)
if printf '%s\n' "$st" | grep -qE '=-[0-9]|: -[0-9]| -[0-9]+(\.[0-9]+)?(s|ms|us)\b'; then
	notok "no_negative_durations" "$(printf '%s\n' "$st" | grep -E '=-|: -| -[0-9]' | head -3)"
else
	ok "no_negative_durations"
fi
kill -0 "$PID" 2>/dev/null && ok "still_running" || notok "still_running"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" -eq 0 ] && ok "term_exits_0" || notok "term_exits_0" "exit $rc"
out=$("$TIP" verify -q "$T/store" 2>&1) && ok "store_verifies" || notok "store_verifies" "$out"
# each candidate's note carries the wall time of its step
now=$(date -u +%s)
dump=$("$TIP" dump "$T/store" 2>/dev/null)
check_time() {	# check_time NAME OFFSET
	local line ts
	line=$(printf '%s\n' "$dump" | grep "$1.clock.example" | head -1)
	ts=$(printf '%s' "$line" | grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}' | head -1)
	[ -n "$ts" ] || { notok "record_time_$1" "no record: $line"; return; }
	local s d
	s=$(date -u -d "${ts/T/ }" +%s)
	d=$(( s - now - $2 ))
	[ "${d#-}" -lt 600 ] && ok "record_time_$1" || notok "record_time_$1" "$ts, want now $2 s"
}
check_time start 0
check_time forward3h 10800
check_time back6h -10800
check_time forward4h 3600
[ "$fail" -eq 0 ]
