#!/bin/bash
# bench_mail.sh BUILD: mail mining throughput and memory.
#   mail_import_mbs / mail_import_msgs: `tip import maildir` of the
#     SpamAssassin messages (../shared/data/spam, copied 5 times under new
#     names so a run is long enough to time) into a fresh store, against
#     `cat` of the same files to /dev/null (wall time, best of 3 each);
#   mail_import_rss_kb: peak RSS of `tip import maildir` of one 20 MB
#     message (tests/bench_mail's), against the same for the 200 small ones.
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
