#!/bin/bash
# diskfull: tipd on a store in a small tmpfs that fills up.  It must keep
# running and answering, count and log what it could not write (said once
# when it begins, then a summary at most every report-interval, never
# "writing again" while the disk is still full), write again once space
# returns with one count in the log, status and the store's note, stop
# cleanly, and leave a store that verifies.  A store that cannot be
# written at start (full, or read-only) is fatal at start.
# Needs root for mount(8); skips otherwise.
# Prints "ok NAME" / "not ok NAME" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
fail=0
PID=
. tests/integration/lib.sh

if [ ! -x "$TIPD" ] || [ ! -x "$TIP" ]; then
	echo "not ok diskfull: $O/tipd or $O/tip not built"
	exit 1
fi
tmpdir_make T diskfull
mkdir -p "$T/mnt"
if ! mount -t tmpfs -o size=512k tmpfs "$T/mnt" 2>/dev/null; then
	echo "skip diskfull: cannot mount a tmpfs (not root, or no permission)"
	exit 0
fi
on_exit "kill_now \$PID; umount '$T/mnt' 2>/dev/null; umount '$T/ino' 2>/dev/null"
SOCK=$T/tipd.sock
cat > "$T/tipd.conf" <<EOF
pidfile none
report-interval 1s
store {
	dir $T/mnt/store
	sync-interval 50ms
	segment-size 128k
}
control {
	socket $SOCK
}
EOF

field() {	# field PREFIX KEY
	"$TIP" status -s "$SOCK" | awk -v p="$1" -v k="$2" '$1 == p {
		for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }'
}

submit_many() {	# submit_many PREFIX COUNT
	local names=() i
	for i in $(seq "$2"); do names+=("n$i.$1.example"); done
	"$TIP" submit -s "$SOCK" "${names[@]}" >/dev/null
}

"$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd.log" &
PID=$!
wait_for 5 tip_answers "$SOCK"

submit_many before 50
sleep 0.3
# Fill the file system to the last block.
dd if=/dev/zero of="$T/mnt/filler" bs=4k 2>/dev/null
# bursts with pauses longer than a second: a writer that took a quiet
# second for "writing again" would flap here
t0=$(date +%s)
for r in 1 2 3 4; do
	submit_many full$r 400
	sleep 1.2
done
t1=$(date +%s)
lost=$(field writer lost)
disk=$(field writer disk)
if kill -0 "$PID" 2>/dev/null && [ -n "$lost" ] && [ "$lost" -gt 0 ]; then
	ok "keeps_running_and_counts_lost"
else
	notok "keeps_running_and_counts_lost" "lost=$lost disk=$disk $(tail -3 "$T/tipd.log")"
fi
began=$(grep -c 'writer: .*No space left on device: records are being lost until it clears' "$T/tipd.log")
again=$(grep -c 'writer: .*writing again' "$T/tipd.log")
if [ "$began" = 1 ] && [ "$again" = 0 ]; then
	ok "disk_full_said_once"
else
	notok "disk_full_said_once" "$began 'being lost' lines, $again 'writing again' while full"
fi
summaries=$(grep -c 'writer: .*still No space left on device: [0-9]* records lost since it began, [0-9]* in all' "$T/tipd.log")
if [ "$summaries" -ge 1 ] && [ "$summaries" -le $((t1 - t0 + 1)) ]; then
	ok "disk_full_summary_bounded"
else
	notok "disk_full_summary_bounded" "$summaries summaries in $((t1 - t0)) s"
fi

# Space returns: writing resumes.
rm -f "$T/mnt/filler"
stored0=$(field writer stored)
submit_many after 50
writes_again() { [ "$(field writer disk)" = ok ] && [ "$(field writer stored)" -gt "$stored0" ]; }
wait_for 5 writes_again
if [ "$(field writer disk)" = ok ] && [ "$(field writer stored)" -gt "$stored0" ] &&
	grep -q 'writer: .*writing again' "$T/tipd.log"; then
	ok "resumes_when_space_returns"
else
	notok "resumes_when_space_returns" "disk=$(field writer disk) $(tail -3 "$T/tipd.log")"
fi

lost_status=$(field writer lost)
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" -eq 0 ] && ok "term_after_disk_full" || notok "term_after_disk_full" "exit $rc"
line=$(grep 'writer: .*writing again after No space left on device' "$T/tipd.log")
ep_log=$(echo "$line" | sed -n 's/.*: \([0-9]*\) records lost while it lasted, \([0-9]*\) in all.*/\1/p')
all_log=$(echo "$line" | sed -n 's/.*: \([0-9]*\) records lost while it lasted, \([0-9]*\) in all.*/\2/p')

if "$TIP" help 2>&1 | grep -q 'tip verify'; then
	if out=$("$TIP" verify "$T/mnt/store" 2>&1); then ok "store_verifies"; else notok "store_verifies" "$out"; fi
fi
if "$TIP" help 2>&1 | grep -q 'tip dump'; then
	dump=$("$TIP" dump "$T/mnt/store" 2>/dev/null)
	if echo "$dump" | grep -q 'candidate operator n50.after.example"' &&
		echo "$dump" | grep -q 'candidate operator n1.before.example"' &&
		echo "$dump" | grep -q 'store refused [0-9]* records'; then
		ok "records_before_and_after_kept"
	else
		notok "records_before_and_after_kept"
	fi
	note=$(echo "$dump" | grep -o 'store refused [0-9]* records (No space left on device); [0-9]* records lost in all')
	ep_note=$(echo "$note" | sed -n 's/store refused \([0-9]*\) .*/\1/p')
	all_note=$(echo "$note" | sed -n 's/.*; \([0-9]*\) records lost in all/\1/p')
	if [ -n "$ep_log" ] && [ "$ep_log" = "$ep_note" ] && [ "$all_log" = "$all_note" ] &&
		[ "$all_log" = "$lost_status" ] && [ "$(echo "$note" | wc -l)" = 1 ]; then
		ok "one_count_in_log_status_and_note"
	else
		notok "one_count_in_log_status_and_note" "log $ep_log/$all_log, status $lost_status, note: $note"
	fi
fi

# A store that cannot be written at start is fatal there: full ...
dd if=/dev/zero of="$T/mnt/filler" bs=4k 2>/dev/null
out=$(timeout 10 "$TIPD" -f -c "$T/tipd.conf" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q "fatal: tipd: store: .*No space left on device"; then
	ok "full_store_fatal_at_start"
else
	notok "full_store_fatal_at_start" "rc=$rc $out"
fi
rm -f "$T/mnt/filler"
# ... or read-only, with a store in it already
if mount -o remount,ro "$T/mnt" 2>/dev/null; then
	out=$(timeout 10 "$TIPD" -f -c "$T/tipd.conf" 2>&1)
	rc=$?
	mount -o remount,rw "$T/mnt"
	if [ "$rc" -eq 1 ] && echo "$out" | grep -q "fatal: tipd: store: .*Read-only file system"; then
		ok "read_only_store_fatal_at_start"
	else
		notok "read_only_store_fatal_at_start" "rc=$rc $out"
	fi
else
	notok "read_only_store_fatal_at_start" "cannot remount the tmpfs read-only"
fi

# Out of inodes: the open segment still takes appends, but no new file can
# be made, so the next segment cannot be opened after a seal.  Records are
# refused one by one with nothing buffered and quiet seconds between: the
# fault must still be said once, never "writing again", and tipd, stopped
# while it lasts, exits 1.
mkdir -p "$T/ino"
if mount -t tmpfs -o size=512k,nr_inodes=9 tmpfs "$T/ino" 2>/dev/null; then
	sed -e "s|dir $T/mnt/store|dir $T/ino/store|" -e "s|segment-size 128k|segment-size 4k|" \
		"$T/tipd.conf" >"$T/ino.conf"
	"$TIPD" -f -c "$T/ino.conf" 2>"$T/ino.log" &
	PID=$!
	wait_for 5 tip_answers "$SOCK"
	for r in 1 2 3 4 5; do
		submit_many ino$r 60
		sleep 1.1
	done
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=
	began=$(grep -c 'writer: .*: No space left on device: records are being lost' "$T/ino.log")
	again=$(grep -c 'writer: .*writing again' "$T/ino.log")
	if [ "$began" = 1 ] && [ "$again" = 0 ] && [ "$rc" = 1 ] &&
		grep -q 'error: tipd: the store could not be made durable: records were lost' "$T/ino.log"; then
		ok "no_new_file_said_once_and_exit_1"
	else
		notok "no_new_file_said_once_and_exit_1" "rc=$rc, $began 'being lost', $again 'writing again': $(grep writer "$T/ino.log" | head -4)"
	fi
	umount "$T/ino"
else
	notok "no_new_file_said_once_and_exit_1" "cannot mount a tmpfs with nr_inodes"
fi
[ "$fail" -eq 0 ]
