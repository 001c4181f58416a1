#!/bin/bash
# Integration test of tip compact: queries (domain, ip, flux in every
# format, a day-fenced window, the graph) give the same bytes before and
# after; verify is clean; a second run has nothing to merge; the progress
# bar shows on a terminal and never when piped; and a crash at every step
# of the swap (TIP_COMPACT_CRASH_AT) and SIGKILLs at random moments leave a
# store that verifies and queries the same, which the next compaction
# finishes.  Stores: a day of sample passive DNS imported hour by hour
# (one segment an hour), mkyear stores (three sensors, score samples,
# hostile names) and the mkstore store (every record type, an active
# segment with a torn tail).
# Prints ok/not ok/skip lines; exits 1 when anything failed.
set -u
O=${O:-build}
tip=$O/tip
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
for b in "$tip" "$O/tests/mkyear" "$O/tests/mkstore"; do
	if [ ! -x "$b" ]; then
		echo "not ok compact: $b not built"
		exit 1
	fi
done
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

# ---- the stores ------------------------------------------------------------
mkdir -p "$d/orig"
scripts/sample-cof.sh >"$d/day.cof"
for s in c1 c2; do
	for h in $(seq 0 23); do
		t=$((1764000000 + h * 3600))
		python3 -c '
import json, sys
t0 = int(sys.argv[2])
for l in open(sys.argv[1]):
    if t0 <= json.loads(l)["time_first"] < t0 + 3600: sys.stdout.write(l)' "$d/day.cof" $t |
			"$tip" import cof - --store "$d/orig/$s" --sensor $s >/dev/null 2>&1 || echo "import $s $h failed"
	done
done
"$O/tests/mkyear" "$d/orig" --sensors 3 --hours 48 --scores --hostile >/dev/null 2>&1
"$O/tests/mkstore" "$d/orig/mk" >/dev/null 2>&1
n=$(ls "$d"/orig/*/log/*.tlog | wc -l)
[ "$n" -ge 48 ]; check stores-built $? "$n segments"

# ---- what the queries say ----------------------------------------------------
# (a flux name has hundreds of addresses, each looked up in every segment:
# the crash loops leave them out)
heavy=(flux11.example-botnet.test)
names=(www.site7.example www.site001.example cdn03.example-cdn.test
	'<script>alert(1)</script>.evil.test' $'bad\xffutf8.evil.test' flux.example seen-often.example)
ips=(192.0.2.17 198.18.0.5 198.51.100.3 203.0.113.4)
q() {	# OUT, then the query: stdout, then stderr with the store's path replaced, then the status
	local out=$1; shift
	"$tip" query "$@" >"$out" 2>"$out.err"
	echo "rc=$?" >>"$out"
	sed "s|$S|STORE|g" "$out.err" >>"$out"
	rm -f "$out.err"
}
snapshot() {	# STOREDIR OUTDIR [light]: light for the crash loops
	local s=$1 out=$2 f i fmts="table csv json cof" all=("${heavy[@]}" "${names[@]}")
	[ -n "${3:-}" ] && fmts="csv" && all=("${names[@]}")
	S=$s
	mkdir -p "$out"
	for f in $fmts; do
		# COF of every name looks every address up: the flux names only
		q "$out/flux.$f" flux --store "$s" --min-score $([ $f = cof ] && echo 1000 || echo 0) --format $f
		for i in "${!all[@]}"; do
			q "$out/d$i.$f" domain "${all[$i]}" --store "$s" --format $f
		done
		for a in "${ips[@]}"; do
			q "$out/ip-$a.$f" ip "$a" --store "$s" --format $f
		done
	done
	# a window of whole UTC days (coalescing never crosses one)
	q "$out/window.csv" flux --store "$s" --min-score 0 --since 2025-01-02 --until 2025-01-02T23:59:59Z \
		--format csv
	[ -n "${3:-}" ] && return
	"$tip" graph domain flux03.example-botnet.test --store "$s" --source lookups -o - \
		>"$out/graph.svg" 2>/dev/null
	# every record that is no DNS observation, in order (the merge's note apart)
	"$tip" dump "$s" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["type"] == "dns" or "compacted seqs" in str(o.get("text", "")):
        continue
    for k in ("segment", "offset"):
        o.pop(k, None)
    print(json.dumps(o, sort_keys=True))' >"$out/others.json"
}
same_as() {	# NAME REF OUT
	if diff -r "$2" "$3" >"$d/diff" 2>&1; then ok "$1"; else nok "$1" "$(head -c 400 "$d/diff")"; fi
}
snapshot "$d/orig" "$d/want"
# The copies below are hard links (linkcopy): compaction writes new files
# and renames, never into a segment or index in place, so the originals
# must stay as they are.  The lock files it does write in place (the
# holder's line) get inodes of their own.
linkcopy() {
	cp -al "$1" "$2" || return 1
	find "$2" -type f \( -name lock -o -name '*.lock' \) | while IFS= read -r f; do
		cp -p "$f" "$f.own" && mv -f "$f.own" "$f"
	done
}
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 md5sum); }
sums "$d/orig" >"$d/orig.md5"
[ "$(wc -l <"$d/want/flux.csv")" -gt 40 ] && grep -q '"lookups":3' "$d/want/d4.json" &&
	[ -s "$d/want/others.json" ] && grep -q '<path class="score"' "$d/want/graph.svg"
check snapshot-has-data $?

# ---- compact, piped --------------------------------------------------------
linkcopy "$d/orig" "$d/a"
"$tip" compact "$d/a" >"$d/out" 2>"$d/err"
check compact-exit-0 $? "$(cat "$d/err")"
[ ! -s "$d/err" ]; check no-progress-bar-when-piped $? "$(od -c "$d/err" | head -3)"
grep -q "c1: 24 segments .* into 1 " "$d/out" && grep -q "s1: 48 segments .* into 1 " "$d/out" &&
	grep -q 'mk: .*left as they are' "$d/out"
check summary-lines $? "$(cat "$d/out")"
n=$(ls "$d"/a/*/log/*.tlog | wc -l)
[ "$n" = 7 ]; check one-segment-per-store-and-the-active-one $? "$n segments"
ls "$d"/a/s1/log | grep -q '^20250101T000000Z-00000048\.c00000001\.tlog$'
check merged-name-keeps-the-highest-seq $?
"$tip" verify -q "$d/a" >"$d/v" 2>&1
check verify-clean $? "$(head -3 "$d/v")"
! grep -v 'torn tail' "$d/v" | grep -q .; check verify-no-faults $? "$(head -3 "$d/v")"
snapshot "$d/a" "$d/got"
same_as queries-identical-after-compaction "$d/want" "$d/got"
a=$(du -sb "$d/orig/s1/log" | cut -f1); b=$(du -sb "$d/a/s1/log" | cut -f1)
[ "$b" -lt "$a" ]; check smaller-after $? "$a -> $b bytes"
"$tip" compact "$d/a" >"$d/out" 2>&1
[ $? = 0 ] && grep -q 's1: nothing to merge' "$d/out"; check second-run-nothing-to-merge $? "$(cat "$d/out")"

# ---- the progress bar on a terminal -------------------------------------------
linkcopy "$d/orig" "$d/tty"
script -qec "$tip compact $d/tty/s1" /dev/null >"$d/tty.out" 2>&1
grep -q $'\rtip compact: \\[#' "$d/tty.out" && grep -q '100%' "$d/tty.out"
check progress-bar-on-a-terminal $? "$(head -c 300 "$d/tty.out" | od -c | head -5)"
script -qec "$tip compact -q $d/tty/s2" /dev/null >"$d/tty.out" 2>&1
! grep -q $'\r' <(tr -d '\n' <"$d/tty.out" | sed 's/\r$//'); check no-bar-with-q $?

# ---- --before and a merged segment merged again ------------------------------
linkcopy "$d/orig/s1" "$d/b1"
"$tip" compact "$d/b1" --before 2025-01-02 >"$d/out" 2>&1
grep -q '24 segments' "$d/out" && ls "$d/b1/log" | grep -q '^20250101T000000Z-00000024\.c00000001\.tlog$'
check before-merges-the-first-day $? "$(cat "$d/out")"
"$tip" compact "$d/b1" >"$d/out" 2>&1
ls "$d/b1/log" | grep -q '^20250101T000000Z-00000048\.c00000001\.tlog$' && [ "$(ls "$d/b1/log" | wc -l)" = 2 ]
check merged-again-into-the-whole-range $? "$(ls "$d/b1/log")"
for f in table csv json cof; do
	"$tip" query flux --store "$d/b1" --min-score 0 --format $f >"$d/x" 2>&1
	"$tip" query flux --store "$d/orig/s1" --min-score 0 --format $f >"$d/y" 2>&1
	cmp -s "$d/x" "$d/y"; check "before-then-all-flux-$f-identical" $?
done
linkcopy "$d/orig/s1" "$d/m1"
"$tip" compact "$d/m1" --max-size 20K >"$d/out" 2>&1
n=$(ls "$d/m1/log" | grep -c '\.c[0-9]*\.tlog$')
[ "$n" -ge 3 ]; check max-size-makes-several-merges $? "$n merged segments"
"$tip" query flux --store "$d/m1" --min-score 0 --format json | cmp -s - <("$tip" query flux --store "$d/orig/s1" --min-score 0 --format json)
check max-size-flux-identical $?

# ---- an rsync peer: old segments back beside the merged one ------------------
linkcopy "$d/a" "$d/peer"
cp -n "$d"/orig/c1/log/* "$d/peer/c1/log/"
"$tip" query flux --store "$d/peer" --min-score 0 --format csv 2>/dev/null | cmp -s - <(sed '/^rc=/,$d' "$d/want/flux.csv")
check old-segments-beside-merged-read-once $?
"$tip" verify -q "$d/peer" >/dev/null 2>&1; check peer-verifies $?
"$tip" verify "$d/peer" >"$d/vout" 2>&1
grep -q 'covered by compacted segment .*safe to delete: tip compact --clean' "$d/vout" && ! grep -q 'not a regular file' "$d/vout"
check verify-explains-superseded $? "$(grep -m2 'log/' "$d/vout")"
linkcopy "$d/peer" "$d/peer2"
"$tip" compact --clean "$d/peer2" >"$d/out" 2>&1
grep -q 'cleaned; 48 files superseded' "$d/out" && [ "$(ls "$d/peer2/c1/log" | wc -l)" = 2 ] && ! grep -q covered <("$tip" verify "$d/peer2" 2>&1)
check compact-clean-removes-superseded $? "$(cat "$d/out")"
"$tip" compact "$d/peer" >"$d/out" 2>&1
grep -q '48 files superseded by compacted segments or left by an interrupted compaction removed' "$d/out" && [ "$(ls "$d/peer/c1/log" | wc -l)" = 2 ]
check superseded-removed-next-run $? "$(grep c1 "$d/out")"

# ---- a crash at every step of the swap -------------------------------------------
# two stores (the mkstore one and 4 hours of mkyear): every step of both merges
mkdir -p "$d/cr"
cp -a "$d/orig/mk" "$d/cr/mk"
"$O/tests/mkyear" "$d/cr" --sensors 1 --hours 4 --hostile --scores >/dev/null 2>&1
snapshot "$d/cr" "$d/wantl" light
k=1
while [ $k -le 60 ]; do
	rm -rf "$d/k"
	linkcopy "$d/cr" "$d/k"
	TIP_COMPACT_CRASH_AT=$k "$tip" compact -q "$d/k" >/dev/null 2>&1
	rc=$?
	[ $rc = 0 ] && break
	if [ $rc != 99 ]; then
		nok "crash-$k" "exit $rc"
		break
	fi
	"$tip" verify -q "$d/k" >"$d/v" 2>&1
	vr=$?
	snapshot "$d/k" "$d/ck" light
	if [ $vr != 0 ] || ! diff -r "$d/wantl" "$d/ck" >/dev/null 2>&1; then
		nok "crash-at-step-$k-old-or-new" "verify $vr $(head -2 "$d/v") $(diff -r "$d/wantl" "$d/ck" | head -3)"
	fi
	"$tip" compact -q "$d/k" >/dev/null 2>&1
	if [ $? != 0 ] || [ "$(ls "$d"/k/*/log/*.tlog | wc -l)" != 3 ] ||
		[ -n "$(find "$d/k" -name '*.tmp')" ]; then
		nok "crash-at-step-$k-finished-by-next-run"
	fi
	rm -rf "$d/ck"
	k=$((k + 1))
done
[ $k -gt 20 ] && [ $k -le 60 ]; check crash-at-every-step-old-or-new-then-finished $? "$((k - 1)) steps"
snapshot "$d/k" "$d/ck" light
same_as after-crashes-queries-identical "$d/wantl" "$d/ck"

# ---- SIGKILL at random moments of a larger compaction --------------------------
"$O/tests/mkyear" "$d/big" --sensors 1 --hours 1500 --names 40,20,20 >/dev/null 2>&1
big_want=$("$tip" query flux --store "$d/big" --min-score 0 --format csv | md5sum)
dom_want=$("$tip" query domain www.site011.example --store "$d/big" --format json | md5sum)
RANDOM=4242
kills=0 at=""
for i in $(seq 1 8); do
	rm -rf "$d/bk"
	linkcopy "$d/big" "$d/bk"
	"$tip" compact -q "$d/bk" >/dev/null 2>&1 &
	p=$!
	# spread over the first 0.2 s (the whole run takes about that here)
	sleep "$(printf '0.%03d' $(( (i - 1) * 25 + RANDOM % 25 )))"
	kill -KILL $p 2>/dev/null && kills=$((kills + 1))
	wait $p 2>/dev/null
	# where it stopped, for the record
	if [ -n "$(find "$d/bk" -name '*.tmp')" ]; then at="$at writing"
	elif ls "$d/bk/s1/log" | grep -q '\.c[0-9]*\.tlog$'; then
		[ "$(ls "$d/bk/s1/log" | wc -l)" -gt 2 ] && at="$at removing" || at="$at done"
	else at="$at reading"; fi
	"$tip" verify -q "$d/bk" >"$d/v" 2>&1 || nok "sigkill-$i-verify" "$(head -2 "$d/v")"
	[ "$("$tip" query flux --store "$d/bk" --min-score 0 --format csv | md5sum)" = "$big_want" ] ||
		nok "sigkill-$i-flux-identical"
	[ "$("$tip" query domain www.site011.example --store "$d/bk" --format json | md5sum)" = "$dom_want" ] ||
		nok "sigkill-$i-domain-identical"
	"$tip" compact -q "$d/bk" >/dev/null 2>&1 || nok "sigkill-$i-next-run"
	[ "$(ls "$d/bk/s1/log" | wc -l)" = 2 ] || nok "sigkill-$i-finished" "$(ls "$d/bk/s1/log" | head)"
	[ "$("$tip" query flux --store "$d/bk" --min-score 0 --format csv | md5sum)" = "$big_want" ] ||
		nok "sigkill-$i-after-next-run-identical"
done
ok "sigkill-at-random-moments (killed while:$at)"

# ---- damage, lock, usage ---------------------------------------------------
cp -a "$d/orig/s1" "$d/dmg"
seg=$(ls "$d/dmg/log/"*.tlog | sed -n 30p)
printf 'garbage' | dd of="$seg" bs=1 seek=500 conv=notrunc 2>/dev/null
"$tip" compact "$d/dmg" >"$d/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '1 damaged segments left as they are' "$d/out" && [ -f "$seg" ]
check damaged-segment-left-the-rest-merged $? "rc=$rc $(cat "$d/out")"
[ "$(ls "$d/dmg/log" | grep -c '\.c[0-9]*\.tlog$')" = 2 ]; check merged-around-the-damage $?
"$tip" verify -q "$d/dmg" >"$d/v" 2>&1
[ $? = 1 ] && grep -q "$(basename "$seg")" "$d/v"; check damage-still-reported-by-verify $?
cp -a "$d/orig/s2" "$d/lk"
mkdir -p "$d/lk/state"
(
	flock 9
	"$tip" compact "$d/lk" >"$d/out" 2>"$d/err"
	echo "rc=$?" >>"$d/out"
) 9>"$d/lk/state/compact.lock"
grep -q 'rc=2' "$d/out" && grep -q 'another compaction of this store is running' "$d/err"
check locked-store-refused $? "$(cat "$d/out" "$d/err")"
bad() {
	local name=$1; shift
	"$tip" compact "$@" >/dev/null 2>"$d/err"
	local rc=$?
	[ $rc = 2 ] && grep -q '^tip compact: ' "$d/err"; check "bad-args-$name" $? "rc=$rc $(head -c 200 "$d/err")"
}
bad no-store
bad unknown-store "$d/nope"
bad bad-before "$d/a" --before someday
bad bad-max-size "$d/a" --max-size lots
bad bad-bucket "$d/a" --bucket -5
bad unknown-option "$d/a" --fast
(cd "$d/orig" && md5sum -c --quiet "$d/orig.md5") >"$d/md5.diff" 2>&1
check hard-linked-originals-unchanged $? "$(head -c 300 "$d/md5.diff")"

[ $fails = 0 ]
