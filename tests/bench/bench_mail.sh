#!/bin/bash
# bench_mail.sh BUILD: mail mining throughput and memory.
#   mail_import_mbs / mail_import_msgs: `tip import maildir` of the
#     SpamAssassin messages (../shared/data/spam, copied 5 times under new
#     names so a run is long enough to time) into a fresh store, against
#     `cat` of the same files to /dev/null (wall time, best of 3 each);
#   mail_import_rss_kb: peak RSS of `tip import maildir` of one 20 MB
#     message (tests/bench_mail's), against the same for the 200 small ones.
#   mail_tipd_stall_maildir_ms / mail_tipd_stall_archive_ms: tipd's loop
#     (its control socket's worst answer) while it mines that message from
#     its maildir, then from a daily archive over HTTP, against the same
#     tipd idle.  tests/bench_mail prints the anchor of parsing on the loop.
# Prints "bench NAME VALUE UNIT ANCHOR=VALUE ratio=X"; asserts nothing.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
spam=../shared/data/spam/maildir
[ -d "$spam/cur" ] || { echo "# bench_mail.sh: $spam missing, skipped"; exit 0; }
T=$(mktemp -d "$O/bench-mail.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/md/new" "$T/md/cur" "$T/big/new"
for k in 1 2 3 4 5; do
	for f in "$spam"/cur/* "$spam"/new/*; do
		b=$(basename "$f"); cp "$f" "$T/md/cur/$k$b"
	done
done
n=$(ls "$T/md/cur" | wc -l)
bytes=$(cat "$T/md/cur"/* | wc -c)
best() {	# best CMD...: the best wall time of 3 runs, in seconds
	local b=999 s e t
	for _ in 1 2 3; do
		rm -rf "$T/st"
		s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		[ "$(echo "$t < $b" | bc -l)" = 1 ] && b=$t
	done
	echo "$b"
}
tc=$(best sh -c "cat '$T'/md/cur/* >/dev/null")
ti=$(best "$O/tip" import maildir "$T/md" --store "$T/st")
mbc=$(echo "$bytes / 1000000 / $tc" | bc -l)
mbi=$(echo "$bytes / 1000000 / $ti" | bc -l)
printf 'bench mail_import_mbs %.1f MB/s cat=%.1f ratio=%.3f\n' "$mbi" "$mbc" "$(echo "$mbi / $mbc" | bc -l)"
printf 'bench mail_import_msgs %.0f msg/s cat=%.0f ratio=%.3f\n' "$(echo "$n / $ti" | bc -l)" \
	"$(echo "$n / $tc" | bc -l)" "$(echo "$tc / $ti" | bc -l)"
if [ -x "$O/tests/bench_mail" ] && [ -x /usr/bin/time ]; then
	"$O/tests/bench_mail" "$T/big/new/1.big" write
	rm -rf "$T/st"
	big=$( { /usr/bin/time -f %M "$O/tip" import maildir "$T/big" --store "$T/st" >/dev/null; } 2>&1 | tail -n1)
	rm -rf "$T/st"
	small=$( { /usr/bin/time -f %M "$O/tip" import maildir "$spam" --store "$T/st" >/dev/null; } 2>&1 | tail -n1)
	printf 'bench mail_import_rss_kb %s KB small_messages=%s ratio=%.3f\n' "$big" "$small" \
		"$(echo "$big / $small" | bc -l)"
fi
# The real daemon: tipd's loop answering its control socket while it mines
# the 20 MB message from the maildir, then from a daily archive (an mbox
# over HTTP, after the blacklist round).  A client sends one request every
# millisecond and times each answer; the worst answer while idle (the
# same tipd, same rounds) is the anchor.
#   mail_tipd_stall_maildir_ms / mail_tipd_stall_archive_ms
if [ -x "$O/tipd" ] && [ -x "$O/tests/bench_mail" ] && command -v python3 >/dev/null &&
	grep -q 'spamtrap: archives' "$O/tipd"; then
	D=$(cd "$T" && pwd)/tipd
	mkdir -p "$D/md/new" "$D/md/cur" "$D/md/tmp" "$D/www/bl"
	"$O/tests/bench_mail" "$D/big.eml" write
	today=$(date -u +%F)
	printf 'bench.example\n' >"$D/www/bl/list.txt"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	(cd "$D/www" && exec python3 -m http.server -b 127.0.0.1 "$port" >/dev/null 2>&1) &
	hpid=$!
	cat >"$D/tipd.conf" <<CONF
pidfile none
store {
	dir $D/store
	fsync no
}
control {
	socket $D/sock
}
module blacklist {
	interval 1s
	candidates no
	source bl {
		url http://127.0.0.1:$port/bl/list.txt
		format domains
	}
}
module spamtrap {
	maildir $D/md
	interval 1s
	settle 1s
	candidates no
	archive bench {
		url http://127.0.0.1:$port/%F.mbox
	}
}
CONF
	"$O/tipd" -f -c "$D/tipd.conf" 2>"$D/log" &
	tpid=$!
	probe() {	# probe SECONDS: the worst answer of the control socket, ms
		python3 - "$D/sock" "$1" <<'PY'
import socket, sys, time
path, dur = sys.argv[1], float(sys.argv[2])
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        time.sleep(0.05)
f = s.makefile("rb")
worst, end = 0.0, time.monotonic() + dur
while time.monotonic() < end:
    t = time.monotonic()
    s.sendall(b"trace spamtrap off\n")
    while True:
        l = f.readline()
        if not l or l.startswith(b"ok") or l.startswith(b"error"):
            break
    worst = max(worst, time.monotonic() - t)
    time.sleep(0.001)
print("%.2f" % (worst * 1000))
PY
	}
	idle=$(probe 3)
	[ -n "$idle" ] || echo "# tipd did not answer: $(tail -n 3 "$D/log" | tr "\n" " ")"
	u="$(date +%s).Mbig.bench"
	cp "$D/big.eml" "$D/md/tmp/$u" && mv "$D/md/tmp/$u" "$D/md/new/$u"
	md=$(probe 4)
	{ printf 'From bench@example.invalid Thu Jan  1 00:00:00 2026\n'; cat "$D/big.eml"; printf '\n'
	  for f in "$spam"/cur/*; do
		head -c 5 "$f" | grep -q '^From ' || printf 'From bench@example.invalid Thu Jan  1 00:00:00 2026\n'
		sed 's/^From />From /' "$f" | sed '1s/^>From /From /'; printf '\n'
	  done; } >"$D/www/$today.mbox.tmp"
	mv "$D/www/$today.mbox.tmp" "$D/www/$today.mbox"
	ar=$(probe 5)
	kill "$tpid" "$hpid" 2>/dev/null
	wait "$tpid" "$hpid" 2>/dev/null
	mined=$(grep -c '"type":"spam"' < <("$O/tip" dump "$D/store" 2>/dev/null))
	printf 'bench mail_tipd_stall_maildir_ms %s ms idle=%s ratio=%.2f\n' "$md" "$idle" "$(echo "$md / $idle" | bc -l)"
	printf 'bench mail_tipd_stall_archive_ms %s ms idle=%s ratio=%.2f (%s messages mined, the 20 MB one among them)\n' \
		"$ar" "$idle" "$(echo "$ar / $idle" | bc -l)" "$mined"
fi
