#!/bin/bash
# Integration test of tipd's spamtrap module (the maildir agent): tipd
# watches a maildir while the test delivers the SpamAssassin messages into
# it the way an MDA does (written in tmp/, renamed into new/, some later to
# cur/ with flags), is stopped in the middle (TERM) and later killed
# (KILL) and started again, and then every message must have been mined
# exactly once: one extract record per delivered message, by unique name,
# none twice, and the mail untouched.  Sender addresses are recorded as
# indicators of the source "spamtrap" and the malformed message is logged
# and skipped.  Prints ok/not ok lines; exits 1 when anything failed.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$O/tipd
TIP=$O/tip
fails=0
. tests/integration/lib.sh
spam=../shared/data/spam/maildir
for b in "$TIPD" "$TIP"; do
	[ -x "$b" ] || { echo "not ok spamtrap: $b not built"; exit 1; }
done
[ -d "$spam/cur" ] || { echo "skip spamtrap: $spam not there (the shared sample data)"; exit 0; }
tmpdir_make T spamtrap
printf 'module spamtrap {\n\tmaildir /x\n}\n' >"$T/probe.conf"
if ! "$TIPD" -n -c "$T/probe.conf" >/dev/null 2>&1; then
	echo "skip spamtrap: tipd is built without the spamtrap module (Kconfig)"
	exit 0
fi
PID=
on_exit "kill_now \$PID"
M=$T/Maildir
mkdir -p "$M/tmp" "$M/new" "$M/cur"
SOCK=$T/tipd.sock
cat >"$T/tipd.conf" <<CONF
pidfile $T/tipd.pid
log-level info
store {
	dir $T/store
	sync-interval 100ms
}
control {
	socket $SOCK
}
module spamtrap {
	maildir $M
	interval 1s
	settle 1s
	trusted-relays 193.120.211.0/24
}
CONF
if "$TIPD" -n -c "$T/tipd.conf" >"$T/check" 2>&1; then ok spamtrap-config-checks
else notok spamtrap-config-checks "$(cat "$T/check")"; fi
printf 'module spamtrap {\n\tmaildir relative/path\n}\n' >"$T/bad.conf"
if "$TIPD" -n -c "$T/bad.conf" >"$T/bad" 2>&1; then notok spamtrap-config-error "a relative maildir was accepted"
elif grep -q "bad.conf:2:" "$T/bad"; then ok spamtrap-config-error
else notok spamtrap-config-error "$(cat "$T/bad")"; fi

start() {
	"$TIPD" -f -c "$T/tipd.conf" 2>>"$T/tipd.log" &
	PID=$!
	wait_for 5 tip_answers "$SOCK" && return 0
	notok "$1" "tipd did not come up: $(tail -3 "$T/tipd.log")"
	return 1
}
seq=0
deliver() {	# deliver FILE: write in tmp/, rename into new/ (an MDA's two steps)
	seq=$((seq + 1))
	local u
	u="$(date +%s).M${seq}P$$.test"
	cp "$1" "$M/tmp/$u"
	mv "$M/tmp/$u" "$M/new/$u"
	echo "$u" >>"$T/delivered"
}
read_all() {	# every extract's unique name
	"$TIP" dump "$T/store" 2>/dev/null | grep '"type":"spam"' | grep '"op":"extract"' |
		sed -n 's/.*"name":"\([^"]*\)".*/\1/p'
}
mined() { read_all | sort -u | wc -l; }
mined_ge() { [ "$(mined)" -ge "$1" ]; }
wait_mined() { wait_for 20 mined_ge "$1"; }	# wait_mined N: up to 20 s

files=$(ls "$spam"/cur/* "$spam"/new/* | head -n 120)
start first-start || exit 1
i=0
for f in $files; do
	i=$((i + 1))
	[ "$i" -gt 40 ] && break
	deliver "$f"
done
# the MDA's reader moves some of them to cur/ with flags
for u in $(head -n 15 "$T/delivered"); do mv "$M/new/$u" "$M/cur/$u:2,S"; done
if wait_mined 40; then ok "mined-while-delivered (40)"; else notok mined-while-delivered "$(mined) of 40"; fi
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" = 0 ] && ok stop-clean || notok stop-clean "exit $rc"
[ -s "$T/store/state/spamtrap.cursor" ] && ok cursor-saved || notok cursor-saved "no state/spamtrap.cursor"
# delivered while tipd was down, and more renames
i=0
for f in $files; do
	i=$((i + 1))
	[ "$i" -le 40 ] && continue
	[ "$i" -gt 80 ] && break
	deliver "$f"
done
for u in $(sed -n 41,60p "$T/delivered"); do mv "$M/new/$u" "$M/cur/$u:2,RS"; done
start restart || exit 1
if wait_mined 80; then ok "mined-after-restart (80)"; else notok mined-after-restart "$(mined) of 80"; fi
# a crash: KILL, no clean stop, no cursor written; then more mail and a start
i=0
for f in $files; do
	i=$((i + 1))
	[ "$i" -le 80 ] && continue
	deliver "$f"
done
printf 'this is no mail\n' >"$M/tmp/bad"; mv "$M/tmp/bad" "$M/new/$(date +%s).Mbad.test"
sleep 0.5
kill -KILL "$PID"; wait "$PID" 2>/dev/null; PID=
start after-crash || exit 1
n=$(wc -l <"$T/delivered")
if wait_mined "$n"; then ok "mined-after-crash ($n)"; else notok mined-after-crash "$(mined) of $n"; fi
sleep 1.5	# one more scan: nothing may be mined again
kill -TERM "$PID"; wait "$PID"; PID=
# the first message again, delivered after two restarts: remembered (state/spamtrap.digests), a repeat
first=$(echo $files | cut -d' ' -f1)
start redeliver || exit 1
cp "$first" "$M/tmp/again"; mv "$M/tmp/again" "$M/new/$(date +%s).Magain.test"
dumped() { "$TIP" dump "$T/store" 2>/dev/null | grep -q "$1"; }
wait_for 10 dumped '"op":"repeat"'
kill -TERM "$PID"; wait "$PID"; PID=
rep=$("$TIP" dump "$T/store" 2>/dev/null | grep -c '"type":"spam".*"op":"repeat"')
[ "$rep" = 1 ] && ok "repeat-across-restarts" || notok repeat-across-restarts "$rep repeat records"

dups=$(read_all | sort | uniq -d | wc -l)
total=$(read_all | wc -l)
missing=$(sort "$T/delivered" | comm -23 - <(read_all | sort -u) | wc -l)
if [ "$dups" = 0 ] && [ "$missing" = 0 ] && [ "$total" = "$n" ]; then ok "exactly-once ($n messages, $total extracts)"
else notok exactly-once "$total extracts of $n messages, $dups twice, $missing missing"; fi
if grep -q "Mbad.test: malformed: no mail header (skipped)" "$T/tipd.log"; then ok malformed-logged
else notok malformed-logged "$(grep spamtrap "$T/tipd.log" | tail -3)"; fi
# the mail is untouched: every delivered file is where the test put it, byte for byte
same=0
i=0
for f in $files; do
	i=$((i + 1))
	u=$(sed -n "${i}p" "$T/delivered")
	g=$(ls "$M"/new/"$u" "$M"/cur/"$u":* 2>/dev/null | head -n1)
	[ -n "$g" ] && cmp -s "$f" "$g" && same=$((same + 1))
done
[ "$same" = "$n" ] && ok mail-untouched || notok mail-untouched "$same of $n unchanged"
ind=$("$TIP" dump "$T/store" 2>/dev/null | grep -c '"type":"feed",.*"op":"listed","source":"spamtrap","kind":"ip"')
[ "$ind" -gt 0 ] && ok "sender-indicators ($ind)" || notok sender-indicators "none"
# spam queries see what the sensor mined
d=$("$TIP" query spam --domain linux.ie --store "$T/store" | tail -n1)
case "$d" in *"messages seen"*) ok "query-spam ($d)" ;; *) notok query-spam "$d" ;; esac
[ "$fails" -eq 0 ]
