#!/bin/bash
# diskfull: tipd on a store in a small tmpfs that fills up.  It must keep
# running and answering, count and log what it could not write, write
# again once space returns, stop cleanly, and leave a store that verifies.
# Needs root for mount(8); skips otherwise.
# Prints "ok NAME" / "not ok NAME" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
fail=0
PID=
ok() { echo "ok $1"; }
notok() { echo "not ok $1${2:+: $2}"; fail=1; }

if [ ! -x "$TIPD" ] || [ ! -x "$TIP" ]; then
	echo "not ok diskfull: $O/tipd or $O/tip not built"
	exit 1
fi
T=$(mktemp -d /tmp/tip-diskfull.XXXXXX)
mkdir -p "$T/mnt"
if ! mount -t tmpfs -o size=512k tmpfs "$T/mnt" 2>/dev/null; then
	rmdir "$T/mnt" "$T"
	echo "skip diskfull: cannot mount a tmpfs (not root, or no permission)"
	exit 0
fi
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	umount "$T/mnt" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
SOCK=$T/tipd.sock
cat > "$T/tipd.conf" <<EOF
pidfile none
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
for _ in $(seq 100); do "$TIP" status -s "$SOCK" >/dev/null 2>&1 && break; sleep 0.05; done

submit_many before 50
sleep 0.3
# Fill the file system to the last block.
dd if=/dev/zero of="$T/mnt/filler" bs=4k 2>/dev/null
for _ in 1 2 3 4 5 6 7 8; do
	submit_many full$_ 400
	sleep 0.2
done
sleep 0.5
lost=$(field writer lost)
disk=$(field writer disk)
if kill -0 "$PID" 2>/dev/null && [ -n "$lost" ] && [ "$lost" -gt 0 ]; then
	ok "keeps_running_and_counts_lost"
else
	notok "keeps_running_and_counts_lost" "lost=$lost disk=$disk $(tail -3 "$T/tipd.log")"
fi
if grep -q 'writer: .*No space left on device: records are being lost' "$T/tipd.log"; then
	ok "disk_full_logged"
else
	notok "disk_full_logged" "$(tail -3 "$T/tipd.log")"
fi

# Space returns: writing resumes.
rm -f "$T/mnt/filler"
stored0=$(field writer stored)
submit_many after 50
for _ in $(seq 100); do
	[ "$(field writer disk)" = ok ] && [ "$(field writer stored)" -gt "$stored0" ] && break
	sleep 0.05
done
if [ "$(field writer disk)" = ok ] && [ "$(field writer stored)" -gt "$stored0" ] &&
	grep -q 'writer: .*writing again' "$T/tipd.log"; then
	ok "resumes_when_space_returns"
else
	notok "resumes_when_space_returns" "disk=$(field writer disk) $(tail -3 "$T/tipd.log")"
fi

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" -eq 0 ] && ok "term_after_disk_full" || notok "term_after_disk_full" "exit $rc"

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
fi
[ "$fail" -eq 0 ]
