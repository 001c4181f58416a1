#!/bin/bash
# unmount: the store's disk goes away under a running tipd, as a USB
# stick pulled from a router does.  In a private mount namespace
# (unshare -m) a loop-mounted ext4 image holds the store; it is detached
# (umount -l) while tipd writes.  tipd must log the failure, keep running
# and answering, stop cleanly; the image, mounted again, must verify.
# Needs root (mount, loop devices); skips otherwise.
# Prints "ok NAME" / "not ok NAME: why" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
if [ -z "${TIP_IN_MNTNS:-}" ]; then
	if ! err=$(unshare -m --propagation private true 2>&1); then
		echo "skip unmount: cannot make a private mount namespace (needs root, and / a mount point): $err"; exit 0
	fi
	TIP_IN_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
fail=0
PID=
. tests/integration/lib.sh
[ -x "$TIPD" ] || { echo "not ok unmount: $O/tipd not built"; exit 1; }
tmpdir_make T unmount
on_exit "kill_now \$PID; umount '$T/mnt' 2>/dev/null"
truncate -s 16M "$T/disk.img"
mkfs.ext4 -q -F "$T/disk.img" >/dev/null 2>&1 || { echo "not ok unmount: mkfs.ext4"; exit 1; }
mkdir -p "$T/mnt"
if ! mount -o loop "$T/disk.img" "$T/mnt" 2>/dev/null; then
	echo "skip unmount: cannot loop-mount an image here"; exit 0
fi
SOCK=$T/tipd.sock
cat > "$T/tipd.conf" <<CONF
pidfile none
store {
	dir $T/mnt/store
	sync-interval 50ms
	segment-size 8k
}
control {
	socket $SOCK
}
CONF
"$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd.log" &
PID=$!
wait_for 5 tip_answers "$SOCK"
submit() {	# submit TAG ROUNDS
	local r i names
	for r in $(seq "$2"); do
		names=(); for i in $(seq 20); do names+=("n$i.r$r.$1.example"); done
		"$TIP" submit -s "$SOCK" "${names[@]}" >/dev/null 2>&1
		sleep 0.05
	done
}
submit before 10
sleep 0.3
umount -l "$T/mnt"	# the disk is gone: open files stay, new ones fail
submit gone 30
sleep 0.5
if kill -0 "$PID" 2>/dev/null && "$TIP" status -s "$SOCK" >/dev/null 2>&1; then
	ok "keeps_running_without_disk"
else
	notok "keeps_running_without_disk" "$(tail -3 "$T/tipd.log")"
fi
n=$(grep -c 'records are being lost until it clears' "$T/tipd.log")
[ "$n" -eq 1 ] && ok "failure_logged_once" || notok "failure_logged_once" "$n times: $(grep writer: "$T/tipd.log" | tail -3)"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
# exit 0, or 1 when data could not be made durable (logged): never a crash
[ "$rc" -le 1 ] && ok "term_exits (exit $rc)" || notok "term_exits" "exit $rc"
mount -o loop "$T/disk.img" "$T/mnt" || { notok "remount"; exit 1; }
# what was sealed while the disk was gone may lack its index: verify names it
out=$("$TIP" verify -q "$T/mnt/store" 2>&1); rc=$?
if [ "$rc" -eq 0 ] || { [ "$rc" -lt 128 ] && printf '%s' "$out" | grep -q "$T/mnt/store/log/"; }; then
	ok "verify_after_remount_passes_or_names_the_file"
else
	notok "verify_after_remount_passes_or_names_the_file" "exit $rc: $out"
fi
# the next start recovers it
"$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd2.log" &
PID=$!
wait_for 5 tip_answers "$SOCK"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
if [ "$rc" -eq 0 ] && out=$("$TIP" verify -q "$T/mnt/store" 2>&1); then ok "next_start_recovers"
else notok "next_start_recovers" "exit $rc: $out $(tail -2 "$T/tipd2.log")"; fi
"$TIP" dump "$T/mnt/store" 2>/dev/null | grep -q 'n20.r10.before.example' &&
	ok "records_before_kept" || notok "records_before_kept"
[ "$fail" -eq 0 ]
